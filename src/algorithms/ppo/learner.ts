// The PPO learner: minibatch SGD with Adam over PPO's loss (loss.ts), the networks' forward
// and backward passes on the WebAssembly dense-layer kernel (src/nn). One minibatch step is a
// handful of kernel calls, where tfjs spent ~300 dispatches of ~5 us each on the same small nets.
// With a second core, a learner thread (learner_thread.ts) takes part of the work, split one of
// two ways, fixed by the config so that a seed gives the same weights on any machine, thread or not:
// - by network (value_learner.ts) when the policy and value networks share no layers and nothing
//   couples their gradients: the caller trains the policy network, the thread the value network,
//   each over all the iteration's minibatches;
// - by rows otherwise (shared layers, grad_clip, DD-PPO's all-reduce): each minibatch in two
//   halves (src/nn/replicas.ts), half 0 in the calling thread and half 1 in the learner thread
//   (when it keeps up: see ReplicaThread), their gradients summed in that order. The halves are
//   always formed, thread or not.
import { availableParallelism } from 'node:os';
import { Categorical, DiagGaussian, type ActionDistribution } from '../../policy/distributions.js';
import { ACTIONS, OBS, column, type SampleBatch } from '../../execution/sample_batch.js';
import type { Random } from '../../utils/random.js';
import { MlpReplicas, splitRows } from '../../nn/replicas.js';
import { KernelAdam, clipByGlobalNorm, loadOptimizerArrays, optimizerArrays } from '../../nn/adam.js';
import { ReplicaThread, replicaChannel } from '../../nn/replica_thread.js';
import { PPONetworks, type PPOModelLayout } from './model.js';
import { paramRanges, ValueBatch, ValueLearner, valueRequestResult, writeValueRequest, VALUE_REQUEST_SLOTS, type ValueBatchMessage, type ValueEpochs } from './value_learner.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, VALUE_TARGETS, VF_PREDS } from './policy.js';
import { ppoLoss, type LossTerms } from './loss.js';
import { scheduleValue } from '../../training/schedule.js';
import type { PPOConfig } from './defaults.js';

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

export interface LearnerOptions {
  /** Run half of each minibatch in a worker thread (default: when the machine has 2 or more cores). Same results either way. */
  thread?: boolean;
  /**
   * Called with each minibatch's summed gradient before clipping and Adam, to replace it in place
   * (DD-PPO: the mean over all workers' gradients, from an all-reduce).
   */
  reduceGradients?: (grads: Float32Array) => void;
}

const TERM_KEYS: (keyof LossTerms)[] = ['policy_loss', 'vf_loss', 'total_loss', 'kl', 'entropy'];
/** The learner thread's slots when splitting by rows: count, meanOver, klCoeff, entropyCoeff, update, then the loss terms. */
const ARG_SLOTS = 5;

/** How a minibatch step's work is shared with the learner thread (see the top of this file). */
export type LearnerSplit = 'rows' | 'networks';

/** By network when the two networks' weights and gradients are independent; by rows otherwise. */
export function learnerSplit(layout: PPOModelLayout, hp: LearnerHyperparams, options: LearnerOptions): LearnerSplit {
  const independent = !layout.options.vf_share_layers && hp.useCritic && hp.gradClip === null && options.reduceGradients === undefined;
  return independent ? 'networks' : 'rows';
}

export class PPOLearner {
  /** The networks (replica 0: the caller's); kernel.params holds the weights' source of truth. */
  readonly kernel: PPONetworks;
  readonly split: LearnerSplit;
  private readonly replicas: MlpReplicas;
  /** The caller's share: all rows (network split: the policy network's terms) or half 0 of them. */
  private readonly half0: LearnerHalf;
  /** Splitting by rows: half 1 of each minibatch, its rows in shared memory for the learner thread. */
  private readonly half1: LearnerHalf | null;
  /** Splitting by network: the value network's epochs (on replica 1), when the caller runs them itself. */
  private readonly valueLearner: ValueLearner | null;
  private valueBatch: ValueBatch | null = null;
  /** Whether the learner thread has been sent the current valueBatch. */
  private valueBatchPosted = false;
  private readonly thread: ReplicaThread | null;
  private readonly optimizer: KernelAdam;
  private readonly reduceGradients: ((grads: Float32Array) => void) | undefined;
  klCoeff: number;

