// The trainer every algorithm shares (RLlib 1.x's Trainer): it builds the rollout workers and
// the algorithm's learning side from the registry, runs one iteration per train() (the
// algorithm's trainIteration, sampling through the shared workers), keeps the counters, the
// observation filter and the episode metrics, writes the result record, and saves and restores
// checkpoints (networks as TF.js LayersModels, the algorithm's arrays and state, the filter).
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { resolveEnv, envSpec } from '../envs/registry.js';
import { VectorEnv } from '../envs/vector_env.js';
import { MeanStdFilter, RunningStat, filterStateProblem, type FilterState } from '../policy/filter.js';
import { createSampler, type Sampler, type WorkerBaseConfig } from '../execution/worker_pool.js';
import type { ClusterAddress } from '../cluster/address.js';
import { concatBatches, type SampleBatch } from '../execution/sample_batch.js';
import type { WorkerState } from '../execution/rollout_worker.js';
import type { Exploration } from '../execution/exploration.js';
import { EpisodeHistory } from '../metrics/episodes.js';
import { Random, entropySeed } from '../utils/random.js';
import { logger, setLogLevel } from '../utils/log.js';
import type { BackendChoice } from '../utils/tensor_backend.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { firstNonFinite } from '../utils/finite.js';
import type { ModelLayout } from '../nn/layout.js';
import { getAlgorithm } from '../algorithms/registry.js';
import type { Algorithm, AlgorithmTrainer, AlgorithmTrainerFactory, IterationContext } from '../algorithms/algorithm.js';
import type { CommonConfig } from '../config/common.js';
import { resolveConfig, type ConfigLayer } from '../config/resolve.js';
import { workerCpuProblem } from '../config/resources.js';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/index.js';
import { displayPath } from '../checkpoint/format.js';
import { checkpointEnv, envModuleRecord } from '../checkpoint/env.js';
export { COMMON_RESULT_KEYS } from './result_keys.js';
import { weightsFromCheckpoint } from '../policy/saved_weights.js';

export interface TrainResult {
  training_iteration: number;
  episode_reward_min: number;
  episode_reward_mean: number;
  episode_reward_max: number;
  episode_len_mean: number;
  episodes_this_iter: number;
  episodes_total: number;
  timesteps_this_iter: number;
  timesteps_total: number;
  time_this_iter_s: number;
  time_total_s: number;
  info: { learner: Record<string, number>; num_steps_sampled: number; num_steps_trained: number; sample_time_s: number; learn_time_s: number };
}


/** Everything besides the weights that a restored trainer needs to continue the same curve; the algorithm's own keys are merged in. */
export interface TrainerState {
  iteration: number;
  timesteps_total: number;
  episodes_total: number;
  time_total_s: number;
  /** Steps the learner trained on, all iterations (absent in checkpoints written before it: then timesteps_total, as PPO trains on every step). */
  num_steps_trained?: number;
  seed: number;
  rng: { generator: number[]; spareNormal: number | null };
  episode_history: { returns: number[]; lengths: number[] };
  workers: (WorkerState | null)[];
  [algorithmKey: string]: unknown;
}

const randomStateSchema = z.object({ generator: z.array(z.number().int()).length(4), spareNormal: z.number().nullable() });
const count = z.number().int().nonnegative();
/** What restore accepts as the shared part of a manifest's trainer state: a damaged one is refused with the first bad key. */
export const TRAINER_STATE_SHAPE = {
  iteration: count,
  timesteps_total: count,
  episodes_total: count,
  time_total_s: z.number().nonnegative(),
  num_steps_trained: count.optional(),
  seed: z.number().int(),
  rng: randomStateSchema,
  episode_history: z.object({ returns: z.array(z.number()), lengths: z.array(z.number()) }),
  workers: z.array(z.object({ env: z.unknown(), rng: randomStateSchema, started: z.boolean(), pending: z.array(z.record(z.string(), z.array(z.number()))) }).nullable()),
};

/** A manifest's trainer state checked against the shared rules and the algorithm's; the first problem as a one-line UserError. */
export function parseTrainerState(state: unknown, stateShape: z.ZodRawShape, source: string): TrainerState {
  const parsed = z.object({ ...TRAINER_STATE_SHAPE, ...stateShape }).safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`${source} is damaged: its trainer state has no valid '${issue.path.join('.') || 'state'}' (${issue.message})`);
  }
  return parsed.data as TrainerState;
}

export interface TrainerOptions {
  backend?: BackendChoice;
  /** Sample on the nodes of this cluster (rl worker) instead of local threads; num_workers > 0 only. */
  address?: ClusterAddress | null;
  /**
   * Refuse rollout workers that claim more CPUs than this machine has, warn when they outnumber
   * its cores (rl train; rl tune accounts CPUs across trials itself).
   */
  checkCpus?: boolean;
}

