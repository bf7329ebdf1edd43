// RLlib's EpsilonGreedy exploration for Q-learning: with probability epsilon a uniformly random
// action, otherwise the greedy argmax_a Q(s, a); epsilon follows epsilonAt(exploration_config, t).
import type { Random } from '../../utils/random.js';
import { argmaxRows } from './q_network.js';

/** Actions for `rows` rows of Q-values (rows x numActions) into out. */
export function epsilonGreedy(q: Float32Array, rows: number, numActions: number, epsilon: number, rng: Random, out: Float32Array): void {
  argmaxRows(q, rows, numActions, out);
  for (let r = 0; r < rows; r++) {
    // one uniform draw decides; a second picks the random action
    if (rng.uniform() < epsilon) out[r] = rng.integer(numActions);
  }
}
