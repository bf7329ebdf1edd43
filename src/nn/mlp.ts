// The policy and value networks of a ModelLayout on the WebAssembly dense-layer kernel: one
// memory holding the flat weights, their gradients, the minibatch's observations and every
// layer's outputs and output gradients, all preallocated for up to maxBatch rows. Separate
// networks or a shared trunk (vf_share_layers) and free_log_std as the layout describes them.
import type { Activation } from '../algorithms/ppo/defaults.js';
import type { ModelLayout } from '../policy/model.js';
import { UserError } from '../utils/errors.js';
import { instantiateKernel, type DenseKernelExports } from './wasm.js';

const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, tanh: 1, relu: 2 };
const PAGE_BYTES = 65536;
/** The largest memory a network may take (weights, gradients and activations of a minibatch). */
export const KERNEL_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;

/** One dense layer as the kernel runs it: byte offsets of its arrays in the memory. */
interface Node {
  layer: number;
  /** The node whose output is this layer's input; -1 for the observations. */
  parent: number;
  inSize: number;
  outSize: number;
  act: number;
  w: number;
  b: number;
  gw: number;
  gb: number;
  y: number;
  dy: number;
}

/**
 * Where a kernel lives in a memory it shares with other kernels (replicas of one network in
 * worker threads): its regions start at base, and its weights are the ones at paramsPtr.
 */
export interface KernelPlacement {
  memory: WebAssembly.Memory;
  base: number;
  paramsPtr: number;
}

export interface NetworkSelection {
  policy?: boolean;
  value?: boolean;
}

export class MlpKernel {
  /** The flat weights in the layout's order (a view of the kernel's memory). */
  readonly params: Float32Array;
  /** The gradients of the last backward(), same layout. */
  readonly grads: Float32Array;
  /** Observations of the rows to run (maxBatch x observationSize). */
  readonly input: Float32Array;
  /** Distribution inputs after forward() (maxBatch x policyOutputs). */
  readonly distInputs: Float32Array;
  /** V(s) after forward() (maxBatch). */
  readonly values: Float32Array;
  /** Loss gradients w.r.t. distInputs and values, filled by the caller before backward(). */
  readonly dDistInputs: Float32Array;
  readonly dValues: Float32Array;

  /** The (shared) WebAssembly memory the arrays above are views of. */
  readonly memory: WebAssembly.Memory;
  private readonly kernel: DenseKernelExports;
  private readonly nodes: Node[];
  private readonly policyNodes: number[];
  private readonly valueNodes: number[];
  /** Nodes to run, in order, for both networks and for the value network alone. */
  private readonly bothNodes: number[];
  private readonly valueOnlyNodes: number[];
  private readonly inputPtr: number;
  private readonly paramsPtr: number;
  private readonly gradsPtr: number;
  /** Room for the kernel's transposes in backward(). */
  private readonly scratchPtr: number;
  private readonly written: boolean[];
  /** free_log_std: the policy output layer's means, and their gradient, as views. */
  private readonly means: Float32Array | null;
  private readonly dMeans: Float32Array | null;

  /** Its own memory, or (placement) a region of a shared one whose weights it uses. */
  constructor(
    readonly layout: ModelLayout,
    readonly maxBatch: number,
    placement?: KernelPlacement,
  ) {
    const { observationSize, policyOutputs, totalSize, logStdOffset } = layout;
    const plan = planMemory(layout, maxBatch, placement?.base, placement?.paramsPtr);
    if (!placement) checkKernelMemory(layout, maxBatch, plan.top);
    ({ nodes: this.nodes, policyNodes: this.policyNodes, valueNodes: this.valueNodes } = plan);
    ({ paramsPtr: this.paramsPtr, gradsPtr: this.gradsPtr, inputPtr: this.inputPtr, scratchPtr: this.scratchPtr } = plan);
    const { distPtr, dDistPtr, top } = plan;
    const free = logStdOffset !== null;
    this.bothNodes = this.nodes.map((_, index) => index);
    this.valueOnlyNodes = this.bothNodes.filter((index) => !this.policyNodes.includes(index));
    const memory = placement?.memory ?? sharedMemory(top);
    if (memory.buffer.byteLength < top) throw new RangeError(`the kernel needs ${top} bytes of its memory; it has ${memory.buffer.byteLength}`);
    this.memory = memory;
    this.kernel = instantiateKernel(memory);
    const view = (ptr: number, floats: number) => new Float32Array(memory.buffer, ptr, floats);
    this.params = view(this.paramsPtr, totalSize);
    this.grads = view(this.gradsPtr, totalSize);
    this.input = view(this.inputPtr, maxBatch * observationSize);
    const policyOut = this.nodes[this.policyNodes[this.policyNodes.length - 1]];
    const valueOut = this.nodes[this.valueNodes[this.valueNodes.length - 1]];
    if (free) {
      this.distInputs = view(distPtr, maxBatch * policyOutputs);
      this.dDistInputs = view(dDistPtr, maxBatch * policyOutputs);
      this.means = view(policyOut.y, maxBatch * policyOut.outSize);
      this.dMeans = view(policyOut.dy, maxBatch * policyOut.outSize);
    } else {
      this.distInputs = view(policyOut.y, maxBatch * policyOutputs);
      this.dDistInputs = view(policyOut.dy, maxBatch * policyOutputs);
      this.means = null;
      this.dMeans = null;
    }
    this.values = view(valueOut.y, maxBatch);
    this.dValues = view(valueOut.dy, maxBatch);
    this.written = new Array<boolean>(this.nodes.length).fill(false);
  }

