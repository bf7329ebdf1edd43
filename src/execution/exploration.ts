// How actions are chosen while sampling (RLlib's exploration classes): the trainer passes one
// with every sampling round, so a schedule (DQN's epsilon) moves with the trainer's timesteps
// and travels to worker threads with the task.
//   stochastic      sample from the policy's distribution (PPO, SAC: RLlib's StochasticSampling)
//   greedy          the policy's deterministic action (rollout, serve, explore: false)
//   epsilon_greedy  Discrete spaces: the greedy action, or with probability epsilon a uniformly
//                   random one (RLlib's EpsilonGreedy, e.g. DQN)
//   random          uniformly random actions (warm-up steps before learning starts)
import { Box, Discrete, type Space } from '../envs/spaces.js';
import type { Random } from '../utils/random.js';

export type Exploration = { type: 'stochastic' } | { type: 'greedy' } | { type: 'epsilon_greedy'; epsilon: number } | { type: 'random' };

/** Whether the policy is asked for a sampled action (else its greedy one, which exploration may then replace). */
export function samplesFromPolicy(exploration: Exploration): boolean {
  return exploration.type === 'stochastic';
}

/**
 * Replaces actions (one per row, 0-based Discrete indices) with uniformly random ones where a
 * uniform draw falls below epsilon: one draw per row, a second only for the rows replaced.
 */
export function applyEpsilonGreedy(actions: Float32Array, rows: number, numActions: number, epsilon: number, rng: Random): number {
  let replaced = 0;
  for (let r = 0; r < rows; r++) {
    if (rng.uniform() < epsilon) {
      actions[r] = rng.integer(numActions);
      replaced += 1;
    }
  }
  return replaced;
}

/** Uniformly random actions over the space for `rows` rows (Discrete: 0-based indices; Box: within finite bounds). */
export function randomActions(space: Space, actions: Float32Array, rows: number, rng: Random): void {
  if (space instanceof Discrete) {
    for (let r = 0; r < rows; r++) actions[r] = rng.integer(space.n);
    return;
  }
  if (space instanceof Box) {
    const A = space.size;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < A; k++) {
        const low = space.low[k];
        const high = space.high[k];
        if (!Number.isFinite(low) || !Number.isFinite(high)) throw new RangeError('random exploration needs a Box action space with finite bounds');
        actions[r * A + k] = low + (high - low) * rng.uniform();
      }
    }
    return;
  }
  throw new TypeError('unsupported action space');
}

/** Checks an exploration against an action space: epsilon-greedy is for Discrete actions only. */
export function explorationProblem(exploration: Exploration, space: Space): string | null {
  if (exploration.type === 'epsilon_greedy') {
    if (!(space instanceof Discrete)) return 'epsilon-greedy exploration needs a Discrete action space';
    if (!(exploration.epsilon >= 0 && exploration.epsilon <= 1)) return `epsilon must be in [0, 1], got ${exploration.epsilon}`;
  }
  return null;
}
