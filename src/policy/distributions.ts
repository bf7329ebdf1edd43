// Action distributions over the policy's outputs, as RLlib's Categorical and DiagGaussian.
// Plain TypeScript for sampling in workers and, with the gradients w.r.t. the distribution
// inputs, for the learner's loss (checked against tfjs autodiff in test/nn).
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
  // The gradient methods add scale x d(value)/d(inputs) into grad[gOff...] and return the value.
  logpGrad(inputs: ArrayLike<number>, iOff: number, actions: ArrayLike<number>, aOff: number, scale: number, grad: Float32Array, gOff: number): number;
  entropyGrad(inputs: ArrayLike<number>, iOff: number, scale: number, grad: Float32Array, gOff: number): number;
  /** KL(old || new) and its gradient w.r.t. the new inputs. */
  klGrad(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number, scale: number, grad: Float32Array, gOff: number): number;
  /**
   * One row of a policy-gradient loss (PPO's learner's hot loop), in two steps that share their
   * work: loadRow() returns log p(action) under the new inputs and leaves the row's KL(old || new)
   * in rowKl and its entropy in rowEntropy; rowGrads() then adds, for that row, logpScale x d logp,
   * klScale x d KL and entropyScale x d H (w.r.t. the new inputs, in that order; no logp term when
   * logpScale is 0). The values and gradients are the bits logp(), klGrad() and entropyGrad() give.
   */
  loadRow(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number, actions: ArrayLike<number>, aOff: number): number;
  readonly rowKl: number;
  readonly rowEntropy: number;
  rowGrads(logpScale: number, klScale: number, entropyScale: number, grad: Float32Array, gOff: number): void;
}

export class Categorical implements ActionDistribution {
  readonly actionSize = 1;
  rowKl = 0;
  rowEntropy = 0;
  /** The loaded row: its action, and per class the new log-probabilities, probabilities and old probabilities. */
  private rowAction = 0;
  private readonly rowLogp: Float64Array;
  private readonly rowP: Float64Array;
  private readonly rowPOld: Float64Array;

  constructor(readonly inputSize: number) {
    this.rowLogp = new Float64Array(inputSize);
    this.rowP = new Float64Array(inputSize);
    this.rowPOld = new Float64Array(inputSize);
  }

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

  // d logp(a)/dz_j = [j = a] - p_j
  logpGrad(inputs: ArrayLike<number>, iOff: number, actions: ArrayLike<number>, aOff: number, scale: number, grad: Float32Array, gOff: number): number {
    const lse = this.logNormalizer(inputs, iOff);
    const a = actions[aOff];
    for (let k = 0; k < this.inputSize; k++) grad[gOff + k] += scale * ((k === a ? 1 : 0) - Math.exp(inputs[iOff + k] - lse));
    return inputs[iOff + a] - lse;
  }

  // dH/dz_j = -p_j (log p_j + H)
  entropyGrad(inputs: ArrayLike<number>, iOff: number, scale: number, grad: Float32Array, gOff: number): number {
    const lse = this.logNormalizer(inputs, iOff);
    let h = 0; // entropy(), with the normalizer computed once for both loops
    for (let k = 0; k < this.inputSize; k++) {
      const logp = inputs[iOff + k] - lse;
      h -= Math.exp(logp) * logp;
    }
    for (let k = 0; k < this.inputSize; k++) {
      const logp = inputs[iOff + k] - lse;
      grad[gOff + k] -= scale * Math.exp(logp) * (logp + h);
    }
    return h;
  }

  // Two log-normalizers a row where logp(), klGrad() and entropyGrad() take five, and each exp once.
  loadRow(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number, actions: ArrayLike<number>, aOff: number): number {
    const { rowLogp, rowP, rowPOld } = this;
    const lseOld = this.logNormalizer(oldInputs, oOff);
    const lseNew = this.logNormalizer(newInputs, nOff);
    let kl = 0;
    let h = 0;
    for (let k = 0; k < this.inputSize; k++) {
      const logpOld = oldInputs[oOff + k] - lseOld;
      const logpNew = newInputs[nOff + k] - lseNew;
      rowLogp[k] = logpNew;
      rowP[k] = Math.exp(logpNew);
      rowPOld[k] = Math.exp(logpOld);
      kl += rowPOld[k] * (logpOld - logpNew);
      h -= rowP[k] * logpNew;
    }
    this.rowKl = kl;
    this.rowEntropy = h;
    this.rowAction = actions[aOff];
    return newInputs[nOff + this.rowAction] - lseNew;
  }

  rowGrads(logpScale: number, klScale: number, entropyScale: number, grad: Float32Array, gOff: number): void {
    const { rowLogp, rowP, rowPOld, rowAction, rowEntropy } = this;
    for (let k = 0; k < this.inputSize; k++) {
      if (logpScale !== 0) grad[gOff + k] += logpScale * ((k === rowAction ? 1 : 0) - rowP[k]);
      grad[gOff + k] += klScale * (rowP[k] - rowPOld[k]);
      grad[gOff + k] -= entropyScale * rowP[k] * (rowLogp[k] + rowEntropy);
    }
  }

