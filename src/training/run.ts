// A whole training run for any registered algorithm. trainLoop is the one loop (rl train and
// each rl tune trial run it): train an iteration, write the result, checkpoint every
// checkpoint_freq iterations, ask whether to stop (stop criteria here, the tune runner's verdict
// in a trial), checkpoint at the end. runTraining is `rl train` as a library call: create or
// restore the trainer, claim its folder, stop by RLlib's stop dict or an abort (Ctrl-C finishes
// the iteration in progress and checkpoints it).
import path from 'node:path';
import { pruneCheckpoints, resolveCheckpointPath } from '../checkpoint/index.js';
import { claimRunDir, type RunDir } from '../checkpoint/run_dir.js';
import { ResultWriter } from '../metrics/result_writer.js';
import type { BackendChoice } from '../utils/tensor_backend.js';
import type { ClusterAddress } from '../cluster/address.js';
import { resolveConfig, type ConfigLayer } from '../config/resolve.js';
import { checkStopCriteria, stopReached } from '../config/stop.js';
import type { CommonConfig } from '../config/common.js';
import { checkDirectoryPath } from '../utils/paths.js';
import { UserError } from '../utils/errors.js';
import { getAlgorithm } from '../algorithms/registry.js';
import { Trainer, type TrainCallbacks, type TrainResult } from './trainer.js';

/** What the loop does after each result: stop (with the reason) or go on, and whether to checkpoint. */
export interface LoopDecision {
  /** Why the run stops now ("episode_reward_mean >= 400", "interrupted"); null goes on. */
  stop: string | null;
  /** Save a checkpoint now. */
  checkpoint?: boolean;
  /** false: end without the final checkpoint (a PBT exploit: the trial goes on from another's). */
  finalCheckpoint?: boolean;
}

export interface LoopOptions extends TrainCallbacks {
  /** Where results and checkpoints go. */
  dir: string;
  /** The iteration an earlier run in `dir` reached, when this one continues it (result files are appended to); else null. */
  continuing: number | null;
  checkpointFreq?: number;
  checkpointAtEnd?: boolean;
  keepCheckpointsNum?: number | null;
  decide(result: TrainResult): LoopDecision | Promise<LoopDecision>;
  onResult?: (result: TrainResult) => void;
  /** Called whenever a checkpoint is asked for, with its manifest (also when this iteration's was already written). */
  onCheckpoint?: (manifest: string) => void;
}

export interface LoopOutcome {
  results: TrainResult[];
  stoppedBy: string;
  lastCheckpoint: string | null;
}

/** Trains until decide() says stop; stops the trainer in the end, whatever happens. */
export async function trainLoop(trainer: Trainer, options: LoopOptions): Promise<LoopOutcome> {
  const writer = new ResultWriter(options.dir);
  writer.start({ ...trainer.config, env: trainer.envId }, options.continuing);
  const results: TrainResult[] = [];
  let lastCheckpoint: string | null = null;
  let savedIteration = -1;
  const save = async () => {
    if (trainer.iteration === 0) return;
    if (savedIteration !== trainer.iteration) {
      lastCheckpoint = await trainer.save(options.dir);
      savedIteration = trainer.iteration;
      if (options.keepCheckpointsNum) pruneCheckpoints(options.dir, options.keepCheckpointsNum, [path.dirname(lastCheckpoint)]);
    }
    options.onCheckpoint?.(lastCheckpoint as string);
  };
  let decision: LoopDecision = { stop: null };
  try {
    for (;;) {
      const result = await trainer.train({ onSampleProgress: options.onSampleProgress, onLearnProgress: options.onLearnProgress });
      results.push(result);
      writer.write(result);
      options.onResult?.(result);
      if (options.checkpointFreq && trainer.iteration % options.checkpointFreq === 0) await save();
      decision = await options.decide(result);
      if (decision.checkpoint) await save();
      if (decision.stop !== null) break;
    }
    if (decision.finalCheckpoint !== false && (options.checkpointAtEnd !== false || decision.stop === 'interrupted')) await save();
  } finally {
    await trainer.stop();
  }
  return { results, stoppedBy: decision.stop as string, lastCheckpoint };
}

