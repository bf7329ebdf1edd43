// EnvActions (policy actions -> env actions: Box clipping, Discrete start) and the exploration
// helpers, on their own: offsets, several rows, and the checks that refuse what they cannot do.
import { describe, expect, test } from '@jest/globals';
import { EnvActions } from '../../src/execution/env_actions.js';
import { applyEpsilonGreedy, explorationProblem, randomActions, samplesFromPolicy } from '../../src/execution/exploration.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import { Random } from '../../src/utils/random.js';

describe('EnvActions', () => {
  const box = new Box([-1, 0], [1, 4]);

  test('clips each Box value to its own bounds, row by row, from and to offsets', () => {
    const convert = new EnvActions(box, true);
    expect(convert.actionSize).toBe(2);
    const actions = Float32Array.of(9, -3, 5, 0.5, 2, -2, 0.25, 9, 9);
    const out = new Float32Array(10).fill(7);
    convert.convert(actions, 1, out, 2, 3);
    // rows (-3, 5) (0.5, 2) (-2, 0.25) -> (-1, 4) (0.5, 2) (-1, 0.25); nothing past the third row
    expect(Array.from(out)).toEqual([7, 7, -1, 4, 0.5, 2, -1, 0.25, 7, 7]);
  });

  test('values exactly at the bounds pass unchanged', () => {
    const out = new Float32Array(2);
    new EnvActions(box, true).convert(Float32Array.of(-1, 4), 0, out, 0);
    expect(Array.from(out)).toEqual([-1, 4]);
  });

  test('clip off copies Box actions as they are', () => {
    const out = new Float32Array(6).fill(7);
    new EnvActions(box, false).convert(Float32Array.of(9, -3, 5, 0.5, 1, 1), 0, out, 0, 2);
    expect(Array.from(out)).toEqual([9, -3, 5, 0.5, 7, 7]);
  });

  test("Discrete actions are shifted by the space's start, row by row", () => {
    const shifted = new EnvActions(new Discrete(3, -1), true);
    expect(shifted.actionSize).toBe(1);
    const out = new Float32Array(4).fill(9);
    shifted.convert(Float32Array.of(5, 0, 1, 2), 1, out, 1, 3);
    expect(Array.from(out)).toEqual([9, -1, 0, 1]);
    const plain = new Float32Array(4).fill(9);
    new EnvActions(new Discrete(3), true).convert(Float32Array.of(2, 0, 1), 0, plain, 1, 2);
    expect(Array.from(plain)).toEqual([9, 2, 0, 9]);
  });
});

describe('exploration', () => {
  test('only stochastic exploration samples from the policy', () => {
    expect(samplesFromPolicy({ type: 'stochastic' })).toBe(true);
    expect(samplesFromPolicy({ type: 'greedy' })).toBe(false);
    expect(samplesFromPolicy({ type: 'random' })).toBe(false);
    expect(samplesFromPolicy({ type: 'epsilon_greedy', epsilon: 0.1 })).toBe(false);
  });

  test('explorationProblem: epsilon-greedy needs a Discrete space and epsilon in [0, 1]', () => {
    const discrete = new Discrete(2);
    expect(explorationProblem({ type: 'epsilon_greedy', epsilon: 0 }, discrete)).toBeNull();
    expect(explorationProblem({ type: 'epsilon_greedy', epsilon: 1 }, discrete)).toBeNull();
    expect(explorationProblem({ type: 'epsilon_greedy', epsilon: 1.5 }, discrete)).toBe('epsilon must be in [0, 1], got 1.5');
    expect(explorationProblem({ type: 'epsilon_greedy', epsilon: -0.1 }, discrete)).toBe('epsilon must be in [0, 1], got -0.1');
    expect(explorationProblem({ type: 'epsilon_greedy', epsilon: Number.NaN }, discrete)).toMatch(/got NaN/);
    expect(explorationProblem({ type: 'epsilon_greedy', epsilon: 0.1 }, new Box(-1, 1, [1]))).toBe('epsilon-greedy exploration needs a Discrete action space');
    expect(explorationProblem({ type: 'stochastic' }, new Box(-1, 1, [1]))).toBeNull();
    expect(explorationProblem({ type: 'random' }, discrete)).toBeNull();
  });

  test('applyEpsilonGreedy touches only the first `rows` rows', () => {
    const actions = new Float32Array(6).fill(9);
    expect(applyEpsilonGreedy(actions, 4, 3, 1, new Random(5))).toBe(4);
    expect(actions.subarray(0, 4).every((a) => a >= 0 && a < 3)).toBe(true);
    expect(Array.from(actions.subarray(4))).toEqual([9, 9]);
  });

  test('randomActions spreads each Box dimension over its own bounds', () => {
    const actions = new Float32Array(2000);
    randomActions(new Box([-1, 10], [1, 14]), actions, 1000, new Random(4));
    const dim = (k: number) => Array.from({ length: 1000 }, (_, r) => actions[2 * r + k]);
    for (const [k, lo, hi] of [
      [0, -1, 1],
      [1, 10, 14],
    ]) {
      const values = dim(k);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...values)).toBeLessThanOrEqual(hi);
      expect(Math.min(...values)).toBeLessThan(lo + 0.02 * (hi - lo));
      expect(Math.max(...values)).toBeGreaterThan(hi - 0.02 * (hi - lo));
    }
  });

  test('randomActions writes only `rows` rows and refuses unbounded Boxes and other spaces', () => {
    const actions = new Float32Array(4).fill(9);
    randomActions(new Discrete(3), actions, 2, new Random(1));
    expect(actions[2]).toBe(9);
    expect(actions[3]).toBe(9);
    const box = new Float32Array(6).fill(9);
    randomActions(new Box([-1, 0], [1, 4]), box, 2, new Random(1));
    expect(Array.from(box.subarray(4))).toEqual([9, 9]);
    expect(() => randomActions(new Box([-1, -Infinity], [1, 0]), new Float32Array(2), 1, new Random(1))).toThrow(/finite bounds/);
    expect(() => randomActions(new Box([-1, 0], [1, Infinity]), new Float32Array(2), 1, new Random(1))).toThrow(/finite bounds/);
    expect(() => randomActions({ type: 'Tuple' } as never, new Float32Array(2), 1, new Random(1))).toThrow(/unsupported action space/);
  });
});
