// A user's tf.Sequential of Dense layers on the WebAssembly kernel the PPO learner runs (src/nn):
// the forward and backward passes of one worker's rows without tfjs's per-op overhead, which was
// most of an MNIST step (3.1 ms of tfjs gradients for ~1 ms of arithmetic). planKernel() says
// which models qualify: Dense layers with relu, tanh or linear activations, no regularisers or
// constraints, trained on categorical cross-entropy (softmax output, one-hot or sparse labels) or
// mean squared error (linear output); anything else trains through tfjs as before. The losses
// are tfjs's (tfjs-layers losses.ts), clips included, so the gradients are tfjs's to float32
// rounding (test/sgd/kernel_model.test.ts checks them against tf.variableGrads).
import type * as tf from '@tensorflow/tfjs';
import type { Activation, DenseLayer, ModelLayout } from '../nn/layout.js';
import { MlpKernel, planMemory, type KernelPlacement } from '../nn/mlp.js';
import type { LocalBatch } from './data.js';

/** The loss on the network's outputs: which also says what the last layer's activation is. */
export type KernelHead = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError';

const HEAD_ACTIVATION: Record<KernelHead, string> = {
  categoricalCrossentropy: 'softmax',
  sparseCategoricalCrossentropy: 'softmax',
  meanSquaredError: 'linear',
};
const HIDDEN_ACTIVATIONS = new Set<string>(['relu', 'tanh', 'linear']);
const NETWORK = 'model';
const INPUT = 'x';

export interface KernelPlan {
  layout: ModelLayout;
  head: KernelHead;
}

/** The kernel's layout of a model, or why it has none. */
export function planKernel(model: tf.LayersModel, loss: unknown): KernelPlan | { reason: string } {
  if (model.getClassName() !== 'Sequential') return { reason: `a ${model.getClassName()} model (the kernel runs tf.sequential models of Dense layers)` };
  if (typeof loss !== 'string' || !Object.hasOwn(HEAD_ACTIVATION, loss)) {
    return { reason: `loss ${typeof loss === 'string' ? loss : 'function'} (the kernel runs ${Object.keys(HEAD_ACTIVATION).join(', ')})` };
  }
  const head = loss as KernelHead;
  const inputShape = model.inputs[0].shape;
  if (inputShape.length !== 2) return { reason: `an input of shape ${JSON.stringify(inputShape)} (the kernel takes rows of numbers)` };
  const layers: DenseLayer[] = [];
  let size = inputShape[1] as number;
  let offset = 0;
  for (const [index, layer] of model.layers.entries()) {
    const config = layer.getConfig() as Record<string, unknown>;
    if (layer.getClassName() !== 'Dense') return { reason: `a ${layer.getClassName()} layer (the kernel runs Dense layers)` };
    const extras = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'].filter((key) => config[key] != null);
    if (extras.length > 0) return { reason: `layer ${layer.name}'s ${extras.join(', ')}` };
    if (!layer.trainable || config.useBias === false) return { reason: `layer ${layer.name} is not trainable or has no bias` };
    const last = index === model.layers.length - 1;
    const activation = String(config.activation);
    if (last ? activation !== HEAD_ACTIVATION[head] : !HIDDEN_ACTIVATIONS.has(activation)) {
      return { reason: `layer ${layer.name}'s ${activation} activation${last ? ` with loss ${head}` : ''}` };
    }
    const units = config.units as number;
    // the softmax is applied with the loss, outside the kernel: the last layer gives logits
    layers.push({ name: layer.name, inSize: size, outSize: units, activation: last ? 'linear' : (activation as Activation), initStd: 0, kernelOffset: offset, biasOffset: offset + size * units });
    offset += size * units + units;
    size = units;
  }
  if (layers.length === 0) return { reason: 'a model with no layers' };
  const layout: ModelLayout = {
    observationSize: inputShape[1] as number,
    networks: { [NETWORK]: { name: NETWORK, input: INPUT, inputSize: inputShape[1] as number, outputSize: size, path: layers.map((_, i) => i) } },
    layers,
    params: {},
    totalSize: offset,
    sizeSetting: { key: 'model()', hiddens: layers.slice(0, -1).map((l) => l.outSize) },
  };
  return { layout, head };
}

/** The bytes of one worker's kernel region for batches of up to maxBatch rows (its weights are elsewhere). */
export function kernelRegionBytes(plan: KernelPlan, maxBatch: number): number {
  return planMemory(plan.layout, Math.max(1, maxBatch), 0, 0).top;
}

/** One worker's replica on the kernel: gradients of the loss summed over a batch's rows. */
export class KernelModel {
  /** The kernel in its own region (of the workers' shared memory when placed), for batches up to its maxBatch rows. */
  private readonly kernel: MlpKernel;
  /** For a larger batch (an iterable's): a kernel of its own, grown as needed. */
  private larger: MlpKernel | null = null;
  private probabilities = new Float64Array(0);
  private scratch = new Float64Array(0);

  constructor(
    readonly plan: KernelPlan,
    maxBatch: number,
    placement?: KernelPlacement,
  ) {
    this.kernel = new MlpKernel(plan.layout, Math.max(1, maxBatch), placement);
  }

