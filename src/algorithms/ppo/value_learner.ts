// PPO's minibatch SGD split by network instead of by rows, when the policy and value networks
// share no layers (vf_share_layers false, RLlib's default) and nothing couples their gradients
// (no grad_clip, whose global norm spans both; no DD-PPO all-reduce). PPO's loss is then a sum of
// two parts on disjoint weights: the surrogate, KL and entropy terms read only the distribution
// inputs (the policy network), the value loss only V(s) (the value network), and Adam is
// elementwise. So the value network's num_sgd_iter epochs over the iteration's shuffled minibatches
// do not depend on the policy network's, and the learner thread runs all of them while the caller
// runs the policy network's (learner.ts): one hand-over an iteration instead of one a minibatch,
// and each network's weights stay with one core. The arithmetic is the same whichever thread runs it.
import type { SampleBatch } from '../../execution/sample_batch.js';
import { column, OBS } from '../../execution/sample_batch.js';
import { networkRange } from '../../nn/layout.js';
import { KernelAdam } from '../../nn/adam.js';
import type { PPONetworks, PPOModelLayout } from './model.js';
import { VALUE_TARGETS, VF_PREDS } from './policy.js';
import { valueLoss } from './loss.js';

/** [start, end) ranges of the flat weights each network owns (the policy's include free_log_std's log-stds). */
export function paramRanges(layout: PPOModelLayout): { policy: [number, number][]; value: [number, number][] } {
  const [start, end] = networkRange(layout, 'value');
  const policy: [number, number][] = [[0, start]];
  if (end < layout.totalSize) policy.push([end, layout.totalSize]);
  return { policy, value: [[start, end]] };
}

/** The value network's epochs: the rows and every epoch's shuffled order, in shared memory for the learner thread. */
export class ValueBatch {
  /** numSgdIter orders of the count rows, one after the other. */
  readonly orders: Int32Array;
  readonly obs: Float32Array;
  readonly vfPreds: Float32Array;
  readonly valueTargets: Float32Array;

  static bytes(count: number, numSgdIter: number, observationSize: number): number {
    return 4 * (numSgdIter * count + count * observationSize + 2 * count);
  }

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly count: number,
    readonly numSgdIter: number,
    readonly observationSize: number,
  ) {
    let offset = 0;
    const take = <T>(make: (at: number, n: number) => T, n: number): T => {
      const view = make(offset, n);
      offset += 4 * n;
      return view;
    };
    this.orders = take((at, n) => new Int32Array(buffer, at, n), numSgdIter * count);
    this.obs = take((at, n) => new Float32Array(buffer, at, n), count * observationSize);
    this.vfPreds = take((at, n) => new Float32Array(buffer, at, n), count);
    this.valueTargets = take((at, n) => new Float32Array(buffer, at, n), count);
  }

  /** Whether it holds a batch of this shape (else a new one is made and posted to the thread). */
  fits(count: number, numSgdIter: number): boolean {
    return this.count === count && this.numSgdIter === numSgdIter;
  }

  /** The batch's rows (the orders are written into `orders` directly). */
  fill(batch: SampleBatch): void {
    this.obs.set(column(batch, OBS));
    this.vfPreds.set(column(batch, VF_PREDS));
    this.valueTargets.set(column(batch, VALUE_TARGETS));
  }
}

/** One iteration's value epochs: minibatches of size rows, numMinibatches of them an epoch (the policy network's). */
export interface ValueEpochs {
  size: number;
  numMinibatches: number;
  lr: number;
  /** Adam's step count before the first minibatch (both networks' updates count the same steps). */
  adamStep: number;
}

/** The value network's half of the learner: forward, value loss, backward and Adam over its own weights. */
export class ValueLearner {
  private readonly vfPreds: Float32Array;
  private readonly valueTargets: Float32Array;
  private readonly optimizer: KernelAdam;

