// The PPO learner: minibatch SGD with Adam over PPO's loss (loss.ts), the networks' forward
// and backward passes on the WebAssembly dense-layer kernel (src/nn). One minibatch step is a
// handful of kernel calls, where tfjs spent ~300 dispatches of ~5 us each on the same small nets.
import { Categorical, DiagGaussian, type ActionDistribution } from '../../policy/distributions.js';
import { ACTIONS, OBS, column, type SampleBatch } from '../../execution/sample_batch.js';
import type { Random } from '../../utils/random.js';
import { PPONetworks, type PPOModelLayout } from './model.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, VALUE_TARGETS, VF_PREDS } from './policy.js';
import { FlatAdam, clipByGlobalNorm } from '../../nn/adam.js';
import { ppoLoss, type LossTerms } from './loss.js';

export interface LearnerHyperparams {
  clipParam: number;
  vfClipParam: number;
  vfLossCoeff: number;
  klTarget: number;
  gradClip: number | null;
  numSgdIter: number;
  sgdMinibatchSize: number;
  shuffleSequences: boolean;
  useCritic: boolean;
}

export interface LearnerStats {
  policy_loss: number;
  vf_loss: number;
  total_loss: number;
  kl: number;
  entropy: number;
  cur_kl_coeff: number;
  cur_lr: number;
  entropy_coeff: number;
}

export class PPOLearner {
  /** The networks; kernel.params holds the weights' source of truth. */
  readonly kernel: PPONetworks;
  private readonly optimizer: FlatAdam;
  private readonly distribution: ActionDistribution;
  klCoeff: number;

  constructor(
    readonly layout: PPOModelLayout,
    /** n for a Discrete space (categorical), 0 for a Box space (diagonal Gaussian). */
    readonly numActions: number,
    readonly hp: LearnerHyperparams,
    weights: Float32Array,
    klCoeff: number,
    private lr: number,
  ) {
    this.distribution = numActions > 0 ? new Categorical(numActions) : new DiagGaussian(layout.policyOutputs / 2);
    this.kernel = new PPONetworks(layout, hp.sgdMinibatchSize);
    this.setWeights(weights);
    this.optimizer = new FlatAdam(layout.totalSize);
    this.klCoeff = klCoeff;
  }

  /** The current weights as one flat array in the layout's order (what workers receive). */
  getWeights(): Float32Array {
    return this.kernel.params.slice();
  }

  setWeights(flat: Float32Array): void {
    if (flat.length !== this.kernel.params.length) throw new RangeError(`weights have ${flat.length} values; the model needs ${this.kernel.params.length}`);
    this.kernel.params.set(flat);
  }

  /** Adam's step count and moments, for checkpoints: [[step], m, v]. */
  getOptimizerState(): Float32Array[] {
    const { step, m, v } = this.optimizer.state();
    return [Float32Array.of(step), m, v];
  }

  setOptimizerState(arrays: Float32Array[]): void {
    if (arrays.length !== 3 || arrays[0].length !== 1) throw new RangeError('optimizer state must be [[step], m, v]');
    this.optimizer.load({ step: arrays[0][0], m: arrays[1], v: arrays[2] });
  }

  /** num_sgd_iter epochs of shuffled minibatches over the batch (advantages already standardised). */
  learnOnBatch(batch: SampleBatch, lr: number, entropyCoeff: number, rng: Random, onProgress?: (done: number, total: number) => void): LearnerStats {
    this.lr = lr;
    const { numSgdIter, sgdMinibatchSize } = this.hp;
    const n = batch.count;
    const size = Math.min(sgdMinibatchSize, n);
    const numMinibatches = Math.max(1, Math.floor(n / size));
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const mb = new MinibatchBuffers(size, batch);
    const sums = { policy_loss: 0, vf_loss: 0, total_loss: 0, kl: 0, entropy: 0 };
    for (let epoch = 0; epoch < numSgdIter; epoch++) {
      if (this.hp.shuffleSequences) rng.shuffle(order);
      const last = epoch === numSgdIter - 1;
      for (let m = 0; m < numMinibatches; m++) {
        mb.gather(batch, order, m * size, this.kernel.input);
        const stats = this.step(mb, size, entropyCoeff, true);
        onProgress?.(epoch * numMinibatches + m + 1, numSgdIter * numMinibatches);
        // RLlib reports the learner stats of the last epoch; the KL that adapts kl_coeff too.
        if (last) {
          sums.policy_loss += stats.policy_loss;
          sums.vf_loss += stats.vf_loss;
          sums.total_loss += stats.total_loss;
          sums.kl += stats.kl;
          sums.entropy += stats.entropy;
        }
      }
    }
    const mean = (v: number) => v / numMinibatches;
    return {
      policy_loss: mean(sums.policy_loss),
      vf_loss: mean(sums.vf_loss),
      total_loss: mean(sums.total_loss),
      kl: mean(sums.kl),
      entropy: mean(sums.entropy),
      cur_kl_coeff: this.klCoeff,
      cur_lr: lr,
      entropy_coeff: entropyCoeff,
    };
  }

