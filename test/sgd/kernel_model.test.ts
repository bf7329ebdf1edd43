// rl sgd on the WebAssembly kernel: which models it takes, and that its losses and gradients are
// tfjs's own (tf.variableGrads over the compiled model, the oracle), clips of saturated
// probabilities included.
import { beforeAll, describe, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { LocalBatch } from '../../src/sgd/data.js';
import { KernelModel, planKernel, type KernelPlan } from '../../src/sgd/kernel_model.js';
import { Random } from '../../src/utils/random.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  layers: { units: number; activation: string }[];
  loss: string;
  /** Multiplies the last layer's kernel: large logits saturate the softmax past tfjs's clip. */
  scale?: number;
  /** Labels as a column [n, 1] instead of a vector (sparse losses). */
  column?: boolean;
}

const INPUTS = 5;
const ROWS = 7;

function build({ layers, loss, scale = 1 }: Case): tf.Sequential {
  const model = tf.sequential();
  layers.forEach(({ units, activation }, i) =>
    model.add(tf.layers.dense({ units, activation: activation as 'relu', ...(i === 0 ? { inputShape: [INPUTS] } : {}), kernelInitializer: tf.initializers.glorotUniform({ seed: 10 + i }), biasInitializer: tf.initializers.randomNormal({ seed: 20 + i, stddev: 0.3 }) })),
  );
  if (scale !== 1) {
    const last = model.layers[model.layers.length - 1];
    const [kernel, bias] = last.getWeights();
    last.setWeights([tf.mul(kernel, scale), bias]);
  }
  model.compile({ optimizer: 'sgd', loss });
  return model;
}

function data(c: Case, rng: Random): { x: Float32Array; y: Float32Array; yShape: number[] } {
  const outputs = c.layers[c.layers.length - 1].units;
  const x = Float32Array.from({ length: ROWS * INPUTS }, () => rng.normal());
  if (c.loss === 'sparseCategoricalCrossentropy') {
    const y = Float32Array.from({ length: ROWS }, (_, r) => r % outputs);
    return { x, y, yShape: c.column ? [ROWS, 1] : [ROWS] };
  }
  if (c.loss === 'categoricalCrossentropy') {
    // soft labels that do not sum to 1 in every row: the general formula, not only one-hot's p - y
    const y = Float32Array.from({ length: ROWS * outputs }, (_, k) => (k % outputs === (k / outputs) % outputs ? 0.7 : 0.1 * ((k % 3) + 1) * (Math.floor(k / outputs) % 2)));
    return { x, y, yShape: [ROWS, outputs] };
  }
  return { x, y: Float32Array.from({ length: ROWS * outputs }, () => rng.normal()), yShape: [ROWS, outputs] };
}

/** tfjs's mean loss over the rows and its gradient w.r.t. the flat weights, times the rows (the sum's gradient). */
function oracle(model: tf.Sequential, x: Float32Array, y: Float32Array, yShape: number[]) {
  return tf.tidy(() => {
    const xs = tf.tensor2d(x, [ROWS, INPUTS]);
    const ys = tf.tensor(y, yShape);
    const lossFn = (model as unknown as { model: tf.LayersModel }).model.lossFunctions[0] as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.mean(lossFn(ys, model.apply(xs) as tf.Tensor)) as tf.Scalar, variables);
    const flat = new Float32Array(variables.reduce((n, v) => n + v.size, 0));
    let offset = 0;
    for (const v of variables) {
      const g = grads[v.name].dataSync();
      for (let i = 0; i < g.length; i++) flat[offset + i] = g[i] * ROWS;
      offset += v.size;
    }
    return { loss: value.dataSync()[0], grad: flat };
  });
}

function kernelOf(model: tf.Sequential, loss: string): KernelModel {
  const plan = planKernel(model, loss);
  if ('reason' in plan) throw new Error(plan.reason);
  const kernel = new KernelModel(plan as KernelPlan, 4); // fewer rows than a batch: a larger kernel of its own runs it, its gradients copied back
  let offset = 0;
  for (const w of model.trainableWeights) {
    kernel.params.set(w.read().dataSync() as Float32Array, offset);
    offset += w.read().size;
  }
  return kernel;
}

