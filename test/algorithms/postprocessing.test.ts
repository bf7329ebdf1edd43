import { describe, expect, test } from '@jest/globals';
import { computeAdvantages, standardize } from '../../src/algorithms/ppo/postprocessing.js';
import { nextKlCoeff } from '../../src/algorithms/ppo/learner.js';
import { scheduleValue } from '../../src/training/schedule.js';
import { effectiveFragmentLength } from '../../src/config/common.js';
import { PPO_DEFAULTS } from '../../src/algorithms/ppo/defaults.js';

const gae = { gamma: 0.9, lambda: 0.5, useGae: true, useCritic: true };

function run(rewards: number[], values: number[], last: number, options = gae) {
  const adv = new Float32Array(rewards.length);
  const targets = new Float32Array(rewards.length);
  computeAdvantages(rewards, values, last, options, adv, targets);
  return { adv: Array.from(adv), targets: Array.from(targets) };
}

describe('GAE (worked by hand)', () => {
  // rewards 1, 1, 1; V = 0.5, 0.4, 0.3; gamma 0.9, lambda 0.5
  test('terminated episode: no bootstrap', () => {
    // deltas: 1 + 0.9*0.4 - 0.5 = 0.86; 1 + 0.9*0.3 - 0.4 = 0.87; 1 + 0 - 0.3 = 0.7
    // A2 = 0.7; A1 = 0.87 + 0.45*0.7 = 1.185; A0 = 0.86 + 0.45*1.185 = 1.39325
    const { adv, targets } = run([1, 1, 1], [0.5, 0.4, 0.3], 0);
    expect(adv[2]).toBeCloseTo(0.7, 6);
    expect(adv[1]).toBeCloseTo(1.185, 6);
    expect(adv[0]).toBeCloseTo(1.39325, 6);
    expect(targets[0]).toBeCloseTo(1.89325, 6);
  });

  test('truncated episode or fragment cut: bootstraps with V(s) of the next state', () => {
    // last value 2: delta2 = 1 + 0.9*2 - 0.3 = 2.5; A1 = 0.87 + 0.45*2.5 = 1.995; A0 = 0.86 + 0.45*1.995 = 1.75775
    const { adv, targets } = run([1, 1, 1], [0.5, 0.4, 0.3], 2);
    expect(adv[2]).toBeCloseTo(2.5, 6);
    expect(adv[1]).toBeCloseTo(1.995, 6);
    expect(adv[0]).toBeCloseTo(1.75775, 6);
    expect(targets[2]).toBeCloseTo(2.8, 6);
  });

  test('segments of one buffer are independent', () => {
    const rewards = [1, 1, 1, 5, 5];
    const values = [0.5, 0.4, 0.3, 1, 1];
    const adv = new Float32Array(5);
    const targets = new Float32Array(5);
    computeAdvantages(rewards, values, 0, gae, adv, targets, 0, 3);
    computeAdvantages(rewards, values, 1, gae, adv, targets, 3, 5);
    expect(adv[0]).toBeCloseTo(1.39325, 6);
    // delta4 = 5 + 0.9 - 1 = 4.9; delta3 = 5 + 0.9 - 1 = 4.9; A3 = 4.9 + 0.45*4.9
    expect(adv[3]).toBeCloseTo(4.9 * 1.45, 5);
  });

  test('lambda 1 gives discounted returns minus values; no critic gives plain returns', () => {
    const mc = run([1, 1], [0.2, 0.1], 0, { gamma: 0.9, lambda: 1, useGae: true, useCritic: true });
    expect(mc.targets[0]).toBeCloseTo(1.9, 6);
    expect(mc.adv[0]).toBeCloseTo(1.7, 6);
    const noCritic = run([1, 1], [0.2, 0.1], 0, { gamma: 0.9, lambda: 1, useGae: false, useCritic: false });
    expect(noCritic.adv).toEqual([expect.closeTo(1.9, 6), 1]);
    expect(noCritic.targets).toEqual([0, 0]);
  });
});

test('standardize: zero mean, unit std', () => {
  const x = new Float32Array([1, 2, 3, 4]);
  standardize(x);
  const mean = x.reduce((a, b) => a + b, 0) / 4;
  const std = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
  expect(mean).toBeCloseTo(0, 6);
  expect(std).toBeCloseTo(1, 5);
});

