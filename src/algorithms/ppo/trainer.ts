// PPO's training loop (RLlib 1.x's PPOTrainer.train()):
//   broadcast weights -> sample fragments until train_batch_size -> merge filters
//   -> standardise advantages -> num_sgd_iter epochs of minibatch SGD -> adapt kl_coeff
//   -> metrics over the last metrics_smoothing_episodes episodes.
import { performance } from 'node:perf_hooks';
import { Discrete } from '../../envs/spaces.js';
import { resolveEnv, envSpec } from '../../envs/registry.js';
import { VectorEnv } from '../../envs/vector_env.js';
import { initialWeights, modelLayout, type ModelLayout } from '../../policy/model.js';
import { MeanStdFilter, RunningStat, type FilterState } from '../../policy/filter.js';
import { createSampler, type Sampler } from '../../execution/worker_pool.js';
import { concatBatches, type SampleBatch } from '../../execution/sample_batch.js';
import type { SampleResult, WorkerState } from '../../execution/rollout_worker.js';
import { EpisodeHistory } from '../../metrics/episodes.js';
import { Random, entropySeed, type RandomState } from '../../utils/random.js';
import { logger, setLogLevel } from '../../utils/log.js';
import type { BackendChoice } from '../../utils/tensor_backend.js';
import { UserError } from '../../utils/errors.js';
import { PPOLearner, type LearnerStats } from './learner.js';
import { checkKernelMemory } from '../../nn/mlp.js';
import { standardize } from './postprocessing.js';
import { scheduleValue } from './schedule.js';
import type { PPOConfig } from './defaults.js';
import { resolvePPOConfig, type ConfigLayer } from '../../config/index.js';
import { workerCpuProblem } from '../../config/resources.js';
import { loadCheckpoint, saveCheckpoint } from '../../checkpoint/index.js';
import { displayPath } from '../../checkpoint/format.js';
import { weightsFromCheckpoint } from '../../policy/saved_weights.js';
import { filterStateProblem } from '../../policy/filter.js';
import { checkpointEnv, envModuleRecord } from '../../checkpoint/env.js';
import { errorMessage } from '../../utils/errors.js';
import { firstNonFinite } from '../../utils/finite.js';
import { z } from 'zod';

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
  info: { learner: LearnerStats; num_steps_sampled: number; num_steps_trained: number; sample_time_s: number; learn_time_s: number };
  config?: PPOConfig;
}

/** Everything besides the weights that a restored trainer needs to continue the same curve. */
export interface TrainerState {
  iteration: number;
  timesteps_total: number;
  episodes_total: number;
  time_total_s: number;
  kl_coeff: number;
  seed: number;
  rng: RandomState;
  episode_history: { returns: number[]; lengths: number[] };
  workers: (WorkerState | null)[];
}

const randomStateSchema = z.object({ generator: z.array(z.number().int()).length(4), spareNormal: z.number().nullable() });
const count = z.number().int().nonnegative();
/** What restore accepts as a manifest's trainer state: a damaged one is refused with the first bad key. */
const trainerStateSchema = z.object({
  iteration: count,
  timesteps_total: count,
  episodes_total: count,
  time_total_s: z.number().nonnegative(),
  kl_coeff: z.number().nonnegative(),
  seed: z.number().int(),
  rng: randomStateSchema,
  episode_history: z.object({ returns: z.array(z.number()), lengths: z.array(z.number()) }),
  workers: z.array(z.object({ env: z.unknown(), rng: randomStateSchema, started: z.boolean(), pending: z.array(z.unknown()) }).nullable()),
});

export interface TrainerOptions {
  backend?: BackendChoice;
  /**
   * Refuse rollout workers that claim more CPUs than this machine has, warn when they outnumber
   * its cores (rl train; rl tune accounts CPUs across trials itself).
   */
  checkCpus?: boolean;
  /** Called while sampling with the steps collected so far, for progress bars. */
  onSampleProgress?: (steps: number, total: number) => void;
  /** Called after each SGD minibatch. */
  onLearnProgress?: (minibatches: number, total: number) => void;
}

