// The numeric keys of PPO's result record, dotted for the nested ones ("info.learner.kl"), so that
// a stop criterion or a scheduler's time_attr or metric can be checked before any trial starts.
// The Record type makes the compiler insist that every key of LearnerStats is listed here.
import { COMMON_RESULT_KEYS } from '../../training/result_keys.js';
import type { LearnerStats } from './learner.js';

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

export const PPO_RESULT_KEYS: readonly string[] = [...COMMON_RESULT_KEYS, ...Object.keys(LEARNER).map((key) => `info.learner.${key}`)];