  /** Runs the first `batch` rows of input through the selected networks (both by default). */
  forward(batch: number, which: NetworkSelection = {}): void {
    this.checkBatch(batch);
    const k = this.kernel;
    const policy = which.policy !== false;
    const value = which.value !== false;
    const list = policy ? (value ? this.bothNodes : this.policyNodes) : this.valueNodes;
    for (let j = 0; j < list.length; j++) {
      const n = this.nodes[list[j]];
      const x = n.parent < 0 ? this.inputPtr : this.nodes[n.parent].y;
      k.dense_forward(x, n.w, n.b, n.y, batch, n.inSize, n.outSize, n.act);
    }
    if (policy && this.means) {
      const off = this.layout.logStdOffset as number;
      appendLogStd(this.means, this.params.subarray(off, off + this.layout.policyOutputs / 2), batch, this.distInputs);
    }
  }

  /**
   * Gradients of a loss over the first `batch` rows into grads, from dDistInputs and dValues
   * (the loss's gradients w.r.t. the outputs of the last forward() of both networks).
   * value false: the value network is left out (its gradients are zero).
   */
  backward(batch: number, which: { value?: boolean } = {}): void {
    this.checkBatch(batch);
    const k = this.kernel;
    const useValue = which.value !== false;
    const { logStdOffset, policyOutputs } = this.layout;
    if (this.means && this.dMeans && logStdOffset !== null) {
      // free_log_std: the means' gradients go down the network, the log-stds' are summed over rows.
      const d = policyOutputs / 2;
      for (let j = 0; j < d; j++) this.grads[logStdOffset + j] = 0;
      for (let r = 0; r < batch; r++) {
        for (let j = 0; j < d; j++) {
          this.dMeans[r * d + j] = this.dDistInputs[r * policyOutputs + j];
          this.grads[logStdOffset + j] += this.dDistInputs[r * policyOutputs + d + j];
        }
      }
    }
    this.written.fill(false);
    const outputs = [this.policyNodes[this.policyNodes.length - 1], this.valueNodes[this.valueNodes.length - 1]];
    for (const index of outputs) this.written[index] = true;
    for (let index = this.nodes.length - 1; index >= 0; index--) {
      const n = this.nodes[index];
      if (!useValue && this.valueOnlyNodes.includes(index)) {
        this.grads.fill(0, (n.gw - this.gradsPtr) / 4, (n.gb - this.gradsPtr) / 4 + n.outSize);
        continue;
      }
      k.activation_backward(n.y, n.dy, batch * n.outSize, n.act);
      const x = n.parent < 0 ? this.inputPtr : this.nodes[n.parent].y;
      k.dense_grad_params(x, n.dy, n.gw, n.gb, batch, n.inSize, n.outSize, this.scratchPtr);
      if (n.parent >= 0) {
        k.dense_grad_input(n.dy, n.w, this.nodes[n.parent].dy, batch, n.inSize, n.outSize, this.written[n.parent] ? 1 : 0, this.scratchPtr);
        this.written[n.parent] = true;
      }
    }
  }

  /** grads += other's grads (same memory): the sum of two replicas' gradients, this one's first. */
  addGradients(other: MlpKernel): void {
    if (other.memory !== this.memory && other.memory.buffer !== this.memory.buffer) throw new RangeError('replicas must share one memory');
    this.kernel.add_into(this.gradsPtr, other.gradsPtr, this.layout.totalSize);
  }

