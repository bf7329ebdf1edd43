// tfjs's Adam and SGD optimizers over flat float32 weights, for replicas that train on the
// WebAssembly kernel (kernel_model.ts). The weights, the summed gradients and Adam's moments live
// in one shared WebAssembly memory: each worker steps its own chunk of the weights inside the
// all-reduce (ZeRO stage 1, Rajbhandari et al. 2020), then every worker copies all of them. The
// kernel's tfjs_adam and tfjs_sgd repeat tfjs-core's AdamOptimizer and SGDOptimizer float32 op
// for op, so the weights are the bits tfjs makes from the same gradients (tested).
import type * as tf from '@tensorflow/tfjs';
import { sharedMemory } from '../nn/mlp.js';
import { instantiateKernel, type DenseKernelExports } from '../nn/wasm.js';
import type { OptimizerState } from './replica.js';

const f32 = Math.fround;
const BASE = 64;
const align = (floats: number) => Math.ceil(floats / 4) * 4;

/** A variable's name and size, in the model's order (the order of the flat weights). */
export interface FlatVariable {
  name: string;
  shape: number[];
  size: number;
}

/** The memory every worker's optimizer shares: weights, summed gradients, m and v, each `parameters` floats. */
export function allocateOptimizerMemory(parameters: number): WebAssembly.Memory {
  return sharedMemory(BASE + 4 * 4 * align(parameters));
}

/** Why an optimizer has no flat version (then the replica trains through tfjs), or null. */
export function flatOptimizerProblem(optimizer: tf.Optimizer): string | null {
  const name = optimizer.getClassName();
  return name === 'Adam' || name === 'SGD' ? null : `optimizer ${name} (the kernel runs Adam and SGD)`;
}

export abstract class FlatOptimizer {
  /** The shared weights: what every worker copies after a step (a view of the memory). */
  readonly weights: Float32Array;
  /** Where stepRange() puts the summed gradients of its range. */
  private readonly sums: Float32Array;
  protected readonly kernel: DenseKernelExports;
  protected readonly ptr: { weights: number; sums: number; m: number; v: number };
  protected iterations = 0;

  constructor(memory: WebAssembly.Memory, parameters: number) {
    const stride = 4 * align(parameters);
    this.ptr = { weights: BASE, sums: BASE + stride, m: BASE + 2 * stride, v: BASE + 3 * stride };
    if (memory.buffer.byteLength < BASE + 4 * stride) throw new RangeError(`the optimizer's memory holds fewer than ${parameters} weights`);
    this.weights = new Float32Array(memory.buffer, this.ptr.weights, parameters);
    this.sums = new Float32Array(memory.buffer, this.ptr.sums, parameters);
    this.kernel = instantiateKernel(memory);
  }

  /** Steps weights [start, end) from `sums` (gradients summed over `rows` rows; tfjs's path divides them by rows). */
  stepRange(sums: Float32Array, rows: number, start: number, end: number): void {
    this.sums.set(sums.subarray(start, end), start);
    this.update(4 * start, end - start, rows);
  }

  protected abstract update(at: number, n: number, rows: number): void;

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

/** The flat version of a tfjs Adam or SGD optimizer (its settings as they are now). */
export function flatOptimizer(optimizer: tf.Optimizer, memory: WebAssembly.Memory, parameters: number): FlatOptimizer {
  const problem = flatOptimizerProblem(optimizer);
  if (problem) throw new RangeError(`no flat version of ${problem}`);
  const config = optimizer.getConfig() as Record<string, number>;
  return optimizer.getClassName() === 'Adam'
    ? new FlatAdam(memory, parameters, config.learningRate, config.beta1, config.beta2, config.epsilon)
    : new FlatSGD(memory, parameters, config.learningRate);
}

class FlatSGD extends FlatOptimizer {
  constructor(
    memory: WebAssembly.Memory,
    parameters: number,
    private readonly learningRate: number,
  ) {
    super(memory, parameters);
  }

  protected update(at: number, n: number, rows: number): void {
    // tfjs keeps -learningRate as a float32 scalar
    this.kernel.tfjs_sgd(this.ptr.weights + at, this.ptr.sums + at, n, rows, f32(-this.learningRate));
  }
}

class FlatAdam extends FlatOptimizer {
  /** beta1^(t+1) and beta2^(t+1), float32 variables in tfjs, multiplied by beta once per step. */
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    memory: WebAssembly.Memory,
    parameters: number,
    private readonly learningRate: number,
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
  ) {
    super(memory, parameters);
    this.accBeta1 = f32(beta1);
    this.accBeta2 = f32(beta2);
  }

  private moments(which: 'm' | 'v'): Float32Array {
    return new Float32Array(this.weights.buffer, this.ptr[which], this.weights.length);
  }

  protected update(at: number, n: number, rows: number): void {
    const { ptr, beta1, beta2 } = this;
    this.kernel.tfjs_adam(ptr.weights + at, ptr.sums + at, ptr.m + at, ptr.v + at, n, rows, beta1, 1 - beta1, beta2, 1 - beta2, f32(1 - this.accBeta1), f32(1 - this.accBeta2), this.epsilon, -this.learningRate);
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
