// Discrete and Box as Gymnasium's: bounds checked, contains() at the edges, sampling on bounded,
// half-bounded and unbounded dimensions, the string and JSON forms, and spaces read back from JSON.
import { describe, expect, test } from '@jest/globals';
import { Box, Discrete, isNumberArray, spaceFromJSON } from '../../src/envs/spaces.js';
import { Random } from '../../src/utils/random.js';

describe('Discrete', () => {
  test('n must be a positive integer', () => {
    for (const n of [0, -2, 1.5, Number.NaN]) expect(() => new Discrete(n)).toThrow(`Discrete needs a positive integer n, got ${n}`);
    expect(new Discrete(1).n).toBe(1);
  });

  test('contains the integers start .. start + n - 1 and nothing else', () => {
    const d = new Discrete(3, 5);
    expect([4, 5, 6, 7, 8].map((x) => d.contains(x))).toEqual([false, true, true, true, false]);
    for (const bad of [5.5, '5', null, [5], Number.NaN]) expect(d.contains(bad)).toBe(false);
  });

  test('samples every value start .. start + n - 1', () => {
    const d = new Discrete(3, 5);
    const rng = new Random(0);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(d.sample(rng));
    expect([...seen].sort()).toEqual([5, 6, 7]);
  });

  test('string and JSON forms; one value per action', () => {
    expect(String(new Discrete(2))).toBe('Discrete(2)');
    expect(String(new Discrete(3, -1))).toBe('Discrete(3, start=-1)');
    expect(new Discrete(3, -1).toJSON()).toEqual({ type: 'Discrete', n: 3, start: -1 });
    expect(new Discrete(4).flatSize).toBe(1);
    expect(new Discrete(4).shape).toEqual([]);
  });
});

