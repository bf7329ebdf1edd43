// DD-PPO (Wijmans et al. 2020, "DD-PPO: Learning Near-Perfect PointGoal Navigators from 2.5
// Billion Frames") as RLlib 1.x's DDPPOTrainer: the registry entry. Its policy, action spaces and
// result keys are PPO's; what differs is where learning happens (every worker, gradients
// all-reduced: trainer.ts) and its config.
import type { Algorithm } from '../algorithm.js';
import { ppo } from '../ppo/index.js';
import { DDPPO_CONFIG, DDPPO_DOCS, type DDPPOConfig } from './defaults.js';

export const ddppo: Algorithm<DDPPOConfig> = {
  ...ppo,
  name: 'DDPPO',
  description: 'Decentralized distributed PPO: every worker samples and learns, gradients all-reduced each minibatch',
  config: { ...DDPPO_CONFIG, docs: DDPPO_DOCS },
  // no train_batch_size to fit fragments to: each worker's batch is its fragment
  fragmentLength: undefined,
  loadTrainer: async () => (await import('./trainer.js')).ddppoTrainerFactory,
};
