// DQN's learner: one Adam step per replayed minibatch on the Huber TD loss (loss.ts), the online
// and target Q networks on the WebAssembly kernel (q_network.ts). Gradients are clipped per
// weight tensor to grad_clip (tf.clip_by_norm, as RLlib 1.x's minimize_and_clip in the tf
// policy); the target network is a copy of the online weights refreshed by updateTarget().
import type { ModelLayout } from '../../nn/layout.js';
import type { ReplaySample } from '../../execution/replay_buffer.js';
import { FlatAdam, loadOptimizerArrays, optimizerArrays } from '../../nn/adam.js';
import { QNetwork } from './q_network.js';
import { huberQLoss, tdTargets, type QLossStats } from './loss.js';

export interface DQNLearnerHyperparams {
  doubleQ: boolean;
  gradClip: number | null;
  adamEpsilon: number;
  /** Rows per update (the kernels' room). */
  trainBatchSize: number;
}

export interface QUpdate {
  stats: QLossStats;
  /** Each row's TD error (for prioritized replay's update_priorities); reused by the next update. */
  tdErrors: Float32Array;
}

export class DQNLearner {
  readonly online: QNetwork;
  readonly target: QNetwork;
  private readonly optimizer: FlatAdam;
  private readonly targets: Float32Array;
  private readonly onlineNextQ: Float32Array;
  private readonly bestActions: Int32Array;
  private readonly dQ: Float32Array;
  private readonly tdErrors: Float32Array;

  constructor(
    readonly layout: ModelLayout,
    readonly hp: DQNLearnerHyperparams,
    weights: Float32Array,
    targetWeights: Float32Array = weights,
  ) {
    const rows = hp.trainBatchSize;
    const n = layout.networks.q.outputSize;
    this.online = new QNetwork(layout, rows);
    this.target = new QNetwork(layout, rows);
    this.setWeights(weights);
    this.setTargetWeights(targetWeights);
    this.optimizer = new FlatAdam(layout.totalSize, 0.9, 0.999, hp.adamEpsilon);
    this.targets = new Float32Array(rows);
    this.onlineNextQ = new Float32Array(rows * n);
    this.bestActions = new Int32Array(rows);
    this.dQ = new Float32Array(rows * n);
    this.tdErrors = new Float32Array(rows);
  }

  getWeights(): Float32Array {
    return this.online.params.slice();
  }

  setWeights(flat: Float32Array): void {
    checkSize(flat, this.layout);
    this.online.params.set(flat);
  }

  getTargetWeights(): Float32Array {
    return this.target.params.slice();
  }

  setTargetWeights(flat: Float32Array): void {
    checkSize(flat, this.layout);
    this.target.params.set(flat);
  }

  /** The target network takes the online weights (RLlib's update_target with tau 1). */
  updateTarget(): void {
    this.target.params.set(this.online.params);
  }

  /** Adam's step count and moments, for checkpoints: [[step], m, v]. */
  getOptimizerState(): Float32Array[] {
    return optimizerArrays([this.optimizer]);
  }

  setOptimizerState(arrays: Float32Array[]): void {
    loadOptimizerArrays([this.optimizer], arrays);
  }

  /** One update: the gradients of the loss on a minibatch, clipped, then an Adam step. */
  learnOnBatch(batch: ReplaySample, lr: number): QUpdate {
    const result = this.computeGradients(batch);
    if (this.hp.gradClip !== null) clipEachByNorm(this.online.grads, this.layout, this.hp.gradClip);
    this.optimizer.apply(this.online.params, this.online.grads, lr);
    return result;
  }

  /** The loss, its stats and TD errors on a minibatch, its gradient w.r.t. the online weights in online.grads. */
  computeGradients(batch: ReplaySample): QUpdate {
    const rows = batch.count;
    const n = this.online.numActions;
    const targetNextQ = this.target.forward(batch.nextObs, rows);
    let onlineNextQ: Float32Array | null = null;
    if (this.hp.doubleQ) {
      onlineNextQ = this.onlineNextQ;
      onlineNextQ.set(this.online.forward(batch.nextObs, rows).subarray(0, rows * n));
    }
    tdTargets(batch, rows, n, targetNextQ, onlineNextQ, this.bestActions, this.targets);
    const q = this.online.forward(batch.obs, rows);
    const stats = huberQLoss(q, batch.actions, this.targets, batch.weights, rows, n, this.dQ, this.tdErrors);
    this.online.backward(this.dQ, rows);
    return { stats, tdErrors: this.tdErrors.subarray(0, rows) };
  }
}

function checkSize(flat: Float32Array, layout: ModelLayout): void {
  if (flat.length !== layout.totalSize) throw new RangeError(`weights have ${flat.length} values; the Q model needs ${layout.totalSize}`);
}

/** Scales each layer's kernel and bias gradient down to norm maxNorm where above it (tf.clip_by_norm per variable). */
export function clipEachByNorm(grads: Float32Array, layout: ModelLayout, maxNorm: number): void {
  for (const { kernelOffset, biasOffset, outSize } of layout.layers) {
    clipRange(grads, kernelOffset, biasOffset, maxNorm);
    clipRange(grads, biasOffset, biasOffset + outSize, maxNorm);
  }
}

function clipRange(grads: Float32Array, start: number, end: number, maxNorm: number): void {
  let sum = 0;
  for (let i = start; i < end; i++) sum += grads[i] * grads[i];
  const norm = Math.sqrt(sum);
  if (norm <= maxNorm) return;
  const scale = maxNorm / norm;
  for (let i = start; i < end; i++) grads[i] *= scale;
}
