// The named networks of a ModelLayout on the WebAssembly dense-layer kernel: one memory holding
// the flat weights, their gradients, each input's rows and every layer's outputs and output
// gradients, all preallocated for up to maxBatch rows. Networks may share layers (the shared
// layers then receive the sum of both heads' gradients) and inputs.
import type { Activation, ModelLayout } from './layout.js';
import { UserError } from '../utils/errors.js';
import { instantiateKernel, type DenseKernelExports } from './wasm.js';

const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, tanh: 1, relu: 2 };
const PAGE_BYTES = 65536;
/** The largest memory a network may take (weights, gradients and activations of a minibatch). */
export const KERNEL_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;

/** One dense layer as the kernel runs it: byte offsets of its arrays in the memory. */
interface Node {
  layer: number;
  /** The node whose output is this layer's input; -1 when it reads an input buffer. */
  parent: number;
  /** The input it reads when parent is -1. */
  input: string;
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

export class MlpKernel {
  /** The flat weights in the layout's order (a view of the kernel's memory). */
  readonly params: Float32Array;
  /** The gradients of the last backward(), same layout. */
  readonly grads: Float32Array;

  /** The (shared) WebAssembly memory the arrays above are views of. */
  readonly memory: WebAssembly.Memory;
  private readonly paramsPtr: number;
  private readonly kernel: DenseKernelExports;
  private readonly nodes: Node[];
  /** Per network, its nodes in order. */
  private readonly networkNodes: Map<string, number[]>;
  private readonly inputs: Map<string, { ptr: number; dPtr: number; size: number; rows: Float32Array; dRows: Float32Array }>;
  private readonly outputs: Map<string, { rows: Float32Array; dRows: Float32Array }>;
  private readonly allNetworks: string[];
  private readonly gradsPtr: number;
  /** Room for the kernel's transposes in backward(). */
  private readonly scratchPtr: number;
  private readonly written: boolean[];
  private readonly selectionCache = new Map<string, { nodes: number[]; inSelection: boolean[] }>();

  /** Its own memory, or (placement) a region of a shared one whose weights it uses. */
  constructor(
    readonly layout: ModelLayout,
    readonly maxBatch: number,
    placement?: KernelPlacement,
  ) {
    const plan = planMemory(layout, maxBatch, placement?.base, placement?.paramsPtr);
    if (!placement) checkKernelMemory(layout, maxBatch, plan.top);
    this.paramsPtr = plan.paramsPtr;
    this.nodes = plan.nodes;
    this.networkNodes = plan.networkNodes;
    this.gradsPtr = plan.gradsPtr;
    this.scratchPtr = plan.scratchPtr;
    const memory = placement?.memory ?? sharedMemory(plan.top);
    if (memory.buffer.byteLength < plan.top) throw new RangeError(`the kernel needs ${plan.top} bytes of its memory; it has ${memory.buffer.byteLength}`);
    this.memory = memory;
    this.kernel = instantiateKernel(memory);
    const view = (ptr: number, floats: number) => new Float32Array(memory.buffer, ptr, floats);
    this.params = view(plan.paramsPtr, layout.totalSize);
    this.grads = view(plan.gradsPtr, layout.totalSize);
    this.inputs = new Map(
      [...plan.inputs].map(([name, { ptr, dPtr, size }]) => [name, { ptr, dPtr, size, rows: view(ptr, maxBatch * size), dRows: view(dPtr, maxBatch * size) }]),
    );
    this.outputs = new Map(
      [...this.networkNodes].map(([name, list]) => {
        const out = this.nodes[list[list.length - 1]];
        return [name, { rows: view(out.y, maxBatch * out.outSize), dRows: view(out.dy, maxBatch * out.outSize) }];
      }),
    );
    this.allNetworks = Object.keys(layout.networks);
    this.written = new Array<boolean>(this.nodes.length).fill(false);
  }

  /** The rows a network reads (maxBatch x its input size); networks with the same input share them. */
  input(name = 'obs'): Float32Array {
    const input = this.inputs.get(name);
    if (!input) throw new RangeError(`the model has no input '${name}'; it has ${[...this.inputs.keys()].join(', ')}`);
    return input.rows;
  }

