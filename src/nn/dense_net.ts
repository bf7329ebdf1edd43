// One fully connected network (a single path of dense layers) on the WebAssembly dense-layer
// kernel, with the gradient w.r.t. its input as well as its weights: what an actor-critic whose
// actor loss runs through Q(s, a) needs (SAC's dQ/da). Memory is allocated once for up to
// maxBatch rows, as in mlp.ts; the weights use the same flat layout (kernel, then bias, per layer).
import type { Activation } from '../algorithms/ppo/defaults.js';
import type { DenseLayer } from '../policy/model.js';
import { instantiateKernel, type DenseKernelExports } from './wasm.js';

const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, tanh: 1, relu: 2 };
const PAGE_BYTES = 65536;

/**
 * The layers of an MLP inputSize -> hiddens (activation) -> outputSize (linear), RLlib's
 * FullyConnectedNetwork: normc(1.0) hidden kernels, normc(outputInitStd) output kernel.
 */
export function denseLayers(prefix: string, inputSize: number, hiddens: number[], activation: Activation, outputSize: number, outputInitStd = 0.01): { layers: DenseLayer[]; totalSize: number } {
  const layers: DenseLayer[] = [];
  let offset = 0;
  let inSize = inputSize;
  const sizes = [...hiddens, outputSize];
  sizes.forEach((outSize, i) => {
    const last = i === sizes.length - 1;
    layers.push({
      name: last ? `${prefix}out` : `${prefix}fc_${i + 1}`,
      inSize,
      outSize,
      activation: last ? 'linear' : activation,
      initStd: last ? outputInitStd : 1.0,
      kernelOffset: offset,
      biasOffset: offset + inSize * outSize,
    });
    offset += inSize * outSize + outSize;
    inSize = outSize;
  });
  return { layers, totalSize: offset };
}

export class DenseNet {
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** The rows to run (maxBatch x inputSize). */
  readonly input: Float32Array;
  /** After forward(): maxBatch x outputSize. */
  readonly output: Float32Array;
  /** Filled by the caller before backward(): the loss's gradient w.r.t. output. */
  readonly dOutput: Float32Array;
  /** After backward({ input: true }): the loss's gradient w.r.t. input. */
  readonly dInput: Float32Array;
  readonly inputSize: number;
  readonly outputSize: number;

  private readonly kernel: DenseKernelExports;
  private readonly ptrs: { w: number; b: number; gw: number; gb: number; y: number; dy: number }[];
  private readonly inputPtr: number;
  private readonly dInputPtr: number;
  private readonly scratchPtr: number;

  constructor(
    readonly layers: DenseLayer[],
    readonly maxBatch: number,
  ) {
    const totalSize = layers.reduce((n, l) => n + l.inSize * l.outSize + l.outSize, 0);
    this.inputSize = layers[0].inSize;
    this.outputSize = layers[layers.length - 1].outSize;
    let top = 64;
    const alloc = (floats: number): number => {
      const at = top;
      top += Math.ceil((floats * 4) / 16) * 16;
      return at;
    };
    const paramsPtr = alloc(totalSize);
    const gradsPtr = alloc(totalSize);
    this.inputPtr = alloc(maxBatch * this.inputSize);
    this.dInputPtr = alloc(maxBatch * this.inputSize);
    this.scratchPtr = alloc(Math.max(...layers.map((l) => l.inSize * Math.max(maxBatch, l.outSize))));
    this.ptrs = layers.map((l) => ({
      w: paramsPtr + 4 * l.kernelOffset,
      b: paramsPtr + 4 * l.biasOffset,
      gw: gradsPtr + 4 * l.kernelOffset,
      gb: gradsPtr + 4 * l.biasOffset,
      y: alloc(maxBatch * l.outSize),
      dy: alloc(maxBatch * l.outSize),
    }));
    const memory = new WebAssembly.Memory({ initial: Math.ceil(top / PAGE_BYTES) });
    this.kernel = instantiateKernel(memory);
    const view = (ptr: number, floats: number) => new Float32Array(memory.buffer, ptr, floats);
    this.params = view(paramsPtr, totalSize);
    this.grads = view(gradsPtr, totalSize);
    this.input = view(this.inputPtr, maxBatch * this.inputSize);
    this.dInput = view(this.dInputPtr, maxBatch * this.inputSize);
    const last = this.ptrs[this.ptrs.length - 1];
    this.output = view(last.y, maxBatch * this.outputSize);
    this.dOutput = view(last.dy, maxBatch * this.outputSize);
  }

  /** Runs the first `batch` rows of input through the layers into output. */
  forward(batch: number): void {
    this.checkBatch(batch);
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i];
      const p = this.ptrs[i];
      const x = i === 0 ? this.inputPtr : this.ptrs[i - 1].y;
      this.kernel.dense_forward(x, p.w, p.b, p.y, batch, l.inSize, l.outSize, ACTIVATION_CODE[l.activation]);
    }
  }

  /** Gradients into grads (and dInput when asked) from dOutput, for the rows of the last forward(). */
  backward(batch: number, which: { input?: boolean } = {}): void {
    this.checkBatch(batch);
    const k = this.kernel;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const p = this.ptrs[i];
      k.activation_backward(p.y, p.dy, batch * l.outSize, ACTIVATION_CODE[l.activation]);
      const x = i === 0 ? this.inputPtr : this.ptrs[i - 1].y;
      k.dense_grad_params(x, p.dy, p.gw, p.gb, batch, l.inSize, l.outSize, this.scratchPtr);
      const dx = i === 0 ? (which.input ? this.dInputPtr : 0) : this.ptrs[i - 1].dy;
      if (dx !== 0) k.dense_grad_input(p.dy, p.w, dx, batch, l.inSize, l.outSize, 0, this.scratchPtr);
    }
  }

  private checkBatch(batch: number): void {
    if (!Number.isInteger(batch) || batch < 1 || batch > this.maxBatch) throw new RangeError(`batch of ${batch} rows; the network holds 1 to ${this.maxBatch}`);
  }
}
