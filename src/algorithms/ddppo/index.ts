// DD-PPO (Wijmans et al. 2020, "DD-PPO: Learning Near-Perfect PointGoal Navigators from 2.5
// Billion Frames") as RLlib 1.x's DDPPOTrainer: the registry entry. Its policy is PPO's; what
// differs is where learning happens (every worker, gradients all-reduced: trainer.ts).
import type { Algorithm } from '../algorithm.js';
import { makePPOPolicy } from '../ppo/policy.js';
import { PPO_RESULT_KEYS } from '../ppo/result_keys.js';
import { DDPPO_CONFIG, DDPPO_DOCS, type DDPPOConfig } from './defaults.js';

export const ddppo: Algorithm<DDPPOConfig> = {
  name: 'DDPPO',
  description: 'Decentralized distributed PPO: every worker samples and learns, gradients all-reduced each minibatch',
  actionSpaces: ['Discrete', 'Box'],
  playBoxActions: 'clipped-means',
  config: { ...DDPPO_CONFIG, docs: DDPPO_DOCS },
  resultKeys: PPO_RESULT_KEYS,
  makePolicy: makePPOPolicy,
  loadTrainer: async () => (await import('./trainer.js')).ddppoTrainerFactory,
};
