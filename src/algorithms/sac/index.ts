// SAC (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications") as RLlib 1.x's
// SACTrainer: the registry entry. Light on purpose: rollout workers and rl serve import it for
// the policy; the learner is loaded only when training.
import type { Algorithm } from '../algorithm.js';
import { SAC_CONFIG, SAC_DOCS, type SACConfig } from './defaults.js';
import { makeSACPolicy } from './policy.js';
import { SAC_RESULT_KEYS } from './result_keys.js';

export const sac: Algorithm<SACConfig> = {
  name: 'SAC',
  description: 'Soft Actor-Critic: twin Q, squashed Gaussian (or categorical) policy, tuned entropy, replay',
  actionSpaces: ['Box', 'Discrete'],
  playBoxActions: 'squashed-means',
  config: { ...SAC_CONFIG, docs: SAC_DOCS },
  resultKeys: SAC_RESULT_KEYS,
  makePolicy: makeSACPolicy,
  loadTrainer: async () => (await import('./trainer.js')).sacTrainerFactory,
};