/**
 * The first learner stat (loss, kl, entropy...) or weight that is NaN or ±Infinity, worded
 * "vf_loss is Infinity" or "weights[17] is NaN after the update"; null when all are finite.
 */
export function nonFiniteLearnerOutput(stats: LearnerStats, weights: Float32Array): string | null {
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value === 'number' && !Number.isFinite(value)) return `${key} is ${value}`;
  }
  const bad = firstNonFinite(weights);
  return bad >= 0 ? `weights[${bad}] is ${weights[bad]} after the update` : null;
}

/** RLlib 1.x raises rollout_fragment_length when train_batch_size is not a multiple of one round of fragments. */
export function effectiveFragmentLength(config: PPOConfig): number {
  const perStep = Math.max(1, config.num_workers) * config.num_envs_per_worker;
  if (config.train_batch_size % (perStep * config.rollout_fragment_length) === 0) return config.rollout_fragment_length;
  return Math.ceil(config.train_batch_size / perStep);
}

export class PPOTrainer {
  readonly layout: ModelLayout;
  /** The tfjs backend checkpoints are written with ('' until the first save()). */
  backend = '';
  private backendChoice: BackendChoice = 'auto';
  iteration = 0;
  timestepsTotal = 0;
  episodesTotal = 0;
  timeTotal = 0;
  private filter: MeanStdFilter | null;
  private history: EpisodeHistory;
  private rng: Random;
  lastResult: TrainResult | null = null;

  private constructor(
    readonly config: PPOConfig,
    readonly envId: string,
    readonly learner: PPOLearner,
    private readonly sampler: Sampler,
    readonly seed: number,
    observationSize: number,
    layout: ModelLayout,
  ) {
    this.layout = layout;
    this.filter = config.observation_filter === 'MeanStdFilter' ? new MeanStdFilter(observationSize) : null;
    this.history = new EpisodeHistory(config.metrics_smoothing_episodes);
    this.rng = new Random(seed);
  }

  static async create(config: PPOConfig, options: TrainerOptions = {}): Promise<PPOTrainer> {
    if (!config.env) throw new RangeError('config.env is not set: name an env id or module path');
    setLogLevel(config.log_level);
    const cpuProblem = options.checkCpus ? workerCpuProblem(config) : null;
    if (cpuProblem && 'error' in cpuProblem) throw new UserError(cpuProblem.error);
    if (cpuProblem) logger.warn(cpuProblem.warning);
    const envId = await resolveEnv(config.env);
    envSpec(envId);
    const seed = config.seed ?? entropySeed();
    const fragmentLength = effectiveFragmentLength(config);
    if (fragmentLength !== config.rollout_fragment_length) {
      logger.warn(
        `train_batch_size (${config.train_batch_size}) is not divisible by rollout_fragment_length x num_workers x num_envs_per_worker; ` +
          `auto-adjusting rollout_fragment_length to ${fragmentLength} (as RLlib does)`,
      );
    }
    const probe = new VectorEnv(envId, 1, { kwargs: config.env_config });
    const layout = modelLayout(probe.observationSize, probe.action_space, config.model);
    const numActions = probe.action_space instanceof Discrete ? probe.action_space.n : 0;
    checkKernelMemory(layout, config.sgd_minibatch_size); // before the weights are allocated
    // tfjs only writes checkpoints: loaded on the first save(), unless a backend is asked for by name (checked now)
    const backendChoice = options.backend ?? 'auto';
    if (backendChoice !== 'auto') await (await import('../../utils/tensor_backend.js')).initBackend(backendChoice);
    const learner = new PPOLearner(
      layout,
      numActions,
      {
        clipParam: config.clip_param,
        vfClipParam: config.vf_clip_param,
        vfLossCoeff: config.vf_loss_coeff,
        klTarget: config.kl_target,
        gradClip: config.grad_clip,
        numSgdIter: config.num_sgd_iter,
        sgdMinibatchSize: config.sgd_minibatch_size,
        shuffleSequences: config.shuffle_sequences,
        useCritic: config.use_critic,
      },
      initialWeights(layout, new Random(seed)),
      config.kl_coeff,
      scheduleValue(config.lr_schedule, 0, config.lr),
    );
    const sampler = await createSampler(config.num_workers, {
      env: envId,
      envConfig: config.env_config,
      numEnvs: config.num_envs_per_worker,
      fragmentLength,
      batchMode: config.batch_mode,
      horizon: config.horizon,
      clipActions: config.clip_actions,
      observationFilter: config.observation_filter,
      model: config.model,
      advantages: { gamma: config.gamma, lambda: config.lambda, useGae: config.use_gae, useCritic: config.use_critic },
      seed,
    });
    const trainer = new PPOTrainer(config, envId, learner, sampler, seed, probe.observationSize, layout);
    trainer.backendChoice = backendChoice;
    probe.close();
    return trainer;
  }

