// SAC's config keys and defaults, as RLlib 1.x's sac.DEFAULT_CONFIG (rllib/agents/sac/sac.py)
// with the common trainer keys SAC uses. Haarnoja et al. 2018, "Soft Actor-Critic Algorithms
// and Applications" (automatic entropy tuning, twin Q).
import type { Activation } from '../ppo/defaults.js';
import { Box, Discrete, type Space } from '../../envs/spaces.js';

export interface SACNetworkConfig {
  /** Hidden layer sizes of the network. */
  fcnet_hiddens: number[];
  /** Activation of the hidden layers (the output layer is linear). */
  fcnet_activation: Activation;
}

export interface SACOptimizationConfig {
  /** Adam learning rate of the policy network (actor loss). */
  actor_learning_rate: number;
  /** Adam learning rate of each Q network (critic loss). */
  critic_learning_rate: number;
  /** Adam learning rate of log(alpha) (entropy coefficient loss). */
  entropy_learning_rate: number;
}

export interface SACConfig {
  /** Env id or the path of a custom env module. */
  env: string | null;
  /** Passed to the env's constructor. */
  env_config: Record<string, unknown>;
  /** Two Q networks (each with its target); targets and the actor use their minimum (TD3's clipped double Q). */
  twin_q: boolean;
  /** Q(s, a) networks: obs and action concatenated (Box), or obs -> one Q per action (Discrete). */
  Q_model: SACNetworkConfig;
  /** The policy network: obs -> Gaussian means and log-stds (Box) or action logits (Discrete). */
  policy_model: SACNetworkConfig;
  /** Polyak coefficient of the soft target update: target <- tau * online + (1 - tau) * target. */
  tau: number;
  /** Starting value of the entropy coefficient alpha (learned as log(alpha)). */
  initial_alpha: number;
  /** Entropy alpha is tuned towards; "auto": -|A| for Box, 0.98 * log(n) for Discrete(n). */
  target_entropy: number | 'auto';
  /** Rewards summed over n steps of a sampled fragment; the target then discounts by gamma^n. */
  n_step: number;
  /** Never mask the bootstrap at an episode's end (time-limited envs like Pendulum never really end). */
  no_done_at_end: boolean;
  /** Learning rates of the three Adam optimizers. */
  optimization: SACOptimizationConfig;
  /** Clip each gradient tensor to this norm (tf.clip_by_norm per variable); null: no clipping. */
  grad_clip: number | null;
  /** Replay buffer capacity in timesteps. */
  buffer_size: number;
  /** Prioritized experience replay (Schaul et al. 2016) instead of uniform sampling. */
  prioritized_replay: boolean;
  /** How strongly priorities skew sampling (0: uniform). */
  prioritized_replay_alpha: number;
  /** Importance-sampling exponent of prioritized replay. */
  prioritized_replay_beta: number;
  /** Added to |TD error| so no transition's priority is zero. */
  prioritized_replay_eps: number;
  /** Timesteps sampled (with the stochastic policy) before learning starts. */
  learning_starts: number;
  /** An iteration samples at least this many timesteps. */
  timesteps_per_iteration: number;
  /** Timesteps each env steps before they are stored and a train step runs. */
  rollout_fragment_length: number;
  /** Transitions replayed per gradient step. */
  train_batch_size: number;
  /** Timesteps sampled between soft target updates (0: after every train step). */
  target_network_update_freq: number;
  /** Learn in the squashed (tanh) space and rescale actions to the Box bounds (SquashedGaussian); false: plain DiagGaussian. */
  normalize_actions: boolean;
  /** Clip actions to the Box bounds before the env sees them (squashed actions are already inside). */
  clip_actions: boolean;
  /** Discount factor. */
  gamma: number;
  /** Rollout worker threads (0: sample in the main thread). */
  num_workers: number;
  /** Envs each worker steps. */
  num_envs_per_worker: number;
  /** Episodes the reward statistics are averaged over. */
  metrics_smoothing_episodes: number;
  /** Overrides the env's time limit (RLlib's horizon); null keeps the env's own. */
  horizon: number | null;
  /** Accepted for RLlib configs: a horizon ends the episode either way here. */
  soft_horizon: boolean;
  /** Seed of every random stream; null draws one. */
  seed: number | null;
  /** CPUs each rollout worker claims. */
  num_cpus_per_worker: number;
  /** Accepted for RLlib configs; learning runs on the CPU kernel. */
  num_gpus: number;
  /** Log verbosity. */
  log_level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Accepted for RLlib configs; the learner always runs on the WebAssembly kernel (src/nn). */
  framework: string;
}

export const SAC_DEFAULTS: SACConfig = {
  env: null,
  env_config: {},
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
  rollout_fragment_length: 1,
  train_batch_size: 256,
  target_network_update_freq: 0,
  normalize_actions: true,
  clip_actions: false,
  gamma: 0.99,
  num_workers: 0,
  num_envs_per_worker: 1,
  metrics_smoothing_episodes: 100,
  horizon: null,
  soft_horizon: false,
  seed: null,
  num_cpus_per_worker: 1,
  num_gpus: 0,
  log_level: 'WARN',
  framework: 'tf',
};

/** RLlib's "auto" target entropy: -|A| for Box(A), 0.98 * -log(1/n) for Discrete(n) (sac_tf_model.py). */
export function resolveTargetEntropy(setting: number | 'auto', space: Space): number {
  if (setting !== 'auto') return setting;
  if (space instanceof Discrete) return 0.98 * -Math.log(1 / space.n);
  if (space instanceof Box) return -space.size;
  throw new TypeError('SAC supports Box and Discrete action spaces');
}
