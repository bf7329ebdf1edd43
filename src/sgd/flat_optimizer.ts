// tfjs's Adam and SGD optimizers over flat float32 weights, for replicas that train on the
// WebAssembly kernel (kernel_model.ts). The weights and Adam's moments live in the memory the
// workers share (shared_kernel.ts): each worker steps its own chunk of the weights from its chunk
// of the summed gradients, inside the all-reduce. The kernel's tfjs_adam and tfjs_sgd repeat
// tfjs-core's AdamOptimizer and SGDOptimizer float32 op for op, so the weights are the bits tfjs
// makes from the same gradients (tested).
import type * as tf from '@tensorflow/tfjs';
import { instantiateKernel, type DenseKernelExports } from '../nn/wasm.js';
import type { OptimizerState } from './replica.js';
import type { SharedKernelMemory } from './shared_kernel.js';

const f32 = Math.fround;

/** A variable's name and size, in the model's order (the order of the flat weights). */
export interface FlatVariable {
  name: string;
  shape: number[];
  size: number;
}

/** Why an optimizer has no flat version (then the replica trains through tfjs), or null. */
export function flatOptimizerProblem(optimizer: tf.Optimizer): string | null {
  const name = optimizer.getClassName();
  return name === 'Adam' || name === 'SGD' ? null : `optimizer ${name} (the kernel runs Adam and SGD)`;
}

export abstract class FlatOptimizer {
  /** The shared weights, which every worker's kernel reads (a view of the memory). */
  readonly weights: Float32Array;
  protected readonly kernel: DenseKernelExports;
  protected readonly ptr: { weights: number; m: number; v: number };
  protected iterations = 0;

  constructor(private readonly shared: SharedKernelMemory) {
    const { plan, memory } = shared;
    this.ptr = { weights: plan.weightsPtr, m: plan.mPtr, v: plan.vPtr };
    this.weights = new Float32Array(memory.buffer, plan.weightsPtr, plan.parameters);
    this.kernel = instantiateKernel(memory);
  }

  /**
   * Steps weights [start, end) from the sum of every worker's gradients over `rows` rows (tfjs's
   * path divides by rows), taken into grads[0][start, end) in rank order. grads: views of the
   * shared memory, one a worker.
   *
   * With more than one worker the new weights first replace those sums, then are copied over the
   * weights. The other workers' forward passes read the weights, so a store into them must first
   * take its cache line back from another core: among the optimizer's divisions those stores
   * stalled its loop (half of MNIST's weights took 110 us, all of them on one worker 120 us),
   * where a copy on its own streams them (the whole step: 80 us).
   */
  stepRange(grads: Float32Array[], rows: number, start: number, end: number): void {
    if (grads.some((g) => g.buffer !== this.shared.memory.buffer)) throw new RangeError("the gradients must be views of the optimizer's memory");
    const at = 4 * start;
    const n = end - start;
    const sums = grads[0].byteOffset + at;
    for (let r = 1; r < grads.length; r++) this.kernel.add_into(sums, grads[r].byteOffset + at, n);
    if (grads.length === 1) this.update(at, this.ptr.weights + at, sums, n, rows);
    else {
      this.update(at, sums, sums, n, rows);
      this.kernel.copy_floats(this.ptr.weights + at, sums, n);
    }
  }

  /** Steps the n weights at byte offset `at` from the sums at sumsPtr; the new weights go to outPtr. */
  protected abstract update(at: number, outPtr: number, sumsPtr: number, n: number, rows: number): void;

  /** Counts the step (every worker, once per step, after its range). */
  finishStep(): void {
    this.iterations += 1;
  }

  /** tfjs's getWeights() for this optimizer: 'iter', then (Adam, once it stepped) every variable's m, then every v. */
  state(_variables: FlatVariable[]): OptimizerState {
    return { names: ['iter'], shapes: [[]], values: [Float32Array.of(this.iterations)] };
  }

