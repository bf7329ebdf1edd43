// DQN's own config keys and defaults, as RLlib 1.x's dqn.DEFAULT_CONFIG (merged over
// simple_q.DEFAULT_CONFIG) sets them, with the common trainer keys DQN overrides. Each key says
// what it means. Not supported (refused when set otherwise): distributional Q (num_atoms > 1)
// and noisy networks (noisy: true).

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

export interface DQNKeys {
  /** Atoms of the return distribution; only 1 (expected Q-values): distributional DQN is not supported. */
  num_atoms: number;
  /** Distributional support bounds; unused with num_atoms 1, accepted for RLlib configs. */
  v_min: number;
  v_max: number;
  /** Noisy networks for exploration; only false is supported. */
  noisy: boolean;
  /** Initial noise of noisy networks; unused, accepted for RLlib configs. */
  sigma0: number;
  /** Dueling heads (Wang et al. 2016): Q = V + A - mean(A) from a value and an advantage stream. */
  dueling: boolean;
  /** Hidden layer sizes (ReLU) of each head stream, after the model's fcnet_hiddens; [] puts the outputs on the trunk. */
  hiddens: number[];
  /** Double Q-learning (van Hasselt et al. 2016): the online net picks argmax_a Q(s', a), the target net values it. */
  double_q: boolean;
  /** Steps summed into each return before bootstrapping (n-step Q-learning). */
  n_step: number;
  /** Copy the online weights into the target network every this many sampled timesteps. */
  target_network_update_freq: number;
  /** Transitions the replay buffer holds; the oldest are overwritten. */
  buffer_size: number;
  /** Prioritized replay (Schaul et al. 2016) instead of uniform sampling. */
  prioritized_replay: boolean;
  /** How strongly priorities shape sampling: P(i) ~ p_i^alpha (0 is uniform). */
  prioritized_replay_alpha: number;
  /** Importance-sampling exponent (1 corrects fully for the non-uniform sampling). */
  prioritized_replay_beta: number;
  /** Accepted for RLlib configs and unused: RLlib 1.x's DQN replays with the constant prioritized_replay_beta. */
  final_prioritized_replay_beta: number;
  prioritized_replay_beta_annealing_timesteps: number;
  /** Added to |TD error| for new priorities, so no transition becomes unsampleable. */
  prioritized_replay_eps: number;
  /** Replay updates per sampled timestep wanted (null: one update of train_batch_size per fragment round). */
  training_intensity: number | null;
  /** Sampled timesteps in the buffer before the first update. */
  learning_starts: number;
  /** Sampled timesteps per training iteration (per result row); does not change learning. */
  timesteps_per_iteration: number;
  /** Steps each env samples per round before the transitions go into the buffer (raised to n_step). */
  rollout_fragment_length: number;
  /** Transitions per update, drawn from the replay buffer. */
  train_batch_size: number;
  /** Adam's learning rate. */
  lr: number;
  /** Adam's epsilon (numerical stability term). */
  adam_epsilon: number;
  /** Each weight tensor's gradient is clipped to this norm (tf.clip_by_norm, RLlib's tf policy); null for none. */
  grad_clip: number | null;
  /** Discount factor of future rewards. */
  gamma: number;
  /** Exploration while sampling: epsilon-greedy over the Q-values. */
  exploration_config: EpsilonGreedyConfig;
  /** Sampling worker threads (0: sample on the main thread, RLlib's DQN default). */
  num_workers: number;
}

export const DQN_DEFAULTS: DQNKeys = {
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
  rollout_fragment_length: 4,
  train_batch_size: 32,
  lr: 5e-4,
  adam_epsilon: 1e-8,
  grad_clip: 40,
  gamma: 0.99,
  exploration_config: {
    type: 'EpsilonGreedy',
    initial_epsilon: 1.0,
    final_epsilon: 0.02,
    epsilon_timesteps: 10000,
  },
  num_workers: 0,
};

/** Epsilon at a sampled timestep: linear from initial to final over epsilon_timesteps (RLlib's PiecewiseSchedule). */
export function epsilonAt(config: EpsilonGreedyConfig, timestep: number): number {
  const { initial_epsilon: initial, final_epsilon: final, epsilon_timesteps: span } = config;
  const progress = span > 0 ? Math.min(timestep / span, 1) : 1;
  return initial + progress * (final - initial);
}

