// tfjs's Adam and SGD optimizers over flat float32 arrays, for replicas that train on the
// WebAssembly kernel (kernel_model.ts): the same float32 operations in the same order as
// tfjs-core's AdamOptimizer and SGDOptimizer.applyGradients, so the weights are the bits tfjs
// would make from the same gradients (each Math.fround is one float32 op of tfjs's). Elementwise:
// each worker updates its own chunk of the weights (ZeRO stage 1, Rajbhandari et al. 2020), and
// the moments live in shared memory, where rank 0 reads all of them for a checkpoint.
import type * as tf from '@tensorflow/tfjs';
import type { OptimizerState } from './replica.js';

const f32 = Math.fround;

/** A variable's name and size, in the model's order (the order of the flat weights). */
export interface FlatVariable {
  name: string;
  shape: number[];
  size: number;
}

export interface FlatOptimizer {
  /** Weights [start, end) of params: one step from grads (sums over `rows` rows, divided here as tfjs's path divides them). */
  updateRange(params: Float32Array, grads: Float32Array, rows: number, start: number, end: number): void;
  /** Counts the step (every worker, once per step, after its range). */
  finishStep(): void;
  /** tfjs's getWeights() for this optimizer: 'iter', then (Adam, once it stepped) every variable's m, then every v. */
  state(variables: FlatVariable[]): OptimizerState;
  /** The inverse of state(), from a checkpoint tfjs's optimizer (or state()) wrote. */
  setState(state: OptimizerState): void;
}

/** Why an optimizer has no flat version (then the replica trains through tfjs), or null. */
export function flatOptimizerProblem(optimizer: tf.Optimizer): string | null {
  const name = optimizer.getClassName();
  return name === 'Adam' || name === 'SGD' ? null : `optimizer ${name} (the kernel runs Adam and SGD)`;
}

/** Floats of shared memory an optimizer's moments take for `parameters` weights. */
export function momentFloats(optimizer: tf.Optimizer, parameters: number): number {
  return optimizer.getClassName() === 'Adam' ? 2 * parameters : 0;
}

/** The flat version of a tfjs Adam or SGD optimizer (its settings as they are now); moments: momentFloats() of shared memory. */
export function flatOptimizer(optimizer: tf.Optimizer, moments: Float32Array): FlatOptimizer {
  const problem = flatOptimizerProblem(optimizer);
  if (problem) throw new RangeError(`no flat version of ${problem}`);
  const config = optimizer.getConfig() as Record<string, number>;
  return optimizer.getClassName() === 'Adam' ? new FlatAdam(config.learningRate, config.beta1, config.beta2, config.epsilon, moments) : new FlatSGD(config.learningRate);
}

class FlatSGD implements FlatOptimizer {
  private iterations = 0;
  /** tfjs keeps -learningRate as a float32 scalar. */
  private readonly c: number;

  constructor(learningRate: number) {
    this.c = f32(-learningRate);
  }

  updateRange(params: Float32Array, grads: Float32Array, rows: number, start: number, end: number): void {
    const { c } = this;
    for (let i = start; i < end; i++) {
      const g = f32(grads[i] / rows);
      params[i] = f32(c * g) + params[i];
    }
  }

  finishStep(): void {
    this.iterations += 1;
  }

  state(): OptimizerState {
    return { names: ['iter'], shapes: [[]], values: [Float32Array.of(this.iterations)] };
  }

  setState(state: OptimizerState): void {
    this.iterations = state.values[0]?.[0] ?? 0;
  }
}

class FlatAdam implements FlatOptimizer {
  private iterations = 0;
  /** beta1^(t+1) and beta2^(t+1), float32 variables in tfjs, multiplied by beta once per step. */
  private accBeta1: number;
  private accBeta2: number;
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(
    private readonly learningRate: number,
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
    moments: Float32Array,
  ) {
    const half = moments.length / 2;
    this.m = moments.subarray(0, half);
    this.v = moments.subarray(half);
    this.accBeta1 = f32(beta1);
    this.accBeta2 = f32(beta2);
  }

  updateRange(params: Float32Array, grads: Float32Array, rows: number, start: number, end: number): void {
    const { m, v } = this;
    const beta1 = f32(this.beta1);
    const beta2 = f32(this.beta2);
    const oneMinusBeta1 = f32(1 - this.beta1);
    const oneMinusBeta2 = f32(1 - this.beta2);
    const oneMinusAccBeta1 = f32(1 - this.accBeta1);
    const oneMinusAccBeta2 = f32(1 - this.accBeta2);
    const epsilon = f32(this.epsilon);
    const minusLr = f32(-this.learningRate);
    for (let i = start; i < end; i++) {
      const g = f32(grads[i] / rows);
      const newM = f32(f32(m[i] * beta1) + f32(g * oneMinusBeta1));
      const newV = f32(f32(v[i] * beta2) + f32(f32(g * g) * oneMinusBeta2));
      const mHat = f32(newM / oneMinusAccBeta1);
      const vHat = f32(newV / oneMinusAccBeta2);
      m[i] = newM;
      v[i] = newV;
      params[i] = f32(f32(mHat / f32(f32(Math.sqrt(vHat)) + epsilon)) * minusLr) + params[i];
    }
  }

  finishStep(): void {
    this.accBeta1 = f32(this.accBeta1 * f32(this.beta1));
    this.accBeta2 = f32(this.accBeta2 * f32(this.beta2));
    this.iterations += 1;
  }

  state(variables: FlatVariable[]): OptimizerState {
    const state: OptimizerState = { names: ['iter'], shapes: [[]], values: [Float32Array.of(this.iterations)] };
    // tfjs makes the moments on the first step: before it, getWeights() holds the count alone
    if (this.iterations === 0) return state;
    for (const [suffix, moments] of [['m', this.m], ['v', this.v]] as const) {
      let offset = 0;
      for (const variable of variables) {
        state.names.push(`${variable.name}/${suffix}`);
        state.shapes.push(variable.shape);
        state.values.push(moments.slice(offset, offset + variable.size));
        offset += variable.size;
      }
    }
    return state;
  }

  setState(state: OptimizerState): void {
    const [iterations, ...moments] = state.values;
    this.iterations = iterations?.[0] ?? 0;
    // as AdamOptimizer.setWeights: beta^(iterations + 1), a float32 pow
    this.accBeta1 = f32(Math.pow(f32(this.beta1), this.iterations + 1));
    this.accBeta2 = f32(Math.pow(f32(this.beta2), this.iterations + 1));
    const half = moments.length / 2;
    const fill = (target: Float32Array, arrays: Float32Array[]) => {
      let offset = 0;
      for (const array of arrays) {
        target.set(array, offset);
        offset += array.length;
      }
      if (offset !== 0 && offset !== target.length) throw new RangeError(`the optimizer state holds ${offset} moments for ${target.length} weights`);
      if (offset === 0) target.fill(0);
    };
    fill(this.m, moments.slice(0, half));
    fill(this.v, moments.slice(half));
  }
}
