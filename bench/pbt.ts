// Population Based Training against the same population under FIFO: configs/pbt-cartpole.yaml
// run twice from the same initial configs (same seeds), once with its PBT scheduler and once
// with none; prints each run's best-trial reward, the population's mean final reward and the
// wall time. `npm run bench -- pbt` (PBT_BENCH_ITERATIONS=n shortens both runs, for a smoke test).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTuneExperiment } from '../src/tune/experiment.js';
import { runTune, type TuneOutcome } from '../src/tune/runner.js';
import { renderTable } from '../src/report/table.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function finalMetric(outcome: TuneOutcome, metric: string): number[] {
  return outcome.trials.map((t) => t.last_result?.[metric]).filter((v): v is number => typeof v === 'number');
}

export async function benchPBT(): Promise<void> {
  const file = path.join(root, 'configs', 'pbt-cartpole.yaml');
  const experiment = loadTuneExperiment(file);
  const iterations = process.env.PBT_BENCH_ITERATIONS ? Number(process.env.PBT_BENCH_ITERATIONS) : null;
  if (iterations !== null) experiment.stop = { ...experiment.stop, training_iteration: iterations };
  const localDir = mkdtempSync(path.join(os.tmpdir(), 'rl-bench-pbt-'));
  const rows: string[][] = [];
  for (const [label, scheduler] of [
    ['PBT', experiment.scheduler],
    ['FIFO (initial configs)', null],
  ] as const) {
    const outcome = await runTune({ ...experiment, name: label.split(' ')[0].toLowerCase(), local_dir: localDir, scheduler });
    const finals = finalMetric(outcome, experiment.metric);
    const best = outcome.best?.last_result?.[experiment.metric];
    rows.push([
      label,
      typeof best === 'number' ? best.toFixed(2) : '-',
      finals.length > 0 ? (finals.reduce((a, b) => a + b, 0) / finals.length).toFixed(2) : '-',
      String(outcome.trials.reduce((n, t) => n + (t.perturbations ?? 0), 0)),
      outcome.wallTimeS.toFixed(1),
    ]);
    process.stderr.write(`${label}: ${outcome.schedulerSummary ?? ''} ${outcome.wallTimeS.toFixed(1)} s, results in ${outcome.dir}\n`);
  }
  const stop = Object.entries(experiment.stop).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(`configs/pbt-cartpole.yaml: ${experiment.num_samples} trials, stop at ${stop}, ${experiment.metric}\n`);
  process.stdout.write(`${renderTable(['scheduler', 'best trial', 'population mean', 'config changes', 'wall time (s)'], rows, ['left', 'right', 'right', 'right', 'right'])}\n`);
}
