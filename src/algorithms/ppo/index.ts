// PPO (Schulman et al. 2017, "Proximal Policy Optimization Algorithms") as RLlib 1.x's PPOTrainer:
// the registry entry. Light on purpose: rollout workers and rl serve import it for the policy;
// the learner is loaded only when training.
import type { Algorithm } from '../algorithm.js';
import { effectiveFragmentLength } from '../../config/common.js';
import { PPO_CONFIG, PPO_DOCS, type PPOConfig } from './defaults.js';
import { makePPOPolicy } from './policy.js';
import { PPO_RESULT_KEYS } from './result_keys.js';

export const ppo: Algorithm<PPOConfig> = {
  name: 'PPO',
  description: 'Proximal Policy Optimization: clipped surrogate, adaptive KL penalty, GAE',
  actionSpaces: ['Discrete', 'Box'],
  playBoxActions: 'clipped-means',
  config: { ...PPO_CONFIG, docs: PPO_DOCS },
  resultKeys: PPO_RESULT_KEYS,
  fragmentLength: effectiveFragmentLength,
  makePolicy: makePPOPolicy,
  loadTrainer: async () => (await import('./trainer.js')).ppoTrainerFactory,
};
