import { describe, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { Box, Discrete, Random } from '../../src/index.js';
import { ForwardPass, denseLayout, initialWeights } from '../../src/policy/model.js';
import { ppoModelLayout as modelLayout } from '../../src/algorithms/ppo/model.js';
import { Categorical, DiagGaussian } from '../../src/policy/distributions.js';
import { describeNetworks, toLayersModels } from '../../src/policy/layers_model.js';
import { initBackend } from '../../src/utils/tensor_backend.js';

test.each([
  ['tanh', false],
  ['relu', true],
] as const)("the kernel's forward pass agrees with the tfjs LayersModel to 1e-5 (%s, shared layers %s)", async (activation, shared) => {
  await initBackend('wasm');
  const layout = modelLayout(4, new Discrete(2), { fcnet_hiddens: [40, 20], fcnet_activation: activation, vf_share_layers: shared });
  const rng = new Random(3);
  const weights = initialWeights(layout, rng);
  for (let i = 0; i < weights.length; i++) weights[i] += 0.3 * rng.normal(); // move away from the tiny output init
  const models = toLayersModels(layout, weights);
  const batch = 16;
  const obs = new Float32Array(batch * 4).map(() => rng.normal());
  const logits = new Float32Array(batch * 2);
  const values = new Float32Array(batch);
  const forward = new ForwardPass(layout, weights);
  forward.run(batch, ['policy', 'value'], { obs });
  logits.set(forward.output('policy').subarray(0, batch * 2));
  values.set(forward.output('value').subarray(0, batch));
  const tfLogits = (models.policy.predict(tf.tensor2d(obs, [batch, 4])) as tf.Tensor).dataSync();
  const tfValues = (models.value.predict(tf.tensor2d(obs, [batch, 4])) as tf.Tensor).dataSync();
  for (let i = 0; i < logits.length; i++) expect(Math.abs(logits[i] - tfLogits[i])).toBeLessThan(1e-5);
  for (let i = 0; i < values.length; i++) expect(Math.abs(values[i] - tfValues[i])).toBeLessThan(1e-5);
  models.policy.dispose();
  models.value.dispose();
});

test('RLlib initialisation: normc columns, small output layer, zero biases', () => {
  const layout = modelLayout(4, new Discrete(2), { fcnet_hiddens: [40, 20], fcnet_activation: 'tanh', vf_share_layers: false });
  const weights = initialWeights(layout, new Random(0));
  for (const layer of layout.layers) {
    for (let j = 0; j < layer.outSize; j++) {
      let norm = 0;
      for (let i = 0; i < layer.inSize; i++) norm += weights[layer.kernelOffset + i * layer.outSize + j] ** 2;
      expect(Math.sqrt(norm)).toBeCloseTo(layer.initStd, 5);
    }
    expect(weights.subarray(layer.biasOffset, layer.biasOffset + layer.outSize).every((b) => b === 0)).toBe(true);
  }
  expect(layout.totalSize).toBe(2 * (4 * 40 + 40 + 40 * 20 + 20) + 20 * 2 + 2 + 20 + 1);
});

test('categorical distribution: logp, entropy, KL', () => {
  const d = new Categorical(3);
  const logits = new Float32Array([0, Math.log(2), Math.log(3)]); // probabilities 1/6, 2/6, 3/6
  expect(d.logp(logits, 0, [2], 0)).toBeCloseTo(Math.log(0.5), 6);
  const p = [1 / 6, 2 / 6, 3 / 6];
  expect(d.entropy(logits, 0)).toBeCloseTo(-p.reduce((s, q) => s + q * Math.log(q), 0), 6);
  expect(d.kl(logits, 0, logits, 0)).toBeCloseTo(0, 9);
  const uniform = new Float32Array(3);
  expect(d.kl(logits, 0, uniform, 0)).toBeCloseTo(p.reduce((s, q) => s + q * Math.log(q * 3), 0), 6);
  // sampling frequencies follow the probabilities
  const rng = new Random(1);
  const counts = [0, 0, 0];
  const action = new Float32Array(1);
  for (let i = 0; i < 30000; i++) {
    d.sample(logits, 0, rng, action, 0);
    counts[action[0]]++;
  }
  counts.forEach((c, k) => expect(c / 30000).toBeCloseTo(p[k], 1));
});

test('diagonal Gaussian: logp, entropy, KL against closed forms', () => {
  const d = new DiagGaussian(1);
  const inputs = new Float32Array([0.5, Math.log(2)]); // mean 0.5, std 2
  const x = 1.5;
  expect(d.logp(inputs, 0, [x], 0)).toBeCloseTo(-0.5 * ((x - 0.5) / 2) ** 2 - Math.log(2) - 0.5 * Math.log(2 * Math.PI), 6);
  expect(d.entropy(inputs, 0)).toBeCloseTo(0.5 * Math.log(2 * Math.PI * Math.E * 4), 6);
  const other = new Float32Array([0, 0]); // N(0, 1)
  // KL(N(0.5, 4) || N(0, 1)) = log(1/2) + (4 + 0.25)/2 - 1/2
  expect(d.kl(inputs, 0, other, 0)).toBeCloseTo(Math.log(0.5) + 4.25 / 2 - 0.5, 6);
  expect(new Box(-1, 1, [1]).contains([0.5])).toBe(true);
});

test('Box action spaces: the network outputs means and log-stds, and agrees with tfjs', async () => {
  await initBackend('wasm');
  const layout = modelLayout(3, new Box(-2, 2, [1]), { fcnet_hiddens: [16], fcnet_activation: 'tanh', vf_share_layers: false });
  expect(layout.policyOutputs).toBe(2);
  const rng = new Random(9);
  const weights = initialWeights(layout, rng).map((w) => w + 0.2 * rng.normal());
  const models = toLayersModels(layout, weights);
  const obs = new Float32Array(12).map(() => rng.normal());
  const out = new Float32Array(8);
  const forward = new ForwardPass(layout, weights);
  forward.run(4, ['policy'], { obs });
  out.set(forward.output('policy').subarray(0, 8));
  const tfOut = (models.policy.predict(tf.tensor2d(obs, [4, 3])) as tf.Tensor).dataSync();
  for (let i = 0; i < 8; i++) expect(Math.abs(out[i] - tfOut[i])).toBeLessThan(1e-5);
  models.policy.dispose();
  models.value.dispose();
});

describe('ForwardPass', () => {
  // policy: 2 -> 2 (tanh) -> 1 (linear), written by hand so that each output has an independent check.
  const layout = denseLayout(2, [{ name: 'policy', inputSize: 2, hiddens: [2], activation: 'tanh', outputSize: 1 }], {
    sizeSetting: { key: 'model.fcnet_hiddens', hiddens: [2] },
  });
  // hidden kernel [[0.5, -1], [2, 0.25]] (in x out), bias [0.1, -0.2]; output kernel [[1.5], [-0.5]], bias 0.3
  const weights = Float32Array.of(0.5, -1, 2, 0.25, 0.1, -0.2, 1.5, -0.5, 0.3);
  const expected = (x0: number, x1: number) => {
    const h0 = Math.tanh(0.5 * x0 + 2 * x1 + 0.1);
    const h1 = Math.tanh(-1 * x0 + 0.25 * x1 - 0.2);
    return 1.5 * h0 - 0.5 * h1 + 0.3;
  };
  const rows = [
    [0.5, -1],
    [1, 2],
    [-0.3, 0.7],
    [2, -2],
  ];

  test('weights of another length are refused, naming both lengths; the kernel runs with the given ones', () => {
    expect(layout.totalSize).toBe(9);
    expect(() => new ForwardPass(layout, new Float32Array(8))).toThrow('weights have 8 values; the model needs 9');
    const forward = new ForwardPass(layout, weights);
    expect(Array.from(forward.weights)).toEqual(Array.from(weights));
    expect(() => forward.setWeights(new Float32Array(10))).toThrow('weights have 10 values; the model needs 9');
    expect(Array.from(forward.weights)).toEqual(Array.from(weights));
  });

  test('a batch larger than the room grows it and keeps the weights; extra input rows are ignored', () => {
    const forward = new ForwardPass(layout, weights, 1);
    forward.run(1, ['policy'], { obs: Float32Array.from(rows[0]) });
    expect(forward.output('policy')[0]).toBeCloseTo(expected(rows[0][0], rows[0][1]), 5);
    forward.run(3, ['policy'], { obs: Float32Array.from(rows.slice(0, 3).flat()) }); // 1 -> 3 rows of room
    for (let b = 0; b < 3; b++) expect(forward.output('policy')[b]).toBeCloseTo(expected(rows[b][0], rows[b][1]), 5);
    // four rows given for a batch of two: only the first two are read (the room holds three)
    forward.run(2, ['policy'], { obs: Float32Array.from(rows.slice(0).reverse().flat()) });
    expect(forward.output('policy')[0]).toBeCloseTo(expected(rows[3][0], rows[3][1]), 5);
    expect(forward.output('policy')[1]).toBeCloseTo(expected(rows[2][0], rows[2][1]), 5);
    forward.setWeights(new Float32Array(9));
    forward.run(4, ['policy'], { obs: Float32Array.from(rows.flat()) }); // grows again, with the new weights
    expect(Array.from(forward.output('policy').subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });

  test('the room doubles when it grows, and a batch that fits never reallocates it', () => {
    const forward = new ForwardPass(layout, weights, 2);
    const memory = () => forward.weights.buffer;
    const first = memory();
    for (let i = 0; i < 3; i++) forward.run(2, ['policy'], { obs: Float32Array.from(rows.slice(0, 2).flat()) }); // exactly the room
    expect(memory()).toBe(first);
    forward.run(3, ['policy'], { obs: Float32Array.from(rows.slice(0, 3).flat()) }); // 2 -> 4 rows, not 3
    const grown = memory();
    expect(grown).not.toBe(first);
    forward.run(4, ['policy'], { obs: Float32Array.from(rows.flat()) });
    expect(memory()).toBe(grown);
    for (let b = 0; b < 4; b++) expect(forward.output('policy')[b]).toBeCloseTo(expected(rows[b][0], rows[b][1]), 5);
  });
});

test('describeNetworks: each network\'s input, sizes and layers as [in, out, activation]', () => {
  const layout = modelLayout(3, new Discrete(2), { fcnet_hiddens: [4], fcnet_activation: 'relu', vf_share_layers: true });
  expect(describeNetworks(layout)).toEqual({
    policy: { input: 'obs', input_size: 3, output_size: 2, layers: [[3, 4, 'relu'], [4, 2, 'linear']] },
    value: { input: 'obs', input_size: 3, output_size: 1, layers: [[3, 4, 'relu'], [4, 1, 'linear']] },
  });
});

test("toLayersModels: one Sequential model per network, named '<network>_model', its Dense layers named and sized as the layout's", async () => {
  await initBackend('wasm');
  const layout = modelLayout(3, new Discrete(2), { fcnet_hiddens: [4], fcnet_activation: 'tanh', vf_share_layers: true });
  const weights = initialWeights(layout, new Random(1));
  const models = toLayersModels(layout, weights);
  expect(Object.keys(models)).toEqual(['policy', 'value']);
  for (const name of ['policy', 'value'] as const) {
    const model = models[name];
    const path = layout.networks[name].path;
    expect(model.name).toBe(`${name}_model`);
    expect(model.inputs[0].shape).toEqual([null, 3]);
    expect(model.layers.map((l) => l.name)).toEqual(path.map((i) => layout.layers[i].name));
    const saved = model.getWeights();
    expect(saved.map((t) => t.shape)).toEqual(path.flatMap((i) => [[layout.layers[i].inSize, layout.layers[i].outSize], [layout.layers[i].outSize]]));
    path.forEach((i, k) => {
      const layer = layout.layers[i];
      expect(Array.from(saved[2 * k].dataSync())).toEqual(Array.from(weights.subarray(layer.kernelOffset, layer.biasOffset)));
      expect(Array.from(saved[2 * k + 1].dataSync())).toEqual(Array.from(weights.subarray(layer.biasOffset, layer.biasOffset + layer.outSize)));
    });
    model.dispose();
  }
});