  /** RLlib's adaptive KL coefficient: x1.5 above 2 x kl_target, x0.5 below half of it. */
  updateKl(sampledKl: number): number {
    this.klCoeff = nextKlCoeff(this.klCoeff, sampledKl, this.hp.klTarget);
    return this.klCoeff;
  }

  /** The loss terms over the whole batch at the current weights, without updating anything. */
  evaluate(batch: SampleBatch, entropyCoeff: number): LossTerms {
    const order = Int32Array.from({ length: batch.count }, (_, i) => i);
    const chunk = Math.min(this.kernel.maxBatch, batch.count);
    const mb = new MinibatchBuffers(chunk, batch);
    const sums: LossTerms = { policy_loss: 0, vf_loss: 0, total_loss: 0, kl: 0, entropy: 0 };
    for (let start = 0; start < batch.count; start += chunk) {
      const rows = Math.min(chunk, batch.count - start);
      mb.gather(batch, order, start, this.kernel.input, rows);
      const terms = this.step(mb, rows, entropyCoeff, false);
      // every term is a mean over rows: weight each chunk by its share
      for (const key of Object.keys(sums) as (keyof LossTerms)[]) sums[key] += (terms[key] * rows) / batch.count;
    }
    return sums;
  }

  /** Loss and gradients on the gathered rows; with update, a clipped Adam step on the weights. */
  private step(mb: MinibatchBuffers, rows: number, entropyCoeff: number, update: boolean): LossTerms {
    const { clipParam, vfClipParam, vfLossCoeff, gradClip, useCritic } = this.hp;
    const k = this.kernel;
    k.forward(rows, { value: useCritic });
    const terms = ppoLoss(
      this.distribution,
      mb,
      rows,
      k.distInputs,
      k.values,
      { clipParam, vfClipParam, vfLossCoeff, klCoeff: this.klCoeff, entropyCoeff, useCritic },
      k.dDistInputs,
      k.dValues,
    );
    if (update) {
      k.backward(rows, { value: useCritic });
      if (gradClip !== null) clipByGlobalNorm(k.grads, gradClip);
      this.optimizer.apply(k.params, k.grads, this.lr);
    }
    return terms;
  }

  /** Nothing to free: the kernel's memory goes with the learner. Kept for the trainer's stop(). */
  dispose(): void {}
}

export function nextKlCoeff(klCoeff: number, sampledKl: number, klTarget: number): number {
  if (sampledKl > 2.0 * klTarget) return klCoeff * 1.5;
  if (sampledKl < 0.5 * klTarget) return klCoeff * 0.5;
  return klCoeff;
}

/** The rows of one minibatch, gathered from the batch into reused arrays. */
class MinibatchBuffers {
  readonly actions: Float32Array;
  readonly logp: Float32Array;
  readonly distInputs: Float32Array;
  readonly vfPreds: Float32Array;
  readonly advantages: Float32Array;
  readonly valueTargets: Float32Array;

  constructor(
    readonly size: number,
    batch: SampleBatch,
  ) {
    this.actions = new Float32Array(size * batch.widths[ACTIONS]);
    this.logp = new Float32Array(size);
    this.distInputs = new Float32Array(size * batch.widths[ACTION_DIST_INPUTS]);
    this.vfPreds = new Float32Array(size);
    this.advantages = new Float32Array(size);
    this.valueTargets = new Float32Array(size);
  }

  /** Rows order[start...] into these buffers, their observations into obs. */
  gather(batch: SampleBatch, order: Int32Array, start: number, obs: Float32Array, rows = this.size): void {
    const { [OBS]: O, [ACTIONS]: A, [ACTION_DIST_INPUTS]: P } = batch.widths;
    const [bObs, bActions, bLogp, bDist, bVf, bAdv, bTargets] = [OBS, ACTIONS, ACTION_LOGP, ACTION_DIST_INPUTS, VF_PREDS, ADVANTAGES, VALUE_TARGETS].map((name) => column(batch, name));
    for (let r = 0; r < rows; r++) {
      const i = order[start + r];
      // element loops, not subarray().set(): no garbage per row
      for (let k = 0; k < O; k++) obs[r * O + k] = bObs[i * O + k];
      for (let k = 0; k < A; k++) this.actions[r * A + k] = bActions[i * A + k];
      this.logp[r] = bLogp[i];
      for (let k = 0; k < P; k++) this.distInputs[r * P + k] = bDist[i * P + k];
      this.vfPreds[r] = bVf[i];
      this.advantages[r] = bAdv[i];
      this.valueTargets[r] = bTargets[i];
    }
  }
}
