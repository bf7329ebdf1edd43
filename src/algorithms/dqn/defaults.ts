// DQN's config: RLlib 1.x's dqn.DEFAULT_CONFIG (merged over simple_q.DEFAULT_CONFIG) over the
// common keys, what each key means, and the rules a value must follow. Not supported (refused
// with exit 2 when set otherwise): distributional Q (num_atoms > 1) and noisy networks.
import { z } from 'zod';
import {
  COMMON_DEFAULTS,
  COMMON_DOCS,
  COMMON_SHAPE,
  MODEL_SHAPE,
  bool,
  enumOf,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  schedule,
  unitInterval,
  type CommonConfig,
  type Schedule,
} from '../../config/common.js';
import { resolveConfig, type ConfigLayer, type ConfigSpec } from '../../config/resolve.js';
import { userError } from '../../config/util.js';

/** RLlib's EpsilonGreedy exploration: epsilon falls linearly from initial to final over epsilon_timesteps. */
export interface EpsilonGreedyConfig {
  /** The exploration class; EpsilonGreedy is the one DQN supports here. */
  type: 'EpsilonGreedy';
  /** Epsilon at timestep 0: the chance of a uniformly random action. */
  initial_epsilon: number;
  /** Epsilon once epsilon_timesteps have been sampled, and after. */
  final_epsilon: number;
  /** Sampled timesteps over which epsilon goes from initial to final. */
  epsilon_timesteps: number;
}

export interface DQNConfig extends CommonConfig {
  num_atoms: number;
  v_min: number;
  v_max: number;
  noisy: boolean;
  sigma0: number;
  dueling: boolean;
  hiddens: number[];
  double_q: boolean;
  n_step: number;
  target_network_update_freq: number;
  buffer_size: number;
  prioritized_replay: boolean;
  prioritized_replay_alpha: number;
  prioritized_replay_beta: number;
  final_prioritized_replay_beta: number;
  prioritized_replay_beta_annealing_timesteps: number;
  prioritized_replay_eps: number;
  training_intensity: number | null;
  learning_starts: number;
  timesteps_per_iteration: number;
  lr_schedule: Schedule | null;
  adam_epsilon: number;
  grad_clip: number | null;
  exploration_config: EpsilonGreedyConfig;
}

export const DQN_DEFAULTS: DQNConfig = {
  ...COMMON_DEFAULTS,
  num_workers: 0,
  rollout_fragment_length: 4,
  train_batch_size: 32,
  lr: 5e-4,
  gamma: 0.99,
  num_atoms: 1,
  v_min: -10.0,
  v_max: 10.0,
  noisy: false,
  sigma0: 0.5,
  dueling: true,
  hiddens: [256],
  double_q: true,
  n_step: 1,
  target_network_update_freq: 500,
  buffer_size: 50000,
  prioritized_replay: true,
  prioritized_replay_alpha: 0.6,
  prioritized_replay_beta: 0.4,
  final_prioritized_replay_beta: 0.4,
  prioritized_replay_beta_annealing_timesteps: 20000,
  prioritized_replay_eps: 1e-6,
  training_intensity: null,
  learning_starts: 1000,
  timesteps_per_iteration: 1000,
  lr_schedule: null,
  adam_epsilon: 1e-8,
  grad_clip: 40,
  exploration_config: { type: 'EpsilonGreedy', initial_epsilon: 1.0, final_epsilon: 0.02, epsilon_timesteps: 10000 },
};