export interface TrainCallbacks {
  /** Called while sampling with the steps collected so far, for progress bars. */
  onSampleProgress?: (steps: number, total: number) => void;
  /** Called as the learner progresses (PPO: after each SGD minibatch). */
  onLearnProgress?: (done: number, total: number) => void;
}

/**
 * The first learner stat (loss, kl, entropy...) or weight that is NaN or ±Infinity, worded
 * "vf_loss is Infinity" or "weights[17] is NaN after the update"; null when all are finite.
 */
export function nonFiniteLearnerOutput(stats: Record<string, number>, weights: Float32Array): string | null {
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value === 'number' && !Number.isFinite(value)) return `${key} is ${value}`;
  }
  const bad = firstNonFinite(weights);
  return bad >= 0 ? `weights[${bad}] is ${weights[bad]} after the update` : null;
}


export class Trainer<C extends CommonConfig = CommonConfig> {
  /** The tfjs backend checkpoints are written with ('' until the first save()). */
  backend = '';
  private backendChoice: BackendChoice = 'auto';
  iteration = 0;
  timestepsTotal = 0;
  stepsTrainedTotal = 0;
  episodesTotal = 0;
  timeTotal = 0;
  lastResult: TrainResult | null = null;
  private filter: MeanStdFilter | null;
  private history: EpisodeHistory;
  private rng: Random;

  private constructor(
    readonly algorithm: Algorithm<C>,
    readonly config: C,
    readonly envId: string,
    /** The algorithm's learning side (PPO: its learner and KL coefficient). */
    readonly algo: AlgorithmTrainer,
    private readonly sampler: Sampler,
    readonly seed: number,
    observationSize: number,
  ) {
    this.filter = config.observation_filter === 'MeanStdFilter' ? new MeanStdFilter(observationSize) : null;
    this.history = new EpisodeHistory(config.metrics_smoothing_episodes);
    this.rng = new Random(seed);
  }

  /** All the networks the algorithm learns. */
  get layout(): ModelLayout {
    return this.algo.layout;
  }

  /** A new trainer of the named (registered) algorithm for a resolved config of it. */
  static async create<C extends CommonConfig>(algorithmName: string, config: C, options: TrainerOptions = {}): Promise<Trainer<C>> {
    const algorithm = getAlgorithm<C>(algorithmName);
    if (!config.env) throw new RangeError('config.env is not set: name an env id or module path');
    setLogLevel(config.log_level);
    const cpuProblem = options.checkCpus ? workerCpuProblem(config) : null;
    if (cpuProblem && 'error' in cpuProblem) throw new UserError(cpuProblem.error);
    if (cpuProblem) logger.warn(cpuProblem.warning);
    const envId = await resolveEnv(config.env);
    envSpec(envId);
    const seed = config.seed ?? entropySeed();
    const fragmentLength = algorithm.fragmentLength?.(config) ?? config.rollout_fragment_length;
    if (fragmentLength !== config.rollout_fragment_length) {
      logger.warn(
        `train_batch_size (${config.train_batch_size}) is not divisible by rollout_fragment_length x num_workers x num_envs_per_worker; ` +
          `auto-adjusting rollout_fragment_length to ${fragmentLength} (as RLlib does)`,
      );
    }
    const probe = new VectorEnv(envId, 1, { kwargs: config.env_config });
    const spaceType = probe.action_space.type;
    if (!algorithm.actionSpaces.includes(spaceType as 'Discrete' | 'Box')) {
      probe.close();
      throw new UserError(`${algorithm.name} learns ${algorithm.actionSpaces.join(' or ')} actions, but ${envId} has ${spaceType} actions; pick another algorithm (--run) or env`);
    }
    const workerConfig: WorkerBaseConfig = {
      env: envId,
      envConfig: config.env_config,
      numEnvs: config.num_envs_per_worker,
      fragmentLength,
      batchMode: config.batch_mode,
      horizon: config.horizon,
      clipActions: config.clip_actions,
      observationFilter: config.observation_filter,
      algorithm: algorithm.name,
      policyConfig: config as unknown as Record<string, unknown>,
      seed,
    };
    const factory: AlgorithmTrainerFactory<C> = await algorithm.loadTrainer();
    const algo = await factory.create(
      { config, envId, observationSize: probe.observationSize, actionSpace: probe.action_space, seed, rng: new Random(seed), fragmentLength, workerConfig },
      { backend: options.backend },
    );
    let sampler: Sampler;
    try {
      if (algo.sampler && options.address) throw new UserError(`${algorithm.name} trains on its own worker threads; it cannot sample on a cluster (drop --address)`);
      // tfjs only writes checkpoints: loaded on the first save(), unless a backend is asked for by name (checked now)
      const backendChoice = options.backend ?? 'auto';
      if (backendChoice !== 'auto') await (await import('../utils/tensor_backend.js')).initBackend(backendChoice);
      sampler = algo.sampler ?? (await createSampler(config.num_workers, workerConfig, options.address));
    } catch (error) {
      probe.close();
      await algo.sampler?.close();
      algo.dispose?.();
      throw error;
    }
    const trainer = new Trainer(algorithm, config, envId, algo, sampler, seed, probe.observationSize);
    trainer.backendChoice = options.backend ?? 'auto';
    probe.close();
    return trainer;
  }

