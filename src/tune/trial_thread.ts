// One trial, run in its own worker thread so that trials learn in parallel: a registered
// algorithm's trainer (the shared training loop) or a function trainable `(config, report) => ...`. The runner decides after every result whether
// the trial goes on (stop criteria, scheduler); this thread trains, writes results and checkpoints.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { isAlgorithm } from '../algorithms/registry.js';
import { ResultWriter } from '../metrics/result_writer.js';
import { pruneCheckpoints } from '../checkpoint/resolve.js';
import { errorMessage } from '../utils/errors.js';
import { SGD_RUN, sgdTrialConfig } from './sgd_trial.js';
import type { BackendChoice } from '../utils/tensor_backend.js';

export interface TrialTask {
  id: string;
  /** A registered algorithm ('PPO'), 'SGD', or the absolute path of a module exporting a trainable function. */
  run: string;
  /** run SGD: the training module the user's experiment names (absolute path). */
  module?: string;
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

/**
 * The runner's word after each result. checkpoint: true saves one now (and goes on unless stop);
 * false with stop ends without saving (a PBT exploit: the trial continues from another's
 * checkpoint); absent keeps checkpoint_at_end.
 */
export type RunnerMessage = { type: 'decision'; stop: boolean; checkpoint?: boolean } | { type: 'interrupt' };

type Verdict = { stop: boolean; checkpoint?: boolean };

/** Thrown out of report() when the runner stops a function trainable. */
class TrialStopped extends Error {}

const port = parentPort!;
const task = workerData as TrialTask;
let interrupted = false;
let pendingDecision: ((verdict: Verdict) => void) | null = null;

port.on('message', (message: RunnerMessage) => {
  if (message.type === 'interrupt') {
    interrupted = true;
    pendingDecision?.({ stop: true });
  } else if (message.type === 'decision') {
    pendingDecision?.(message);
  }
});

function post(message: TrialMessage): void {
  port.postMessage(message);
}

/** Sends a result and waits for the runner's decision. */
function report(result: Record<string, unknown>): Promise<Verdict> {
  return new Promise((resolve) => {
    pendingDecision = (verdict) => {
      pendingDecision = null;
      resolve(verdict);
    };
    post({ type: 'result', result });
  });
}

async function runAlgorithm(): Promise<void> {
  // Loaded here, not at the top: a function trainable's thread then starts without tfjs.
  const [{ Trainer }, { trainLoop }, { resolveConfig }, { getAlgorithm }] = await Promise.all([
    import('../training/trainer.js'),
    import('../training/run.js'),
    import('../config/resolve.js'),
    import('../algorithms/registry.js'),
  ]);
  const overrides = [{ source: `trial ${task.id}`, config: task.config }];
  const trainer = task.restore
    ? await Trainer.restore(task.restore, overrides, { backend: task.backend })
    : await Trainer.create(task.run, resolveConfig(getAlgorithm(task.run).config, overrides), { backend: task.backend });
  await trainLoop(trainer, {
    dir: task.dir,
    continuing: task.restore !== null ? trainer.iteration : null,
    checkpointFreq: task.checkpointFreq,
    checkpointAtEnd: task.checkpointAtEnd,
    keepCheckpointsNum: task.keepCheckpointsNum,
    onCheckpoint: (manifest) => post({ type: 'checkpoint', path: manifest }),
    decide: async (result) => {
      const verdict = await report(result as unknown as Record<string, unknown>);
      const stop = verdict.stop || interrupted;
      // An interrupted trial keeps a checkpoint, so that --resume continues it (unless it goes on from another's).
      return { stop: stop ? (interrupted ? 'interrupted' : 'stopped by the runner') : null, checkpoint: verdict.checkpoint === true, finalCheckpoint: !(verdict.stop && verdict.checkpoint === false) };
    },
  });
}

/** What a function trainable's checkpoint holds: its counters and the state it last reported. */
interface FunctionCheckpoint {
  iteration: number;
  time_total_s: number;
  state: unknown;
}

type FunctionTrainable = (
  config: Record<string, unknown>,
  report: (metrics: Record<string, unknown>, state?: unknown) => Promise<void>,
  restored: unknown,
) => unknown;

/**
 * A function trainable `(config, report, restored) => ...`. It may pass its state (anything JSON
 * can hold) as report's second argument; the trial checkpoints the latest such state when asked
 * (checkpoint_freq, at the end, for PBT) as <trial>/checkpoint_<N>/state.json, and a restored
 * trial gets it back as `restored` (else null).
 */
async function runFunction(): Promise<void> {
  const module = (await import(pathToFileURL(task.run).href)) as Record<string, unknown>;
  const trainable = (module.default ?? module.trainable) as FunctionTrainable;
  if (typeof trainable !== 'function') throw new Error(`${task.run} exports no trainable function: export default (config, report) => ...`);
  const restored = task.restore ? (JSON.parse(readFileSync(task.restore, 'utf8')) as FunctionCheckpoint) : null;
  const writer = new ResultWriter(task.dir);
  writer.start(task.config, restored !== null ? restored.iteration : null);
  const start = performance.now() - (restored?.time_total_s ?? 0) * 1000;
  let iteration = restored?.iteration ?? 0;
  let latest: FunctionCheckpoint | null = null;
  let savedAt = -1;
  const save = () => {
    if (latest === null) return;
    const file = path.join(task.dir, `checkpoint_${latest.iteration}`, 'state.json');
    if (savedAt !== latest.iteration) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, JSON.stringify(latest));
      renameSync(`${file}.tmp`, file);
      savedAt = latest.iteration;
    }
    post({ type: 'checkpoint', path: file });
  };
  let verdict: Verdict = { stop: false };
  const reportMetrics = async (metrics: Record<string, unknown>, state?: unknown) => {
    iteration += 1;
    const result = { training_iteration: iteration, time_total_s: (performance.now() - start) / 1000, ...metrics };
    writer.write(result);
    if (state !== undefined) latest = { iteration, time_total_s: result.time_total_s, state: structuredClone(state) };
    if (task.checkpointFreq > 0 && iteration % task.checkpointFreq === 0) save();
    verdict = await report(result);
    if (verdict.checkpoint === true) save();
    if (verdict.stop || interrupted) throw new TrialStopped();
  };
  try {
    await trainable(structuredClone(task.config), reportMetrics, restored ? structuredClone(restored.state) : null);
  } catch (error) {
    if (!(error instanceof TrialStopped)) throw error;
  }
  if (!(verdict.stop && verdict.checkpoint === false) && (task.checkpointAtEnd || interrupted)) save();
}