  constructor(
    readonly layout: PPOModelLayout,
    /** n for a Discrete space (categorical), 0 for a Box space (diagonal Gaussian). */
    readonly numActions: number,
    readonly hp: LearnerHyperparams,
    weights: Float32Array,
    klCoeff: number,
    private lr: number,
    options: LearnerOptions = {},
  ) {
    this.split = learnerSplit(layout, hp, options);
    const byNetwork = this.split === 'networks';
    // by network both replicas take whole minibatches; by rows, a half each
    const replicaRows = (byNetwork ? [hp.sgdMinibatchSize, hp.sgdMinibatchSize] : splitRows(hp.sgdMinibatchSize)).map((r) => Math.max(r, 1));
    this.replicas = new MlpReplicas(layout, replicaRows);
    this.kernel = new PPONetworks(layout, replicaRows[0], this.replicas.placement(0));
    const second = new PPONetworks(layout, replicaRows[1], this.replicas.placement(1));
    this.half0 = new LearnerHalf(this.kernel, layout, numActions, hp);
    const rowsBuffer = byNetwork ? null : new SharedArrayBuffer(MinibatchBuffers.bytes(replicaRows[1], layout, numActions));
    this.half1 = rowsBuffer ? new LearnerHalf(second, layout, numActions, hp, rowsBuffer) : null;
    this.valueLearner = byNetwork ? new ValueLearner(second, hp, this.replicas.m, this.replicas.v) : null;
    this.setWeights(weights);
    this.optimizer = new KernelAdam(this.kernel.kernel, this.replicas.m, this.replicas.v, byNetwork ? paramRanges(layout).policy : undefined);
    this.klCoeff = klCoeff;
    this.reduceGradients = options.reduceGradients;
    const useThread = options.thread ?? availableParallelism() > 1;
    this.thread = useThread
      ? new ReplicaThread(new URL('./learner_thread.js', import.meta.url), replicaChannel(byNetwork ? VALUE_REQUEST_SLOTS : ARG_SLOTS + TERM_KEYS.length), {
          split: this.split,
          layout,
          numActions,
          hp,
          rows: replicaRows[1],
          placement: this.replicas.placement(1),
          moments: { m: this.replicas.m.byteOffset, v: this.replicas.v.byteOffset },
          rowsBuffer,
        } satisfies LearnerThreadData)
      : null;
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
    return optimizerArrays([this.optimizer]);
  }

  setOptimizerState(arrays: Float32Array[]): void {
    loadOptimizerArrays([this.optimizer], arrays);
  }

