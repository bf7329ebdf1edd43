// The PPO learner as it was on tfjs (before the WebAssembly kernel), kept only as the baseline of
// `npm run bench -- minibatch`; nothing in src/ uses it. The learner on tfjs: minibatch SGD with Adam over the clipped surrogate objective
// (Schulman et al. 2017, eq. 7), the PPO2-style clipped value loss, a KL penalty with an
// adaptive coefficient and an entropy bonus, as RLlib 1.x's ppo_tf_policy.py:
//   L = -mean(min(A r, A clip(r, 1-c, 1+c))) + kl_coeff mean(KL(old||new))
//       + vf_loss_coeff mean(max((V-R)^2, (V_old + clip(V-V_old, -vc, vc) - R)^2)) - entropy_coeff mean(H)
// The weights live in tf.Variables, one kernel and one bias per dense layer of the ModelLayout.
import * as tf from '@tensorflow/tfjs';
import type { PPOModelLayout as ModelLayout } from '../src/algorithms/ppo/model.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, VALUE_TARGETS, VF_PREDS } from '../src/algorithms/ppo/policy.js';
import type { SampleBatch } from '../src/execution/sample_batch.js';
import type { Random } from '../src/utils/random.js';
import { FlatAdam, clipByGlobalNorm } from '../src/nn/adam.js';

interface LearnerHyperparams {
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

interface LearnerStats {
  policy_loss: number;
  vf_loss: number;
  total_loss: number;
  kl: number;
  entropy: number;
  cur_kl_coeff: number;
  cur_lr: number;
  entropy_coeff: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * x W with a gradient computed from plain matrix products of explicitly transposed operands:
 * on tfjs-backend-wasm 4.22 a matMul with transposeA or transposeB (what tfjs's own matMul
 * gradient uses) takes 8-11 ms for 128x256x256, a transpose plus a plain matMul about 1-2 ms.
 */
const matMulFastGrad = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX, savedW] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(savedW)), tf.matMul(tf.transpose(savedX), dy as tf.Tensor2D)];
    },
  };
  // customGrad's parameter type mixes tensors and the save function in one rest array.
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
/** Variable names are global in tfjs: each learner gets its own prefix. */
let learnerCount = 0;

export class TfjsLearner {
  readonly variables: tf.Variable[];
  /** The weights' source of truth, in the layout's order; variables mirror it for the forward pass. */
  private readonly params: Float32Array;
  private readonly grads: Float32Array;
  private readonly optimizer: FlatAdam;
  private lr: number;
  klCoeff: number;
  private readonly discrete: boolean;
  private readonly actionSize: number;

  constructor(
    readonly layout: ModelLayout,
    /** n for a Discrete space (categorical), 0 for a Box space (diagonal Gaussian). */
    readonly numActions: number,
    readonly hp: LearnerHyperparams,
    weights: Float32Array,
    klCoeff: number,
    lr: number,
  ) {
    this.discrete = numActions > 0;
    this.actionSize = this.discrete ? 1 : layout.policyOutputs / 2;
    this.klCoeff = klCoeff;
    const prefix = `ppo_learner_${++learnerCount}`;
    this.variables = layout.layers.flatMap((layer) => [
      tf.variable(tf.tensor2d(weights.subarray(layer.kernelOffset, layer.biasOffset), [layer.inSize, layer.outSize]), true, `${prefix}/${layer.name}/kernel`),
      tf.variable(tf.tensor1d(weights.subarray(layer.biasOffset, layer.biasOffset + layer.outSize)), true, `${prefix}/${layer.name}/bias`),
    ]);
    this.params = weights.slice();
    this.grads = new Float32Array(layout.totalSize);
    this.optimizer = new FlatAdam(layout.totalSize);
    this.lr = lr;
  }

  /** The current weights as one flat array in the layout's order (what workers receive). */
  getWeights(): Float32Array {
    return this.params.slice();
  }

