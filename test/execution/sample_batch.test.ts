// The sample batch helpers on columns of different widths: a missing column is named, an added
// column has count x width values, concatenation keeps order and refuses mismatched columns,
// a slice copies rows [start, end).
import { describe, expect, test } from '@jest/globals';
import { addColumn, allocateBatch, column, concatBatches, sliceBatch, type SampleBatch } from '../../src/execution/sample_batch.js';

/** count rows: obs (width 2) = [first + r, -(first + r)], rewards (width 1) = first + r. */
function rows(first: number, count: number): SampleBatch {
  const batch = allocateBatch(count, { obs: 2, rewards: 1 });
  for (let r = 0; r < count; r++) {
    batch.columns.obs.set([first + r, -(first + r)], 2 * r);
    batch.columns.rewards[r] = first + r;
  }
  return batch;
}

describe('sample batches', () => {
  test('column: the named column, or an error naming the columns there are', () => {
    const batch = rows(0, 2);
    expect(column(batch, 'obs')).toBe(batch.columns.obs);
    expect(() => column(batch, 'advantages')).toThrow("the sample batch has no column 'advantages'; it has obs, rewards");
    expect(() => column(batch, 'toString')).toThrow(/no column 'toString'/); // not an inherited property
  });

  test('addColumn: count x width zeros, recorded with its width', () => {
    const batch = rows(0, 3);
    const values = addColumn(batch, 'dist', 2);
    expect(values).toHaveLength(6);
    expect(Array.from(values)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(batch.widths.dist).toBe(2);
    expect(batch.columns.dist).toBe(values);
    expect(addColumn(batch, 'advantages')).toHaveLength(3);
  });

  test('concatBatches: rows in the order given', () => {
    const out = concatBatches([rows(0, 2), rows(10, 1), rows(20, 2)]);
    expect(out.count).toBe(5);
    expect(Array.from(out.columns.rewards)).toEqual([0, 1, 10, 20, 21]);
    expect(Array.from(out.columns.obs)).toEqual([0, -0, 1, -1, 10, -10, 20, -20, 21, -21]);
  });

  test('concatBatches refuses no batches and batches whose columns differ', () => {
    expect(() => concatBatches([])).toThrow('no sample batches to concatenate');
    const wide = allocateBatch(1, { obs: 3, rewards: 1 });
    expect(() => concatBatches([rows(0, 1), wide])).toThrow("sample batches differ in column 'obs'");
    const missing = allocateBatch(1, { obs: 2 });
    expect(() => concatBatches([rows(0, 1), missing])).toThrow("sample batches differ in column 'rewards'");
  });

  test('sliceBatch: rows [start, end) copied', () => {
    const batch = rows(0, 5);
    const slice = sliceBatch(batch, 1, 4);
    expect(slice.count).toBe(3);
    expect(slice.widths).toEqual({ obs: 2, rewards: 1 });
    expect(Array.from(slice.columns.rewards)).toEqual([1, 2, 3]);
    expect(Array.from(slice.columns.obs)).toEqual([1, -1, 2, -2, 3, -3]);
    slice.columns.rewards[0] = 99;
    expect(batch.columns.rewards[1]).toBe(1); // a copy
  });
});