  /** num_sgd_iter epochs of shuffled minibatches over the batch (advantages already standardised). */
  learnOnBatch(batch: SampleBatch, lr: number, entropyCoeff: number, rng: Random, onProgress?: (done: number, total: number) => void): LearnerStats {
    this.lr = lr;
    const { numSgdIter, sgdMinibatchSize } = this.hp;
    const n = batch.count;
    const size = Math.min(sgdMinibatchSize, n);
    const numMinibatches = Math.max(1, Math.floor(n / size));
    const byNetwork = this.split === 'networks';
    const orders = byNetwork ? this.valueBatchFor(batch).orders : new Int32Array(numSgdIter * n);
    shuffledOrders(n, numSgdIter, this.hp.shuffleSequences, rng, orders);
    const valueEpochs = byNetwork ? this.startValueEpochs(batch, { size, numMinibatches, lr, adamStep: this.optimizer.step }) : null;
    const sums = { policy_loss: 0, vf_loss: 0, total_loss: 0, kl: 0, entropy: 0 };
    let vfLossSum = 0;
    try {
      for (let epoch = 0; epoch < numSgdIter; epoch++) {
        const order = orders.subarray(epoch * n, (epoch + 1) * n);
        const last = epoch === numSgdIter - 1;
        for (let m = 0; m < numMinibatches; m++) {
          const stats = byNetwork ? this.policyStep(batch, order, m * size, size, entropyCoeff) : this.step(batch, order, m * size, size, entropyCoeff);
          onProgress?.(epoch * numMinibatches + m + 1, numSgdIter * numMinibatches);
          // RLlib reports the learner stats of the last epoch; the KL that adapts kl_coeff too.
          if (last) for (const key of TERM_KEYS) sums[key] += stats[key];
        }
      }
    } finally {
      // even when a progress callback threw: the thread must be done with the shared weights first
      if (valueEpochs) vfLossSum = valueEpochs();
    }
    sums.vf_loss += vfLossSum;
    sums.total_loss += this.hp.vfLossCoeff * vfLossSum;
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
    const sums: LossTerms = { policy_loss: 0, vf_loss: 0, total_loss: 0, kl: 0, entropy: 0 };
    for (let start = 0; start < batch.count; start += this.kernel.maxBatch) {
      const rows = Math.min(this.kernel.maxBatch, batch.count - start);
      this.half0.gather(batch, order, start, rows);
      // every term is a mean over the batch: each chunk adds its rows' share
      const terms = this.half0.run(rows, batch.count, this.klCoeff, entropyCoeff, false);
      for (const key of TERM_KEYS) sums[key] += terms[key];
    }
    return sums;
  }

  /**
   * Splitting by rows, one minibatch (rows order[start, start + size)): loss and gradients of
   * each half, their sum (half 0's then half 1's), reduceGradients if given, gradient clipping and Adam.
   */
  private step(batch: SampleBatch, order: Int32Array, start: number, size: number, entropyCoeff: number): LossTerms {
    const [rows0, rows1] = splitRows(size);
    const half0 = this.half0;
    const half1 = this.half1!;
    half0.gather(batch, order, start, rows0);
    if (rows1 > 0) half1.gather(batch, order, start + rows0, rows1);
    const thread = rows1 > 0 && this.thread?.take() ? this.thread : null;
    if (thread) {
      thread.slots.set([rows1, size, this.klCoeff, entropyCoeff, 1]);
      thread.start();
    }
    const terms = half0.run(rows0, size, this.klCoeff, entropyCoeff, true);
    if (rows1 > 0) {
      let terms1: LossTerms;
      if (thread && thread.finish()) terms1 = termsFrom(thread.slots, ARG_SLOTS);
      else terms1 = half1.run(rows1, size, this.klCoeff, entropyCoeff, true);
      for (const key of TERM_KEYS) terms[key] += terms1[key];
      this.kernel.kernel.addGradients(half1.kernel.kernel);
    }
    this.reduceGradients?.(this.kernel.grads);
    if (this.hp.gradClip !== null) clipByGlobalNorm(this.kernel.grads, this.hp.gradClip);
    this.optimizer.apply(this.lr);
    return terms;
  }

  /** Splitting by network, one minibatch of the policy network: its terms, gradients and Adam over its weights. */
  private policyStep(batch: SampleBatch, order: Int32Array, start: number, size: number, entropyCoeff: number): LossTerms {
    this.half0.gather(batch, order, start, size);
    const terms = this.half0.run(size, size, this.klCoeff, entropyCoeff, true, { value: false });
    this.optimizer.apply(this.lr);
    return terms;
  }

  /** The shared ValueBatch for a batch of this many rows (a new one, posted to the thread, when the size changed). */
  private valueBatchFor(batch: SampleBatch): ValueBatch {
    const { numSgdIter } = this.hp;
    const obsSize = this.layout.observationSize;
    if (!this.valueBatch?.fits(batch.count, numSgdIter)) {
      this.valueBatch = new ValueBatch(new SharedArrayBuffer(ValueBatch.bytes(batch.count, numSgdIter, obsSize)), batch.count, numSgdIter, obsSize);
      this.valueBatchPosted = false;
    }
    return this.valueBatch;
  }