  /** The inverse of state(), from a checkpoint tfjs's optimizer (or state()) wrote. */
  setState(state: OptimizerState): void {
    this.iterations = state.values[0]?.[0] ?? 0;
  }
}

/** The flat version of a tfjs Adam or SGD optimizer (its settings as they are now), on the shared weights. */
export function flatOptimizer(optimizer: tf.Optimizer, shared: SharedKernelMemory): FlatOptimizer {
  const problem = flatOptimizerProblem(optimizer);
  if (problem) throw new RangeError(`no flat version of ${problem}`);
  const config = optimizer.getConfig() as Record<string, number>;
  return optimizer.getClassName() === 'Adam'
    ? new FlatAdam(shared, config.learningRate, config.beta1, config.beta2, config.epsilon)
    : new FlatSGD(shared, config.learningRate);
}

class FlatSGD extends FlatOptimizer {
  constructor(
    shared: SharedKernelMemory,
    private readonly learningRate: number,
  ) {
    super(shared);
  }

  protected update(at: number, outPtr: number, sumsPtr: number, n: number, rows: number): void {
    // tfjs keeps -learningRate as a float32 scalar
    this.kernel.tfjs_sgd(this.ptr.weights + at, outPtr, sumsPtr, n, rows, f32(-this.learningRate));
  }
}

class FlatAdam extends FlatOptimizer {
  /** beta1^(t+1) and beta2^(t+1), float32 variables in tfjs, multiplied by beta once per step. */
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    shared: SharedKernelMemory,
    private readonly learningRate: number,
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
  ) {
    super(shared);
    this.accBeta1 = f32(beta1);
    this.accBeta2 = f32(beta2);
  }

  private moments(which: 'm' | 'v'): Float32Array {
    return new Float32Array(this.weights.buffer, this.ptr[which], this.weights.length);
  }

  protected update(at: number, outPtr: number, sumsPtr: number, n: number, rows: number): void {
    const { ptr, beta1, beta2 } = this;
    this.kernel.tfjs_adam(ptr.weights + at, outPtr, sumsPtr, ptr.m + at, ptr.v + at, n, rows, beta1, 1 - beta1, beta2, 1 - beta2, f32(1 - this.accBeta1), f32(1 - this.accBeta2), this.epsilon, -this.learningRate);
  }

  override finishStep(): void {
    this.accBeta1 = f32(this.accBeta1 * f32(this.beta1));
    this.accBeta2 = f32(this.accBeta2 * f32(this.beta2));
    super.finishStep();
  }

  override state(variables: FlatVariable[]): OptimizerState {
    const state = super.state(variables);
    // tfjs makes the moments on the first step: before it, getWeights() holds the count alone
    if (this.iterations === 0) return state;
    for (const which of ['m', 'v'] as const) {
      const moments = this.moments(which);
      let offset = 0;
      for (const variable of variables) {
        state.names.push(`${variable.name}/${which}`);
        state.shapes.push(variable.shape);
        state.values.push(moments.slice(offset, offset + variable.size));
        offset += variable.size;
      }
    }
    return state;
  }

  override setState(state: OptimizerState): void {
    super.setState(state);
    // as AdamOptimizer.setWeights: beta^(iterations + 1), a float32 pow
    this.accBeta1 = f32(Math.pow(f32(this.beta1), this.iterations + 1));
    this.accBeta2 = f32(Math.pow(f32(this.beta2), this.iterations + 1));
    const arrays = state.values.slice(1);
    const half = arrays.length / 2;
    for (const [which, part] of [['m', arrays.slice(0, half)], ['v', arrays.slice(half)]] as const) {
      const target = this.moments(which);
      let offset = 0;
      for (const array of part) {
        if (offset + array.length > target.length) throw new RangeError(`the optimizer state holds more moments than the ${target.length} weights`);
        target.set(array, offset);
        offset += array.length;
      }
      if (offset !== 0 && offset !== target.length) throw new RangeError(`the optimizer state holds ${offset} moments for ${target.length} weights`);
      if (offset === 0) target.fill(0);
    }
  }
}
