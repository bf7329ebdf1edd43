// SAC's learner beyond its gradients (sac_loss.test.ts): the stats RLlib reports and prioritized
// replay reads (Q_1's mean, max and min, the TD errors) against the tfjs oracle's Q values and
// targets; the Adam steps each network and log_alpha take, at their own learning rates, with
// RLlib's per-variable gradient clipping; Polyak averaging of every target weight; the noise, the
// batch-size limit and the optimizer state round trip.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Box, Random } from '../../src/index.js';
import { SACLearner } from '../../src/algorithms/sac/learner.js';
import { TARGET_OF } from '../../src/algorithms/sac/model.js';
import { FlatAdam } from '../../src/nn/adam.js';
import { networkRange } from '../../src/nn/layout.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { CASES, hyperparams, layersOf, oracleFor, ROWS, setUp } from './sac_setup.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const closeTo = (actual: number, expected: number, tolerance = 1e-5) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));

describe.each(CASES)('$name', (c) => {
  test("Q_1's mean, max and min, the per-row TD errors (mean over the twins) and policy_t agree with the oracle", () => {
    const { learner, layout, batch, noise, box } = setUp(c, 5);
    const oracle = oracleFor(c, learner, layout, batch, noise, box);
    const stats = learner.computeGradients(batch, noise);
    const q1 = Array.from(oracle.q1);
    closeTo(stats.mean_q, q1.reduce((a, b) => a + b) / q1.length);
    closeTo(stats.max_q, Math.max(...q1));
    closeTo(stats.min_q, Math.min(...q1));
    const tdErrors = Array.from({ length: ROWS }, (_, i) => oracle.qTaken.reduce((sum, q) => sum + Math.abs(q[i] - oracle.y[i]), 0) / oracle.qTaken.length);
    // the errors differ row to row, so a wrong row or a wrong twin shows
    expect(new Set(tdErrors.map((e) => e.toFixed(4))).size).toBe(ROWS);
    tdErrors.forEach((e, i) => closeTo(learner.tdError[i], e, 1e-4));
    closeTo(stats.mean_td_error, tdErrors.reduce((a, b) => a + b) / ROWS, 1e-4);
    // Box: the mean of the actions sampled at s; Discrete: the mean of pi(.|s), 1 / n
    const policyT = Array.from(oracle.policyT);
    closeTo(stats.policy_t, policyT.reduce((a, b) => a + b) / policyT.length);
    expect(stats.alpha_value).toBeCloseTo(Math.exp(-0.4), 6);
    expect(stats.log_alpha_value).toBeCloseTo(-0.4, 6);
    expect(stats.target_entropy).toBe(learner.hp.targetEntropy);
    // a second pass over the same batch reports the same, gradients included: nothing accumulates across calls
    const grads = learner.kernel.grads.slice();
    const logAlphaGrad = learner.logAlphaGrad;
    const again = learner.computeGradients(batch, noise);
    expect(again).toEqual(stats);
    expect(learner.kernel.grads).toEqual(grads);
    expect(learner.logAlphaGrad).toBe(logAlphaGrad);
    // nor does a pass over another batch leave anything in the next one's gradients
    const other = setUp(c, 12);
    learner.computeGradients(other.batch, other.noise);
    learner.computeGradients(batch, noise);
    expect(learner.kernel.grads).toEqual(grads);
    tdErrors.forEach((e, i) => closeTo(learner.tdError[i], e, 1e-4));
  });

  test('applyGradients: one Adam step each for the actor, every critic (own learning rates) and log_alpha; the targets stay', () => {
    const hp = { ...hyperparams(c.space), actorLr: 1e-3, criticLr: 2e-3, entropyLr: 5e-3 };
    const { learner, layout, batch, noise } = setUp(c, 6, hp);
    learner.computeGradients(batch, noise);
    const before = learner.kernel.params.slice();
    const grads = learner.kernel.grads.slice();
    const logAlpha = learner.logAlpha;
    const logAlphaGrad = learner.logAlphaGrad;
    learner.applyGradients();
    const params = learner.kernel.params;
    const expectAdamStep = (network: string, lr: number) => {
      const [start, end] = networkRange(layout, network);
      const expected = before.slice(start, end);
      new FlatAdam(end - start).apply(expected, grads.slice(start, end), lr);
      expect(params.slice(start, end)).toEqual(expected);
      expect(params.slice(start, end)).not.toEqual(before.slice(start, end));
    };
    expectAdamStep('policy', hp.actorLr);
    for (const name of learner.qNames) expectAdamStep(name, hp.criticLr);
    for (const name of learner.qNames) expect(params.slice(...networkRange(layout, TARGET_OF[name]))).toEqual(before.slice(...networkRange(layout, TARGET_OF[name])));
    const expectedLogAlpha = Float32Array.of(logAlpha);
    new FlatAdam(1).apply(expectedLogAlpha, Float32Array.of(logAlphaGrad), hp.entropyLr);
    expect(learner.logAlpha).toBe(expectedLogAlpha[0]);
  });

  test("grad_clip clips each kernel and bias to that norm (tf.clip_by_norm, RLlib's minimize_and_clip) and log_alpha's gradient to [-clip, clip]", () => {
    const probe = setUp(c, 7);
    probe.learner.computeGradients(probe.batch, probe.noise);
    const variables = ['policy', ...probe.learner.qNames].flatMap((network) =>
      layersOf(probe.layout, network).flatMap((l): [number, number][] => [
        [l.kernelOffset, l.biasOffset],
        [l.biasOffset, l.biasOffset + l.outSize],
      ]),
    );
    const norm = (g: Float32Array, [start, end]: [number, number]) => Math.hypot(...g.subarray(start, end));
    const norms = variables.map((v) => norm(probe.learner.kernel.grads, v)).sort((a, b) => a - b);
    // a clip between the variables' norms (above |d loss / d log_alpha| in the Discrete cases, below it in the Box cases)
    const clip = norms[Math.floor(norms.length / 2)];
    expect(norms.filter((n) => n > clip).length).toBeGreaterThan(0);
    expect(norms.filter((n) => n > 0 && n < clip).length).toBeGreaterThan(0);

    const hp = { ...hyperparams(c.space), actorLr: 1e-3, criticLr: 2e-3, entropyLr: 5e-3, gradClip: clip };
    const { learner, layout, batch, noise } = setUp(c, 7, hp);
    learner.computeGradients(batch, noise);
    const before = learner.kernel.params.slice();
    const clipped = learner.kernel.grads.slice();
    for (const v of variables) {
      const n = norm(clipped, v);
      if (n > clip) for (let i = v[0]; i < v[1]; i++) clipped[i] *= clip / n;
    }
    const logAlpha = learner.logAlpha;
    const logAlphaGrad = learner.logAlphaGrad;
    learner.applyGradients();
    // Adam's first step is about lr sign(g) whatever the scale: its first moment, (1 - beta1) g, shows the clipped gradient
    const state = learner.getOptimizerState();
    ['policy', ...learner.qNames].forEach((network, j) => {
      const [start, end] = networkRange(layout, network);
      const reference = new FlatAdam(end - start);
      const expected = before.slice(start, end);
      reference.apply(expected, clipped.slice(start, end), j === 0 ? hp.actorLr : hp.criticLr);
      const scale = Math.max(...reference.m.map(Math.abs));
      reference.m.forEach((m, i) => expect(Math.abs(state[3 * j + 1][i] - m)).toBeLessThanOrEqual(1e-6 * scale));
      const actual = learner.kernel.params.slice(start, end);
      expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(1e-7));
    });
    const alphaGrad = Math.max(-clip, Math.min(clip, logAlphaGrad));
    expect(state[state.length - 2][0]).toBeCloseTo(0.1 * alphaGrad, 7);
    const expectedLogAlpha = Float32Array.of(logAlpha);
    new FlatAdam(1).apply(expectedLogAlpha, Float32Array.of(alphaGrad), hp.entropyLr);
    expect(learner.logAlpha).toBeCloseTo(expectedLogAlpha[0], 7);
  });

  test("the optimizer state is [[step], m, v] for the actor, each critic and log_alpha, and loads into a new learner", () => {
    const { learner, layout, batch, noise } = setUp(c, 8);
    learner.computeGradients(batch, noise);
    learner.applyGradients();
    const state = learner.getOptimizerState();
    const sizes = ['policy', ...learner.qNames].map((network) => networkRange(layout, network)).map(([start, end]) => end - start);
    expect(state.map((a) => a.length)).toEqual([...sizes, 1].flatMap((size) => [1, size, size]));
    expect(state.filter((_, i) => i % 3 === 0).map((a) => a[0])).toEqual(sizes.map(() => 1).concat(1));
    const fresh = setUp(c, 8).learner;
    fresh.setOptimizerState(state);
    expect(fresh.getOptimizerState()).toEqual(state);
    expect(() => fresh.setOptimizerState(state.slice(3))).toThrow(RangeError);
  });
});

