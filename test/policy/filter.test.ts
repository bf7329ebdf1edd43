// MeanStdFilter against values worked out by hand. Training and replay share the filter, so an
// error in it is self-consistent and no learning curve shows it: only its output does.
import { describe, expect, test } from '@jest/globals';
import { MeanStdFilter, NoFilter, RunningStat, makeFilter } from '../../src/policy/filter.js';

// Two dimensions chosen so that std and variance differ: [10, 10, 10, 14] has mean 11, sample
// variance (1 + 1 + 1 + 9) / 3 = 4, std 2; [0, 0, 0, 8] has mean 2, variance (4+4+4+36)/3 = 16, std 4.
const SEEN = [
  [10, 0],
  [10, 0],
  [10, 0],
  [14, 8],
];

function filterOut(filter: MeanStdFilter | NoFilter, x: number[], update: boolean): number[] {
  const out = new Float32Array(x.length);
  filter.apply(Float32Array.from(x), 0, out, 0, update);
  return Array.from(out);
}

function expectClose(actual: number[], expected: number[], digits = 6): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, k) => expect(a).toBeCloseTo(expected[k], digits));
}

describe('RunningStat', () => {
  test('mean and sample std (n - 1), as RLlib RunningStat', () => {
    const stat = new RunningStat(2);
    for (const x of SEEN) stat.push(x, 0);
    expect(stat.n).toBe(4);
    expectClose(Array.from(stat.mean), [11, 2]);
    expectClose([stat.std(0), stat.std(1)], [2, 4]);
    expectClose(Array.from(stat.m2), [12, 48]);
  });

  test('reads each observation at its offset', () => {
    const stat = new RunningStat(1);
    const rows = Float32Array.from([99, 10, 99, 14]);
    stat.push(rows, 1);
    stat.push(rows, 3);
    expectClose([stat.mean[0], stat.std(0)], [12, Math.SQRT2 * 2]); // [10, 14]: variance 8
  });

  test('with one sample the std is |mean| (RLlib), with none it is 0', () => {
    const stat = new RunningStat(2);
    expect([stat.std(0), stat.std(1)]).toEqual([0, 0]);
    stat.push([-3, 5], 0);
    expect([stat.std(0), stat.std(1)]).toEqual([3, 5]);
  });

  test('merging two halves equals pushing everything into one (Chan et al.)', () => {
    const left = new RunningStat(2);
    const right = new RunningStat(2);
    SEEN.slice(0, 1).forEach((x) => left.push(x, 0));
    SEEN.slice(1).forEach((x) => right.push(x, 0));
    left.merge(right);
    expect(left.n).toBe(4);
    expectClose(Array.from(left.mean), [11, 2]);
    expectClose(Array.from(left.m2), [12, 48]);
    expect(right.n).toBe(3); // the other side is left alone
  });

  test('merging into an empty stat copies the other; merging an empty one changes nothing', () => {
    const full = new RunningStat(2);
    SEEN.forEach((x) => full.push(x, 0));
    const empty = new RunningStat(2);
    empty.merge(full);
    expect(empty.toJSON()).toEqual(full.toJSON());
    full.merge(new RunningStat(2));
    expect(full.n).toBe(4);
    expectClose(Array.from(full.m2), [12, 48]);
    const none = new RunningStat(2);
    none.merge(new RunningStat(2)); // no 0 / 0
    expect(none.toJSON()).toEqual({ n: 0, mean: [0, 0], m2: [0, 0] });
  });

  test('toJSON / fromJSON / copyFrom / clear', () => {
    const stat = new RunningStat(2);
    SEEN.forEach((x) => stat.push(x, 0));
    const json = stat.toJSON();
    expect(json).toEqual({ n: 4, mean: [11, 2], m2: [12, 48] });
    const back = RunningStat.fromJSON(json);
    expect(back.size).toBe(2);
    expect(back.toJSON()).toEqual(json);
    const copy = new RunningStat(2);
    copy.copyFrom(stat);
    expect(copy.toJSON()).toEqual(json);
    stat.clear();
    expect(stat.toJSON()).toEqual({ n: 0, mean: [0, 0], m2: [0, 0] });
    expect(copy.toJSON()).toEqual(json); // a copy, not a view
  });
});