/**
 * run SGD: an SGDTrainer on the experiment's training module, one epoch (train() then validate())
 * per result, with rl sgd's records; checkpoints are rl sgd's (SGDTrainer save/load), so PBT and
 * --resume continue a trial from its weights and optimizer state.
 */
async function runSGDTrial(): Promise<void> {
  const [{ SGDTrainer }, { trainEpoch }] = await Promise.all([import('../sgd/trainer.js'), import('../sgd/run.js')]);
  const { numWorkers, config } = sgdTrialConfig(task.config);
  const trainer = await SGDTrainer.create({ module: task.module!, numWorkers, config, backend: task.backend });
  try {
    if (task.restore) await trainer.load(task.restore);
    const writer = new ResultWriter(task.dir);
    writer.start(task.config, task.restore ? trainer.epoch : null);
    let saved: { epoch: number; manifest: string } | null = null;
    const save = async (result: Record<string, unknown>) => {
      if (saved?.epoch !== trainer.epoch) {
        saved = { epoch: trainer.epoch, manifest: await trainer.save(task.dir, result) };
        if (task.keepCheckpointsNum) pruneCheckpoints(task.dir, task.keepCheckpointsNum, [path.dirname(saved.manifest)]);
      }
      post({ type: 'checkpoint', path: saved.manifest });
    };
    let verdict: Verdict = { stop: false };
    let result: Record<string, unknown> = {};
    while (!(verdict.stop || interrupted)) {
      result = { ...(await trainEpoch(trainer)) };
      writer.write(result);
      if (task.checkpointFreq > 0 && trainer.epoch % task.checkpointFreq === 0) await save(result);
      verdict = await report(result);
      if (verdict.checkpoint === true) await save(result);
    }
    if (trainer.epoch > 0 && !(verdict.stop && verdict.checkpoint === false) && (task.checkpointAtEnd || interrupted)) await save(result);
  } finally {
    await trainer.shutdown();
  }
}

try {
  await (isAlgorithm(task.run) ? runAlgorithm() : task.run === SGD_RUN ? runSGDTrial() : runFunction());
  post({ type: 'done', interrupted });
} catch (error) {
  post({ type: 'error', message: errorMessage(error), stack: error instanceof Error ? error.stack : undefined });
}
