// SAC's actions from the policy network's outputs, in sampling (stochastic: the squashed
// Gaussian's reparameterised sample, or a categorical draw) and for rl rollout / rl serve
// (greedy: the squashed mean, or the argmax of the logits), as RLlib's SquashedGaussian and
// Categorical give them. RLlib 1.x's SAC samples from its policy from the first step: there is
// no uniform-random warm-up, learning_starts only delays the updates.
import { Box, Discrete, type Space } from '../../envs/spaces.js';
import { Categorical } from '../../policy/distributions.js';
import type { Random } from '../../utils/random.js';
import { SquashedGaussian } from './squashed_gaussian.js';

export class SACActions {
  private readonly squashed: SquashedGaussian | null;
  private readonly categorical: Categorical | null;
  /** Floats per stored action. */
  readonly actionSize: number;
  /** Policy outputs per row. */
  readonly outputSize: number;
  private eps: Float32Array;
  private us: Float32Array;

  constructor(space: Space) {
    if (space instanceof Box) {
      this.squashed = new SquashedGaussian(space);
      this.categorical = null;
      this.actionSize = space.size;
      this.outputSize = 2 * space.size;
    } else if (space instanceof Discrete) {
      this.squashed = null;
      this.categorical = new Categorical(space.n);
      this.actionSize = 1;
      this.outputSize = space.n;
    } else {
      throw new TypeError('SAC supports Box and Discrete action spaces');
    }
    this.eps = new Float32Array(this.actionSize);
    this.us = new Float32Array(this.actionSize);
  }

  /** Actions (rows x actionSize) from the policy's outputs (rows x outputSize). */
  compute(outputs: Float32Array, rows: number, stochastic: boolean, rng: Random, actions: Float32Array): void {
    const P = this.outputSize;
    const A = this.actionSize;
    for (let i = 0; i < rows; i++) {
      if (this.squashed) {
        if (stochastic) {
          for (let k = 0; k < A; k++) this.eps[k] = rng.normal();
          this.squashed.sample(outputs, i * P, this.eps, 0, actions, i * A, this.us, 0);
        } else {
          this.squashed.deterministic(outputs, i * P, actions, i * A);
        }
      } else if (this.categorical) {
        if (stochastic) this.categorical.sample(outputs, i * P, rng, actions, i);
        else this.categorical.deterministic(outputs, i * P, actions, i);
      }
    }
  }
}
