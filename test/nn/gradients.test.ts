// The kernel's forward/backward passes with the PPO loss's analytic gradients, checked term by
// term against tfjs autodiff (tf_oracle.ts) on random weights and batches: Discrete and Box
// heads, tanh/relu/linear, separate and shared value layers, free log-std.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Box, Discrete, Random } from '../../src/index.js';
import type { Space } from '../../src/envs/spaces.js';
import { initialWeights } from '../../src/policy/model.js';
import { PPONetworks, ppoModelLayout as modelLayout, type PPOModelLayout as ModelLayout } from '../../src/algorithms/ppo/model.js';
import { distributionFor } from '../../src/policy/distributions.js';
import { klLoss, meanEntropy, ppoLoss, surrogateLoss, valueLoss, type LossRows } from '../../src/algorithms/ppo/loss.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { oracleGradient, type Term } from './tf_oracle.js';
import { blockRelativeError } from './relative_error.js';

const OBS = 5;
const ROWS = 24;
// 19 and 6 units: the kernel's 16-wide, 4-wide and scalar paths all run.
const HIDDENS = [19, 6];
const COEFFS = { clipParam: 0.2, vfClipParam: 0.5, vfLossCoeff: 0.7, klCoeff: 0.3, entropyCoeff: 0.05, useCritic: true };

interface Case {
  name: string;
  space: Space;
  activation: 'tanh' | 'relu' | 'linear';
  shared: boolean;
  freeLogStd: boolean;
}

const CASES: Case[] = [
  { name: 'Discrete(3), tanh, separate value net', space: new Discrete(3), activation: 'tanh', shared: false, freeLogStd: false },
  { name: 'Discrete(2), relu, shared layers', space: new Discrete(2), activation: 'relu', shared: true, freeLogStd: false },
  { name: 'Discrete(4), linear, separate value net', space: new Discrete(4), activation: 'linear', shared: false, freeLogStd: false },
  { name: 'Box(2), tanh, separate value net', space: new Box(-1, 1, [2]), activation: 'tanh', shared: false, freeLogStd: false },
  { name: 'Box(2), relu, shared layers, free log-std', space: new Box(-1, 1, [2]), activation: 'relu', shared: true, freeLogStd: true },
  { name: 'Box(3), linear, separate value net, free log-std', space: new Box(-1, 1, [3]), activation: 'linear', shared: false, freeLogStd: true },
];

/** A layout, random weights, a kernel after forward(), and sampled rows around its outputs. */
function setUp(c: Case, seed: number, hiddens = HIDDENS, rowCount = ROWS) {
  const layout = modelLayout(OBS, c.space, { fcnet_hiddens: hiddens, fcnet_activation: c.activation, vf_share_layers: c.shared, free_log_std: c.freeLogStd });
  const rng = new Random(seed);
  const weights = initialWeights(layout, rng).map((w) => w + 0.3 * rng.normal());
  const kernel = new PPONetworks(layout, 32);
  kernel.params.set(weights);
  for (let i = 0; i < rowCount * OBS; i++) kernel.input[i] = rng.normal();
  kernel.forward(rowCount);
  const dist = distributionFor(c.space);
  const P = dist.inputSize;
  const A = dist.actionSize;
  const rows: LossRows = {
    actions: new Float32Array(rowCount * A),
    logp: new Float32Array(rowCount),
    distInputs: new Float32Array(rowCount * P),
    vfPreds: new Float32Array(rowCount),
    advantages: new Float32Array(rowCount),
    valueTargets: new Float32Array(rowCount),
  };
  for (let i = 0; i < rowCount; i++) {
    // the sampling policy: the current one moved a little, so ratios straddle the clip range
    for (let k = 0; k < P; k++) rows.distInputs[i * P + k] = kernel.distInputs[i * P + k] + 0.4 * rng.normal();
    rows.logp[i] = dist.sample(rows.distInputs, i * P, rng, rows.actions, i * A);
    rows.advantages[i] = rng.normal();
    rows.vfPreds[i] = kernel.values[i] + 0.8 * rng.normal();
    rows.valueTargets[i] = rows.vfPreds[i] + rng.normal();
  }
  return { layout, weights, kernel, dist, rows, numActions: c.space instanceof Discrete ? c.space.n : 0 };
}

