// SAC's config keys and defaults, as RLlib 1.x's sac.DEFAULT_CONFIG (rllib/agents/sac/sac.py)
// over the common trainer keys; Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and
// Applications" (automatic entropy tuning, twin Q).
import { z } from 'zod';
import { Box, Discrete, type Space } from '../../envs/spaces.js';
import {
  COMMON_DEFAULTS,
  COMMON_DOCS,
  COMMON_SHAPE,
  MODEL_SHAPE,
  bool,
  nonNegativeInt,
  positiveInt,
  positiveNumber,
  unitInterval,
  type Activation,
  type CommonConfig,
} from '../../config/common.js';
import { resolveConfig, type ConfigLayer, type ConfigSpec } from '../../config/resolve.js';
import { userError } from '../../config/util.js';

export interface SACNetworkConfig {
  fcnet_hiddens: number[];
  fcnet_activation: Activation;
}

export interface SACOptimizationConfig {
  actor_learning_rate: number;
  critic_learning_rate: number;
  entropy_learning_rate: number;
}

export interface SACConfig extends CommonConfig {
  twin_q: boolean;
  Q_model: SACNetworkConfig;
  policy_model: SACNetworkConfig;
  tau: number;
  initial_alpha: number;
  target_entropy: number | 'auto';
  n_step: number;
  no_done_at_end: boolean;
  optimization: SACOptimizationConfig;
  grad_clip: number | null;
  buffer_size: number;
  prioritized_replay: boolean;
  prioritized_replay_alpha: number;
  prioritized_replay_beta: number;
  prioritized_replay_eps: number;
  learning_starts: number;
  timesteps_per_iteration: number;
  target_network_update_freq: number;
  normalize_actions: boolean;
  soft_horizon: boolean;
}

export const SAC_DEFAULTS: SACConfig = {
  ...COMMON_DEFAULTS,
  num_workers: 0,
  rollout_fragment_length: 1,
  train_batch_size: 256,
  clip_actions: false,
  twin_q: true,
  Q_model: { fcnet_hiddens: [256, 256], fcnet_activation: 'relu' },
  policy_model: { fcnet_hiddens: [256, 256], fcnet_activation: 'relu' },
  tau: 5e-3,
  initial_alpha: 1.0,
  target_entropy: 'auto',
  n_step: 1,
  no_done_at_end: false,
  optimization: { actor_learning_rate: 3e-4, critic_learning_rate: 3e-4, entropy_learning_rate: 3e-4 },
  grad_clip: null,
  buffer_size: 1_000_000,
  prioritized_replay: false,
  prioritized_replay_alpha: 0.6,
  prioritized_replay_beta: 0.4,
  prioritized_replay_eps: 1e-6,
  learning_starts: 1500,
  timesteps_per_iteration: 100,
  target_network_update_freq: 0,
  normalize_actions: true,
  soft_horizon: false,
};

/** What each SAC key means, one line each. */
export const SAC_DOCS: Record<keyof SACConfig, string> = {
  ...COMMON_DOCS,
  lr: 'unused by SAC: its learning rates are the optimization keys',
  model: 'unused by SAC: its networks are Q_model and policy_model',
  rollout_fragment_length: 'steps per env sampled between replay steps (raised to n_step)',
  train_batch_size: 'transitions replayed per gradient step',
  clip_actions: 'clip actions to the Box bounds (squashed actions are inside already)',
  twin_q: 'two Q networks, each with a target; the target and the actor use their minimum (clipped double Q)',
  Q_model: 'the Q networks: fcnet_hiddens and fcnet_activation (Box: obs and action concatenated in; Discrete: one Q per action out)',
  policy_model: 'the policy network: fcnet_hiddens and fcnet_activation (Box: Gaussian means and log-stds out; Discrete: logits)',
  tau: 'Polyak coefficient of the soft target update: target <- tau online + (1 - tau) target',
  initial_alpha: 'starting entropy coefficient alpha (learned as log alpha)',
  target_entropy: 'entropy alpha is tuned towards; "auto": -|A| for Box, 0.98 log(n) for Discrete(n)',
  n_step: 'rewards summed over n steps of a fragment; the target discounts the bootstrap by gamma^k',
  no_done_at_end: 'never end the bootstrap at an episode end (for time-limited envs such as Pendulum)',
  optimization: 'Adam learning rates: actor_learning_rate, critic_learning_rate, entropy_learning_rate',
  grad_clip: 'clip each gradient tensor to this norm (null: none)',
  buffer_size: 'replay buffer capacity in transitions',
  prioritized_replay: 'prioritized experience replay (Schaul et al. 2016) instead of uniform',
  prioritized_replay_alpha: 'how strongly priorities skew sampling (0: uniform)',
  prioritized_replay_beta: 'importance-sampling exponent of prioritized replay',
  prioritized_replay_eps: 'added to |TD error| so that no priority is zero',
  learning_starts: 'transitions sampled (with the stochastic policy) before the first update',
  timesteps_per_iteration: 'an iteration samples at least this many steps',
  target_network_update_freq: 'steps sampled between soft target updates (0: after every update)',
  normalize_actions: 'squash actions with tanh into the Box bounds (SquashedGaussian); only true is supported',
  soft_horizon: 'accepted from RLlib configs: only false is supported (a horizon ends the episode)',
};

