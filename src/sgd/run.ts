// A whole `rl sgd` run as a library call: create or restore the trainer, train and validate
// epoch after epoch, write result.json / progress.csv / params.json beside the checkpoints (as
// rl train does), checkpoint at the end (and every checkpointFreq epochs), and on an abort
// (Ctrl-C) finish the epoch in progress and checkpoint it.
import path from 'node:path';
import { pruneCheckpoints, resolveCheckpointPath } from '../checkpoint/index.js';
import { claimRunDir } from '../checkpoint/run_dir.js';
import { ResultWriter } from '../metrics/result_writer.js';
import { checkDirectoryPath } from '../utils/paths.js';
import type { BackendChoice } from '../utils/tensor_backend.js';
import { SGDTrainer, readSGDCheckpoint, type TrainStats, type ValidationStats } from './trainer.js';
import type { SGDConfig } from './module.js';

export type SGDResult = TrainStats &
  Partial<ValidationStats> & {
    training_iteration: number;
    samples_total: number;
    time_total_s: number;
    num_workers: number;
  };

/** One epoch: train() then validate(), as one record (Ray SGD's as_trainable step; rl sgd's and rl tune's rows). */
export async function trainEpoch(trainer: SGDTrainer): Promise<SGDResult> {
  const train = await trainer.train();
  const validation = await trainer.validate();
  return {
    training_iteration: train.epoch,
    ...train,
    ...(validation ?? {}),
    samples_total: trainer.samplesTotal,
    time_total_s: trainer.timeTotal,
    num_workers: trainer.numWorkers,
  };
}

export interface SGDRunOptions {
  module: string;
  numWorkers?: number;
  config?: SGDConfig;
  epochs: number;
  restore?: string;
  checkpointDir?: string;
  checkpointFreq?: number;
  keepCheckpointsNum?: number;
  backend?: BackendChoice;
  signal?: AbortSignal;
  onStart?: (trainer: SGDTrainer, movedAside: string | null) => void;
  onProgress?: (step: number, steps: number | null) => void;
  onResult?: (result: SGDResult) => void;
}

export interface SGDRunOutcome {
  results: SGDResult[];
  lastCheckpoint: string | null;
  checkpointDir: string;
  stoppedBy: string;
}

export async function runSGD(options: SGDRunOptions): Promise<SGDRunOutcome> {
  const restored = options.restore ? await readSGDCheckpoint(options.restore) : null;
  const restoredRoot = restored ? path.dirname(path.dirname(resolveCheckpointPath(options.restore!))) : null;
  const checkpointDir = options.checkpointDir ?? restoredRoot ?? 'checkpoints';
  checkDirectoryPath(checkpointDir, '--checkpoint-dir');
  // A restored run keeps its config (and seed, so the shuffles go on as they would have); given keys override it.
  const { num_workers: savedWorkers, ...savedConfig } = (restored?.config ?? {}) as SGDConfig & { num_workers?: number };
  const trainer = await SGDTrainer.create({
    module: options.module,
    numWorkers: options.numWorkers ?? (typeof savedWorkers === 'number' ? savedWorkers : 1),
    config: { ...savedConfig, ...(options.config ?? {}) },
    seed: restored?.seed,
    backend: options.backend,
    onProgress: options.onProgress,
  });
  const results: SGDResult[] = [];
  let lastCheckpoint: string | null = null;
  let stoppedBy = `epochs ${options.epochs}`;
  let runDir: ReturnType<typeof claimRunDir> | null = null;
  try {
    if (restored) await trainer.load(restored.manifestPath);
    const continuing = restoredRoot !== null && path.resolve(restoredRoot) === path.resolve(checkpointDir) ? trainer.epoch : null;
    runDir = claimRunDir(checkpointDir, continuing);
    const writer = new ResultWriter(checkpointDir);
    writer.start({ ...trainer.config, num_workers: trainer.numWorkers, module: path.basename(options.module) }, continuing);
    options.onStart?.(trainer, runDir.movedAside);
    let savedEpoch = -1;
    const save = async (result: SGDResult | undefined) => {
      if (savedEpoch === trainer.epoch) return;
      lastCheckpoint = await trainer.save(checkpointDir, (result ?? {}) as Record<string, unknown>);
      savedEpoch = trainer.epoch;
      if (options.keepCheckpointsNum) pruneCheckpoints(checkpointDir, options.keepCheckpointsNum, [path.dirname(lastCheckpoint)]);
    };
    const last = trainer.epoch + options.epochs;
    while (trainer.epoch < last) {
      const result = await trainEpoch(trainer);
      results.push(result);
      writer.write(result);
      options.onResult?.(result);
      if (options.checkpointFreq && trainer.epoch % options.checkpointFreq === 0) await save(result);
      if (options.signal?.aborted && trainer.epoch < last) {
        stoppedBy = 'interrupted';
        break;
      }
    }
    await save(results.at(-1));
  } finally {
    runDir?.release();
    await trainer.shutdown();
  }
  return { results, lastCheckpoint, checkpointDir, stoppedBy };
}
