// Adam over one flat Float32Array of parameters, in the form TensorFlow's AdamOptimizer (which
// RLlib 1.x's tf policy uses) computes it (Kingma & Ba 2015, section 2, the "epsilon hat" form):
//   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   theta -= lr_t * m / (sqrt(v) + epsilon)
// Done in plain TypeScript because tfjs's optimizer issues ~8 kernel calls per variable, which on
// the wasm backend cost more than the whole update: measured 0.80 ms per step for the [40, 20]
// networks' 12 variables, against a few microseconds here.

import type { MlpKernel } from './mlp.js';

export interface AdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** What checkpoints store of Adam optimizers: per optimizer [[step], m, v], in the given order. */
export function optimizerArrays(optimizers: readonly { state(): AdamState }[]): Float32Array[] {
  return optimizers.flatMap((o) => {
    const { step, m, v } = o.state();
    return [Float32Array.of(step), m, v];
  });
}

/** Loads what optimizerArrays saved into the same optimizers, in the same order. */
export function loadOptimizerArrays(optimizers: readonly { load(state: AdamState): void }[], arrays: Float32Array[]): void {
  if (arrays.length !== 3 * optimizers.length || arrays.some((a, i) => i % 3 === 0 && a.length !== 1)) {
    throw new RangeError(`optimizer state must be [[step], m, v] for each of ${optimizers.length} optimizer(s); got ${arrays.length} arrays`);
  }
  optimizers.forEach((o, i) => o.load({ step: arrays[3 * i][0], m: arrays[3 * i + 1], v: arrays[3 * i + 2] }));
}

export class FlatAdam {
  step = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(
    readonly size: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One update of params in place from grads. */
  apply(params: Float32Array, grads: Float32Array, lr: number): void {
    this.step += 1;
    const { beta1, beta2, epsilon, m, v } = this;
    // Math looked up once: under jest's vm context each global lookup in the loop costs ~1 us
    const math = Math;
    const lrT = (lr * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (lrT * m[i]) / (math.sqrt(v[i]) + epsilon);
    }
  }

  state(): AdamState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new RangeError(`optimizer state has ${state.m.length} moments; the model has ${this.size} parameters`);
    }
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}

/** Scales grads in place so that their global norm is at most maxNorm (tf.clip_by_global_norm). */
export function clipByGlobalNorm(grads: Float32Array, maxNorm: number): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] *= scale;
  }
  return norm;
}

/**
 * Adam on the kernel: FlatAdam's update run by the WebAssembly kernel over a network's weights and
 * gradients, with the moments in the kernel's memory. In f32 with f32x4 lanes, as TensorFlow
 * computes it for float32 weights (FlatAdam's f64 arithmetic agrees to about 1e-7); several times
 * faster on [256, 256] networks, where FlatAdam's loop took a sixth of a minibatch step.
 */
export class KernelAdam {
  step = 0;

  constructor(
    /** The kernel whose params and grads are updated. */
    private readonly kernel: MlpKernel,
    /** The moments: views of the kernel's memory, one value per weight. */
    readonly m: Float32Array,
    readonly v: Float32Array,
    /** The [start, end) ranges of the weights it updates (default all): one network of several. */
    private readonly ranges: readonly (readonly [number, number])[] = [[0, kernel.layout.totalSize]],
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {}

  /** One update of the kernel's params (in its ranges) from its grads. */
  apply(lr: number): void {
    this.step += 1;
    const lrT = (lr * Math.sqrt(1 - this.beta2 ** this.step)) / (1 - this.beta1 ** this.step);
    for (const [start, end] of this.ranges) this.kernel.adamUpdate(this.m, this.v, lrT, this.beta1, this.beta2, this.epsilon, start, end);
  }

  state(): AdamState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new RangeError(`optimizer state has ${state.m.length} moments; the model has ${this.m.length} parameters`);
    }
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}