/** The largest error over the parameter blocks (each kernel, bias, the log-stds), relative to the block's norm. */
function relativeError(layout: ModelLayout, actual: Float32Array, expected: Float32Array): number {
  return blockRelativeError(layout.layers, actual, expected, layout.logStdOffset === null ? [] : [[layout.logStdOffset, layout.totalSize]]);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe.each(CASES)('$name', (c) => {
  const TERMS: Term[] = ['policy', 'kl', 'entropy', 'value', 'total'];
  test.each(TERMS)('the %s term and its gradient agree with tfjs autodiff to 1e-4', (term) => {
    for (const seed of [1, 2]) {
      const { layout, weights, kernel, dist, rows, numActions } = setUp(c, seed);
      kernel.dDistInputs.fill(0);
      kernel.dValues.fill(0);
      let value: number;
      const inputs = kernel.distInputs;
      if (term === 'policy') value = surrogateLoss(dist, rows, ROWS, inputs, COEFFS.clipParam, 1, kernel.dDistInputs);
      else if (term === 'kl') value = klLoss(dist, rows, ROWS, inputs, 1, kernel.dDistInputs);
      else if (term === 'entropy') value = meanEntropy(dist, rows, ROWS, inputs, 1, kernel.dDistInputs);
      else if (term === 'value') value = valueLoss(rows, ROWS, kernel.values, COEFFS.vfClipParam, 1, kernel.dValues);
      else value = ppoLoss(dist, rows, ROWS, inputs, kernel.values, COEFFS, kernel.dDistInputs, kernel.dValues).total_loss;
      kernel.backward(ROWS);
      const oracle = oracleGradient(layout, weights, kernel.input, rows, ROWS, numActions, COEFFS, term);
      expect(Math.abs(value - oracle.value)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(oracle.value)));
      expect(relativeError(layout, kernel.grads, oracle.grad)).toBeLessThanOrEqual(1e-4);
      // the check has teeth only where the gradient is not zero
      expect(kernel.grads.some((g) => g !== 0)).toBe(true);
    }
  });

  test('the random batches of the checks above (seeds 1 and 2) reach both sides of the surrogate and value clips', () => {
    let ratioOutside = 0;
    let ratioInside = 0;
    let valueOutside = 0;
    for (const seed of [1, 2]) {
      const { kernel, dist, rows } = setUp(c, seed);
      const P = dist.inputSize;
      const A = dist.actionSize;
      for (let i = 0; i < ROWS; i++) {
        const ratio = Math.exp(dist.logp(kernel.distInputs, i * P, rows.actions, i * A) - rows.logp[i]);
        if (Math.abs(ratio - 1) > COEFFS.clipParam) ratioOutside++;
        else ratioInside++;
        // ratios between the policy and the value clip bound tell the two apart
        if (Math.abs(kernel.values[i] - rows.vfPreds[i]) > COEFFS.vfClipParam) valueOutside++;
      }
    }
    expect(ratioOutside).toBeGreaterThan(2);
    expect(ratioInside).toBeGreaterThan(2);
    expect(valueOutside).toBeGreaterThan(2);
  });
});

// Wider layers and leftover rows: 23 rows run the kernel's 4-row blocks and its row remainder;
// 19 units run the 8-wide, 4-wide and scalar outputs (16 only the 8-wide). The 12-unit layer's
// input gradient takes the dot-product path (widths a multiple of 4 from 8); the output layers'
// the transposed-w path.
describe.each([CASES[0], CASES[1], CASES[4]].flatMap((c) => [[19, 12], [16, 12]].map((hiddens) => ({ ...c, hiddens }))))('$name, $hiddens units, 23 rows', (c) => {
  test('the total loss and its gradient agree with tfjs autodiff to 1e-4', () => {
    const rowsCount = 23;
    const { layout, weights, kernel, dist, rows, numActions } = setUp(c, 5, c.hiddens, rowsCount);
    const inputs = kernel.distInputs;
    const value = ppoLoss(dist, rows, rowsCount, inputs, kernel.values, COEFFS, kernel.dDistInputs, kernel.dValues).total_loss;
    kernel.backward(rowsCount);
    const oracle = oracleGradient(layout, weights, kernel.input, rows, rowsCount, numActions, COEFFS, 'total');
    expect(Math.abs(value - oracle.value)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(oracle.value)));
    expect(relativeError(layout, kernel.grads, oracle.grad)).toBeLessThanOrEqual(1e-4);
  });
});

test('ppoLoss without a critic leaves the value network out', () => {
  const { kernel, dist, rows, layout } = setUp(CASES[0], 3);
  const terms = ppoLoss(dist, rows, ROWS, kernel.distInputs, kernel.values, { ...COEFFS, useCritic: false }, kernel.dDistInputs, kernel.dValues);
  expect(terms.vf_loss).toBe(0);
  kernel.backward(ROWS, { value: false });
  for (const index of layout.valuePath) {
    const l = layout.layers[index];
    expect(kernel.grads.subarray(l.kernelOffset, l.biasOffset + l.outSize).every((g) => g === 0)).toBe(true);
  }
});
