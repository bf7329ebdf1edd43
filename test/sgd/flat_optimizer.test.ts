// The kernel's optimizers are tfjs's: the same bits as tf.train.adam and tf.train.sgd from the
// same gradients, step after step, updated in chunks (as each worker updates its own), and the
// same checkpoint state (names, shapes, values), which either side can restore.
import { beforeAll, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { flatOptimizer, flatOptimizerProblem, type FlatOptimizer, type FlatVariable } from '../../src/sgd/flat_optimizer.js';
import { allocateSharedKernel } from '../../src/sgd/shared_kernel.js';
import { Random } from '../../src/utils/random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SHAPES = [[3, 4], [4], [4, 2], [2]];

function variables(rng: Random, prefix: string): tf.Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape), true, `${prefix}${i}/w`));
}

function flat(vars: tf.Variable[]): Float32Array {
  return Float32Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A flat optimizer on a shared memory of its own, starting from the given weights; each worker's gradients in its region. */
function flatFrom(optimizer: tf.Optimizer, weights: Float32Array, workers = 1): { flat: FlatOptimizer; grads: Float32Array[] } {
  const shared = allocateSharedKernel(weights.length, 4 * weights.length, workers);
  const flat = flatOptimizer(optimizer, shared);
  flat.weights.set(weights);
  return { flat, grads: shared.plan.bases.map((base) => new Float32Array(shared.memory.buffer, base, weights.length)) };
}

/** tfjs's optimizer and the flat one on the same weights and gradients (summed over `rows`); the flat one in two chunks. */
function compare(make: () => tf.Optimizer, steps: number, rows = 3) {
  const rng = new Random(5);
  const vars = variables(rng, `v${Math.random()}`);
  const tfOptimizer = make();
  const reference = make();
  const { flat: mine, grads } = flatFrom(reference, flat(vars));
  const params = mine.weights;
  const split = 13; // inside the first kernel, and not a multiple of 4 (the kernel's SIMD width)
  for (let step = 0; step < steps; step++) {
    const summed = Float32Array.from({ length: params.length }, () => rng.normal() * rows);
    const named: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of vars) {
      const g = summed.slice(offset, offset + v.size);
      for (let i = 0; i < g.length; i++) g[i] /= rows; // as the tfjs path divides
      named[v.name] = tf.tensor(g, v.shape);
      offset += v.size;
    }
    tfOptimizer.applyGradients(named);
    tf.dispose(Object.values(named));
    grads[0].set(summed);
    mine.stepRange(grads, rows, split, params.length);
    mine.stepRange(grads, rows, 0, split);
    mine.finishStep();
  }
  const shapes: FlatVariable[] = vars.map((v) => ({ name: v.name, shape: v.shape, size: v.size }));
  return { vars, params, tfOptimizer, mine, grads, shapes };
}

test('Adam: the same bits as tf.train.adam over 12 steps, in chunks', () => {
  const { vars, params } = compare(() => tf.train.adam(0.01, 0.8, 0.95), 12);
  expect(bits(params).equals(bits(flat(vars)))).toBe(true);
  const initial = compare(() => tf.train.adam(0.01, 0.8, 0.95), 0).params;
  expect(Math.max(...params.map((p, i) => Math.abs(p - initial[i])))).toBeGreaterThan(0.05); // the weights moved
});

test('SGD: the same bits as tf.train.sgd', () => {
  const { vars, params } = compare(() => tf.train.sgd(0.05), 4);
  expect(bits(params).equals(bits(flat(vars)))).toBe(true);
});

