// What an algorithm plugs into the shared machinery (rollout workers, the trainer with its
// metrics, checkpoints and stop criteria, `rl rollout`, `rl serve`, `rl tune`). An algorithm is a
// folder under src/algorithms/ whose index.ts exports an `Algorithm`, listed once in
// registry.ts; nothing else names it. Types only: importing this module loads no algorithm.
import type { z } from 'zod';
import type { Space } from '../envs/spaces.js';
import type { CommonConfig } from '../config/common.js';
import type { ConfigSpec } from '../config/resolve.js';
import type { SampleBatch } from '../execution/sample_batch.js';
import type { Exploration } from '../execution/exploration.js';
import type { ModelLayout } from '../nn/layout.js';
import type { Random } from '../utils/random.js';
import type { BackendChoice } from '../utils/tensor_backend.js';
import type { Sampler, WorkerBaseConfig } from '../execution/worker_pool.js';

/** Where an algorithm's policy is built: a rollout worker (batch = its envs), CheckpointPolicy (rl rollout / serve), the trainer. */
export interface PolicyContext<C extends CommonConfig = CommonConfig> {
  observationSize: number;
  actionSpace: Space;
  config: C;
  /** Rows the policy is asked for at once (it may grow). */
  batch: number;
}

/**
 * An algorithm's policy: its networks' forward pass for actions, in any thread. Built from the
 * registry by name (worker threads cannot receive functions), with the weights the trainer sends.
 */
export interface AlgorithmPolicy {
  /** All the networks whose weights setWeights() takes, in one flat array. */
  readonly layout: ModelLayout;
  /** Floats per stored action (1 for Discrete; the Box space's size). */
  readonly actionSize: number;
  /**
   * Columns computeActions() fills besides the action, with floats per row (PPO: action_logp 1,
   * action_dist_inputs, vf_preds 1); the rollout worker stores them in the sample batch.
   */
  readonly extraColumns: Record<string, number>;
  setWeights(weights: Float32Array): void;
  /**
   * Actions for `rows` filtered observations (rows x observationSize floats): sampled as the
   * algorithm explores when `stochastic` (PPO, SAC), else greedy (argmax of the logits or of Q,
   * the Gaussian mean, SAC's squashed mean). Writes actions (rows x actionSize; Discrete as
   * 0-based indices, Box unclipped) and those of extraColumns present in `extras` (rows x width
   * each; an empty object where nobody stores them, e.g. rl serve).
   */
  computeActions(obs: Float32Array, rows: number, stochastic: boolean, rng: Random, actions: Float32Array, extras: Record<string, Float32Array>): void;
  /**
   * RLlib's postprocess_trajectory, at the end of every fragment: `segments` are [start, end) row
   * ranges, each one env's consecutive steps of one episode, in order; the last row of a segment
   * has terminated or truncated set where the episode ended there, and neither where the fragment
   * cut it (bootstrap from new_obs). Adds the algorithm's columns (PPO: advantages, value_targets).
   */
  postprocess?(batch: SampleBatch, segments: [number, number][]): void;
}

/** What a trainer's iteration may ask of the shared machinery. */
export interface IterationContext {
  /**
   * Samples with the rollout workers: rounds of one fragment per worker (rollout_fragment_length
   * steps per env, or whole episodes) until at least minSteps steps (default 1: one round), with
   * these weights (what the algorithm's policy takes) and exploration (default stochastic;
   * greedy when the config says explore: false). The fragments come back postprocessed and
   * concatenated in worker order; their episodes are counted in the result's metrics, their
   * steps in timesteps_total, and a MeanStdFilter is updated from them.
   */
  sample(request: { weights: Float32Array; exploration?: Exploration; minSteps?: number }): Promise<SampleBatch>;
  /** Env steps sampled so far, this iteration's included. */
  timesteps(): number;
  /** Completed iterations before this one. */
  readonly iteration: number;
  /** The trainer's random stream (saved in checkpoints): minibatch shuffling, replay sampling. */
  readonly rng: Random;
  /** Report learning progress (for progress bars). */
  onLearnProgress(done: number, total: number): void;
}

