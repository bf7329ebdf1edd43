// One trial, run in its own worker thread so that trials learn in parallel: a PPO trainer or a
// function trainable `(config, report) => ...`. The runner decides after every result whether
// the trial goes on (stop criteria, scheduler); this thread trains, writes results and checkpoints.
import { parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { PPOTrainer } from '../algorithms/ppo/trainer.js';
import { resolvePPOConfig } from '../config/index.js';
import { ResultWriter } from '../metrics/result_writer.js';
import { pruneCheckpoints } from '../checkpoint/index.js';
import { errorMessage } from '../utils/errors.js';
import type { BackendChoice } from '../utils/tensor_backend.js';

export interface TrialTask {
  id: string;
  /** 'PPO' or the absolute path of a module exporting a trainable function. */
  run: string;
  config: Record<string, unknown>;
  dir: string;
  restore: string | null;
  checkpointFreq: number;
  checkpointAtEnd: boolean;
  keepCheckpointsNum: number | null;
  backend: BackendChoice;
}

export type TrialMessage =
  | { type: 'result'; result: Record<string, unknown> }
  | { type: 'checkpoint'; path: string }
  | { type: 'done'; interrupted: boolean }
  | { type: 'error'; message: string; stack?: string };

export type RunnerMessage = { type: 'decision'; stop: boolean } | { type: 'interrupt' };

/** Thrown out of report() when the runner stops a function trainable. */
class TrialStopped extends Error {}

const port = parentPort!;
const task = workerData as TrialTask;
let interrupted = false;
let pendingDecision: ((stop: boolean) => void) | null = null;

port.on('message', (message: RunnerMessage) => {
  if (message.type === 'interrupt') {
    interrupted = true;
    pendingDecision?.(true);
  } else if (message.type === 'decision') {
    pendingDecision?.(message.stop);
  }
});

function post(message: TrialMessage): void {
  port.postMessage(message);
}

/** Sends a result and waits for the runner's decision (true: stop). */
function report(result: Record<string, unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    pendingDecision = (stop) => {
      pendingDecision = null;
      resolve(stop);
    };
    post({ type: 'result', result });
  });
}

async function runPPO(): Promise<void> {
  const overrides = [{ source: `trial ${task.id}`, config: task.config }];
  const trainer = task.restore
    ? await PPOTrainer.restore(task.restore, overrides, { backend: task.backend })
    : await PPOTrainer.create(resolvePPOConfig(overrides), { backend: task.backend });
  const writer = new ResultWriter(task.dir);
  writer.start({ ...trainer.config, env: trainer.envId }, task.restore !== null ? trainer.iteration : null);
  let savedAt = -1;
  const save = async () => {
    if (savedAt === trainer.iteration || trainer.iteration === 0) return;
    const manifest = await trainer.save(task.dir);
    savedAt = trainer.iteration;
    if (task.keepCheckpointsNum) pruneCheckpoints(task.dir, task.keepCheckpointsNum, [path.dirname(manifest)]);
    post({ type: 'checkpoint', path: manifest });
  };
  try {
    for (;;) {
      const result = await trainer.train();
      writer.write(result);
      if (task.checkpointFreq > 0 && trainer.iteration % task.checkpointFreq === 0) await save();
      const stop = await report(result as unknown as Record<string, unknown>);
      if (stop || interrupted) break;
    }
    // An interrupted trial always keeps a checkpoint, so that --resume continues it.
    if (task.checkpointAtEnd || interrupted) await save();
  } finally {
    await trainer.stop();
  }
}

async function runFunction(): Promise<void> {
  const module = (await import(pathToFileURL(task.run).href)) as Record<string, unknown>;
  const trainable = (module.default ?? module.trainable) as (config: Record<string, unknown>, report: (metrics: Record<string, unknown>) => Promise<void>) => unknown;
  if (typeof trainable !== 'function') throw new Error(`${task.run} exports no trainable function: export default (config, report) => ...`);
  const writer = new ResultWriter(task.dir);
  writer.start(task.config, null);
  const start = performance.now();
  let iteration = 0;
  const reportMetrics = async (metrics: Record<string, unknown>) => {
    iteration += 1;
    const result = { training_iteration: iteration, time_total_s: (performance.now() - start) / 1000, ...metrics };
    writer.write(result);
    if ((await report(result)) || interrupted) throw new TrialStopped();
  };
  try {
    await trainable(structuredClone(task.config), reportMetrics);
  } catch (error) {
    if (!(error instanceof TrialStopped)) throw error;
  }
}

try {
  await (task.run === 'PPO' ? runPPO() : runFunction());
  post({ type: 'done', interrupted });
} catch (error) {
  post({ type: 'error', message: errorMessage(error), stack: error instanceof Error ? error.stack : undefined });
}
