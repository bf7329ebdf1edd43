// A whole training run, as `rl train` does it and as a library call: create or restore the
// trainer, train until a stop criterion is met, write results and checkpoints beside each other,
// and on an abort (Ctrl-C) finish the iteration in progress and checkpoint it.
import path from 'node:path';
import { pruneCheckpoints, resolveCheckpointPath } from '../../checkpoint/index.js';
import { claimRunDir, type RunDir } from '../../checkpoint/run_dir.js';
import { ResultWriter } from '../../metrics/result_writer.js';
import type { BackendChoice } from '../../utils/tensor_backend.js';
import type { ConfigLayer } from '../../config/index.js';
import { checkStopCriteria, stopReached } from '../../config/index.js';
import { checkDirectoryPath } from '../../utils/paths.js';
import type { PPOConfig } from './defaults.js';
import { PPOTrainer, type TrainResult } from './trainer.js';
import { PPO_RESULT_KEYS } from './result_keys.js';

export interface RunOptions {
  /** The resolved config of a new run; ignored when restoring (see overrides). */
  config?: PPOConfig;
  /** A checkpoint to continue from, and config layers to apply over its config. */
  restore?: string;
  overrides?: ConfigLayer[];
  /** RLlib's stop dict; without one, 20 iterations from where the run starts. */
  stop?: Record<string, number>;
  /** Names where stop came from in errors ("--stop", a file); default "stop". */
  stopSource?: string;
  /** Where checkpoints and result files go (default: checkpoints, or the restored checkpoint's folder). */
  checkpointDir?: string;
  /** How the user names another checkpoint folder, for errors; default "--checkpoint-dir". */
  checkpointDirSource?: string;
  checkpointFreq?: number;
  checkpointAtEnd?: boolean;
  keepCheckpointsNum?: number | null;
  backend?: BackendChoice;
  signal?: AbortSignal;
  /** Called once the trainer is ready and its folder claimed (with where an earlier run there was moved, if anywhere). */
  onStart?: (trainer: PPOTrainer, runDir: RunDir) => void;
  onSampleProgress?: (steps: number, total: number) => void;
  onLearnProgress?: (minibatches: number, total: number) => void;
  onResult?: (result: TrainResult) => void;
}

export interface RunOutcome {
  results: TrainResult[];
  stoppedBy: string;
  lastCheckpoint: string | null;
  checkpointDir: string;
}

export async function runTraining(options: RunOptions): Promise<RunOutcome> {
  // Mistakes that would only show after training (a run that never stops, nowhere to write) are refused first.
  if (options.stop) checkStopCriteria(options.stop, PPO_RESULT_KEYS, options.stopSource ?? 'stop');
  // A restored run writes beside the checkpoint it came from (<root>/checkpoint_N/checkpoint-N).
  const restoredRoot = options.restore ? path.dirname(path.dirname(resolveCheckpointPath(options.restore))) : null;
  const checkpointDir = options.checkpointDir ?? restoredRoot ?? 'checkpoints';
  checkDirectoryPath(checkpointDir, options.checkpointDirSource ?? '--checkpoint-dir');
  const trainer = options.restore
    ? await PPOTrainer.restore(options.restore, options.overrides ?? [], { backend: options.backend, checkCpus: true })
    : await PPOTrainer.create(requireConfig(options.config), { backend: options.backend, checkCpus: true });
  const continuing = restoredRoot !== null && path.resolve(restoredRoot) === path.resolve(checkpointDir) ? trainer.iteration : null;
  let runDir: RunDir;
  try {
    runDir = claimRunDir(checkpointDir, continuing);
  } catch (error) {
    await trainer.stop();
    throw error;
  }
  const stop = options.stop ?? { training_iteration: trainer.iteration + 20 };
  const writer = new ResultWriter(checkpointDir);
  writer.start({ ...trainer.config, env: trainer.envId }, continuing);
  const results: TrainResult[] = [];
  let lastCheckpoint: string | null = null;
  let savedIteration = -1;
  const save = async () => {
    if (savedIteration === trainer.iteration) return;
    lastCheckpoint = await trainer.save(checkpointDir);
    savedIteration = trainer.iteration;
    if (options.keepCheckpointsNum) pruneCheckpoints(checkpointDir, options.keepCheckpointsNum, [path.dirname(lastCheckpoint)]);
  };
  let stoppedBy = '';
  try {
    options.onStart?.(trainer, runDir);
    for (;;) {
      const result = await trainer.train({ onSampleProgress: options.onSampleProgress, onLearnProgress: options.onLearnProgress });
      results.push(result);
      writer.write(result);
      options.onResult?.(result);
      if (options.checkpointFreq && trainer.iteration % options.checkpointFreq === 0) await save();
      const reason = stopReached(stop, result as unknown as Record<string, unknown>);
      if (reason) {
        stoppedBy = reason;
        break;
      }
      if (options.signal?.aborted) {
        stoppedBy = 'interrupted';
        break;
      }
    }
    if (options.checkpointAtEnd !== false || stoppedBy === 'interrupted') await save();
  } finally {
    runDir.release();
    await trainer.stop();
  }
  return { results, stoppedBy, lastCheckpoint, checkpointDir };
}

function requireConfig(config: PPOConfig | undefined): PPOConfig {
  if (!config) throw new RangeError('runTraining needs a config or a checkpoint to restore');
  return config;
}
