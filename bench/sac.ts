// SAC on Pendulum-v1: episode_reward_mean after 10k, 20k and 30k timesteps and the wall time to
// each, with RLlib's tuned settings (configs/sac-pendulum.yaml: [256, 256] networks) and with
// [64, 64] networks, seed 1 (SAC_BENCH_SEEDS=1,2,3 for more; medians printed).
// `npm run bench -- sac` (long: minutes).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentFile } from '../src/config/index.js';
import { resolveSACConfig, type SACConfig } from '../src/algorithms/sac/defaults.js';
import { Trainer } from '../src/training/trainer.js';
import { median } from './stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHECKPOINTS = [10_000, 20_000, 30_000];

/** Reward and seconds when each checkpoint's timesteps were reached. */
async function run(config: SACConfig): Promise<{ reward: number; seconds: number }[]> {
  const trainer = await Trainer.create('SAC', config);
  const marks: { reward: number; seconds: number }[] = [];
  try {
    while (marks.length < CHECKPOINTS.length) {
      const result = await trainer.train();
      if (result.timesteps_total >= CHECKPOINTS[marks.length]) marks.push({ reward: result.episode_reward_mean, seconds: result.time_total_s });
    }
  } finally {
    await trainer.stop();
  }
  return marks;
}

export async function benchSAC(): Promise<void> {
  const file = path.join(root, 'configs', 'sac-pendulum.yaml');
  const experiment = loadExperimentFile(file);
  const seeds = (process.env.SAC_BENCH_SEEDS ?? '1').split(',').map(Number);
  const small = { fcnet_hiddens: [64, 64], fcnet_activation: 'relu' };
  const settings: [string, Record<string, unknown>][] = [
    ['tuned [256, 256]', {}],
    ['[64, 64]', { policy_model: small, Q_model: small }],
  ];
  process.stdout.write(`SAC on Pendulum-v1 (configs/sac-pendulum.yaml), seeds ${seeds.join(', ')}: median episode_reward_mean (last 5 episodes) and wall time\n`);
  for (const [name, override] of settings) {
    const runs: { reward: number; seconds: number }[][] = [];
    for (const seed of seeds) {
      const config = resolveSACConfig([
        { source: file, config: { ...experiment.config, env: experiment.env } },
        { source: 'bench', config: { ...override, seed, log_level: 'ERROR' } },
      ]);
      runs.push(await run(config));
    }
    const cells = CHECKPOINTS.map((steps, i) => `${steps / 1000}k: ${median(runs.map((r) => r[i].reward)).toFixed(0)} (${median(runs.map((r) => r[i].seconds)).toFixed(0)} s)`);
    process.stdout.write(`  ${name.padEnd(17)} ${cells.join('   ')}\n`);
  }
}
