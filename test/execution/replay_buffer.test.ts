// The replay buffers: capacity and wrap-around of the ring, uniform sampling, prioritized
// sampling in proportion to p^alpha, importance weights (N P(i))^-beta / max weight, and
// priority updates |td| + eps. Fixed seeds; the distribution checks are chi-square statistics
// against critical values at p = 0.001, so a correct sampler passes them with a seed.
import { describe, expect, test } from '@jest/globals';
import { PrioritizedReplayBuffer, ReplayBuffer, allocateTransitions, type Transitions } from '../../src/execution/replay_buffer.js';
import { Random } from '../../src/utils/random.js';

/** count rows whose every column encodes the row's id (first + r), observations of width 2. */
function rows(first: number, count: number): Transitions {
  const t = allocateTransitions(count, 2, 1);
  for (let r = 0; r < count; r++) {
    const id = first + r;
    t.obs.set([id, -id], 2 * r);
    t.nextObs.set([id + 0.5, -id - 0.5], 2 * r);
    t.actions[r] = id % 3;
    t.rewards[r] = id * 10;
    t.terminated[r] = id % 2;
    t.discounts[r] = 0.9;
  }
  return t;
}

/** Pearson's chi-square statistic of observed counts against expected ones. */
function chiSquare(observed: number[], expected: number[]): number {
  return observed.reduce((sum, o, i) => sum + (o - expected[i]) ** 2 / expected[i], 0);
}

