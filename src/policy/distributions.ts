// Action distributions over the policy's outputs, as RLlib's Categorical and DiagGaussian.
// Plain TypeScript for sampling in workers; the learner has the tfjs twins in learner.ts.
import { Box, Discrete, type Space } from '../envs/spaces.js';
import type { Random } from '../utils/random.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface ActionDistribution {
  /** Distribution inputs per sample. */
  readonly inputSize: number;
  /** Floats per stored action. */
  readonly actionSize: number;
  /** Samples into actions[aOff...]; returns log p(action). */
  sample(inputs: Float32Array, iOff: number, rng: Random, actions: Float32Array, aOff: number): number;
  /** The most likely action (argmax, or the Gaussian mean). */
  deterministic(inputs: Float32Array, iOff: number, actions: Float32Array, aOff: number): void;
  logp(inputs: ArrayLike<number>, iOff: number, actions: ArrayLike<number>, aOff: number): number;
  entropy(inputs: ArrayLike<number>, iOff: number): number;
  /** KL(old || new). */
  kl(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number): number;
}

export class Categorical implements ActionDistribution {
  readonly actionSize = 1;
  constructor(readonly inputSize: number) {}

  private logNormalizer(x: ArrayLike<number>, off: number): number {
    let max = -Infinity;
    for (let k = 0; k < this.inputSize; k++) max = Math.max(max, x[off + k]);
    let sum = 0;
    for (let k = 0; k < this.inputSize; k++) sum += Math.exp(x[off + k] - max);
    return max + Math.log(sum);
  }

  sample(inputs: Float32Array, iOff: number, rng: Random, actions: Float32Array, aOff: number): number {
    const lse = this.logNormalizer(inputs, iOff);
    const u = rng.uniform();
    let cumulative = 0;
    let chosen = this.inputSize - 1;
    for (let k = 0; k < this.inputSize; k++) {
      cumulative += Math.exp(inputs[iOff + k] - lse);
      if (u < cumulative) {
        chosen = k;
        break;
      }
    }
    actions[aOff] = chosen;
    return inputs[iOff + chosen] - lse;
  }

  deterministic(inputs: Float32Array, iOff: number, actions: Float32Array, aOff: number): void {
    let best = 0;
    for (let k = 1; k < this.inputSize; k++) if (inputs[iOff + k] > inputs[iOff + best]) best = k;
    actions[aOff] = best;
  }

  logp(inputs: ArrayLike<number>, iOff: number, actions: ArrayLike<number>, aOff: number): number {
    return inputs[iOff + actions[aOff]] - this.logNormalizer(inputs, iOff);
  }

  entropy(inputs: ArrayLike<number>, iOff: number): number {
    const lse = this.logNormalizer(inputs, iOff);
    let h = 0;
    for (let k = 0; k < this.inputSize; k++) {
      const logp = inputs[iOff + k] - lse;
      h -= Math.exp(logp) * logp;
    }
    return h;
  }

  kl(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number): number {
    const lseOld = this.logNormalizer(oldInputs, oOff);
    const lseNew = this.logNormalizer(newInputs, nOff);
    let kl = 0;
    for (let k = 0; k < this.inputSize; k++) {
      const logpOld = oldInputs[oOff + k] - lseOld;
      kl += Math.exp(logpOld) * (logpOld - (newInputs[nOff + k] - lseNew));
    }
    return kl;
  }
}

/** Diagonal Gaussian: inputs are the means followed by the log standard deviations. */
export class DiagGaussian implements ActionDistribution {
  readonly inputSize: number;
  constructor(readonly actionSize: number) {
    this.inputSize = 2 * actionSize;
  }

  sample(inputs: Float32Array, iOff: number, rng: Random, actions: Float32Array, aOff: number): number {
    const d = this.actionSize;
    for (let k = 0; k < d; k++) actions[aOff + k] = inputs[iOff + k] + Math.exp(inputs[iOff + d + k]) * rng.normal();
    return this.logp(inputs, iOff, actions, aOff);
  }

  deterministic(inputs: Float32Array, iOff: number, actions: Float32Array, aOff: number): void {
    for (let k = 0; k < this.actionSize; k++) actions[aOff + k] = inputs[iOff + k];
  }

  logp(inputs: ArrayLike<number>, iOff: number, actions: ArrayLike<number>, aOff: number): number {
    const d = this.actionSize;
    let sum = 0;
    for (let k = 0; k < d; k++) {
      const logStd = inputs[iOff + d + k];
      const z = (actions[aOff + k] - inputs[iOff + k]) / Math.exp(logStd);
      sum += -0.5 * z * z - logStd;
    }
    return sum - 0.5 * LOG_2PI * d;
  }

  entropy(inputs: ArrayLike<number>, iOff: number): number {
    const d = this.actionSize;
    let sum = 0;
    for (let k = 0; k < d; k++) sum += inputs[iOff + d + k] + 0.5 * (LOG_2PI + 1);
    return sum;
  }

  kl(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number): number {
    const d = this.actionSize;
    let kl = 0;
    for (let k = 0; k < d; k++) {
      const oldLogStd = oldInputs[oOff + d + k];
      const newLogStd = newInputs[nOff + d + k];
      const diff = oldInputs[oOff + k] - newInputs[nOff + k];
      kl += newLogStd - oldLogStd + (Math.exp(2 * oldLogStd) + diff * diff) / (2 * Math.exp(2 * newLogStd)) - 0.5;
    }
    return kl;
  }
}

export function distributionFor(space: Space): ActionDistribution {
  if (space instanceof Discrete) return new Categorical(space.n);
  if (space instanceof Box) return new DiagGaussian(space.size);
  throw new TypeError('unsupported action space');
}