  // dKL(old || new)/dz_j = p_j - pOld_j
  klGrad(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number, scale: number, grad: Float32Array, gOff: number): number {
    const lseOld = this.logNormalizer(oldInputs, oOff);
    const lseNew = this.logNormalizer(newInputs, nOff);
    let kl = 0;
    for (let k = 0; k < this.inputSize; k++) {
      const logpOld = oldInputs[oOff + k] - lseOld;
      const logpNew = newInputs[nOff + k] - lseNew;
      kl += Math.exp(logpOld) * (logpOld - logpNew);
      grad[gOff + k] += scale * (Math.exp(logpNew) - Math.exp(logpOld));
    }
    return kl;
  }
}

/** Diagonal Gaussian: inputs are the means followed by the log standard deviations. */
export class DiagGaussian implements ActionDistribution {
  readonly inputSize: number;
  rowKl = 0;
  rowEntropy = 0;
  /** The loaded row's arrays and offsets: old inputs, new inputs, actions (fields, not an object a row: no garbage). */
  private rowOld: ArrayLike<number> = [];
  private rowOOff = 0;
  private rowInputs: ArrayLike<number> = [];
  private rowNOff = 0;
  private rowActions: ArrayLike<number> = [];
  private rowAOff = 0;

  constructor(readonly actionSize: number) {
    this.inputSize = 2 * actionSize;
  }

  // Cheap to recompute (no log-normalizer): the row methods call the single-term ones.
  loadRow(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number, actions: ArrayLike<number>, aOff: number): number {
    this.rowOld = oldInputs;
    this.rowOOff = oOff;
    this.rowInputs = newInputs;
    this.rowNOff = nOff;
    this.rowActions = actions;
    this.rowAOff = aOff;
    this.rowKl = this.kl(oldInputs, oOff, newInputs, nOff);
    this.rowEntropy = this.entropy(newInputs, nOff);
    return this.logp(newInputs, nOff, actions, aOff);
  }

  rowGrads(logpScale: number, klScale: number, entropyScale: number, grad: Float32Array, gOff: number): void {
    if (logpScale !== 0) this.logpGrad(this.rowInputs, this.rowNOff, this.rowActions, this.rowAOff, logpScale, grad, gOff);
    this.klGrad(this.rowOld, this.rowOOff, this.rowInputs, this.rowNOff, klScale, grad, gOff);
    this.entropyGrad(this.rowInputs, this.rowNOff, entropyScale, grad, gOff);
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

  // z = (a - mu) / std: d logp/d mu = z / std, d logp/d log std = z^2 - 1
  logpGrad(inputs: ArrayLike<number>, iOff: number, actions: ArrayLike<number>, aOff: number, scale: number, grad: Float32Array, gOff: number): number {
    const d = this.actionSize;
    for (let k = 0; k < d; k++) {
      const std = Math.exp(inputs[iOff + d + k]);
      const z = (actions[aOff + k] - inputs[iOff + k]) / std;
      grad[gOff + k] += (scale * z) / std;
      grad[gOff + d + k] += scale * (z * z - 1);
    }
    return this.logp(inputs, iOff, actions, aOff);
  }

  // H = sum(log std) + d (log 2 pi + 1) / 2: d H/d log std = 1
  entropyGrad(inputs: ArrayLike<number>, iOff: number, scale: number, grad: Float32Array, gOff: number): number {
    const d = this.actionSize;
    for (let k = 0; k < d; k++) grad[gOff + d + k] += scale;
    return this.entropy(inputs, iOff);
  }

  // d KL/d mu = (mu - muOld) / std^2, d KL/d log std = 1 - (stdOld^2 + (muOld - mu)^2) / std^2
  klGrad(oldInputs: ArrayLike<number>, oOff: number, newInputs: ArrayLike<number>, nOff: number, scale: number, grad: Float32Array, gOff: number): number {
    const d = this.actionSize;
    for (let k = 0; k < d; k++) {
      const variance = Math.exp(2 * newInputs[nOff + d + k]);
      const diff = oldInputs[oOff + k] - newInputs[nOff + k];
      grad[gOff + k] += (scale * -diff) / variance;
      grad[gOff + d + k] += scale * (1 - (Math.exp(2 * oldInputs[oOff + d + k]) + diff * diff) / variance);
    }
    return this.kl(oldInputs, oOff, newInputs, nOff);
  }
}

export function distributionFor(space: Space): ActionDistribution {
  if (space instanceof Discrete) return new Categorical(space.n);
  if (space instanceof Box) return new DiagGaussian(space.size);
  throw new TypeError('unsupported action space');
}