  /** One training iteration; returns RLlib's result record. */
  async train(callbacks: TrainCallbacks = {}): Promise<TrainResult> {
    const start = performance.now();
    let sampled = 0;
    let sampleTime = 0;
    const returns: number[] = [];
    const lengths: number[] = [];
    const ctx: IterationContext = {
      sample: async ({ weights, exploration, minSteps = 1 }) => {
        const sampleStart = performance.now();
        const chosen: Exploration = this.config.explore ? (exploration ?? { type: 'stochastic' }) : { type: 'greedy' };
        const parts: SampleBatch[] = [];
        let steps = 0;
        do {
          const round = await this.sampler.sample(weights, this.filterForWorkers(), chosen);
          for (const result of round) {
            parts.push(result.batch);
            steps += result.batch.count;
            returns.push(...result.episodes.returns);
            lengths.push(...result.episodes.lengths);
            if (this.filter && result.filterBuffer) this.filter.running.merge(RunningStat.fromJSON(result.filterBuffer));
          }
          callbacks.onSampleProgress?.(steps, minSteps);
        } while (steps < minSteps);
        sampled += steps;
        const batch = concatBatches(parts);
        sampleTime += (performance.now() - sampleStart) / 1000;
        return batch;
      },
      timesteps: () => this.timestepsTotal + sampled,
      iteration: this.iteration,
      rng: this.rng,
      onLearnProgress: (done, total) => callbacks.onLearnProgress?.(done, total),
    };
    const outcome = await this.algo.trainIteration(ctx);
    const broken = nonFiniteLearnerOutput(outcome.learner, this.algo.getWeights());
    if (broken) {
      // Thrown before the iteration counts: nothing of it reaches a result file or a checkpoint.
      throw new UserError(
        `iteration ${this.iteration + 1}: the ${this.algorithm.name} learner's ${broken}; nothing of this iteration was saved. ` +
          "Lower lr, set grad_clip, or scale the env's rewards and observations (observation_filter: MeanStdFilter)",
      );
    }
    const summary = this.history.update(returns, lengths);
    this.iteration += 1;
    this.timestepsTotal += sampled;
    this.stepsTrainedTotal += outcome.stepsTrained;
    this.episodesTotal += returns.length;
    const elapsed = (performance.now() - start) / 1000;
    this.timeTotal += elapsed;
    this.lastResult = {
      training_iteration: this.iteration,
      ...summary,
      episodes_total: this.episodesTotal,
      timesteps_this_iter: sampled,
      timesteps_total: this.timestepsTotal,
      time_this_iter_s: elapsed,
      time_total_s: this.timeTotal,
      info: {
        learner: outcome.learner,
        num_steps_sampled: this.timestepsTotal,
        num_steps_trained: this.stepsTrainedTotal,
        sample_time_s: sampleTime,
        learn_time_s: elapsed - sampleTime,
        ...outcome.info,
      },
    };
    return this.lastResult;
  }

  /** The current weights of all networks, flat in layout order. */
  getWeights(): Float32Array {
    return this.algo.getWeights();
  }

  /** The filter as workers should start the next fragment: the merged running stats, empty buffer. */
  private filterForWorkers(): FilterState | null {
    if (!this.filter) return null;
    return { type: 'MeanStdFilter', running: this.filter.running.toJSON(), buffer: { n: 0, mean: [], m2: [] } };
  }

  filterState(): FilterState | null {
    return this.filter ? this.filter.state() : null;
  }

  state(): TrainerState {
    return {
      iteration: this.iteration,
      timesteps_total: this.timestepsTotal,
      episodes_total: this.episodesTotal,
      time_total_s: this.timeTotal,
      num_steps_trained: this.stepsTrainedTotal,
      ...this.algo.getState(),
      seed: this.seed,
      rng: this.rng.getState(),
      episode_history: this.history.toJSON(),
      workers: this.sampler.getStates(),
    };
  }