describe('Box', () => {
  test('bounds from numbers and a shape, from arrays, or a number and an array; float32', () => {
    const a = new Box(-1, 2, [2, 3]);
    expect([a.size, a.flatSize, a.shape]).toEqual([6, 6, [2, 3]]);
    expect(Array.from(a.low)).toEqual([-1, -1, -1, -1, -1, -1]);
    expect(Array.from(a.high)).toEqual([2, 2, 2, 2, 2, 2]);
    const b = new Box([0, 1], [2, 3]);
    expect([b.size, b.shape]).toEqual([2, [2]]);
    const c = new Box(0, [1, 2, 3]);
    expect([c.size, Array.from(c.low), Array.from(c.high)]).toEqual([3, [0, 0, 0], [1, 2, 3]]);
    const d = new Box([4, 5], 9);
    expect([d.size, Array.from(d.high)]).toEqual([2, [9, 9]]);
    expect(new Box(0, 0.1, [1]).high[0]).toBe(Math.fround(0.1));
    expect(new Box(0, 1).size).toBe(1);
  });

  test('bounds that do not match the shape are refused', () => {
    expect(() => new Box([0, 0], [1, 1, 1])).toThrow('Box bounds do not match shape [2]');
    expect(() => new Box([0, 0], [1, 1], [3])).toThrow('Box bounds do not match shape [3]');
    expect(() => new Box(0, [1, 1], [3])).toThrow(/do not match/);
  });

  test('contains: arrays of the right length inside the bounds, edges included', () => {
    const box = new Box([-1, 0], [1, 2]);
    expect(box.contains([-1, 2])).toBe(true);
    expect(box.contains(Float32Array.of(0, 1))).toBe(true);
    for (const bad of [[-1.5, 0], [0, 2.5], [1.5, 0], [0, -0.5], [0], [0, 0, 0], [Number.NaN, 0], ['0', 0], 0, null]) expect(box.contains(bad)).toBe(false);
  });

  test('samples uniformly inside finite bounds, exponentially beyond one bound, normally with none (as Gymnasium)', () => {
    const box = new Box([2, 1, -Infinity, -Infinity], [4, Infinity, 0, Infinity]);
    const rng = new Random(1);
    const n = 4000;
    const sums = [0, 0, 0, 0];
    let negativeUnbounded = 0;
    for (let i = 0; i < n; i++) {
      const x = box.sample(rng);
      expect(x[0] >= 2 && x[0] <= 4).toBe(true);
      expect(x[1]).toBeGreaterThanOrEqual(1);
      expect(x[2]).toBeLessThanOrEqual(0);
      if (x[3] < 0) negativeUnbounded++;
      x.forEach((v, k) => (sums[k] += v));
    }
    // means 3, 1 + 1, 0 - 1 (exponential of mean 1 from the bound), 0; 4 standard errors
    expect(Math.abs(sums[0] / n - 3)).toBeLessThan(4 * Math.sqrt(1 / 3 / n));
    expect(Math.abs(sums[1] / n - 2)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sums[2] / n + 1)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sums[3] / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(negativeUnbounded).toBeGreaterThan(n / 2 - 4 * Math.sqrt(n / 4));
  });

  test('float32, as its dtype says; a sample draws exactly one uniform per bounded dimension', () => {
    const box = new Box(-1, 2, [2]);
    expect(box.dtype).toBe('float32');
    const rng = new Random(4);
    const reference = new Random(4);
    for (let i = 0; i < 3; i++) {
      const x = box.sample(rng);
      expect(Array.from(x)).toEqual([reference.uniform(-1, 2), reference.uniform(-1, 2)].map(Math.fround));
    }
  });

  test("string form: one bound when all equal, else a list; inf for unbounded; 6 significant digits", () => {
    expect(String(new Box(-1, 1, [2]))).toBe('Box(-1, 1, (2,), float32)');
    expect(String(new Box([-Infinity, 0], [Infinity, 0.1]))).toBe('Box([-inf 0], [inf 0.1], (2,), float32)');
    expect(String(new Box(0, Math.PI, [1]))).toBe('Box(0, 3.14159, (1,), float32)');
    expect(String(new Box(0, 1, [2, 3]))).toBe('Box(0, 1, (2, 3), float32)'); // a shape as Python prints a tuple
  });

  test('JSON form: infinite bounds as strings, read back by spaceFromJSON', () => {
    const box = new Box([-Infinity, 0], [Infinity, 1]);
    const json = box.toJSON();
    expect(json).toEqual({ type: 'Box', shape: [2], dtype: 'float32', low: ['-Infinity', 0], high: ['Infinity', 1] });
    const back = spaceFromJSON(json) as Box;
    expect(back).toBeInstanceOf(Box);
    expect(Array.from(back.low)).toEqual([-Infinity, 0]);
    expect(Array.from(back.high)).toEqual([Infinity, 1]);
    expect(back.shape).toEqual([2]);
  });
});

test('spaceFromJSON: Discrete with its start (0 by default); a missing n or bounds are refused', () => {
  const d = spaceFromJSON({ type: 'Discrete', n: 4, start: 2 }) as Discrete;
  expect([d.n, d.start]).toEqual([4, 2]);
  expect((spaceFromJSON({ type: 'Discrete', n: 4 }) as Discrete).start).toBe(0);
  expect(() => spaceFromJSON({ type: 'Discrete' })).toThrow('Discrete needs a positive integer n, got 0');
  expect(() => spaceFromJSON({ type: 'Box', high: [1], shape: [1] })).toThrow(/do not match/);
  expect(() => spaceFromJSON({ type: 'Box', low: [1], shape: [1] })).toThrow(/do not match/);
});

test('isNumberArray: arrays of numbers and typed arrays, not DataViews or mixed arrays', () => {
  expect(isNumberArray([1, 2])).toBe(true);
  expect(isNumberArray([])).toBe(true);
  expect(isNumberArray(Float64Array.of(1))).toBe(true);
  expect(isNumberArray(new DataView(new ArrayBuffer(8)))).toBe(false);
  expect(isNumberArray([1, '2'])).toBe(false);
  expect(isNumberArray('12')).toBe(false);
  expect(isNumberArray({ length: 1, 0: 1 })).toBe(false);
});