  /** One training iteration; returns RLlib's result record. */
  async train(options: TrainerOptions = {}): Promise<TrainResult> {
    const start = performance.now();
    const config = this.config;
    const lr = scheduleValue(config.lr_schedule, this.timestepsTotal, config.lr);
    const entropyCoeff = scheduleValue(config.entropy_coeff_schedule, this.timestepsTotal, config.entropy_coeff);

    const weights = this.learner.getWeights();
    const fragments: SampleResult[] = [];
    let steps = 0;
    while (steps < config.train_batch_size) {
      const round = await this.sampler.sample(weights, this.filterForWorkers());
      for (const result of round) {
        fragments.push(result);
        steps += result.batch.count;
        if (this.filter && result.filterBuffer) this.filter.running.merge(RunningStat.fromJSON(result.filterBuffer));
      }
      options.onSampleProgress?.(steps, config.train_batch_size);
    }
    const batch: SampleBatch = concatBatches(fragments.map((f) => f.batch));
    standardize(batch.advantages);
    const sampleTime = (performance.now() - start) / 1000;

    const learnStart = performance.now();
    const stats = this.learner.learnOnBatch(batch, lr, entropyCoeff, this.rng, options.onLearnProgress);
    const broken = nonFiniteLearnerOutput(stats, this.learner.getWeights());
    if (broken) {
      // Thrown before the iteration counts: nothing of it reaches a result file or a checkpoint.
      throw new UserError(
        `iteration ${this.iteration + 1}: the PPO learner's ${broken}; nothing of this iteration was saved. ` +
          "Lower lr, set grad_clip, or scale the env's rewards and observations (observation_filter: MeanStdFilter)",
      );
    }
    this.learner.updateKl(stats.kl);
    const learnTime = (performance.now() - learnStart) / 1000;

    const returns = fragments.flatMap((f) => f.episodes.returns);
    const lengths = fragments.flatMap((f) => f.episodes.lengths);
    const summary = this.history.update(returns, lengths);
    this.iteration += 1;
    this.timestepsTotal += batch.count;
    this.episodesTotal += returns.length;
    const elapsed = (performance.now() - start) / 1000;
    this.timeTotal += elapsed;
    this.lastResult = {
      training_iteration: this.iteration,
      ...summary,
      episodes_total: this.episodesTotal,
      timesteps_this_iter: batch.count,
      timesteps_total: this.timestepsTotal,
      time_this_iter_s: elapsed,
      time_total_s: this.timeTotal,
      info: {
        learner: stats,
        num_steps_sampled: this.timestepsTotal,
        num_steps_trained: this.timestepsTotal, // synchronous PPO trains on every sampled step
        sample_time_s: sampleTime,
        learn_time_s: learnTime,
      },
    };
    return this.lastResult;
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
      kl_coeff: this.learner.klCoeff,
      seed: this.seed,
      rng: this.rng.getState(),
      episode_history: this.history.toJSON(),
      workers: this.sampler.getStates(),
    };
  }

  /** Continues from a saved state (weights and optimizer are set on the learner separately). */
  loadState(state: TrainerState, filter: FilterState | null): void {
    this.iteration = state.iteration;
    this.timestepsTotal = state.timesteps_total;
    this.episodesTotal = state.episodes_total;
    this.timeTotal = state.time_total_s;
    this.learner.klCoeff = state.kl_coeff;
    this.rng = Random.fromState(state.rng);
    this.history = EpisodeHistory.fromJSON(this.config.metrics_smoothing_episodes, state.episode_history);
    this.sampler.setStates(state.workers);
    if (filter && this.filter) this.filter = MeanStdFilter.fromState(filter);
  }

  /**
   * Writes <root>/checkpoint_<iteration>/checkpoint-<iteration> atomically: both networks as TF.js
   * LayersModels, Adam's state, the filter and everything state() holds. Returns the manifest path.
   */
  async save(root: string): Promise<string> {
    const weights = this.learner.getWeights();
    const [{ initBackend }, { toLayersModels }] = await Promise.all([import('../../utils/tensor_backend.js'), import('../../policy/layers_model.js')]);
    this.backend = await initBackend(this.backendChoice);
    const models = toLayersModels(this.layout, weights);
    const { logStdOffset } = this.layout;
    try {
      return await saveCheckpoint(root, this.iteration, {
        manifest: {
          algorithm: 'PPO',
          env: this.envId,
          env_module: envModuleRecord(this.envId),
          config: { ...this.config, env: this.envId } as unknown as Record<string, unknown>,
          iteration: this.iteration,
          timesteps_total: this.timestepsTotal,
          time_total_s: this.timeTotal,
          metrics: (this.lastResult ?? {}) as unknown as Record<string, unknown>,
          filter: this.filterState(),
          state: this.state() as unknown as Record<string, unknown>,
        },
        models,
        // free_log_std: the log-stds are not part of a LayersModel; they travel as an array.
        arrays: { optimizer: this.learner.getOptimizerState(), ...(logStdOffset === null ? {} : { log_std: [weights.slice(logStdOffset)] }) },
      });
    } finally {
      for (const model of Object.values(models)) model.dispose();
    }
  }

  /**
   * A trainer that continues a checkpoint's run: weights, Adam's state, filter, KL coefficient,
   * counters, random streams and rollout workers, so the curve goes on where it stopped.
   * Config layers given here override the checkpoint's config (e.g. num_workers).
   */
  static async restore(checkpoint: string, overrides: ConfigLayer[] = [], options: TrainerOptions = {}): Promise<PPOTrainer> {
    const loaded = await loadCheckpoint(checkpoint);
    const source = displayPath(loaded.manifestPath);
    const { manifest } = loaded;
    if (manifest.algorithm !== 'PPO') throw new UserError(`${source} was trained with ${manifest.algorithm}, not PPO`);
    const parsedState = trainerStateSchema.safeParse(manifest.state);
    if (!parsedState.success) {
      const issue = parsedState.error.issues[0];
      throw new UserError(`${source} is damaged: its trainer state has no valid '${issue.path.join('.') || 'state'}' (${issue.message})`);
    }
    const state = parsedState.data as TrainerState;
    // The env comes from the registry or from a module the user named (an env in the override layers), never from the manifest.
    const given = overrides.map((layer) => (layer.config as Record<string, unknown>).env).filter((env): env is string => typeof env === 'string').at(-1);
    const { envId, warning } = await checkpointEnv(source, manifest.env, manifest.env_module, given);
    if (warning) logger.warn(warning);
    const config = resolvePPOConfig([{ source, config: manifest.config }, ...overrides, { source, config: { seed: state.seed, env: envId } }]);
    const trainer = await PPOTrainer.create(config, options);
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
      trainer.learner.setWeights(weightsFromCheckpoint(trainer.layout, loaded, source));
      restorePart('optimizer state', () => trainer.learner.setOptimizerState(loaded.loadArrays('optimizer')));
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
    this.learner.dispose();
  }
}