  /** Continues from a saved state (weights and arrays are set on the algorithm separately). */
  loadState(state: TrainerState, filter: FilterState | null): void {
    this.iteration = state.iteration;
    this.timestepsTotal = state.timesteps_total;
    this.episodesTotal = state.episodes_total;
    this.timeTotal = state.time_total_s;
    this.stepsTrainedTotal = state.num_steps_trained ?? state.timesteps_total;
    this.algo.loadState(state);
    this.rng = Random.fromState(state.rng);
    this.history = EpisodeHistory.fromJSON(this.config.metrics_smoothing_episodes, state.episode_history);
    this.sampler.setStates(state.workers);
    if (filter && this.filter) this.filter = MeanStdFilter.fromState(filter);
  }

  /**
   * Writes <root>/checkpoint_<iteration>/checkpoint-<iteration> atomically: every network as a TF.js
   * LayersModel, the layout's free parameters and the algorithm's arrays, the filter and
   * everything state() holds. Returns the manifest path.
   */
  async save(root: string): Promise<string> {
    const weights = this.algo.getWeights();
    const [{ initBackend }, { describeNetworks, toLayersModels }] = await Promise.all([import('../utils/tensor_backend.js'), import('../policy/layers_model.js')]);
    this.backend = await initBackend(this.backendChoice);
    const models = toLayersModels(this.layout, weights);
    const params = Object.fromEntries(Object.entries(this.layout.params).map(([name, { offset, size }]) => [name, [weights.slice(offset, offset + size)]]));
    try {
      return await saveCheckpoint(root, this.iteration, {
        manifest: {
          algorithm: this.algorithm.name,
          env: this.envId,
          env_module: envModuleRecord(this.envId),
          config: { ...this.config, env: this.envId } as unknown as Record<string, unknown>,
          networks: describeNetworks(this.layout),
          iteration: this.iteration,
          timesteps_total: this.timestepsTotal,
          time_total_s: this.timeTotal,
          metrics: (this.lastResult ?? {}) as unknown as Record<string, unknown>,
          filter: this.filterState(),
          state: this.state() as unknown as Record<string, unknown>,
        },
        models,
        // Free parameters (PPO's free_log_std) are not part of a LayersModel; they travel as arrays.
        arrays: { ...this.algo.getArrays(), ...params },
      });
    } finally {
      for (const model of Object.values(models)) model.dispose();
    }
  }

  /**
   * A trainer that continues a checkpoint's run, whatever algorithm wrote it (the manifest names
   * it): weights, the algorithm's arrays and state, filter, counters, random streams and rollout
   * workers, so the curve goes on where it stopped. Config layers given here override the
   * checkpoint's config (e.g. num_workers).
   */
  static async restore(checkpoint: string, overrides: ConfigLayer[] = [], options: TrainerOptions = {}): Promise<Trainer> {
    const loaded = await loadCheckpoint(checkpoint);
    const source = displayPath(loaded.manifestPath);
    const { manifest } = loaded;
    const algorithm = getAlgorithm(manifest.algorithm, `${source} was trained with an algorithm this rl does not have:`);
    const factory = await algorithm.loadTrainer();
    const state = parseTrainerState(manifest.state, factory.stateShape, source);
    // The env comes from the registry or from a module the user named (an env in the override layers), never from the manifest.
    const given = overrides.map((layer) => (layer.config as Record<string, unknown>).env).filter((env): env is string => typeof env === 'string').at(-1);
    const { envId, warning } = await checkpointEnv(source, manifest.env, manifest.env_module, given);
    if (warning) logger.warn(warning);
    const config = resolveConfig(algorithm.config, [{ source, config: manifest.config }, ...overrides, { source, config: { seed: state.seed, env: envId } }]);
    const trainer = await Trainer.create(algorithm.name, config, options);
    try {
      const problem = filterStateProblem(manifest.filter, trainer.layout.observationSize);
      if (problem) throw new UserError(`${source} is damaged: its observation filter ${problem}`);
      const restorePart = (what: string, apply: () => void) => {
        try {
          apply();
        } catch (error) {
          if (error instanceof UserError) throw error;
          throw new UserError(`${source} is damaged: its ${what} cannot be restored (${errorMessage(error)})`);
        }
      };
      trainer.algo.setWeights(weightsFromCheckpoint(trainer.layout, loaded, source));
      restorePart('optimizer state', () => trainer.algo.loadArrays((name) => loaded.loadArrays(name)));
      restorePart('trainer state', () => trainer.loadState(state, manifest.filter as FilterState | null));
      trainer.lastResult = manifest.metrics as unknown as TrainResult;
      return trainer;
    } catch (error) {
      await trainer.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.sampler.close();
    this.algo.dispose?.();
  }
}