  /** After backward(..., {inputGrads: true}): the loss's gradient w.r.t. an input (SAC's dQ/da). */
  dInput(name = 'obs'): Float32Array {
    this.input(name);
    return this.inputs.get(name)!.dRows;
  }

  /** A network's outputs after forward() (maxBatch x its output size). */
  output(network: string): Float32Array {
    return this.outputOf(network).rows;
  }

  /** The loss's gradient w.r.t. a network's outputs, filled by the caller before backward(). */
  dOutput(network: string): Float32Array {
    return this.outputOf(network).dRows;
  }

  private outputOf(network: string) {
    const out = this.outputs.get(network);
    if (!out) throw new RangeError(`the model has no network '${network}'; it has ${this.allNetworks.join(', ')}`);
    return out;
  }

  /** Runs the first `batch` rows of their inputs through the given networks (all by default). */
  forward(batch: number, networks: readonly string[] = this.allNetworks): void {
    this.checkBatch(batch);
    const k = this.kernel;
    const { nodes } = this.selection(networks);
    for (let j = 0; j < nodes.length; j++) {
      const n = this.nodes[nodes[j]];
      const x = n.parent < 0 ? this.inputs.get(n.input)!.ptr : this.nodes[n.parent].y;
      k.dense_forward(x, n.w, n.b, n.y, batch, n.inSize, n.outSize, n.act, this.scratchPtr);
    }
  }

  /**
   * Gradients of a loss over the first `batch` rows into grads, from dOutput() of the given
   * networks (all by default), after a forward() of them. The gradients of layers outside those
   * networks are set to zero. inputGrads: also the gradients w.r.t. their inputs (dInput()).
   */
  backward(batch: number, networks: readonly string[] = this.allNetworks, options: { inputGrads?: boolean } = {}): void {
    this.checkBatch(batch);
    const k = this.kernel;
    const { inSelection } = this.selection(networks);
    // whether a node's dy holds a child's gradient yet (only parents are asked: output nodes never are)
    this.written.fill(false);
    const inputWritten = new Set<string>();
    for (let index = this.nodes.length - 1; index >= 0; index--) {
      const n = this.nodes[index];
      if (!inSelection[index]) {
        k.zero_floats(n.gw, (n.gb - n.gw) / 4 + n.outSize);
        continue;
      }
      k.activation_backward(n.y, n.dy, batch * n.outSize, n.act);
      const x = n.parent < 0 ? this.inputs.get(n.input)!.ptr : this.nodes[n.parent].y;
      k.dense_grad_params(x, n.dy, n.gw, n.gb, batch, n.inSize, n.outSize, this.scratchPtr);
      if (n.parent >= 0) {
        k.dense_grad_input(n.dy, n.w, this.nodes[n.parent].dy, batch, n.inSize, n.outSize, this.written[n.parent] ? 1 : 0, this.scratchPtr);
        this.written[n.parent] = true;
      } else if (options.inputGrads) {
        const input = this.inputs.get(n.input)!;
        k.dense_grad_input(n.dy, n.w, input.dPtr, batch, n.inSize, n.outSize, inputWritten.has(n.input) ? 1 : 0, this.scratchPtr);
        inputWritten.add(n.input);
      }
    }
  }

  /** The nodes of a set of networks in layout order (each shared node once). */
  private selection(networks: readonly string[]) {
    const key = networks.join('\0');
    let cached = this.selectionCache.get(key);
    if (!cached) {
      const inSelection = new Array<boolean>(this.nodes.length).fill(false);
      for (const network of networks) {
        const list = this.networkNodes.get(network);
        if (!list) throw new RangeError(`the model has no network '${network}'; it has ${this.allNetworks.join(', ')}`);
        for (const index of list) inSelection[index] = true;
      }
      cached = { nodes: this.nodes.map((_, index) => index).filter((index) => inSelection[index]), inSelection };
      this.selectionCache.set(key, cached);
    }
    return cached;
  }

  /** grads += other's grads (same memory): the sum of two replicas' gradients, this one's first. */
  addGradients(other: MlpKernel): void {
    if (other.memory.buffer !== this.memory.buffer) throw new RangeError('replicas must share one memory');
    this.kernel.add_into(this.gradsPtr, other.gradsPtr, this.layout.totalSize);
  }