test('Polyak averaging writes every weight of each target network, tau of the way to its online network, and nothing else', () => {
  for (const c of [CASES[0], CASES[2]]) {
    const { learner, layout } = setUp(c, 9);
    const before = learner.kernel.params.slice();
    learner.updateTargets(0.25);
    const after = learner.kernel.params;
    const expected = before.slice();
    for (const name of learner.qNames) {
      const [start, end] = networkRange(layout, name);
      const [targetStart, targetEnd] = networkRange(layout, TARGET_OF[name]);
      expect(targetEnd - targetStart).toBe(end - start);
      for (let i = 0; i < end - start; i++) expected[targetStart + i] = 0.25 * before[start + i] + 0.75 * before[targetStart + i];
    }
    expect(after).toEqual(expected);
    expect(after).not.toEqual(before);
  }
});

test('drawNoise: Box draws count x |A| normals for s then for s\'; Discrete draws nothing', () => {
  const box = setUp(CASES[0], 10).learner;
  const noise = box.drawNoise(4, new Random(3));
  const rng = new Random(3);
  const normals = Array.from({ length: 17 }, () => rng.normal());
  expect(Array.from(noise.t)).toEqual(Array.from(Float32Array.from(normals.slice(0, 8))));
  expect(Array.from(noise.tp1)).toEqual(Array.from(Float32Array.from(normals.slice(8, 16))));
  // and no more than those 16
  const drawnBox = new Random(3);
  box.drawNoise(4, drawnBox);
  expect(drawnBox.normal()).toBe(normals[16]);
  const discrete = setUp(CASES[3], 10).learner;
  const drawn = new Random(3);
  const { t, tp1 } = discrete.drawNoise(4, drawn);
  expect([t.length, tp1.length]).toEqual([0, 0]);
  expect(drawn.normal()).toBe(new Random(3).normal());
});

test('a batch of maxBatch rows is learned on; one row more is a RangeError', () => {
  const c = CASES[0];
  const { learner, layout, batch, noise } = setUp(c, 11);
  const exact = new SACLearner(layout, c.space as Box, learner.hp, learner.kernel.params.slice(), 0.7, ROWS);
  expect(Number.isFinite(exact.computeGradients(batch, noise).critic_loss)).toBe(true);
  const small = new SACLearner(layout, c.space as Box, learner.hp, learner.kernel.params.slice(), 0.7, ROWS - 1);
  expect(() => small.computeGradients(batch, noise)).toThrow(/batch of 20 rows; the learner holds 19/);
});
