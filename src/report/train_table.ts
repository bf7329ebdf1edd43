// The per-iteration reward table of `rl train`, printed row by row as iterations finish.
import type { TrainResult } from '../training/trainer.js';

const columns: { title: string; width: number; value: (r: TrainResult) => string }[] = [
  { title: 'iter', width: 5, value: (r) => String(r.training_iteration) },
  { title: 'min', width: 9, value: (r) => fmt(r.episode_reward_min) },
  { title: 'mean', width: 9, value: (r) => fmt(r.episode_reward_mean) },
  { title: 'max', width: 9, value: (r) => fmt(r.episode_reward_max) },
  { title: 'episodes', width: 9, value: (r) => String(r.episodes_this_iter) },
  { title: 'timesteps', width: 10, value: (r) => String(r.timesteps_total) },
  { title: 'time (s)', width: 9, value: (r) => r.time_total_s.toFixed(1) },
];

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : '-';
}

export function tableHeader(): string {
  const head = columns.map((c) => c.title.padStart(c.width)).join('  ');
  return `${head}\n${'-'.repeat(head.length)}`;
}

export function tableRow(result: TrainResult): string {
  return columns.map((c) => c.value(result).padStart(c.width)).join('  ');
}