  constructor(
    readonly kernel: PPONetworks,
    private readonly hp: { vfClipParam: number; vfLossCoeff: number },
    /** Adam's moments for all the weights (views of the kernel's shared memory); only the value network's are used. */
    m: Float32Array,
    v: Float32Array,
  ) {
    this.vfPreds = new Float32Array(kernel.maxBatch);
    this.valueTargets = new Float32Array(kernel.maxBatch);
    this.optimizer = new KernelAdam(kernel.kernel, m, v, paramRanges(kernel.layout).value);
  }

  /** The epochs over the batch's minibatches in its orders; returns the sum of the last epoch's minibatch value losses. */
  run(batch: ValueBatch, epochs: ValueEpochs): number {
    const { size, numMinibatches, lr } = epochs;
    const { vfClipParam, vfLossCoeff } = this.hp;
    const k = this.kernel;
    const O = batch.observationSize;
    const rows = { vfPreds: this.vfPreds, valueTargets: this.valueTargets };
    this.optimizer.step = epochs.adamStep;
    let lastEpochSum = 0;
    for (let epoch = 0; epoch < batch.numSgdIter; epoch++) {
      for (let m = 0; m < numMinibatches; m++) {
        const at = epoch * batch.count + m * size;
        for (let r = 0; r < size; r++) {
          const i = batch.orders[at + r];
          for (let j = 0; j < O; j++) k.input[r * O + j] = batch.obs[i * O + j];
          this.vfPreds[r] = batch.vfPreds[i];
          this.valueTargets[r] = batch.valueTargets[i];
        }
        k.forward(size, { policy: false });
        k.dValues.fill(0, 0, size);
        const vfLoss = valueLoss(rows, size, k.values, vfClipParam, vfLossCoeff, k.dValues);
        k.backward(size, { policy: false });
        this.optimizer.apply(lr);
        if (epoch === batch.numSgdIter - 1) lastEpochSum += vfLoss;
      }
    }
    return lastEpochSum;
  }
}

/** Slots of a value-epochs request: size, numMinibatches, lr, adamStep, whether a new ValueBatch buffer was posted; then the result. */
const SLOTS = { size: 0, numMinibatches: 1, lr: 2, adamStep: 3, newBatch: 4, result: 5 } as const;
export const VALUE_REQUEST_SLOTS = 6;

export function writeValueRequest(slots: Float64Array, epochs: ValueEpochs, newBatch: boolean): void {
  slots[SLOTS.size] = epochs.size;
  slots[SLOTS.numMinibatches] = epochs.numMinibatches;
  slots[SLOTS.lr] = epochs.lr;
  slots[SLOTS.adamStep] = epochs.adamStep;
  slots[SLOTS.newBatch] = newBatch ? 1 : 0;
}

export function valueRequestResult(slots: Float64Array): number {
  return slots[SLOTS.result];
}

/** What a ValueBatch is posted to the thread as. */
export interface ValueBatchMessage {
  buffer: SharedArrayBuffer;
  count: number;
  numSgdIter: number;
  observationSize: number;
}

/** The learner thread's side: keeps the last ValueBatch posted and runs each request's epochs on it. */
export function valueRequestServer(learner: ValueLearner): (slots: Float64Array, receive: () => unknown) => void {
  let batch: ValueBatch | null = null;
  return (slots, receive) => {
    if (slots[SLOTS.newBatch] === 1) {
      const { buffer, count, numSgdIter, observationSize } = receive() as ValueBatchMessage;
      batch = new ValueBatch(buffer, count, numSgdIter, observationSize);
    }
    if (!batch) throw new Error('a value-epochs request before any batch was posted');
    slots[SLOTS.result] = learner.run(batch, {
      size: slots[SLOTS.size],
      numMinibatches: slots[SLOTS.numMinibatches],
      lr: slots[SLOTS.lr],
      adamStep: slots[SLOTS.adamStep],
    });
  };
}