export interface RunOptions extends TrainCallbacks {
  /** The registered algorithm of a new run (default PPO); when restoring, the one the checkpoint must have been trained with, if given. */
  algorithm?: string;
  /** The resolved config of a new run; ignored when restoring (see overrides). */
  config?: CommonConfig;
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
  /** Rollout workers on the nodes of this cluster (rl worker) rather than local threads. */
  address?: ClusterAddress | null;
  signal?: AbortSignal;
  /** Called once the trainer is ready and its folder claimed (with where an earlier run there was moved, if anywhere). */
  onStart?: (trainer: Trainer, runDir: RunDir) => void;
  onResult?: (result: TrainResult) => void;
}

export interface RunOutcome extends LoopOutcome {
  checkpointDir: string;
}

export async function runTraining(options: RunOptions): Promise<RunOutcome> {
  // Mistakes that would only show after training (a run that never stops, nowhere to write) are refused first.
  // A restored run's algorithm is known once its checkpoint is read; its stop keys are checked then.
  const algorithm = getAlgorithm(options.algorithm ?? 'PPO');
  if (options.stop && !options.restore) checkStopCriteria(options.stop, algorithm.resultKeys, options.stopSource ?? 'stop');
  // A restored run writes beside the checkpoint it came from (<root>/checkpoint_N/checkpoint-N).
  const restoredRoot = options.restore ? path.dirname(path.dirname(resolveCheckpointPath(options.restore))) : null;
  const checkpointDir = options.checkpointDir ?? restoredRoot ?? 'checkpoints';
  checkDirectoryPath(checkpointDir, options.checkpointDirSource ?? '--checkpoint-dir');
  const trainer = options.restore
    ? await Trainer.restore(options.restore, options.overrides ?? [], { backend: options.backend, checkCpus: !options.address, address: options.address })
    : await Trainer.create(algorithm.name, requireConfig(options.config), { backend: options.backend, checkCpus: !options.address, address: options.address });
  const continuing = restoredRoot !== null && path.resolve(restoredRoot) === path.resolve(checkpointDir) ? trainer.iteration : null;
  let runDir: RunDir;
  try {
    if (options.restore && options.algorithm !== undefined && options.algorithm !== trainer.algorithm.name) {
      throw new UserError(`${options.restore} was trained with ${trainer.algorithm.name}, not ${options.algorithm}: drop --run (the checkpoint names its algorithm) or restore a ${options.algorithm} checkpoint`);
    }
    if (options.stop && options.restore) checkStopCriteria(options.stop, trainer.algorithm.resultKeys, options.stopSource ?? 'stop');
    runDir = claimRunDir(checkpointDir, continuing);
  } catch (error) {
    await trainer.stop();
    throw error;
  }
  const stop = options.stop ?? { training_iteration: trainer.iteration + 20 };
  try {
    try {
      options.onStart?.(trainer, runDir);
    } catch (error) {
      await trainer.stop();
      throw error;
    }
    const outcome = await trainLoop(trainer, {
      dir: checkpointDir,
      continuing,
      checkpointFreq: options.checkpointFreq,
      checkpointAtEnd: options.checkpointAtEnd,
      keepCheckpointsNum: options.keepCheckpointsNum,
      onSampleProgress: options.onSampleProgress,
      onLearnProgress: options.onLearnProgress,
      onResult: options.onResult,
      decide: (result) => ({ stop: stopReached(stop, result as unknown as Record<string, unknown>) ?? (options.signal?.aborted ? 'interrupted' : null) }),
    });
    return { ...outcome, checkpointDir };
  } finally {
    runDir.release();
  }
}

function requireConfig(config: CommonConfig | undefined): CommonConfig {
  if (!config) throw new RangeError('runTraining needs a config or a checkpoint to restore');
  return config;
}

/** A new run's config: the algorithm's defaults < layers (see resolveConfig). */
export function resolveAlgorithmConfig(algorithm: string, layers: ConfigLayer[]): CommonConfig {
  return resolveConfig(getAlgorithm(algorithm).config, layers);
}
