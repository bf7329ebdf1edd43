// PPO's config keys and defaults, as RLlib 1.x's ppo.DEFAULT_CONFIG (with the common trainer
// keys PPO uses). A user's config is merged over these: defaults < file < command-line flags.

export type Activation = 'tanh' | 'relu' | 'linear';
/** Piecewise-linear schedule in timesteps: [[t0, v0], [t1, v1], ...] (RLlib's lr_schedule). */
export type Schedule = [number, number][];

export interface ModelConfig {
  fcnet_hiddens: number[];
  fcnet_activation: Activation;
  vf_share_layers: boolean;
  /** Box actions: state-independent log-stds learned as free parameters (RLlib's free_log_std). */
  free_log_std: boolean;
}

export interface PPOConfig {
  env: string | null;
  env_config: Record<string, unknown>;
  num_workers: number;
  num_envs_per_worker: number;
  rollout_fragment_length: number;
  batch_mode: 'truncate_episodes' | 'complete_episodes';
  train_batch_size: number;
  sgd_minibatch_size: number;
  num_sgd_iter: number;
  shuffle_sequences: boolean;
  lr: number;
  lr_schedule: Schedule | null;
  gamma: number;
  lambda: number;
  use_gae: boolean;
  use_critic: boolean;
  clip_param: number;
  vf_clip_param: number;
  vf_loss_coeff: number;
  entropy_coeff: number;
  entropy_coeff_schedule: Schedule | null;
  kl_coeff: number;
  kl_target: number;
  grad_clip: number | null;
  observation_filter: 'NoFilter' | 'MeanStdFilter';
  clip_actions: boolean;
  model: ModelConfig;
  metrics_smoothing_episodes: number;
  /** Overrides the env's time limit (RLlib's horizon); null keeps the env's own. */
  horizon: number | null;
  seed: number | null;
  num_cpus_per_worker: number;
  num_cpus_for_driver: number;
  num_gpus: number;
  log_level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Accepted for RLlib configs; the learner always runs on the WebAssembly kernel (src/nn). */
  framework: string;
}

export const PPO_DEFAULTS: PPOConfig = {
  env: null,
  env_config: {},
  num_workers: 2,
  num_envs_per_worker: 1,
  rollout_fragment_length: 200,
  batch_mode: 'truncate_episodes',
  train_batch_size: 4000,
  sgd_minibatch_size: 128,
  num_sgd_iter: 30,
  shuffle_sequences: true,
  lr: 5e-5,
  lr_schedule: null,
  gamma: 0.99,
  lambda: 1.0,
  use_gae: true,
  use_critic: true,
  clip_param: 0.3,
  vf_clip_param: 10.0,
  vf_loss_coeff: 1.0,
  entropy_coeff: 0.0,
  entropy_coeff_schedule: null,
  kl_coeff: 0.2,
  kl_target: 0.01,
  grad_clip: null,
  observation_filter: 'NoFilter',
  clip_actions: true,
  model: {
    fcnet_hiddens: [256, 256],
    fcnet_activation: 'tanh',
    vf_share_layers: false,
    free_log_std: false,
  },
  metrics_smoothing_episodes: 100,
  horizon: null,
  seed: null,
  num_cpus_per_worker: 1,
  num_cpus_for_driver: 1,
  num_gpus: 0,
  log_level: 'WARN',
  framework: 'tf',
};
