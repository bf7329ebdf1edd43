// SAC's action distribution on its own (src/algorithms/sac/squashed_gaussian.ts, actions.ts):
// the squashed Gaussian's sample, log-probability and greedy action against the formulas of RLlib
// 1.x's SquashedGaussian worked in float64 here, its gradient against tfjs autodiff where the
// log-std and log-prob clips are active, and SACActions' rows for Box and Discrete spaces.
import { beforeAll, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { Box, Discrete, Random } from '../../src/index.js';
import { Categorical } from '../../src/policy/distributions.js';
import { SquashedGaussian } from '../../src/algorithms/sac/squashed_gaussian.js';
import { SACActions } from '../../src/algorithms/sac/actions.js';
import { initBackend } from '../../src/utils/tensor_backend.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const clip = (x: number, low: number, high: number) => Math.min(Math.max(x, low), high);
/** Box [-2, 3] x [0, 1] x [-1, 1]: different lows and ranges per dimension. */
const BOX = new Box([-2, 0, -1], [3, 1, 1]);
const D = 3;

/** RLlib's SquashedGaussian for one row, in float64: the action and log p(action) for inputs [means, log-stds] and noise eps. */
function reference(inputs: number[], eps: number[]) {
  let logp = 0;
  const action = eps.map((e, k) => {
    const logStd = clip(inputs[D + k], -20, 2);
    const u = inputs[k] + Math.exp(logStd) * e;
    const t = Math.tanh(u);
    logp += clip(-0.5 * e * e - logStd - HALF_LOG_2PI, -100, 100) - Math.log(1 - t * t + 1e-6);
    const low = BOX.low[k];
    const high = BOX.high[k];
    return clip(low + ((t + 1) / 2) * (high - low), low, high);
  });
  return { action, logp };
}

// rows: within the clips; a log-std above 2 and one below -20; noise of 15 (the Gaussian term
// -112.5 - log std, past the -100 clip); means that saturate tanh (the action at the bounds)
const ROWS = [
  { inputs: [0.3, -0.2, 0.1, -0.5, 0.4, -1], eps: [0.7, -1.2, 0.3] },
  { inputs: [-0.4, 1.1, 0.2, 3.5, -25, 0.5], eps: [-0.6, 0.9, 1.4] },
  { inputs: [0.1, 0.2, -0.3, -0.2, 0.1, 0.3], eps: [15, -15, 0.5] },
  { inputs: [40, -40, 0.5, -3, -3, -3], eps: [0.2, -0.4, 1] },
];
// for the gradient: log-stds exactly at the clip's bounds (tf.clipByValue passes the gradient
// there), and noise putting the Gaussian term just inside (-98.9: eps^2 / 2 = 100, log-std -2) and
// just outside (-100.9: log-std 0) its clip
const EDGES = [
  { inputs: [0.2, -0.1, 0.3, 2, -20, 0.1], eps: [0.5, -0.7, 0.2] },
  { inputs: [0.1, 0.2, -0.3, -2, 0, 0.1], eps: [Math.sqrt(200), Math.sqrt(200), 0.2] },
];

test('sample: u = mean + exp(clipped log-std) eps, the action tanh(u) rescaled into each dimension\'s bounds, and log p with its clips', () => {
  const dist = new SquashedGaussian(BOX);
  const inputs = Float64Array.from(ROWS.flatMap((r) => r.inputs));
  const eps = Float64Array.from(ROWS.flatMap((r) => r.eps));
  const actions = new Float32Array(ROWS.length * D + 1).fill(7);
  const us = new Float32Array(ROWS.length * D);
  ROWS.forEach((row, i) => {
    const logp = dist.sample(inputs, 2 * D * i, eps, D * i, actions, D * i, us, D * i);
    const expected = reference(row.inputs, row.eps);
    expect(logp).toBeCloseTo(expected.logp, 4);
    expected.action.forEach((a, k) => expect(actions[D * i + k]).toBeCloseTo(a, 6));
    row.eps.forEach((e, k) => expect(us[D * i + k]).toBeCloseTo(row.inputs[k] + Math.exp(clip(row.inputs[D + k], -20, 2)) * e, 5));
  });
  // the saturated row's actions are the bounds exactly; nothing is written past the rows
  expect(Array.from(actions.subarray(3 * D, 3 * D + 2))).toEqual([3, 0]);
  expect(actions[ROWS.length * D]).toBe(7);
});

test('deterministic: the squashed mean, in the bounds, for each row', () => {
  const dist = new SquashedGaussian(BOX);
  const inputs = Float32Array.from(ROWS.flatMap((r) => r.inputs));
  const actions = new Float32Array(ROWS.length * D + 1).fill(7);
  ROWS.forEach((row, i) => dist.deterministic(inputs, 2 * D * i, actions, D * i));
  ROWS.forEach((row, i) => reference(row.inputs, [0, 0, 0]).action.forEach((a, k) => expect(actions[D * i + k]).toBeCloseTo(a, 6)));
  expect(actions[ROWS.length * D]).toBe(7);
});

test("sampleGrad: the gradient of dLogp log p + dAction . action w.r.t. the inputs agrees with tfjs autodiff, clips included", () => {
  const dist = new SquashedGaussian(BOX);
  const dLogp = 0.35;
  const dAction = [0.8, -1.3, 0.6];
  const low = tf.tensor1d(Array.from(BOX.low));
  const high = tf.tensor1d(Array.from(BOX.high));
  [...ROWS, ...EDGES].forEach((row) => {
    const eps = tf.tensor1d(row.eps);
    // the same objective in tfjs ops (tf.clipByValue passes the gradient on the closed interval, as RLlib's tf graph)
    const objective = (x: tf.Tensor) =>
      tf.tidy(() => {
        const [mean, rawLogStd] = tf.split(x, 2);
        const logStd = tf.clipByValue(rawLogStd, -20, 2);
        const u = tf.add(mean, tf.mul(tf.exp(logStd), eps));
        const gaussian = tf.clipByValue(tf.sub(tf.sub(tf.mul(-0.5, tf.square(eps)), logStd), HALF_LOG_2PI), -100, 100);
        const sech2 = tf.div(4, tf.square(tf.add(tf.exp(u), tf.exp(tf.neg(u)))));
        const logp = tf.sum(tf.sub(gaussian, tf.log(tf.add(sech2, 1e-6))));
        const action = tf.add(low, tf.mul(tf.div(tf.add(tf.tanh(u), 1), 2), tf.sub(high, low)));
        return tf.add(tf.mul(dLogp, logp), tf.sum(tf.mul(tf.tensor1d(dAction), action))) as tf.Scalar;
      });
    const expected = tf.grad(objective)(tf.tensor1d(row.inputs)).dataSync();
    const us = new Float32Array(D);
    dist.sample(row.inputs, 0, row.eps, 0, new Float32Array(D), 0, us, 0);
    const grad = new Float32Array(2 * D + 2).fill(0.5);
    dist.sampleGrad(row.inputs, 0, row.eps, 0, us, 0, dLogp, [9, ...dAction], 1, grad, 1);
    // added to what was there (0.5), at the offset given; nothing written outside the row
    expect([grad[0], grad[2 * D + 1]]).toEqual([0.5, 0.5]);
    expected.forEach((g, j) => expect(grad[1 + j] - 0.5).toBeCloseTo(g, 4));
  });
});

test('SACActions on a Box: greedy rows are the squashed means; sampled rows draw |A| normals each from the rng', () => {
  const actions = new SACActions(BOX);
  expect([actions.actionSize, actions.outputSize]).toEqual([3, 6]);
  const outputs = Float32Array.from(ROWS.flatMap((r) => r.inputs));
  const greedy = new Float32Array(ROWS.length * D);
  actions.compute(outputs, ROWS.length, false, new Random(1), greedy);
  ROWS.forEach((row, i) => reference(row.inputs, [0, 0, 0]).action.forEach((a, k) => expect(greedy[D * i + k]).toBeCloseTo(a, 6)));
  const sampled = new Float32Array(ROWS.length * D);
  actions.compute(outputs, ROWS.length, true, new Random(2), sampled);
  const rng = new Random(2);
  ROWS.forEach((row, i) => {
    const eps = [rng.normal(), rng.normal(), rng.normal()];
    reference(Array.from(outputs.subarray(2 * D * i, 2 * D * (i + 1))), eps).action.forEach((a, k) => expect(sampled[D * i + k]).toBeCloseTo(a, 5));
  });
  // no draws beyond the rows'
  const after = new Random(2);
  actions.compute(outputs, ROWS.length, true, after, new Float32Array(ROWS.length * D));
  expect(after.normal()).toBe(rng.normal());
});

test("SACActions on a Discrete space: greedy rows are the argmax; sampled rows are Categorical's draws from the same rng", () => {
  const actions = new SACActions(new Discrete(3));
  expect([actions.actionSize, actions.outputSize]).toEqual([1, 3]);
  const logits = Float32Array.from([0.1, 2, -1, 3, 0.5, 0.2, -2, -1, 0.4, 0.3, 0.3, 0.2]);
  const greedy = new Float32Array(4);
  actions.compute(logits, 4, false, new Random(1), greedy);
  expect(Array.from(greedy)).toEqual([1, 0, 2, 0]);
  const sampled = new Float32Array(4);
  actions.compute(logits, 4, true, new Random(3), sampled);
  const categorical = new Categorical(3);
  const expected = new Float32Array(4);
  const rng = new Random(3);
  for (let i = 0; i < 4; i++) categorical.sample(logits, 3 * i, rng, expected, i);
  expect(sampled).toEqual(expected);
  // no draws beyond the rows'
  const after = new Random(3);
  actions.compute(logits, 4, true, after, new Float32Array(4));
  expect(after.uniform()).toBe(rng.uniform());
  expect(new Set(sampled).size).toBeGreaterThan(1);
});

test('SACActions refuses other action spaces', () => {
  expect(() => new SACActions({ shape: [2] } as unknown as Box)).toThrow(new TypeError('SAC supports Box and Discrete action spaces'));
});