  /** One Adam update of params from grads with the moments m and v (views of this memory), in f32 (adam_update in the kernel). */
  adamUpdate(m: Float32Array, v: Float32Array, lrT: number, beta1: number, beta2: number, epsilon: number): void {
    if (m.buffer !== this.memory.buffer || v.buffer !== this.memory.buffer) throw new RangeError("Adam's moments must be views of the kernel's memory");
    this.kernel.adam_update(this.paramsPtr, this.gradsPtr, m.byteOffset, v.byteOffset, this.layout.totalSize, lrT, beta1, 1 - beta1, beta2, 1 - beta2, epsilon);
  }

  private checkBatch(batch: number): void {
    if (!Number.isInteger(batch) || batch < 1 || batch > this.maxBatch) throw new RangeError(`batch of ${batch} rows; the kernel holds 1 to ${this.maxBatch}`);
  }
}

/** A shared memory (what the kernel module imports) of at least the given bytes. */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / PAGE_BYTES);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/**
 * Where everything goes in a kernel's memory, from base: a bump allocator of 16-byte aligned
 * regions. The weights get a region unless paramsPtr names existing ones (a replica's).
 */
export function planMemory(layout: ModelLayout, maxBatch: number, base = 64, sharedParamsPtr?: number) {
  const { layers, policyPath, valuePath, observationSize, policyOutputs, totalSize, logStdOffset } = layout;
  const nodeOf = new Map<number, number>();
  const specs: { layer: number; parent: number }[] = [];
  const pathNodes = (path: number[]): number[] =>
    path.map((layer, k) => {
      if (!nodeOf.has(layer)) {
        nodeOf.set(layer, specs.length);
        specs.push({ layer, parent: k === 0 ? -1 : (nodeOf.get(path[k - 1]) as number) });
      }
      return nodeOf.get(layer) as number;
    });
  const policyNodes = pathNodes(policyPath);
  const valueNodes = pathNodes(valuePath);
  let top = base;
  const alloc = (floats: number): number => {
    const at = top;
    top += Math.ceil((floats * 4) / 16) * 16;
    return at;
  };
  const paramsPtr = sharedParamsPtr ?? alloc(totalSize);
  const gradsPtr = alloc(totalSize);
  const inputPtr = alloc(maxBatch * observationSize);
  const free = logStdOffset !== null;
  const distPtr = free ? alloc(maxBatch * policyOutputs) : 0;
  const dDistPtr = free ? alloc(maxBatch * policyOutputs) : 0;
  // room for one layer's w^T (dense_grad_input forms it for narrow layers)
  const scratchPtr = alloc(Math.max(...specs.map(({ layer }) => layers[layer].inSize * layers[layer].outSize)));
  const nodes: Node[] = specs.map(({ layer, parent }) => {
    const l = layers[layer];
    return {
      layer,
      parent,
      inSize: l.inSize,
      outSize: l.outSize,
      act: ACTIVATION_CODE[l.activation],
      w: paramsPtr + 4 * l.kernelOffset,
      b: paramsPtr + 4 * l.biasOffset,
      gw: gradsPtr + 4 * l.kernelOffset,
      gb: gradsPtr + 4 * l.biasOffset,
      y: alloc(maxBatch * l.outSize),
      dy: alloc(maxBatch * l.outSize),
    };
  });
  return { nodes, policyNodes, valueNodes, paramsPtr, gradsPtr, inputPtr, distPtr, dDistPtr, scratchPtr, top };
}

/**
 * Refuses, with one line naming fcnet_hiddens, a network whose kernel memory for minibatches of
 * maxBatch rows would pass KERNEL_MEMORY_LIMIT_BYTES; cheap, so callers check before allocating weights.
 */
export function checkKernelMemory(layout: ModelLayout, maxBatch: number, bytes = planMemory(layout, maxBatch).top): void {
  if (bytes > KERNEL_MEMORY_LIMIT_BYTES) {
    throw new UserError(
      `model.fcnet_hiddens [${layout.options.fcnet_hiddens.join(', ')}] needs ${formatBytes(bytes)} of learner memory for minibatches of ${maxBatch}, ` +
        `more than the kernel's ${formatBytes(KERNEL_MEMORY_LIMIT_BYTES)}: use smaller fcnet_hiddens (or sgd_minibatch_size)`,
    );
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Rows of [means, logStd] from means (batch x d) and one log-std vector: free_log_std's distribution inputs. */
export function appendLogStd(means: Float32Array, logStd: Float32Array, batch: number, distInputs: Float32Array): void {
  const d = logStd.length;
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < d; k++) {
      distInputs[b * 2 * d + k] = means[b * d + k];
      distInputs[b * 2 * d + d + k] = logStd[k];
    }
  }
}
