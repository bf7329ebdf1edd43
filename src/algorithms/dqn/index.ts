// DQN (Mnih et al. 2015) as RLlib 1.x's DQNTrainer: the registry entry. Light on purpose:
// rollout workers and rl serve import it for the policy; the learner is loaded only when training.
import type { Algorithm } from '../algorithm.js';
import { COMMON_RESULT_KEYS } from '../../training/result_keys.js';
import { DQN_CONFIG, DQN_DOCS, type DQNConfig } from './defaults.js';
import { makeDQNPolicy } from './policy.js';

/** RLlib's DQN learner stats (info.learner) and counters (info). */
const LEARNER_KEYS = ['mean_q', 'min_q', 'max_q', 'mean_td_error', 'cur_lr', 'cur_epsilon'];
const INFO_KEYS = ['num_target_updates', 'last_target_update_ts'];

export const dqn: Algorithm<DQNConfig> = {
  name: 'DQN',
  description: 'Deep Q-Network: double Q, dueling heads, n-step returns, (prioritized) replay, target network',
  actionSpaces: ['Discrete'],
  config: { ...DQN_CONFIG, docs: DQN_DOCS },
  resultKeys: [...COMMON_RESULT_KEYS, ...LEARNER_KEYS.map((key) => `info.learner.${key}`), ...INFO_KEYS.map((key) => `info.${key}`)],
  // RLlib raises the fragment to n_step, so that a piece can hold an n-step return
  fragmentLength: (config) => Math.max(config.rollout_fragment_length, config.n_step),
  makePolicy: makeDQNPolicy,
  loadTrainer: async () => (await import('./trainer.js')).dqnTrainerFactory,
};