describe('Monte-Carlo returns (use_gae false) and the options RLlib refuses', () => {
  test('with a critic: advantages are bootstrapped returns minus V(s), value targets the returns', () => {
    // gamma 0.9, last value 0.5: R1 = 1 + 0.9 * 0.5 = 1.45, R0 = 1 + 0.9 * 1.45 = 2.305
    const { adv, targets } = run([1, 1], [0.2, 0.1], 0.5, { gamma: 0.9, lambda: 0.5, useGae: false, useCritic: true });
    expect(adv).toEqual([expect.closeTo(2.105, 6), expect.closeTo(1.35, 6)]);
    expect(targets).toEqual([expect.closeTo(2.305, 6), expect.closeTo(1.45, 6)]);
  });

  test('only the rows of [start, end) are written', () => {
    const adv = new Float32Array(4).fill(9);
    const targets = new Float32Array(4).fill(9);
    computeAdvantages([1, 1, 1, 1], [0, 0, 0, 0], 0, { gamma: 1, lambda: 1, useGae: false, useCritic: true }, adv, targets, 1, 3);
    expect(Array.from(adv)).toEqual([9, 2, 1, 9]);
    expect(Array.from(targets)).toEqual([9, 2, 1, 9]);
  });

  test('use_gae without use_critic is refused, as in RLlib', () => {
    expect(() => run([1], [0], 0, { gamma: 0.9, lambda: 0.5, useGae: true, useCritic: false })).toThrow(new RangeError('use_gae requires use_critic (as in RLlib)'));
  });
});

test('standardize divides by the std floored at 1e-4: a constant batch becomes zeros, a tiny spread stays small', () => {
  const constant = new Float32Array([3, 3, 3]);
  standardize(constant);
  expect(Array.from(constant)).toEqual([0, 0, 0]);
  // mean 5e-6, std 5e-6: divided by 1e-4, not by the std
  const tiny = new Float32Array([0, 1e-5]);
  standardize(tiny);
  expect(Array.from(tiny)).toEqual([expect.closeTo(-0.05, 6), expect.closeTo(0.05, 6)]);
  // the std of [1, 2, 3, 4] is sqrt(1.25) (population std, divided by n)
  const x = new Float32Array([1, 2, 3, 4]);
  standardize(x);
  expect(x[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 6);
  const empty = new Float32Array(0);
  expect(() => standardize(empty)).not.toThrow();
});

test('adaptive KL coefficient follows RLlib: x1.5 above 2 x target, x0.5 below half', () => {
  expect(nextKlCoeff(0.2, 0.03, 0.01)).toBeCloseTo(0.3);
  expect(nextKlCoeff(0.2, 0.004, 0.01)).toBeCloseTo(0.1);
  expect(nextKlCoeff(0.2, 0.01, 0.01)).toBe(0.2);
  expect(nextKlCoeff(0.2, 0.02, 0.01)).toBe(0.2);
  expect(nextKlCoeff(0.2, 0.005, 0.01)).toBe(0.2); // exactly half the target: kept, as RLlib's strict <
});

test('piecewise-linear schedules', () => {
  const s: [number, number][] = [[0, 1e-3], [1000, 1e-4]];
  expect(scheduleValue(s, 0, 5)).toBe(1e-3);
  expect(scheduleValue(s, 500, 5)).toBeCloseTo(5.5e-4, 10);
  expect(scheduleValue(s, 5000, 5)).toBe(1e-4);
  expect(scheduleValue(null, 10, 5)).toBe(5);
});

test("rollout_fragment_length is raised as RLlib 1.x does when train_batch_size is not a multiple", () => {
  expect(effectiveFragmentLength({ ...PPO_DEFAULTS, num_workers: 8 })).toBe(500);
  expect(effectiveFragmentLength({ ...PPO_DEFAULTS, num_workers: 2 })).toBe(200);
  expect(effectiveFragmentLength({ ...PPO_DEFAULTS, num_workers: 0, num_envs_per_worker: 20, train_batch_size: 512 })).toBe(26);
});
