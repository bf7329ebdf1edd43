// The numeric keys of PPO's result record, dotted for the nested ones ("info.learner.kl"), so that
// a scheduler's time_attr or metric can be checked before any trial starts. The Record types make
// the compiler insist that every key of TrainResult and LearnerStats is listed here.
import type { TrainResult } from './trainer.js';
import type { LearnerStats } from './learner.js';

const TOP: Record<Exclude<keyof TrainResult, 'info' | 'config'>, true> = {
  training_iteration: true,
  episode_reward_min: true,
  episode_reward_mean: true,
  episode_reward_max: true,
  episode_len_mean: true,
  episodes_this_iter: true,
  episodes_total: true,
  timesteps_this_iter: true,
  timesteps_total: true,
  time_this_iter_s: true,
  time_total_s: true,
};
const INFO: Record<Exclude<keyof TrainResult['info'], 'learner'>, true> = {
  num_steps_sampled: true,
  num_steps_trained: true,
  sample_time_s: true,
  learn_time_s: true,
};
const LEARNER: Record<keyof LearnerStats, true> = {
  policy_loss: true,
  vf_loss: true,
  total_loss: true,
  kl: true,
  entropy: true,
  cur_kl_coeff: true,
  cur_lr: true,
  entropy_coeff: true,
};

export const PPO_RESULT_KEYS: readonly string[] = [
  ...Object.keys(TOP),
  ...Object.keys(INFO).map((key) => `info.${key}`),
  ...Object.keys(LEARNER).map((key) => `info.learner.${key}`),
];
