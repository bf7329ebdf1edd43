// A whole data set's batches: every worker's share of every global batch, rows copied with their
// labels, shapes and dtypes kept; together the workers see each row once an epoch.
import { expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { WholeSet, type LocalBatch } from '../../src/sgd/data.js';

const ROWS = 11;

/** Row i of x is [[10 i, 10 i + 1, 10 i + 2], [10 i + 3, ...]] (shape [2, 3]); its label is i (int32). */
function set() {
  const x = tf.tensor3d(Float32Array.from({ length: ROWS * 6 }, (_, k) => 10 * Math.floor(k / 6) + (k % 6)), [ROWS, 2, 3]);
  const y = tf.tensor1d(Int32Array.from({ length: ROWS }, (_, i) => i), 'int32');
  return new WholeSet({ x, y }, 'data().train');
}

async function drain(next: () => Promise<LocalBatch>): Promise<LocalBatch[]> {
  const batches: LocalBatch[] = [];
  for (let batch = await next(); batch.n > 0; batch = await next()) batches.push(batch);
  return batches;
}

test('two workers split each global batch of 4: every row once an epoch, each with its own label, shapes and dtypes kept', async () => {
  const whole = set();
  const seen: number[] = [];
  const perWorker = await Promise.all([0, 1].map((rank) => drain(whole.trainStream(4, 3, 1, rank, 2).next)));
  // 11 rows in global batches of 4, 4, 3: rank 0 takes 2, 2, 1 rows and rank 1 2, 2, 2
  expect(perWorker.map((batches) => batches.map((b) => b.n))).toEqual([
    [2, 2, 1],
    [2, 2, 2],
  ]);
  for (const batches of perWorker) {
    for (const { x, y, n } of batches) {
      expect(x!.shape).toEqual([n, 2, 3]);
      expect(x!.dtype).toBe('float32');
      expect(y!.shape).toEqual([n]);
      expect(y!.dtype).toBe('int32');
      const labels = Array.from(y!.dataSync());
      const values = Array.from(x!.dataSync());
      labels.forEach((label, r) => expect(values.slice(6 * r, 6 * r + 6)).toEqual([0, 1, 2, 3, 4, 5].map((k) => 10 * label + k)));
      seen.push(...labels);
    }
  }
  expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
  // shuffled: not the rows in order, and another epoch gives another order
  expect(perWorker[0].flatMap((b) => Array.from(b.y!.dataSync()))).not.toEqual([0, 1, 4, 5, 8]);
  const epoch2 = await drain(whole.trainStream(4, 3, 2, 0, 1).next);
  const epoch1 = await drain(whole.trainStream(4, 3, 1, 0, 1).next);
  expect(epoch2.flatMap((b) => Array.from(b.y!.dataSync()))).not.toEqual(epoch1.flatMap((b) => Array.from(b.y!.dataSync())));
});

test("evaluation batches are each worker's contiguous part, in order", async () => {
  const whole = set();
  const labels = await Promise.all([0, 1].map(async (rank) => (await drain(whole.evalStream(4, rank, 2).next)).map((b) => Array.from(b.y!.dataSync()))));
  expect(labels).toEqual([
    [
      [0, 1, 2, 3],
      [4],
    ],
    [
      [5, 6, 7, 8],
      [9, 10],
    ],
  ]);
});