  /**
   * Starts the value network's epochs (the orders already in the ValueBatch): in the learner thread
   * when it takes them, else later in this thread. Returns the function that waits for them and
   * gives the sum of the last epoch's value losses.
   */
  private startValueEpochs(batch: SampleBatch, epochs: ValueEpochs): () => number {
    const data = this.valueBatch!;
    data.fill(batch);
    const runHere = () => this.valueLearner!.run(data, epochs);
    const thread = this.thread?.take() ? this.thread : null;
    if (!thread) return runHere;
    const newBatch = !this.valueBatchPosted;
    if (newBatch) {
      thread.post({ buffer: data.buffer, count: data.count, numSgdIter: data.numSgdIter, observationSize: data.observationSize } satisfies ValueBatchMessage);
      this.valueBatchPosted = true;
    }
    // what the thread writes; restored if it fails partway, so that this thread redoes the epochs from the same start
    const restore = this.saveValueNetwork();
    writeValueRequest(thread.slots, epochs, newBatch);
    thread.start();
    return () => {
      if (thread.finish()) return valueRequestResult(thread.slots);
      restore();
      return runHere();
    };
  }

  /** Copies the value network's weights and Adam moments; the function returned puts them back. */
  private saveValueNetwork(): () => void {
    const [[start, end]] = paramRanges(this.layout).value;
    const arrays = [this.kernel.params, this.replicas.m, this.replicas.v];
    const copies = arrays.map((a) => a.slice(start, end));
    return () => arrays.forEach((a, i) => a.set(copies[i], start));
  }

  /** Whether the learner thread has started (until then, and without one, this thread does all the work). */
  get threadReady(): boolean {
    return this.thread?.ready ?? false;
  }

  /** Requests the learner thread ran: minibatch halves (by rows) or iterations' value epochs (by network). */
  get threadSteps(): number {
    return this.thread?.completed ?? 0;
  }

  /** Stops the learner thread (the kernel's memory goes with the learner). */
  dispose(): void {
    this.thread?.stop();
  }
}

/**
 * numSgdIter row orders of n rows into orders (epoch after epoch): each epoch's a shuffle of the
 * one before when shuffling (the random draws an in-place shuffle per epoch makes), else 0..n-1.
 */
function shuffledOrders(n: number, numSgdIter: number, shuffle: boolean, rng: Random, orders: Int32Array): void {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let epoch = 0; epoch < numSgdIter; epoch++) {
    if (shuffle) rng.shuffle(order);
    orders.set(order, epoch * n);
  }
}

/** What the learner thread gets (workerData, besides its channel). */
export interface LearnerThreadData {
  split: LearnerSplit;
  layout: PPOModelLayout;
  numActions: number;
  hp: LearnerHyperparams;
  /** The rows of replica 1 (the thread's). */
  rows: number;
  placement: ReturnType<MlpReplicas['placement']>;
  /** Byte offsets of Adam's moments in the placement's memory. */
  moments: { m: number; v: number };
  /** Splitting by rows: half 1's rows. */
  rowsBuffer: SharedArrayBuffer | null;
}

function termsFrom(slots: Float64Array, at: number): LossTerms {
  return { policy_loss: slots[at], vf_loss: slots[at + 1], total_loss: slots[at + 2], kl: slots[at + 3], entropy: slots[at + 4] };
}

/** The learner thread's loop body when splitting by rows: half 1 of the minibatch whose arguments are in slots. */
export function runHalfFromSlots(half: LearnerHalf, slots: Float64Array): void {
  const terms = half.run(slots[0], slots[1], slots[2], slots[3], slots[4] === 1);
  TERM_KEYS.forEach((key, k) => (slots[ARG_SLOTS + k] = terms[key]));
}
/** One half of a minibatch: a replica of the networks, its rows, and PPO's loss on them. */
export class LearnerHalf {
  readonly rows: MinibatchBuffers;
  private readonly distribution: ActionDistribution;

  constructor(
    readonly kernel: PPONetworks,
    layout: PPOModelLayout,
    numActions: number,
    private readonly hp: LearnerHyperparams,
    rowsBuffer?: SharedArrayBuffer,
  ) {
    this.distribution = numActions > 0 ? new Categorical(numActions) : new DiagGaussian(layout.policyOutputs / 2);
    this.rows = new MinibatchBuffers(kernel.maxBatch, layout, numActions, rowsBuffer);
  }