const NETWORK_SHAPE = { fcnet_hiddens: MODEL_SHAPE.fcnet_hiddens, fcnet_activation: MODEL_SHAPE.fcnet_activation };
const OPTIMIZATION_SHAPE = { actor_learning_rate: positiveNumber(), critic_learning_rate: positiveNumber(), entropy_learning_rate: positiveNumber() };

const SAC_SHAPE = {
  ...COMMON_SHAPE,
  twin_q: bool(),
  Q_model: z.strictObject(NETWORK_SHAPE).describe('an object such as {"fcnet_hiddens": [256, 256], "fcnet_activation": "relu"}'),
  policy_model: z.strictObject(NETWORK_SHAPE).describe('an object such as {"fcnet_hiddens": [256, 256], "fcnet_activation": "relu"}'),
  tau: unitInterval(),
  initial_alpha: positiveNumber(),
  target_entropy: z.union([z.literal('auto'), z.number()]).describe('"auto" or a number'),
  n_step: positiveInt(),
  no_done_at_end: bool(),
  optimization: z.strictObject(OPTIMIZATION_SHAPE).describe('an object of actor_learning_rate, critic_learning_rate, entropy_learning_rate'),
  grad_clip: z.number().positive().nullable().describe('null (no clipping) or a number > 0'),
  buffer_size: positiveInt(),
  prioritized_replay: bool(),
  prioritized_replay_alpha: z.number().nonnegative().describe('a number >= 0'),
  prioritized_replay_beta: z.number().nonnegative().describe('a number >= 0'),
  prioritized_replay_eps: positiveNumber(),
  learning_starts: nonNegativeInt(),
  timesteps_per_iteration: nonNegativeInt(),
  target_network_update_freq: nonNegativeInt(),
  normalize_actions: bool(),
  soft_horizon: bool(),
};

export const sacConfigSchema = z.strictObject(SAC_SHAPE);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesSACConfig: Same<z.output<typeof sacConfigSchema>, SACConfig> = true;
void schemaMatchesSACConfig;

export const SAC_CONFIG: ConfigSpec<SACConfig> = {
  algorithm: 'SAC',
  defaults: SAC_DEFAULTS,
  shape: SAC_SHAPE,
  nested: { model: MODEL_SHAPE, Q_model: NETWORK_SHAPE, policy_model: NETWORK_SHAPE, optimization: OPTIMIZATION_SHAPE },
  check(config, sourceOf) {
    if (!config.normalize_actions) {
      throw userError(`${sourceOf('normalize_actions')}: normalize_actions false (an unsquashed Gaussian) is not supported; use normalize_actions: true`);
    }
    if (config.soft_horizon) throw userError(`${sourceOf('soft_horizon')}: soft_horizon true is not supported; use soft_horizon: false`);
  },
};

/** SAC's defaults with the layers merged over them (lowest precedence first), each key checked. */
export function resolveSACConfig(layers: ConfigLayer[]): SACConfig {
  return resolveConfig(SAC_CONFIG, layers);
}

/** RLlib's "auto" target entropy: -|A| for Box(A), 0.98 * -log(1/n) for Discrete(n) (sac_tf_model.py). */
export function resolveTargetEntropy(setting: number | 'auto', space: Space): number {
  if (setting !== 'auto') return setting;
  if (space instanceof Discrete) return 0.98 * -Math.log(1 / space.n);
  if (space instanceof Box) return -space.size;
  throw new TypeError('SAC supports Box and Discrete action spaces');
}