/** What each DQN key means, one line each. */
export const DQN_DOCS: Record<keyof DQNConfig, string> = {
  ...COMMON_DOCS,
  num_workers: 'rollout worker threads (0, RLlib\'s DQN default: sample in the main thread)',
  rollout_fragment_length: 'steps per env in each sampling round stored to the replay buffer (raised to n_step)',
  train_batch_size: 'transitions replayed from the buffer per update',
  num_atoms: 'atoms of the return distribution; only 1 (distributional DQN is not supported)',
  v_min: 'distributional support minimum; unused with num_atoms 1',
  v_max: 'distributional support maximum; unused with num_atoms 1',
  noisy: 'noisy networks for exploration; only false is supported',
  sigma0: 'initial noise of noisy networks; unused',
  dueling: 'dueling heads (Wang et al. 2016): Q = V + A - mean(A) from a value and an advantage stream',
  hiddens: 'hidden layers (ReLU) of each head stream after the model\'s fcnet_hiddens; [] puts the outputs on the trunk',
  double_q: 'double Q-learning: the online network picks argmax_a Q(s\', a), the target network values it',
  n_step: 'rewards summed into each return before bootstrapping (n-step Q-learning)',
  target_network_update_freq: 'sampled timesteps between copies of the online weights into the target network',
  buffer_size: 'transitions the replay buffer holds (the oldest are overwritten)',
  prioritized_replay: 'prioritized replay (Schaul et al. 2016) instead of uniform sampling',
  prioritized_replay_alpha: 'how strongly priorities shape sampling: P(i) ~ p_i^alpha (0 is uniform)',
  prioritized_replay_beta: 'importance-sampling exponent (1 corrects fully for the prioritized sampling)',
  final_prioritized_replay_beta: 'accepted from RLlib configs and unused: RLlib 1.x DQN keeps prioritized_replay_beta',
  prioritized_replay_beta_annealing_timesteps: 'accepted from RLlib configs and unused (see final_prioritized_replay_beta)',
  prioritized_replay_eps: 'added to |TD error| to make new priorities, so no transition becomes unsampleable',
  training_intensity: 'replayed / sampled timesteps wanted (null: one update per sampling round)',
  learning_starts: 'transitions added to the buffer before the first update',
  timesteps_per_iteration: 'sampled timesteps per training iteration (a result row); does not change learning',
  lr_schedule: 'piecewise-linear lr over timesteps, [[t0, lr0], [t1, lr1], ...] (replaces lr)',
  adam_epsilon: "Adam's epsilon",
  grad_clip: "each weight tensor's gradient clipped to this norm (tf.clip_by_norm, RLlib's tf policy); null: none",
  exploration_config: 'EpsilonGreedy: epsilon falls from initial_epsilon to final_epsilon over epsilon_timesteps',
};

const EXPLORATION_SHAPE = {
  type: enumOf(['EpsilonGreedy']),
  initial_epsilon: unitInterval(),
  final_epsilon: unitInterval(),
  epsilon_timesteps: nonNegativeInt(),
};

const DQN_SHAPE = {
  ...COMMON_SHAPE,
  num_atoms: positiveInt(),
  v_min: z.number().describe('a number'),
  v_max: z.number().describe('a number'),
  noisy: bool(),
  sigma0: nonNegativeNumber(),
  dueling: bool(),
  hiddens: z.array(z.int().positive()).describe('a list of positive integers (hidden layer sizes, e.g. [256]; [] for none)'),
  double_q: bool(),
  n_step: positiveInt(),
  target_network_update_freq: nonNegativeInt(),
  buffer_size: positiveInt(),
  prioritized_replay: bool(),
  prioritized_replay_alpha: nonNegativeNumber(),
  prioritized_replay_beta: nonNegativeNumber(),
  final_prioritized_replay_beta: nonNegativeNumber(),
  prioritized_replay_beta_annealing_timesteps: nonNegativeInt(),
  prioritized_replay_eps: positiveNumber(),
  training_intensity: z.number().positive().nullable().describe('null or a number > 0'),
  learning_starts: nonNegativeInt(),
  timesteps_per_iteration: positiveInt(),
  lr_schedule: schedule(),
  adam_epsilon: positiveNumber(),
  grad_clip: z.number().positive().nullable().describe('null (no clipping) or a number > 0'),
  exploration_config: z
    .strictObject(EXPLORATION_SHAPE)
    .describe('an object such as {"type": "EpsilonGreedy", "initial_epsilon": 1.0, "final_epsilon": 0.02, "epsilon_timesteps": 10000}'),
};

/** The whole, resolved DQN config. */
export const dqnConfigSchema = z.strictObject(DQN_SHAPE);

// Compile-time guard: the schema and DQNConfig describe the same type.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesDQNConfig: Same<z.output<typeof dqnConfigSchema>, DQNConfig> = true;
void schemaMatchesDQNConfig;

export const DQN_CONFIG: ConfigSpec<DQNConfig> = {
  algorithm: 'DQN',
  defaults: DQN_DEFAULTS,
  shape: DQN_SHAPE,
  nested: { model: MODEL_SHAPE, exploration_config: EXPLORATION_SHAPE },
  check(config, sourceOf) {
    if (config.num_atoms !== 1) throw userError(`${sourceOf('num_atoms')}: num_atoms ${config.num_atoms}: distributional DQN is not supported; use num_atoms: 1`);
    if (config.noisy) throw userError(`${sourceOf('noisy')}: noisy networks are not supported; use noisy: false`);
  },
};

/** DQN_DEFAULTS < layers[0] < layers[1] < ...; see resolveConfig. */
export function resolveDQNConfig(layers: ConfigLayer[]): DQNConfig {
  return resolveConfig(DQN_CONFIG, layers);
}

/** Epsilon at a sampled timestep: linear from initial to final over epsilon_timesteps (RLlib's PiecewiseSchedule). */
export function epsilonAt(config: EpsilonGreedyConfig, timestep: number): number {
  const { initial_epsilon: initial, final_epsilon: final, epsilon_timesteps: span } = config;
  const progress = span > 0 ? Math.min(timestep / span, 1) : 1;
  return initial + progress * (final - initial);
}

