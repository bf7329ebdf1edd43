// What rl tune shows: a status table while trials run (redrawn in place on a TTY, one line per
// event otherwise) and, at the end, the book's table of searched parameters and outcomes.
import { renderTable } from '../report/table.js';
import { resultValue } from '../config/index.js';
import type { TrialRecord, TuneEvent } from './runner.js';

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return JSON.stringify(value);
}

function metricCell(trial: TrialRecord, metric: string): string {
  const value = trial.last_result ? resultValue(trial.last_result, metric) : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : '-';
}

function columnLabel(label: string, labels: Record<string, string>): string {
  return labels[label] ?? Object.entries(labels).find(([pathLabel]) => pathLabel.endsWith(label))?.[1] ?? label;
}

export function statusTable(trials: TrialRecord[], metric: string, labels: Record<string, string>): string {
  const params = trials.length > 0 ? Object.keys(trials[0].varied) : [];
  const counts = ['RUNNING', 'PENDING', 'PAUSED', 'TERMINATED', 'ERROR'].map((s) => `${trials.filter((t) => t.status === s).length} ${s}`).join(', ');
  const onCluster = trials.some((t) => t.node !== undefined);
  const table = renderTable(
    ['trial', 'status', ...(onCluster ? ['node'] : []), ...params.map((p) => columnLabel(p, labels)), 'iter', 'total time (s)', metric],
    trials.map((t) => [t.id, t.status, ...(onCluster ? [t.node ?? '-'] : []), ...params.map((p) => formatValue(t.varied[p])), t.iteration, t.time_total_s.toFixed(1), metricCell(t, metric)]),
  );
  return `Trials: ${counts}\n${table}`;
}

export function eventLine(event: TuneEvent, metric: string): string {
  const { trial } = event;
  const params = Object.entries(trial.varied).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
  switch (event.type) {
    case 'start':
      return `${trial.id} RUNNING ${params}${trial.checkpoint ? ` (from ${trial.checkpoint})` : ''}`;
    case 'placed':
      return `${trial.id} running on node ${trial.node}`;
    case 'result':
      return `${trial.id} iter ${trial.iteration} ${metric} ${metricCell(trial, metric)} (${trial.time_total_s.toFixed(1)} s)`;
    case 'terminated':
      return `${trial.id} TERMINATED after ${trial.iteration} iterations: ${trial.stop_reason}`;
    case 'retry':
      return `${trial.id} failed (${event.message}); retrying from ${trial.checkpoint ?? 'the start'} (failure ${trial.failures})`;
    case 'error':
      return `${trial.id} ERROR: ${event.message} (see ${trial.error_file})`;
    case 'paused':
      return `${trial.id} PAUSED at iter ${trial.iteration}`;
    case 'exploit':
      return `${trial.id} ${event.message ?? 'config changed'} at iter ${trial.iteration}; now ${params}`;
  }
}

/** Marks a final value a scheduler changed during training (PBT): the table shows where a trial ended up. */
export const CHANGED_MARK = '†';

function changed(trial: TrialRecord, param: string): boolean {
  return trial.initial_varied !== undefined && JSON.stringify(trial.initial_varied[param]) !== JSON.stringify(trial.varied[param]);
}

/**
 * The book's Table 3-2: one column per searched parameter, iterations, total time, metric; best
 * marked. Values a scheduler changed (PBT) show their final value marked †, with a footnote.
 */
export function finalTable(trials: TrialRecord[], metric: string, labels: Record<string, string>, best: TrialRecord | null): string {
  const params = trials.length > 0 ? Object.keys(trials[0].varied) : [];
  const metricTitle = metric === 'episode_reward_mean' ? 'Mean reward' : metric;
  const rows = trials.map((t) => [
    ...params.map((p) => `${formatValue(t.varied[p])}${changed(t, p) ? ` ${CHANGED_MARK}` : ''}`),
    t.iteration,
    t.time_total_s.toFixed(2),
    `${metricCell(t, metric)}${t === best ? ' *' : ''}`,
    t.status === 'TERMINATED' ? (t.stop_reason ?? '') : t.status,
  ]);
  const table = renderTable(
    [...params.map((p) => columnLabel(p, labels)), 'Iterations', 'Total time (s)', metricTitle, 'Stopped by'],
    rows,
    [...params.map(() => 'right' as const), 'right', 'right', 'right', 'left'],
  );
  const perturbed = trials.filter((t) => (t.perturbations ?? 0) > 0);
  if (perturbed.length === 0) return table;
  return `${table}
${CHANGED_MARK} changed during training (${perturbed.map((t) => `${t.id}: ${t.perturbations}x`).join(', ')}); each trial's changes are in its pbt_policy.jsonl`;
}