describe('MeanStdFilter', () => {
  test('output is (x - mean) / std of everything seen, including x itself when updating', () => {
    const filter = new MeanStdFilter(2);
    const outputs = SEEN.map((x) => filterOut(filter, x, true));
    // after [10, 0]: mean [10, 0], std |mean| = [10, 0] -> [0, 0]
    expectClose(outputs[0], [0, 0]);
    // after the fourth: mean [11, 2], std [2, 4]: [(14 - 11) / 2, (8 - 2) / 4]
    expectClose(outputs[3], [1.5, 1.5]);
    // not updating: [(15 - 11) / 2, (-2 - 2) / 4] (dividing by the variance would give [1, -0.25])
    expectClose(filterOut(filter, [15, -2], false), [2, -1]);
    expect(filter.running.n).toBe(4);
  });

  test('updating pushes the raw observation into both the running stat and the buffer', () => {
    const filter = new MeanStdFilter(2);
    SEEN.forEach((x) => filterOut(filter, x, true));
    filterOut(filter, [1000, 1000], false);
    expect(filter.running.toJSON()).toEqual({ n: 4, mean: [11, 2], m2: [12, 48] });
    expect(filter.buffer.toJSON()).toEqual({ n: 4, mean: [11, 2], m2: [12, 48] });
  });

  test('clips to [-10, 10]', () => {
    const filter = new MeanStdFilter(2);
    SEEN.forEach((x) => filterOut(filter, x, true));
    expectClose(filterOut(filter, [1000, -1000], false), [10, -10]);
    // just inside the clip: (31 - 11) / 2 = 10, (-37 - 2) / 4 = -9.75
    expectClose(filterOut(filter, [31, -37], false), [10, -9.75]);
    expectClose(filterOut(filter, [30, -38], false), [9.5, -10]);
  });

  test('a dimension that never varied maps to 0 (the 1e-8 guards the division)', () => {
    const filter = new MeanStdFilter(1);
    filterOut(filter, [0], true);
    filterOut(filter, [0], true);
    expect(filterOut(filter, [0], false)).toEqual([0]);
  });

  test('reads and writes at the given offsets, leaving the rest of the rows alone', () => {
    const filter = new MeanStdFilter(2);
    SEEN.forEach((x) => filterOut(filter, x, true));
    const obs = Float32Array.from([7, 7, 15, -2, 7]);
    const out = new Float32Array(5).fill(-1);
    filter.apply(obs, 2, out, 1, false);
    expectClose(Array.from(out), [-1, 2, -1, -1, -1]);
  });

  test('state round-trips through fromState', () => {
    const filter = new MeanStdFilter(2);
    SEEN.forEach((x) => filterOut(filter, x, true));
    filter.buffer.clear();
    filterOut(filter, [12, 2], true);
    const state = filter.state();
    expect(state.type).toBe('MeanStdFilter');
    expect(state.running.n).toBe(5);
    expect(state.buffer).toEqual({ n: 1, mean: [12, 2], m2: [0, 0] });
    const restored = MeanStdFilter.fromState(state);
    expect(restored.state()).toEqual(state);
    expect(filterOut(restored, [15, -2], false)).toEqual(filterOut(filter, [15, -2], false));
  });

  test('makeFilter: a fresh MeanStdFilter, or NoFilter that copies observations unchanged', () => {
    const fresh = makeFilter('MeanStdFilter', 3);
    expect(fresh).toBeInstanceOf(MeanStdFilter);
    expect((fresh as MeanStdFilter).running.n).toBe(0);
    const none = makeFilter('NoFilter', 2);
    expect(none).toBeInstanceOf(NoFilter);
    const out = new Float32Array(4);
    none.apply(Float32Array.from([0, 123.5, -4, 9]), 1, out, 1, true);
    expect(Array.from(out)).toEqual([0, 123.5, -4, 0]);
  });
});
