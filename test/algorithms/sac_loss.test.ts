// SAC's actor, critic and entropy-coefficient gradients (src/algorithms/sac/learner.ts on the
// WebAssembly kernel) against tfjs autodiff of the same losses (sac_oracle.ts), Box
// (SquashedGaussian) and Discrete, with the reparameterisation noise shared.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Box, Discrete } from '../../src/index.js';
import { resolveTargetEntropy } from '../../src/algorithms/sac/defaults.js';
import { networkRange } from '../../src/nn/layout.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { blockRelativeError } from '../nn/relative_error.js';
import { CASES, layersOf, oracleFor, ROWS, setUp } from './sac_setup.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(CASES)('$name', (c) => {
  test('actor, critic and alpha losses and gradients agree with tfjs autodiff to 1e-4', () => {
    for (const seed of [1, 2]) {
      const { learner, layout, batch, noise, box } = setUp(c, seed);
      const oracle = oracleFor(c, learner, layout, batch, noise, box);
      const stats = learner.computeGradients(batch, noise);
      const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));
      close(stats.actor_loss, oracle.actorLoss);
      close(stats.critic_loss, oracle.criticLoss.reduce((a, b) => a + b) / oracle.criticLoss.length);
      close(stats.alpha_loss, oracle.alphaLoss);
      const grads = learner.kernel.grads;
      expect(blockRelativeError(layersOf(layout, 'policy'), grads, oracle.actorGrad)).toBeLessThanOrEqual(1e-4);
      learner.qNames.forEach((name, j) => expect(blockRelativeError(layersOf(layout, name), grads, oracle.criticGrad[j])).toBeLessThanOrEqual(1e-4));
      expect(Math.abs(learner.logAlphaGrad - oracle.alphaGrad)).toBeLessThanOrEqual(1e-4 * Math.abs(oracle.alphaGrad));
      // the checks have teeth only where the gradients are not zero
      for (const network of ['policy', ...learner.qNames]) expect(grads.subarray(...networkRange(layout, network)).some((g) => g !== 0)).toBe(true);
      expect(oracle.alphaGrad).not.toBe(0);
    }
  });
});

test('the wide policy case has log-stds inside and outside the [-20, 2] clip in the checks above (seeds 1 and 2)', () => {
  const logStds = [1, 2].flatMap((seed) => {
    const { learner, batch } = setUp(CASES[1], seed);
    learner.kernel.input('obs').set(batch.obs);
    learner.kernel.forward(ROWS, ['policy']);
    return Array.from({ length: ROWS }, (_, i) => learner.kernel.output('policy')[i * 2 + 1]);
  });
  expect(logStds.filter((s) => s > 2 || s < -20).length).toBeGreaterThan(2);
  expect(logStds.filter((s) => s <= 2 && s >= -20).length).toBeGreaterThan(2);
});

test('target entropy "auto" is -|A| for Box and 0.98 log(n) for Discrete, as RLlib', () => {
  expect(resolveTargetEntropy('auto', new Box(-1, 1, [3]))).toBe(-3);
  expect(resolveTargetEntropy('auto', new Discrete(4))).toBeCloseTo(0.98 * Math.log(4), 12);
  expect(resolveTargetEntropy(-0.5, new Discrete(4))).toBe(-0.5);
});

test('Polyak averaging moves the targets tau of the way to the online networks', () => {
  const { learner, layout } = setUp(CASES[0], 3);
  const params = learner.kernel.params;
  const online = params.slice(...networkRange(layout, 'twin_q'));
  const target = () => params.slice(...networkRange(layout, 'target_twin_q'));
  const before = target();
  learner.updateTargets(0.25);
  const after = target();
  expect(after.length).toBe(online.length);
  for (let i = 0; i < online.length; i += 7) expect(after[i]).toBeCloseTo(0.25 * online[i] + 0.75 * before[i], 5);
});