  setWeights(flat: Float32Array): void {
    if (flat.length !== this.params.length) throw new RangeError(`weights have ${flat.length} values; the model needs ${this.params.length}`);
    this.params.set(flat);
    this.syncVariables();
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

  private syncVariables(): void {
    this.layout.layers.forEach((layer, i) => {
      tf.tidy(() => {
        this.variables[2 * i].assign(tf.tensor2d(this.params.subarray(layer.kernelOffset, layer.biasOffset), [layer.inSize, layer.outSize]));
        this.variables[2 * i + 1].assign(tf.tensor1d(this.params.subarray(layer.biasOffset, layer.biasOffset + layer.outSize)));
      });
    });
  }

  private forward(path: number[], x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    for (const index of path) {
      const layer = this.layout.layers[index];
      h = tf.add(matMulFastGrad(h, this.variables[2 * index] as tf.Tensor2D), this.variables[2 * index + 1]);
      if (layer.activation === 'tanh') h = tf.tanh(h);
      else if (layer.activation === 'relu') h = tf.relu(h);
    }
    return h;
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
        mb.gather(batch, order, m * size);
        const stats = this.step(mb, entropyCoeff);
        onProgress?.(epoch * numMinibatches + m + 1, numSgdIter * numMinibatches);
        // RLlib reports the learner stats of the last epoch; the KL that adapts kl_coeff too.
        if (last) for (const key of Object.keys(sums) as (keyof typeof sums)[]) sums[key] += stats[key];
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
  evaluate(batch: SampleBatch, entropyCoeff: number) {
    const mb = new MinibatchBuffers(batch.count, batch);
    mb.gather(batch, Int32Array.from({ length: batch.count }, (_, i) => i), 0);
    return this.step(mb, entropyCoeff, false);
  }

  private step(mb: MinibatchBuffers, entropyCoeff: number, update = true) {
    const { clipParam, vfClipParam, vfLossCoeff, gradClip, useCritic } = this.hp;
    const klCoeff = this.klCoeff;
    let terms: tf.Tensor1D | null = null;
    tf.tidy(() => {
      const obs = tf.tensor2d(mb.obs, [mb.size, this.layout.observationSize]);
      const advantages = tf.tensor1d(mb.advantages);
      const oldLogp = tf.tensor1d(mb.logp);
      const valueTargets = tf.tensor1d(mb.valueTargets);
      const oldVf = tf.tensor1d(mb.vfPreds);
      const oldInputs = tf.tensor2d(mb.distInputs, [mb.size, this.layout.policyOutputs]);
      const actions = this.discrete
        ? tf.oneHot(tf.tensor1d(mb.actionsInt, 'int32'), this.numActions)
        : tf.tensor2d(mb.actions, [mb.size, this.actionSize]);
      const lossFn = (): tf.Scalar => {
        const out = this.forward(this.layout.policyPath, obs);
        let logp: tf.Tensor, kl: tf.Tensor, entropy: tf.Tensor;
        if (this.discrete) {
          const logpAll = tf.logSoftmax(out);
          logp = tf.sum(tf.mul(logpAll, actions), 1);
          const oldLogpAll = tf.logSoftmax(oldInputs);
          kl = tf.sum(tf.mul(tf.exp(oldLogpAll), tf.sub(oldLogpAll, logpAll)), 1);
          entropy = tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1));
        } else {
          const d = this.actionSize;
          const [mean, logStd] = tf.split(out, [d, d], 1);
          const [oldMean, oldLogStd] = tf.split(oldInputs, [d, d], 1);
          const z = tf.div(tf.sub(actions, mean), tf.exp(logStd));
          logp = tf.sub(tf.sum(tf.add(tf.mul(-0.5, tf.square(z)), tf.neg(logStd)), 1), 0.5 * LOG_2PI * d);
          kl = tf.sum(
            tf.sub(
              tf.add(tf.sub(logStd, oldLogStd), tf.div(tf.add(tf.exp(tf.mul(2, oldLogStd)), tf.square(tf.sub(oldMean, mean))), tf.mul(2, tf.exp(tf.mul(2, logStd))))),
              0.5,
            ),
            1,
          );
          entropy = tf.sum(tf.add(logStd, 0.5 * (LOG_2PI + 1)), 1);
        }
        const ratio = tf.exp(tf.sub(logp, oldLogp));
        const surrogate = tf.minimum(tf.mul(advantages, ratio), tf.mul(advantages, tf.clipByValue(ratio, 1 - clipParam, 1 + clipParam)));
        const policyLoss = tf.neg(tf.mean(surrogate));
        let vfLoss: tf.Scalar = tf.scalar(0);
        if (useCritic) {
          const vf = tf.reshape(this.forward(this.layout.valuePath, obs), [-1]);
          const loss1 = tf.square(tf.sub(vf, valueTargets));
          const clipped = tf.add(oldVf, tf.clipByValue(tf.sub(vf, oldVf), -vfClipParam, vfClipParam));
          const loss2 = tf.square(tf.sub(clipped, valueTargets));
          vfLoss = tf.mean(tf.maximum(loss1, loss2));
        }
        const meanKl = tf.mean(kl);
        const meanEntropy = tf.mean(entropy);
        const total = tf.sub(tf.add(tf.add(policyLoss, tf.mul(klCoeff, meanKl)), tf.mul(vfLossCoeff, vfLoss)), tf.mul(entropyCoeff, meanEntropy)) as tf.Scalar;
        terms = tf.keep(tf.stack([policyLoss, vfLoss, total, meanKl, meanEntropy]) as tf.Tensor1D);
        return total;
      };
      if (!update) {
        lossFn();
        return;
      }
      const { grads } = tf.variableGrads(lossFn, this.variables);
      this.layout.layers.forEach((layer, i) => {
        this.grads.set(grads[this.variables[2 * i].name].dataSync() as Float32Array, layer.kernelOffset);
        this.grads.set(grads[this.variables[2 * i + 1].name].dataSync() as Float32Array, layer.biasOffset);
      });
    });
    if (update) {
      if (gradClip !== null) clipByGlobalNorm(this.grads, gradClip);
      this.optimizer.apply(this.params, this.grads, this.lr);
      this.syncVariables();
    }
    const values = (terms as unknown as tf.Tensor1D).dataSync();
    (terms as unknown as tf.Tensor1D).dispose();
    return { policy_loss: values[0], vf_loss: values[1], total_loss: values[2], kl: values[3], entropy: values[4] };
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

function nextKlCoeff(klCoeff: number, sampledKl: number, klTarget: number): number {
  if (sampledKl > 2.0 * klTarget) return klCoeff * 1.5;
  if (sampledKl < 0.5 * klTarget) return klCoeff * 0.5;
  return klCoeff;
}

/** The rows of one minibatch, gathered from the batch into reused arrays. */
class MinibatchBuffers {
  readonly obs: Float32Array;
  readonly actions: Float32Array;
  readonly actionsInt: Int32Array;
  readonly logp: Float32Array;
  readonly distInputs: Float32Array;
  readonly vfPreds: Float32Array;
  readonly advantages: Float32Array;
  readonly valueTargets: Float32Array;

  constructor(
    readonly size: number,
    batch: SampleBatch,
  ) {
    this.obs = new Float32Array(size * batch.widths.obs);
    this.actions = new Float32Array(size * batch.widths.actions);
    this.actionsInt = new Int32Array(size * batch.widths.actions);
    this.logp = new Float32Array(size);
    this.distInputs = new Float32Array(size * batch.widths[ACTION_DIST_INPUTS]);
    this.vfPreds = new Float32Array(size);
    this.advantages = new Float32Array(size);
    this.valueTargets = new Float32Array(size);
  }

  gather(batch: SampleBatch, order: Int32Array, start: number): void {
    const { obs: O, actions: A, [ACTION_DIST_INPUTS]: P } = batch.widths;
    for (let r = 0; r < this.size; r++) {
      const i = order[start + r];
      this.obs.set(batch.columns.obs.subarray(i * O, i * O + O), r * O);
      for (let k = 0; k < A; k++) {
        this.actions[r * A + k] = batch.columns.actions[i * A + k];
        this.actionsInt[r * A + k] = batch.columns.actions[i * A + k];
      }
      this.logp[r] = batch.columns[ACTION_LOGP][i];
      this.distInputs.set(batch.columns[ACTION_DIST_INPUTS].subarray(i * P, i * P + P), r * P);
      this.vfPreds[r] = batch.columns[VF_PREDS][i];
      this.advantages[r] = batch.columns[ADVANTAGES][i];
      this.valueTargets[r] = batch.columns[VALUE_TARGETS][i];
    }
  }
}