export interface IterationOutcome {
  /** The result's info.learner: numbers only (every key is a possible stop criterion). */
  learner: Record<string, number>;
  /** Steps trained on in this iteration (summed into info.num_steps_trained). */
  stepsTrained: number;
  /** More numbers for the result's info (DQN: num_target_updates); list them in resultKeys as info.<key>. */
  info?: Record<string, number>;
}

/** Built once per trainer (main thread, or a tune trial's thread). */
export interface TrainerSetup<C extends CommonConfig = CommonConfig> {
  config: C;
  envId: string;
  observationSize: number;
  actionSpace: Space;
  seed: number;
  /** Draws the initial weights (the trainer's stream seeded by `seed`). */
  rng: Random;
  /** The rollout_fragment_length the workers use (RLlib may raise the configured one). */
  fragmentLength: number;
  /** What every rollout worker is built with (besides its index). */
  workerConfig: WorkerBaseConfig;
}

/** An algorithm's learning side: it owns its iteration (and any replay buffer), the shared Trainer does the rest. */
export interface AlgorithmTrainer {
  /** Every network it learns, saved by name (`<network>/model.json`) with its free parameters (layout.params, as arrays). */
  readonly layout: ModelLayout;
  /** One training iteration: sample through ctx.sample() (as often as it likes), learn, return the learner's stats. */
  trainIteration(ctx: IterationContext): Promise<IterationOutcome>;
  /** All weights, flat in layout order (for checkpoints). */
  getWeights(): Float32Array;
  setWeights(weights: Float32Array): void;
  /** Its JSON state besides the weights (PPO: kl_coeff), saved in the manifest's trainer state and checked by stateShape on restore. */
  getState(): Record<string, unknown>;
  loadState(state: Record<string, unknown>): void;
  /** Float32 arrays it saves (optimizer moments, target networks...), each name a `<name>.bin` file. */
  getArrays(): Record<string, Float32Array[]>;
  /** Restores them; `load(name)` throws a one-line error naming the checkpoint when it has no such arrays. */
  loadArrays(load: (name: string) => Float32Array[]): void;
  /** Frees what it holds. */
  dispose?(): void;
  /**
   * Its own rollout workers, when they learn too (DD-PPO: each worker thread samples and trains):
   * ctx.sample() and the checkpoints' worker states go through it instead of the shared pool, and
   * the Trainer closes it on stop.
   */
  readonly sampler?: Sampler;
}

export interface AlgorithmTrainerFactory<C extends CommonConfig = CommonConfig> {
  create(setup: TrainerSetup<C>, options: { backend?: BackendChoice }): Promise<AlgorithmTrainer> | AlgorithmTrainer;
  /** zod rules of getState()'s keys, checked when a checkpoint is restored. */
  stateShape: z.ZodRawShape;
}

/** A registry entry: everything the shared machinery needs to know about an algorithm, by name. */
export interface Algorithm<C extends CommonConfig = CommonConfig> {
  /** As `--run` and experiment files name it (RLlib's): "PPO". */
  name: string;
  /** One line for `rl train --help` and the README's table. */
  description: string;
  /** The action spaces it learns. */
  actionSpaces: readonly ('Discrete' | 'Box')[];
  /**
   * How the dashboard's play page, which runs the checkpoint's `policy` network in the browser,
   * turns its outputs into the greedy action for Box spaces (Discrete: the argmax): the means
   * clipped to the bounds (a Gaussian policy) or squashed into them by tanh (SAC's
   * SquashedGaussian). Absent: the page does not offer its checkpoints.
   */
  playBoxActions?: 'clipped-means' | 'squashed-means';
  /** Defaults (with one line of meaning per key) and the rules of its config. */
  config: ConfigSpec<C> & { docs: Record<string, string> };
  /** Numeric keys of its result records, dotted ("info.learner.kl"): what stop criteria and schedulers may name. */
  resultKeys: readonly string[];
  /**
   * The rollout_fragment_length workers use; default the config's. PPO raises it, as RLlib 1.x
   * does, when train_batch_size is not a multiple of one round of fragments.
   */
  fragmentLength?(config: C): number;
  /** Its policy (networks, forward pass, greedy action, postprocessing), built wherever actions are needed. */
  makePolicy(context: PolicyContext<C>): AlgorithmPolicy;
  /** Its learning side, imported only when training (rollout worker threads and rl serve never load it). */
  loadTrainer(): Promise<AlgorithmTrainerFactory<C>>;
}