  /** Rows order[start, start + count) of the batch into this half's buffers and kernel input. */
  gather(batch: SampleBatch, order: Int32Array, start: number, count: number): void {
    this.rows.gather(batch, order, start, this.kernel.input, count);
  }

  /**
   * Loss terms over the gathered rows as their share of a mean over meanOver rows; with update,
   * the gradients of that share into the kernel's grads.
   */
  run(count: number, meanOver: number, klCoeff: number, entropyCoeff: number, update: boolean, networks: { value?: false } = {}): LossTerms {
    const { clipParam, vfClipParam, vfLossCoeff } = this.hp;
    // without the value network (no critic, or the network split's policy side) its loss is 0 and its gradients are not computed
    const useCritic = this.hp.useCritic && networks.value !== false;
    const k = this.kernel;
    k.forward(count, { value: useCritic });
    const terms = ppoLoss(
      this.distribution,
      this.rows,
      count,
      k.distInputs,
      k.values,
      { clipParam, vfClipParam, vfLossCoeff, klCoeff, entropyCoeff, useCritic },
      k.dDistInputs,
      k.dValues,
      meanOver,
    );
    if (update) k.backward(count, { value: useCritic });
    return terms;
  }
}

/** PPO's learner for a resolved config (PPO's or an algorithm's built on it, such as DD-PPO's). */
export function learnerForConfig(layout: PPOModelLayout, numActions: number, config: PPOConfig, weights: Float32Array, options: LearnerOptions = {}): PPOLearner {
  return new PPOLearner(
    layout,
    numActions,
    {
      clipParam: config.clip_param,
      vfClipParam: config.vf_clip_param,
      vfLossCoeff: config.vf_loss_coeff,
      klTarget: config.kl_target,
      gradClip: config.grad_clip,
      numSgdIter: config.num_sgd_iter,
      sgdMinibatchSize: config.sgd_minibatch_size,
      shuffleSequences: config.shuffle_sequences,
      useCritic: config.use_critic,
    },
    weights,
    config.kl_coeff,
    scheduleValue(config.lr_schedule, 0, config.lr),
    options,
  );
}

export function nextKlCoeff(klCoeff: number, sampledKl: number, klTarget: number): number {
  if (sampledKl > 2.0 * klTarget) return klCoeff * 1.5;
  if (sampledKl < 0.5 * klTarget) return klCoeff * 0.5;
  return klCoeff;
}

/** The rows of one minibatch, gathered from the batch into reused arrays (on buffer when given). */
class MinibatchBuffers {
  readonly actions: Float32Array;
  readonly logp: Float32Array;
  readonly distInputs: Float32Array;
  readonly vfPreds: Float32Array;
  readonly advantages: Float32Array;
  readonly valueTargets: Float32Array;

  /** Floats per row of each array: actions, logp, distInputs, vfPreds, advantages, valueTargets. */
  private static widths(layout: PPOModelLayout, numActions: number): number[] {
    const actionSize = numActions > 0 ? 1 : layout.policyOutputs / 2;
    return [actionSize, 1, layout.policyOutputs, 1, 1, 1];
  }

  static bytes(size: number, layout: PPOModelLayout, numActions: number): number {
    return MinibatchBuffers.widths(layout, numActions).reduce((sum, width) => sum + 4 * size * width, 0);
  }

  constructor(
    readonly size: number,
    layout: PPOModelLayout,
    numActions: number,
    buffer: ArrayBufferLike = new ArrayBuffer(MinibatchBuffers.bytes(size, layout, numActions)),
  ) {
    let offset = 0;
    const views = MinibatchBuffers.widths(layout, numActions).map((width) => {
      const view = new Float32Array(buffer, offset, size * width);
      offset += 4 * size * width;
      return view;
    });
    [this.actions, this.logp, this.distInputs, this.vfPreds, this.advantages, this.valueTargets] = views;
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
