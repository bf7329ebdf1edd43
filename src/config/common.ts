// The config keys every algorithm shares (RLlib 1.x's COMMON_CONFIG and MODEL_DEFAULTS, the part
// of them rl uses), their defaults, one line each on what they mean, and their zod rules. An
// algorithm's config spreads these and adds its own (see src/algorithms/<name>/defaults.ts).
import { z } from 'zod';

export type Activation = 'tanh' | 'relu' | 'linear';
/** Piecewise-linear schedule in timesteps: [[t0, v0], [t1, v1], ...] (RLlib's lr_schedule). */
export type Schedule = [number, number][];

export interface ModelConfig {
  /** Hidden layer sizes of each fully connected network. */
  fcnet_hiddens: number[];
  fcnet_activation: Activation;
  /** Policy and value networks share their hidden layers (PPO). */
  vf_share_layers: boolean;
  /** Box actions: state-independent log-stds learned as free parameters (RLlib's free_log_std). */
  free_log_std: boolean;
}

export interface CommonConfig {
  env: string | null;
  env_config: Record<string, unknown>;
  num_workers: number;
  num_envs_per_worker: number;
  rollout_fragment_length: number;
  batch_mode: 'truncate_episodes' | 'complete_episodes';
  train_batch_size: number;
  lr: number;
  gamma: number;
  observation_filter: 'NoFilter' | 'MeanStdFilter';
  clip_actions: boolean;
  explore: boolean;
  model: ModelConfig;
  metrics_smoothing_episodes: number;
  horizon: number | null;
  seed: number | null;
  num_cpus_per_worker: number;
  num_cpus_for_driver: number;
  num_gpus: number;
  log_level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  framework: string;
}

/** RLlib's defaults for the common keys (an algorithm may override some, as RLlib's do). */
export const COMMON_DEFAULTS: CommonConfig = {
  env: null,
  env_config: {},
  num_workers: 2,
  num_envs_per_worker: 1,
  rollout_fragment_length: 200,
  batch_mode: 'truncate_episodes',
  train_batch_size: 200,
  lr: 0.0001,
  gamma: 0.99,
  observation_filter: 'NoFilter',
  clip_actions: true,
  explore: true,
  model: { fcnet_hiddens: [256, 256], fcnet_activation: 'tanh', vf_share_layers: false, free_log_std: false },
  metrics_smoothing_episodes: 100,
  horizon: null,
  seed: null,
  num_cpus_per_worker: 1,
  num_cpus_for_driver: 1,
  num_gpus: 0,
  log_level: 'WARN',
  framework: 'tf',
};

/** What each common key means, one line each (as SB3 documents each :param). */
export const COMMON_DOCS: Record<keyof CommonConfig, string> = {
  env: 'env id (rl envs lists them) or path of a JS env module',
  env_config: 'keyword arguments passed to the env',
  num_workers: 'rollout worker threads (0: sample in the main thread)',
  num_envs_per_worker: 'envs each rollout worker steps together (one forward pass for all)',
  rollout_fragment_length: 'steps per env in each fragment a worker returns',
  batch_mode: 'truncate_episodes: fragments of fixed length; complete_episodes: only whole episodes',
  train_batch_size: 'steps in each batch the learner trains on',
  lr: "learning rate of the learner's Adam optimizer",
  gamma: 'discount factor of future rewards',
  observation_filter: 'NoFilter, or MeanStdFilter (running mean/std normalisation, saved in checkpoints)',
  clip_actions: 'clip Box actions to the action space before the env sees them',
  explore: 'act as the algorithm explores while training (false: greedy actions)',
  model: 'the networks: fcnet_hiddens, fcnet_activation, vf_share_layers, free_log_std',
  metrics_smoothing_episodes: 'episodes the reward statistics of a result are averaged over',
  horizon: "episode step limit, overriding the env's own (null keeps the env's)",
  seed: 'seed of every random stream (null: a random seed, printed)',
  num_cpus_per_worker: 'CPUs each rollout worker holds (rl tune schedules trials by it)',
  num_cpus_for_driver: 'CPUs the trainer holds (rl tune schedules trials by it)',
  num_gpus: 'accepted from RLlib configs and ignored',
  log_level: 'DEBUG, INFO, WARN or ERROR',
  framework: 'accepted from RLlib configs and ignored: the learner runs on the WebAssembly kernel',
};

