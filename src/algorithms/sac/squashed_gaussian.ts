// RLlib 1.x's SquashedGaussian (rllib/models/tf/tf_action_dist.py) over a Box: inputs are the
// means and log-stds of a Gaussian over u, log-stds clipped to [-20, 2]; the action is
// tanh(u) rescaled from [-1, 1] to [low, high]; log p(a) = sum log N(u; mean, std) (each term
// clipped to [-100, 100]) - sum log(1 - tanh(u)^2 + 1e-6) (the tanh change of variables,
// Haarnoja et al. 2018, appendix C). Sampling is reparameterised, u = mean + std * eps, with the
// noise eps given by the caller so losses (and their tests) are functions of it.
import type { Box } from '../../envs/spaces.js';

// Math's functions as module bindings: under jest's vm context each global lookup in a hot loop costs ~1 us
const { exp, log, max, min, tanh } = Math;

export const MIN_LOG_STD = -20;
export const MAX_LOG_STD = 2;
const LOG_PROB_CLIP = 100;
const SMALL_NUMBER = 1e-6;
const HALF_LOG_2PI = 0.5 * log(2 * Math.PI);

export class SquashedGaussian {
  readonly size: number;
  private readonly low: Float32Array;
  private readonly halfRange: Float32Array;

  constructor(space: Box) {
    this.size = space.size;
    this.low = space.low;
    this.halfRange = space.high.map((h, k) => (h - space.low[k]) / 2);
  }

  /** The action for u in row-local dims: low + (tanh(u) + 1) / 2 * (high - low), clipped to the bounds. */
  squash(u: number, k: number): number {
    const a = this.low[k] + (tanh(u) + 1) * this.halfRange[k];
    return min(max(a, this.low[k]), this.low[k] + 2 * this.halfRange[k]);
  }

  /**
   * Samples row i (inputs at iOff: d means then d log-stds) with noise eps[eOff...] into
   * actions[aOff...]; returns log p(action) and leaves u in us[uOff...] for sampleGrad.
   */
  sample(inputs: ArrayLike<number>, iOff: number, eps: ArrayLike<number>, eOff: number, actions: Float32Array, aOff: number, us: Float32Array, uOff: number): number {
    const d = this.size;
    let logp = 0;
    for (let k = 0; k < d; k++) {
      const logStd = clip(inputs[iOff + d + k], MIN_LOG_STD, MAX_LOG_STD);
      const e = eps[eOff + k];
      const u = inputs[iOff + k] + exp(logStd) * e;
      us[uOff + k] = u;
      actions[aOff + k] = this.squash(u, k);
      const t = tanh(u);
      logp += clip(-0.5 * e * e - logStd - HALF_LOG_2PI, -LOG_PROB_CLIP, LOG_PROB_CLIP) - log(1 - t * t + SMALL_NUMBER);
    }
    return logp;
  }

  /**
   * Adds into grad[gOff...] the gradient w.r.t. the row's inputs of dLogp * log p + sum_k dAction[k] * action[k]
   * through the reparameterised sample (eps fixed), u from sample().
   */
  sampleGrad(inputs: ArrayLike<number>, iOff: number, eps: ArrayLike<number>, eOff: number, us: ArrayLike<number>, uOff: number, dLogp: number, dAction: ArrayLike<number>, dOff: number, grad: Float32Array, gOff: number): void {
    const d = this.size;
    for (let k = 0; k < d; k++) {
      const rawLogStd = inputs[iOff + d + k];
      const logStd = clip(rawLogStd, MIN_LOG_STD, MAX_LOG_STD);
      const e = eps[eOff + k];
      const u = us[uOff + k];
      const t = tanh(u);
      const sech2 = 1 - t * t;
      // d action/du (inside the bounds; tf's clip passes the gradient on the closed interval)
      let dU = dAction[dOff + k] * sech2 * this.halfRange[k];
      // d[-log(1 - tanh(u)^2 + 1e-6)]/du
      dU += (dLogp * 2 * t * sech2) / (sech2 + SMALL_NUMBER);
      // the Gaussian term -0.5 eps^2 - logStd - log(2 pi)/2 depends on logStd only (eps fixed)
      const gaussian = -0.5 * e * e - logStd - HALF_LOG_2PI;
      let dLogStd = gaussian >= -LOG_PROB_CLIP && gaussian <= LOG_PROB_CLIP ? -dLogp : 0;
      dLogStd += dU * exp(logStd) * e;
      grad[gOff + k] += dU;
      if (rawLogStd >= MIN_LOG_STD && rawLogStd <= MAX_LOG_STD) grad[gOff + d + k] += dLogStd;
    }
  }

  /** The greedy action: the squashed mean. */
  deterministic(inputs: ArrayLike<number>, iOff: number, actions: Float32Array, aOff: number): void {
    for (let k = 0; k < this.size; k++) actions[aOff + k] = this.squash(inputs[iOff + k], k);
  }
}

function clip(x: number, low: number, high: number): number {
  return min(max(x, low), high);
}