  /**
   * One Adam update of params [start, end) from grads with the moments m and v (views of this
   * memory, one value per weight), in f32 (adam_update in the kernel). Elementwise: updating
   * ranges one at a time gives the same bits as updating them together.
   */
  adamUpdate(m: Float32Array, v: Float32Array, lrT: number, beta1: number, beta2: number, epsilon: number, start = 0, end = this.layout.totalSize): void {
    if (m.buffer !== this.memory.buffer || v.buffer !== this.memory.buffer) throw new RangeError("Adam's moments must be views of the kernel's memory");
    if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= this.layout.totalSize)) {
      throw new RangeError(`Adam's range [${start}, ${end}) is not within the ${this.layout.totalSize} weights`);
    }
    const at = 4 * start;
    this.kernel.adam_update(this.paramsPtr + at, this.gradsPtr + at, m.byteOffset + at, v.byteOffset + at, end - start, lrT, beta1, 1 - beta1, beta2, 1 - beta2, epsilon);
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
 * regions. The weights get a region unless sharedParamsPtr names existing ones (a replica's).
 */
export function planMemory(layout: ModelLayout, maxBatch: number, base = 64, sharedParamsPtr?: number) {
  const { layers, totalSize } = layout;
  const nodeOf = new Map<number, number>();
  const specs: { layer: number; parent: number; input: string }[] = [];
  const networkNodes = new Map<string, number[]>();
  for (const network of Object.values(layout.networks)) {
    const { path } = network;
    networkNodes.set(
      network.name,
      path.map((layer, k) => {
        if (!nodeOf.has(layer)) {
          nodeOf.set(layer, specs.length);
          specs.push({ layer, parent: k === 0 ? -1 : (nodeOf.get(path[k - 1]) as number), input: network.input });
        }
        return nodeOf.get(layer) as number;
      }),
    );
  }
  let top = base;
  const alloc = (floats: number): number => {
    const at = top;
    top += Math.ceil((floats * 4) / 16) * 16;
    return at;
  };
  const paramsPtr = sharedParamsPtr ?? alloc(totalSize);
  const gradsPtr = alloc(totalSize);
  const inputs = new Map<string, { ptr: number; dPtr: number; size: number }>();
  for (const network of Object.values(layout.networks)) {
    if (!inputs.has(network.input)) inputs.set(network.input, { ptr: alloc(maxBatch * network.inputSize), dPtr: 0, size: network.inputSize });
  }
  // room for one layer's w^T (dense_forward and dense_grad_input form it for narrow layers)
  const scratchPtr = alloc(Math.max(...specs.map(({ layer }) => layers[layer].inSize * layers[layer].outSize)));
  const nodes: Node[] = specs.map(({ layer, parent, input }) => {
    const l = layers[layer];
    return {
      layer,
      parent,
      input,
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
  // The inputs' gradient rows go last, so that the memory of the other regions is laid out as before they existed.
  for (const input of inputs.values()) input.dPtr = alloc(maxBatch * input.size);
  return { nodes, networkNodes, inputs, paramsPtr, gradsPtr, scratchPtr, top };
}

/**
 * Refuses, with one line naming the setting that sizes the networks, a model whose kernel memory
 * for minibatches of maxBatch rows would pass KERNEL_MEMORY_LIMIT_BYTES; cheap, so callers check
 * before allocating weights.
 */
export function checkKernelMemory(layout: ModelLayout, maxBatch: number, bytes = planMemory(layout, maxBatch).top): void {
  if (bytes > KERNEL_MEMORY_LIMIT_BYTES) {
    throw new UserError(
      `${layout.sizeSetting.key} [${layout.sizeSetting.hiddens.join(', ')}] needs ${formatBytes(bytes)} of learner memory for minibatches of ${maxBatch}, ` +
        `more than the kernel's ${formatBytes(KERNEL_MEMORY_LIMIT_BYTES)}: use smaller ${layout.sizeSetting.key.split('.').pop()} (or minibatches)`,
    );
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