describe('ReplayBuffer', () => {
  test('holds at most capacity rows and overwrites the oldest first', () => {
    const buffer = new ReplayBuffer(5, 2, 1, new Random(1));
    buffer.add(rows(0, 3));
    expect(buffer.size).toBe(3);
    buffer.add(rows(3, 4)); // ids 0..6 into 5 slots: 5 and 6 replace 0 and 1
    expect(buffer.size).toBe(5);
    expect(buffer.addedTotal).toBe(7);
    const ids = new Set<number>();
    const sample = buffer.sample(500);
    for (let i = 0; i < sample.count; i++) {
      const id = sample.obs[2 * i];
      ids.add(id);
      // every column of a row travels together
      expect(sample.obs[2 * i + 1]).toBe(-id);
      expect(sample.nextObs[2 * i]).toBe(id + 0.5);
      expect(sample.nextObs[2 * i + 1]).toBe(-id - 0.5);
      expect(sample.actions[i]).toBe(id % 3);
      expect(sample.rewards[i]).toBe(id * 10);
      expect(sample.terminated[i]).toBe(id % 2);
      expect(sample.discounts[i]).toBeCloseTo(0.9, 6);
      expect(sample.weights[i]).toBe(1);
      expect(sample.indices[i]).toBe(id % 5); // ids 5 and 6 sit in slots 0 and 1
    }
    expect([...ids].sort()).toEqual([2, 3, 4, 5, 6]);
  });

  test('slots follow the ring: the sixth row lands in slot 0', () => {
    const buffer = new ReplayBuffer(5, 2, 1, new Random(2));
    buffer.add(rows(0, 6));
    const sample = buffer.sample(200);
    for (let i = 0; i < sample.count; i++) expect(sample.obs[2 * i]).toBe(sample.indices[i] === 0 ? 5 : sample.indices[i]);
  });

  test('uniform sampling: every stored row equally likely (chi-square, 9 degrees of freedom)', () => {
    const buffer = new ReplayBuffer(10, 2, 1, new Random(3));
    buffer.add(rows(0, 10));
    const counts = new Array<number>(10).fill(0);
    const draws = 20000;
    for (let k = 0; k < draws / 100; k++) {
      const sample = buffer.sample(100);
      for (let i = 0; i < sample.count; i++) counts[sample.obs[2 * i]] += 1;
    }
    // 27.88 is the p = 0.001 critical value of chi-square with 9 degrees of freedom
    expect(chiSquare(counts, new Array(10).fill(draws / 10))).toBeLessThan(27.88);
  });

  test('actions two values wide (Box actions) travel with their row', () => {
    const buffer = new ReplayBuffer(4, 1, 2, new Random(5));
    const t = allocateTransitions(4, 1, 2);
    for (let r = 0; r < 4; r++) {
      t.obs[r] = r;
      t.actions.set([10 * r, -10 * r - 1], 2 * r);
    }
    buffer.add(t);
    const sample = buffer.sample(40);
    expect(sample.actions).toHaveLength(80);
    for (let i = 0; i < sample.count; i++) expect([sample.actions[2 * i], sample.actions[2 * i + 1]]).toEqual([10 * sample.obs[i], -10 * sample.obs[i] - 1]);
  });

  test('a sample of n rows takes exactly n draws from the generator', () => {
    const buffer = new ReplayBuffer(8, 2, 1, new Random(4));
    buffer.add(rows(0, 8));
    const reference = new Random(4);
    const draws = (n: number) => Array.from({ length: n }, () => reference.integer(8));
    expect(Array.from(buffer.sample(3).indices)).toEqual(draws(3));
    expect(Array.from(buffer.sample(2).indices)).toEqual(draws(2));
  });

  test('same seed, same samples', () => {
    const a = new ReplayBuffer(8, 2, 1, new Random(4));
    const b = new ReplayBuffer(8, 2, 1, new Random(4));
    a.add(rows(0, 8));
    b.add(rows(0, 8));
    expect(Array.from(a.sample(32).indices)).toEqual(Array.from(b.sample(32).indices));
  });

  test('refuses to sample an empty buffer and a bad capacity', () => {
    expect(() => new ReplayBuffer(5, 2, 1, new Random(1)).sample(4)).toThrow('cannot sample from an empty replay buffer');
    expect(() => new ReplayBuffer(0, 2, 1, new Random(1))).toThrow('replay buffer capacity must be a positive integer, got 0');
    expect(() => new ReplayBuffer(2.5, 2, 1, new Random(1))).toThrow('replay buffer capacity must be a positive integer, got 2.5');
  });

  test('a capacity of 1 keeps the last row', () => {
    const buffer = new ReplayBuffer(1, 2, 1, new Random(1));
    buffer.add(rows(0, 3));
    expect(buffer.size).toBe(1);
    expect(Array.from(buffer.sample(2).obs)).toEqual([2, -2, 2, -2]);
  });

  test('refuses a sample size that is not a positive integer', () => {
    const buffer = new ReplayBuffer(4, 2, 1, new Random(1));
    buffer.add(rows(0, 2));
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => buffer.sample(n)).toThrow(`sample size must be a positive integer, got ${n}`);
    expect(buffer.sample(1).count).toBe(1);
  });
});