export const enumOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values).describe(`one of ${values.map((v) => `'${v}'`).join(', ')}`);
export const positiveInt = () => z.int().positive().describe('a positive integer');
export const nonNegativeInt = () => z.int().nonnegative().describe('a non-negative integer');
export const nonNegativeNumber = () => z.number().nonnegative().describe('a number >= 0');
export const positiveNumber = () => z.number().positive().describe('a number > 0');
export const unitInterval = () => z.number().min(0).max(1).describe('a number in [0, 1]');
export const bool = () => z.boolean().describe('true or false');

/** RLlib's [[t0, v0], [t1, v1], ...]: piecewise linear in timesteps. */
export const schedule = () =>
  z
    .array(z.tuple([z.number().nonnegative(), z.number().nonnegative()]))
    .refine((pairs) => pairs.every((pair, i) => i === 0 || pair[0] > pairs[i - 1][0]))
    .nullable()
    .describe('null or a list of [timestep, value] pairs with increasing timesteps, e.g. [[0, 0.001], [1000000, 0.0001]]');

export const MODEL_SHAPE = {
  fcnet_hiddens: z.array(z.int().positive()).describe('a list of positive integers (hidden layer sizes, e.g. [256, 256]; [] for none)'),
  fcnet_activation: enumOf(['tanh', 'relu', 'linear']),
  vf_share_layers: bool(),
  free_log_std: bool(),
};

export const COMMON_SHAPE = {
  env: z.string().min(1).nullable().describe('an env id such as "CartPole-v1" or null'),
  env_config: z.record(z.string(), z.unknown()).describe('an object (passed to the env)'),
  num_workers: nonNegativeInt(),
  num_envs_per_worker: positiveInt(),
  rollout_fragment_length: positiveInt(),
  batch_mode: enumOf(['truncate_episodes', 'complete_episodes']),
  train_batch_size: positiveInt(),
  lr: positiveNumber(),
  gamma: unitInterval(),
  observation_filter: enumOf(['NoFilter', 'MeanStdFilter']),
  clip_actions: bool(),
  explore: bool(),
  model: z
    .strictObject(MODEL_SHAPE)
    .describe('an object such as {"fcnet_hiddens": [256, 256], "fcnet_activation": "tanh", "vf_share_layers": false}'),
  metrics_smoothing_episodes: positiveInt(),
  horizon: z.int().positive().nullable().describe("null (the env's own time limit) or a positive integer"),
  seed: z.int().nullable().describe('null or an integer'),
  num_cpus_per_worker: nonNegativeNumber(),
  num_cpus_for_driver: nonNegativeNumber(),
  num_gpus: nonNegativeNumber(),
  log_level: enumOf(['DEBUG', 'INFO', 'WARN', 'ERROR']),
  framework: z.string().describe('a string such as "tf" or "torch" (ignored: the learner runs on the WebAssembly kernel)'),
};

/**
 * The rollout_fragment_length of an on-policy algorithm (PPO): RLlib 1.x raises it when
 * train_batch_size is not a multiple of one round of fragments (num_workers x num_envs_per_worker).
 */
export function effectiveFragmentLength(config: Pick<CommonConfig, 'num_workers' | 'num_envs_per_worker' | 'rollout_fragment_length' | 'train_batch_size'>): number {
  const perStep = Math.max(1, config.num_workers) * config.num_envs_per_worker;
  if (config.train_batch_size % (perStep * config.rollout_fragment_length) === 0) return config.rollout_fragment_length;
  return Math.ceil(config.train_batch_size / perStep);
}
