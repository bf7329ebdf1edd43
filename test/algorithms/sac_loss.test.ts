// SAC's actor, critic and entropy-coefficient gradients (src/algorithms/sac/learner.ts on the
// WebAssembly kernel) against tfjs autodiff of the same losses (sac_oracle.ts), Box
// (SquashedGaussian) and Discrete, with the reparameterisation noise shared.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Box, Discrete, Random } from '../../src/index.js';
import type { Space } from '../../src/envs/spaces.js';
import { SACLearner, type SACBatch, type SACHyperparams } from '../../src/algorithms/sac/learner.js';
import { resolveTargetEntropy } from '../../src/algorithms/sac/defaults.js';
import { sacModelLayout, TARGET_OF } from '../../src/algorithms/sac/model.js';
import { initialWeights, networkRange, type ModelLayout } from '../../src/nn/layout.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { blockRelativeError } from '../nn/relative_error.js';
import { sacOracle, type OracleNet } from './sac_oracle.js';

const OBS = 3;
const ROWS = 20;
const GAMMA = 0.95;

interface Case {
  name: string;
  space: Space;
  twinQ: boolean;
  activation: 'relu' | 'tanh';
  /** Scale of the policy's output weights: large enough that some log-stds leave [-20, 2] and tanh saturates. */
  outputScale: number;
}

const CASES: Case[] = [
  { name: 'Box(2) in [-2, 2] x [0, 1], twin Q, relu', space: new Box([-2, 0], [2, 1]), twinQ: true, activation: 'relu', outputScale: 1 },
  { name: 'Box(1), twin Q, tanh, log-stds past the clip', space: new Box(-2, 2, [1]), twinQ: true, activation: 'tanh', outputScale: 6 },
  { name: 'Box(3), single Q, relu', space: new Box(-1, 1, [3]), twinQ: false, activation: 'relu', outputScale: 1 },
  { name: 'Discrete(3), twin Q, relu', space: new Discrete(3), twinQ: true, activation: 'relu', outputScale: 1 },
  { name: 'Discrete(2), single Q, tanh', space: new Discrete(2), twinQ: false, activation: 'tanh', outputScale: 1 },
];

function hyperparams(space: Space): SACHyperparams {
  return { targetEntropy: resolveTargetEntropy('auto', space), actorLr: 3e-4, criticLr: 3e-4, entropyLr: 3e-4, gradClip: null };
}

/** Moves a network's weights off their initial values (and scales its output layer). */
function perturb(layout: ModelLayout, weights: Float32Array, network: string, rng: Random, scale: number, outputScale = 1): void {
  const [start, end] = networkRange(layout, network);
  const path = layout.networks[network].path;
  const outputStart = layout.layers[path[path.length - 1]].kernelOffset;
  for (let i = start; i < end; i++) {
    weights[i] += scale * rng.normal();
    if (i >= outputStart) weights[i] *= outputScale;
  }
}

const layersOf = (layout: ModelLayout, network: string) => layout.networks[network].path.map((index) => layout.layers[index]);

function setUp(c: Case, seed: number) {
  const rng = new Random(seed);
  const layout = sacModelLayout(OBS, c.space, { policy_model: { fcnet_hiddens: [19, 6], fcnet_activation: c.activation }, Q_model: { fcnet_hiddens: [17, 5], fcnet_activation: c.activation }, twin_q: c.twinQ });
  const weights = initialWeights(layout, rng);
  perturb(layout, weights, 'policy', rng, 0.3, c.outputScale);
  for (const network of Object.keys(layout.networks)) if (network !== 'policy') perturb(layout, weights, network, rng, 0.3);
  const learner = new SACLearner(layout, c.space, hyperparams(c.space), weights, 0.7, 32);
  learner.logAlpha = -0.4;
  const box = c.space instanceof Box ? c.space : null;
  const A = box ? box.size : 1;
  const batch: SACBatch = {
    count: ROWS,
    obs: Float32Array.from({ length: ROWS * OBS }, () => rng.normal()),
    nextObs: Float32Array.from({ length: ROWS * OBS }, () => rng.normal()),
    actions: new Float32Array(ROWS * A),
    rewards: Float32Array.from({ length: ROWS }, () => rng.normal()),
    terminated: Float32Array.from({ length: ROWS }, (_, i) => (i % 4 === 0 ? 1 : 0)),
    // n-step rows: gamma^2 (and gamma^1 where an episode ended after one step)
    discounts: Float32Array.from({ length: ROWS }, (_, i) => (i % 3 === 0 ? GAMMA : GAMMA ** 2)),
  };
  for (let i = 0; i < ROWS; i++) {
    if (box) for (let k = 0; k < A; k++) batch.actions[i * A + k] = rng.uniform(box.low[k], box.high[k]);
    else batch.actions[i] = rng.integer((c.space as Discrete).n);
  }
  const noise = learner.drawNoise(ROWS, rng);
  return { learner, layout, batch, noise, box };
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(CASES)('$name', (c) => {
  test('actor, critic and alpha losses and gradients agree with tfjs autodiff to 1e-4', () => {
    for (const seed of [1, 2]) {
      const { learner, layout, batch, noise, box } = setUp(c, seed);
      const net = (network: string): OracleNet => ({ layers: layersOf(layout, network), weights: learner.kernel.params.slice() });
      const oracle = sacOracle({
        policy: net('policy'),
        q: learner.qNames.map(net),
        targetQ: learner.qNames.map((name) => net(TARGET_OF[name])),
        logAlpha: learner.logAlpha,
        obs: batch.obs,
        nextObs: batch.nextObs,
        actions: batch.actions,
        rewards: batch.rewards,
        terminated: batch.terminated,
        n: ROWS,
        observationSize: OBS,
        box: box ? { low: Array.from(box.low), high: Array.from(box.high), epsT: noise.t, epsTp1: noise.tp1 } : null,
        numActions: c.space instanceof Discrete ? c.space.n : 0,
        discounts: batch.discounts,
        targetEntropy: learner.hp.targetEntropy,
      });
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
