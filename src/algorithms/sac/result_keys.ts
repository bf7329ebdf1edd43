// The numeric keys of SAC's result record, dotted ("info.learner.alpha_value"): what stop
// criteria and schedulers may name. The Record type makes the compiler list every SACStats key.
import { COMMON_RESULT_KEYS } from '../../training/result_keys.js';
import type { SACStats } from './learner.js';

const LEARNER: Record<keyof SACStats, true> = {
  actor_loss: true,
  critic_loss: true,
  alpha_loss: true,
  alpha_value: true,
  log_alpha_value: true,
  target_entropy: true,
  policy_t: true,
  mean_q: true,
  max_q: true,
  min_q: true,
  mean_td_error: true,
};

export const SAC_RESULT_KEYS: readonly string[] = [
  ...COMMON_RESULT_KEYS,
  ...Object.keys(LEARNER).map((key) => `info.learner.${key}`),
  'info.num_target_updates',
  'info.last_target_update_ts',
];