  /** The weights, in the order of the model's trainable weights (flattened): the shared ones when placed. */
  get params(): Float32Array {
    return this.kernel.params;
  }

  /** The gradients of the last sumGradients(), same order. */
  get grads(): Float32Array {
    return this.kernel.grads;
  }

  /** A batch of no rows: gradients of zero. */
  zeroGradients(): void {
    this.kernel.grads.fill(0);
  }

  /** Writes the gradient of the loss summed over the batch's rows into grads; returns the mean loss. */
  sumGradients(batch: LocalBatch): number {
    const { n } = batch;
    const k = n <= this.kernel.maxBatch ? this.kernel : this.largerKernel(n);
    batch.copyX(k.input(INPUT));
    k.forward(n);
    const outputs = k.output(NETWORK);
    const dOutputs = k.dOutput(NETWORK);
    const size = this.plan.layout.networks[NETWORK].outputSize;
    const targets = batch.yValues();
    let lossSum = 0;
    for (let r = 0; r < n; r++) {
      const row = r * size;
      if (this.plan.head === 'meanSquaredError') lossSum += meanSquaredErrorRow(outputs, targets, dOutputs, row, size);
      else lossSum += this.crossEntropyRow(outputs, targets, dOutputs, r, size);
    }
    k.backward(n);
    if (k !== this.kernel) this.kernel.grads.set(k.grads);
    return lossSum / n;
  }

  /** Softmax of row r's logits, then tfjs's categorical cross-entropy of it (sparse: label r). */
  private crossEntropyRow(logits: Float32Array, targets: tf.TypedArray, dLogits: Float32Array, r: number, size: number): number {
    if (this.probabilities.length < size) [this.probabilities, this.scratch] = [new Float64Array(size), new Float64Array(size)];
    const p = this.probabilities;
    const row = r * size;
    let max = -Infinity;
    for (let j = 0; j < size; j++) max = Math.max(max, logits[row + j]);
    let sum = 0;
    for (let j = 0; j < size; j++) sum += p[j] = Math.exp(logits[row + j] - max);
    for (let j = 0; j < size; j++) p[j] /= sum;
    const sparse = this.plan.head === 'sparseCategoricalCrossentropy';
    const label = sparse ? Math.floor(targets[r]) : -1;
    const target = sparse ? (j: number) => (j === label ? 1 : 0) : (j: number) => targets[row + j];
    return crossEntropy(p, size, target, sparse, dLogits, row, this.scratch);
  }

  /** A kernel for batches of n rows, with the current weights. */
  private largerKernel(n: number): MlpKernel {
    if (!this.larger || this.larger.maxBatch < n) this.larger = new MlpKernel(this.plan.layout, n);
    this.larger.params.set(this.kernel.params);
    return this.larger;
  }
}

const EPSILON = 1e-7; // tfjs's backend epsilon, its clip of probabilities before the log
const CLIP_LOW = Math.fround(EPSILON);
const CLIP_HIGH = Math.fround(1 - EPSILON);
const clip = (value: number) => Math.min(Math.max(value, CLIP_LOW), CLIP_HIGH);
const inClip = (value: number) => value >= CLIP_LOW && value <= CLIP_HIGH;

/**
 * tfjs's categoricalCrossentropy of probabilities p (a softmax), with its gradient w.r.t. the
 * logits into dLogits[at, at + size): q = p (sparse: clipped first, as sparseCategoricalCrossentropy
 * does), r = q / sum(q), loss = -sum_j y_j log(clip(r_j)); a clipped value passes no gradient.
 * a: room for size numbers.
 */
function crossEntropy(p: Float64Array, size: number, y: (j: number) => number, clipFirst: boolean, dLogits: Float32Array, at: number, a: Float64Array): number {
  let s = 0;
  for (let j = 0; j < size; j++) s += clipFirst ? clip(p[j]) : p[j];
  let loss = 0;
  let pdp = 0;
  for (let j = 0; j < size; j++) {
    const r = (clipFirst ? clip(p[j]) : p[j]) / s;
    const target = y(j);
    if (target !== 0) loss -= target * Math.log(clip(r));
    // dL/dq_j = (dL/dr_j) / s, less sum_k (dL/dr_k) r_k / s: the same for every j, which the
    // softmax's Jacobian below cancels (the probabilities sum to 1), so it is left out
    a[j] = inClip(r) && (!clipFirst || inClip(p[j])) ? -target / r / s : 0;
    pdp += p[j] * a[j];
  }
  for (let i = 0; i < size; i++) dLogits[at + i] = p[i] * (a[i] - pdp);
  return loss;
}

/** tfjs's meanSquaredError of one row (the mean over its outputs), its gradient into dOutputs. */
function meanSquaredErrorRow(outputs: Float32Array, targets: tf.TypedArray, dOutputs: Float32Array, row: number, size: number): number {
  let sum = 0;
  for (let j = 0; j < size; j++) {
    const diff = outputs[row + j] - targets[row + j];
    sum += diff * diff;
    dOutputs[row + j] = (2 * diff) / size;
  }
  return sum / size;
}