describe('PrioritizedReplayBuffer', () => {
  const options = { alpha: 0.6, beta: 0.4, eps: 1e-6 };

  /** A full buffer of 6 rows (capacity 6, not a power of two) with priorities 1..6. */
  function withPriorities(seed: number) {
    const buffer = new PrioritizedReplayBuffer(6, 2, 1, new Random(seed), options);
    buffer.add(rows(0, 6));
    const tdErrors = [1, -2, 3, -4, 5, -6].map((x) => x - Math.sign(x) * options.eps);
    buffer.updatePriorities(Int32Array.from([0, 1, 2, 3, 4, 5]), tdErrors);
    return buffer;
  }

  test('new rows get the largest priority seen so far', () => {
    const buffer = new PrioritizedReplayBuffer(4, 2, 1, new Random(1), options);
    buffer.add(rows(0, 2));
    expect(buffer.priorityWeight(0)).toBeCloseTo(1, 12);
    buffer.updatePriorities(Int32Array.of(0), [3]);
    buffer.add(rows(2, 1));
    expect(buffer.priorityWeight(2)).toBeCloseTo((3 + 1e-6) ** 0.6, 9);
    expect(buffer.priorityWeight(1)).toBeCloseTo(1, 12);
  });

  test('update_priorities stores (|td| + eps)^alpha', () => {
    const buffer = new PrioritizedReplayBuffer(4, 2, 1, new Random(1), options);
    buffer.add(rows(0, 4));
    buffer.updatePriorities(Int32Array.of(1, 3), [-0.5, 0]);
    expect(buffer.priorityWeight(1)).toBeCloseTo((0.5 + 1e-6) ** 0.6, 9);
    // a zero TD error still leaves the row a chance: eps^alpha
    expect(buffer.priorityWeight(3)).toBeCloseTo(1e-6 ** 0.6, 12);
    expect(() => buffer.updatePriorities(Int32Array.of(0), [NaN])).toThrow(/not finite/);
    expect(() => buffer.updatePriorities(Int32Array.of(7), [1])).toThrow(/outside/);
  });

  test('samples rows in proportion to p^alpha (chi-square, 5 degrees of freedom)', () => {
    const buffer = withPriorities(5);
    const p = [1, 2, 3, 4, 5, 6].map((x) => x ** options.alpha);
    const total = p.reduce((a, b) => a + b, 0);
    const draws = 30000;
    const counts = new Array<number>(6).fill(0);
    for (let k = 0; k < draws / 300; k++) {
      const sample = buffer.sample(300);
      for (let i = 0; i < sample.count; i++) counts[sample.indices[i]] += 1;
    }
    // 20.52 is the p = 0.001 critical value of chi-square with 5 degrees of freedom
    expect(chiSquare(counts, p.map((x) => (draws * x) / total))).toBeLessThan(20.52);
    // and not uniform: the same counts are far from equal shares
    expect(chiSquare(counts, new Array(6).fill(draws / 6))).toBeGreaterThan(200);
  });

  test('importance weights are (N P(i))^-beta over the largest weight', () => {
    const buffer = withPriorities(6);
    const p = [1, 2, 3, 4, 5, 6].map((x) => x ** options.alpha);
    const total = p.reduce((a, b) => a + b, 0);
    const weight = (i: number) => (6 * (p[i] / total)) ** -options.beta;
    const sample = buffer.sample(200);
    const seen = new Set<number>();
    for (let i = 0; i < sample.count; i++) {
      const slot = sample.indices[i];
      seen.add(slot);
      expect(sample.weights[i]).toBeCloseTo(weight(slot) / weight(0), 5);
      expect(sample.obs[2 * i]).toBe(slot);
    }
    expect(seen.size).toBe(6);
    // the least likely row has weight 1; beta 0 switches the correction off
    expect(Math.max(...sample.weights)).toBeCloseTo(1, 6);
    expect(Array.from(buffer.sample(20, 0).weights).every((w) => w === 1)).toBe(true);
  });

  test('a row whose priority drops is sampled less: updates move the distribution', () => {
    const buffer = new PrioritizedReplayBuffer(2, 2, 1, new Random(7), { alpha: 1, beta: 0.4, eps: 1e-6 });
    buffer.add(rows(0, 2));
    buffer.updatePriorities(Int32Array.of(0, 1), [9, 1]);
    const share = () => {
      const sample = buffer.sample(4000);
      return sample.indices.reduce((n, slot) => n + (slot === 0 ? 1 : 0), 0) / 4000;
    };
    expect(share()).toBeGreaterThan(0.87); // 0.9 expected
    buffer.updatePriorities(Int32Array.of(0, 1), [1, 9]);
    expect(share()).toBeLessThan(0.13); // 0.1 expected
  });

  test('alpha 0 is uniform replay', () => {
    const buffer = new PrioritizedReplayBuffer(4, 2, 1, new Random(8), { alpha: 0, beta: 0.4, eps: 1e-6 });
    buffer.add(rows(0, 4));
    buffer.updatePriorities(Int32Array.of(0, 1, 2, 3), [100, 1, 0.1, 0]);
    const counts = [0, 0, 0, 0];
    for (const slot of buffer.sample(8000).indices) counts[slot] += 1;
    // 16.27: p = 0.001, 3 degrees of freedom
    expect(chiSquare(counts, [2000, 2000, 2000, 2000])).toBeLessThan(16.27);
  });

  test('refuses a negative alpha, mismatched TD errors and slots outside the stored rows', () => {
    expect(() => new PrioritizedReplayBuffer(4, 2, 1, new Random(1), { ...options, alpha: -0.1 })).toThrow('prioritized_replay_alpha must be >= 0, got -0.1');
    expect(() => new PrioritizedReplayBuffer(4, 2, 1, new Random(1), { ...options, alpha: Number.NaN })).toThrow(/alpha must be >= 0, got NaN/);
    const buffer = new PrioritizedReplayBuffer(4, 2, 1, new Random(1), options);
    buffer.add(rows(0, 3));
    expect(() => buffer.updatePriorities(Int32Array.of(0, 1), [1])).toThrow('2 indices but 1 TD errors');
    expect(() => buffer.updatePriorities(Int32Array.of(3), [1])).toThrow('slot 3 is outside the 3 stored rows');
    expect(() => buffer.updatePriorities(Int32Array.of(-1), [1])).toThrow('slot -1 is outside the 3 stored rows');
    expect(() => buffer.updatePriorities(Int32Array.of(0), [Number.POSITIVE_INFINITY])).toThrow('TD error Infinity for slot 0 is not finite');
    buffer.updatePriorities(Int32Array.of(2), [1]); // the last stored slot is fine
    expect(buffer.priorityWeight(2)).toBeCloseTo((1 + 1e-6) ** 0.6, 12);
  });

  test('a prioritized sample of n rows takes exactly n uniform draws', () => {
    const drawn: number[] = [];
    const rng = new Random(3);
    const counting = { uniform: () => (drawn.push(0), rng.uniform()) } as unknown as Random;
    const buffer = new PrioritizedReplayBuffer(4, 2, 1, counting, options);
    buffer.add(rows(0, 4));
    buffer.sample(5);
    expect(drawn).toHaveLength(5);
  });

  test('a draw of mass exactly at a row boundary goes to the next row (leaves summing to more than the mass)', () => {
    // priorities 1, 1 (alpha 1): total 2; a uniform draw of 0.5 is mass 1, the first row's sum exactly
    const half = { uniform: () => 0.5 } as unknown as Random;
    const buffer = new PrioritizedReplayBuffer(2, 2, 1, half, { alpha: 1, beta: 0, eps: 0 });
    buffer.add(rows(0, 2));
    expect(Array.from(buffer.sample(1).indices)).toEqual([1]);
  });

  test('a draw at the very top of the mass (float rounding) lands on the last stored row, never an empty slot', () => {
    const top = { uniform: () => 1 } as unknown as Random;
    const buffer = new PrioritizedReplayBuffer(3, 2, 1, top, options); // 4 leaves, 3 stored
    buffer.add(rows(0, 3));
    const sample = buffer.sample(2);
    expect(Array.from(sample.indices)).toEqual([2, 2]);
    expect(Array.from(sample.obs)).toEqual([2, -2, 2, -2]);
  });

  test('wraps around like the uniform buffer and keeps sampling only stored rows', () => {
    const buffer = new PrioritizedReplayBuffer(3, 2, 1, new Random(9), options);
    buffer.add(rows(0, 2));
    for (const slot of buffer.sample(300).indices) expect(slot).toBeLessThan(2);
    buffer.add(rows(2, 2)); // id 3 overwrites slot 0
    const sample = buffer.sample(300);
    for (let i = 0; i < sample.count; i++) expect(sample.obs[2 * i]).toBe(sample.indices[i] === 0 ? 3 : sample.indices[i]);
  });
});