const CASES: [string, Case][] = [
  ['relu, tanh and linear hidden layers, softmax, categorical cross-entropy of soft labels', { layers: [{ units: 8, activation: 'relu' }, { units: 6, activation: 'tanh' }, { units: 5, activation: 'linear' }, { units: 4, activation: 'softmax' }], loss: 'categoricalCrossentropy' }],
  ['tanh, softmax, sparse labels as a vector', { layers: [{ units: 9, activation: 'tanh' }, { units: 3, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy' }],
  ['relu, softmax, sparse labels as a column', { layers: [{ units: 9, activation: 'relu' }, { units: 3, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy', column: true }],
  ['relu, linear outputs, mean squared error', { layers: [{ units: 8, activation: 'relu' }, { units: 3, activation: 'linear' }], loss: 'meanSquaredError' }],
  ['a single layer', { layers: [{ units: 2, activation: 'linear' }], loss: 'meanSquaredError' }],
  ['saturated softmax (probabilities past the 1e-7 clip), soft labels', { layers: [{ units: 8, activation: 'tanh' }, { units: 4, activation: 'softmax' }], loss: 'categoricalCrossentropy', scale: 25 }],
  ['saturated softmax, sparse labels', { layers: [{ units: 8, activation: 'tanh' }, { units: 4, activation: 'softmax' }], loss: 'sparseCategoricalCrossentropy', scale: 25 }],
];

describe('KernelModel against tfjs autodiff', () => {
  test.each(CASES)('%s', (_, c) => {
    const model = build(c);
    const { x, y, yShape } = data(c, new Random(3));
    const expected = oracle(model, x, y, yShape);
    const kernel = kernelOf(model, c.loss);
    kernel.grads.fill(NaN);
    const batch = new LocalBatch(ROWS, { x: tf.tensor2d(x, [ROWS, INPUTS]), y: tf.tensor(y, yShape) });
    const loss = kernel.sumGradients(batch);
    batch.dispose();
    const grad = kernel.grads;
    expect(Math.abs(loss - expected.loss)).toBeLessThan(2e-5 * Math.max(1, Math.abs(expected.loss)));
    const scale = Math.max(...expected.grad.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3); // a gradient worth comparing
    for (let i = 0; i < expected.grad.length; i++) expect(Math.abs(grad[i] - expected.grad[i])).toBeLessThan(2e-5 * scale);
    model.dispose();
  });

  test('the saturated cases do reach the clip: some probability is below 1e-7', () => {
    const c = CASES[5][1];
    const model = build(c);
    const { x } = data(c, new Random(3));
    const p = tf.tidy(() => (model.apply(tf.tensor2d(x, [ROWS, INPUTS])) as tf.Tensor).dataSync());
    expect(Math.min(...p)).toBeLessThan(1e-7);
    expect(Math.max(...p)).toBeGreaterThan(1 - 1e-7);
    model.dispose();
  });
});

describe('planKernel', () => {
  const dense = (units: number, activation: string, extra: Record<string, unknown> = {}) => tf.layers.dense({ units, activation: activation as 'relu', ...extra });

  test("takes a Sequential of Dense layers, in the order of the model's trainable weights", () => {
    const model = tf.sequential({ layers: [dense(6, 'relu', { inputShape: [4] }), dense(3, 'softmax')] });
    const plan = planKernel(model, 'categoricalCrossentropy') as KernelPlan;
    expect(plan.head).toBe('categoricalCrossentropy');
    expect(plan.layout.layers.map((l) => [l.inSize, l.outSize, l.activation, l.kernelOffset, l.biasOffset])).toEqual([
      [4, 6, 'relu', 0, 24],
      [6, 3, 'linear', 30, 48],
    ]);
    expect(plan.layout.totalSize).toBe(model.countParams());
  });

  test.each([
    ['a functional model', () => {
      const input = tf.input({ shape: [4] });
      return tf.model({ inputs: input, outputs: dense(3, 'softmax').apply(input) as tf.SymbolicTensor });
    }, 'categoricalCrossentropy', /a Model model/],
    ['a layer other than Dense', () => tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2] }), dense(3, 'softmax')] }), 'categoricalCrossentropy', /an input of shape \[null,2,2\]/],
    ['a dropout layer', () => tf.sequential({ layers: [dense(6, 'relu', { inputShape: [4] }), tf.layers.dropout({ rate: 0.5 }), dense(3, 'softmax')] }), 'categoricalCrossentropy', /a Dropout layer/],
    ['a regulariser', () => tf.sequential({ layers: [dense(6, 'relu', { inputShape: [4], kernelRegularizer: tf.regularizers.l2() }), dense(3, 'softmax')] }), 'categoricalCrossentropy', /kernelRegularizer/],
    ['a sigmoid hidden layer', () => tf.sequential({ layers: [dense(6, 'sigmoid', { inputShape: [4] }), dense(3, 'softmax')] }), 'categoricalCrossentropy', /sigmoid activation$/],
    ['softmax outputs under mean squared error', () => tf.sequential({ layers: [dense(3, 'softmax', { inputShape: [4] })] }), 'meanSquaredError', /softmax activation with loss meanSquaredError/],
    ['linear outputs under cross-entropy', () => tf.sequential({ layers: [dense(3, 'linear', { inputShape: [4] })] }), 'categoricalCrossentropy', /linear activation with loss categoricalCrossentropy/],
    ['a loss function', () => tf.sequential({ layers: [dense(3, 'linear', { inputShape: [4] })] }), (a: tf.Tensor) => a, /loss function/],
    ['a loss the kernel does not run', () => tf.sequential({ layers: [dense(3, 'linear', { inputShape: [4] })] }), 'meanAbsoluteError', /loss meanAbsoluteError/],
    ['a layer without bias', () => tf.sequential({ layers: [dense(3, 'linear', { inputShape: [4], useBias: false })] }), 'meanSquaredError', /no bias/],
  ])('refuses %s, saying why', (_, make, loss, reason) => {
    const plan = planKernel(make() as tf.LayersModel, loss);
    expect('reason' in plan && (plan as { reason: string }).reason).toMatch(reason);
  });

  test('refuses a frozen layer', () => {
    const model = tf.sequential({ layers: [dense(6, 'relu', { inputShape: [4] }), dense(3, 'softmax')] });
    model.layers[0].trainable = false;
    expect((planKernel(model, 'categoricalCrossentropy') as { reason: string }).reason).toMatch(/not trainable/);
  });
});