test("Adam's state is tfjs's getWeights(), and restores either way", async () => {
  const { tfOptimizer, mine, grads, shapes, params, vars } = compare(() => tf.train.adam(0.02), 3);
  const theirs = await tfOptimizer.getWeights();
  const ours = mine.state(shapes);
  expect(ours.names).toEqual(theirs.map((w) => w.name));
  expect(ours.shapes).toEqual(theirs.map((w) => w.tensor.shape));
  ours.values.forEach((values, i) => expect(bits(values).equals(bits(Float32Array.from(theirs[i].tensor.dataSync())))).toBe(true));

  // tfjs's state into a new flat Adam, and the flat state into a new tfjs Adam: both continue as the originals
  const { flat: resumed, grads: resumedGrads } = flatFrom(tf.train.adam(0.02), params);
  resumed.setState({ names: theirs.map((w) => w.name), shapes: theirs.map((w) => w.tensor.shape), values: theirs.map((w) => Float32Array.from(w.tensor.dataSync())) });
  const tfResumed = tf.train.adam(0.02);
  await tfResumed.setWeights(ours.names.map((name, i) => ({ name, tensor: tf.tensor(ours.values[i], ours.shapes[i], name === 'iter' ? 'int32' : 'float32') })));
  const g = Float32Array.from({ length: params.length }, (_, i) => Math.sin(i));
  grads[0].set(g);
  resumedGrads[0].set(g);
  mine.stepRange(grads, 1, 0, params.length);
  resumed.stepRange(resumedGrads, 1, 0, params.length);
  expect(bits(resumed.weights).equals(bits(params))).toBe(true);
  let offset = 0;
  const named: tf.NamedTensorMap = {};
  for (const v of vars) {
    named[v.name] = tf.tensor(g.slice(offset, offset + v.size), v.shape);
    offset += v.size;
  }
  tfResumed.applyGradients(named as never);
  // tfjs's restore computes beta^(t+1) with pow, the running product multiplies: equal to float tolerance
  const after = flat(vars);
  for (let i = 0; i < params.length; i++) expect(Math.abs(after[i] - params[i])).toBeLessThan(1e-6);
});

test("before its first step Adam's state is the step count alone, as tfjs's", async () => {
  const adam = tf.train.adam(0.1);
  const { flat: mine } = flatFrom(adam, new Float32Array(4));
  expect(mine.state([{ name: 'w', shape: [4], size: 4 }])).toEqual({ names: ['iter'], shapes: [[]], values: [Float32Array.of(0)] });
  expect((await adam.getWeights()).map((w) => w.name)).toEqual(['iter']);
});

test('other optimizers have no flat version, and say so', () => {
  expect(flatOptimizerProblem(tf.train.momentum(0.1, 0.9))).toBe('optimizer Momentum (the kernel runs Adam and SGD)');
  expect(flatOptimizerProblem(tf.train.rmsprop(0.1))).toMatch(/^optimizer RMSProp/);
  expect(flatOptimizerProblem(tf.train.adam(0.1))).toBeNull();
  expect(() => flatOptimizer(tf.train.adagrad(0.1), allocateSharedKernel(1, 4, 1))).toThrow(/no flat version of optimizer Adagrad/);
});

test.each([2, 3])("%i workers' gradients are summed in rank order, then stepped: the step of their float32 sum", (workers) => {
  const rng = new Random(9);
  const weights = Float32Array.from({ length: 23 }, () => rng.normal());
  for (const make of [() => tf.train.adam(0.01), () => tf.train.sgd(0.1)]) {
    const many = flatFrom(make(), weights, workers);
    const one = flatFrom(make(), weights);
    for (let step = 0; step < 3; step++) {
      many.grads.forEach((g) => g.forEach((_, i) => (g[i] = rng.normal())));
      // ((g0 + g1) + g2) in float32: another order gives other bits for some of the 23
      one.grads[0].set(many.grads[0].map((_, i) => many.grads.slice(1).reduce((sum, g) => Math.fround(sum + g[i]), many.grads[0][i])));
      // in the workers' two chunks, as each worker steps its own
      many.flat.stepRange(many.grads, 5, 9, 23);
      many.flat.stepRange(many.grads, 5, 0, 9);
      one.flat.stepRange(one.grads, 5, 0, 23);
    }
    expect(bits(many.flat.weights).equals(bits(one.flat.weights))).toBe(true);
    expect(many.flat.weights.some((w, i) => Math.abs(w - weights[i]) > 0.01)).toBe(true);
  }
  const outside = new Float32Array(4);
  const inside = flatFrom(tf.train.adam(0.01), weights, workers);
  expect(() => inside.flat.stepRange([inside.grads[0], outside], 1, 0, 4)).toThrow(/views of the optimizer's memory/);
});
