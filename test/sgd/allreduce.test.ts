// The shared-memory all-reduce on its own, with real threads: every rank reads the same sums
// (summed in rank order), counts add up, broadcast copies rank 0 bit for bit, and abort() releases
// ranks waiting at a barrier.
import { describe, expect, test } from '@jest/globals';
import { Worker } from 'node:worker_threads';
import { allocateAllReduce, AllReduce, type AllReduceMemory } from '../../src/sgd/allreduce.js';

const moduleUrl = new URL('../../src/sgd/allreduce.js', import.meta.url).href;

/** Runs `body` (an async function of (AllReduce, rank)) in one thread per rank; resolves with what each returned. */
function onThreads(memory: AllReduceMemory, body: string): Promise<unknown[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.moduleUrl).then(async ({ AllReduce }) => {
      const ar = new AllReduce(workerData.memory, workerData.rank);
      const run = ${body};
      try { parentPort.postMessage({ ok: await run(ar, workerData.rank) }); } catch (e) { parentPort.postMessage({ error: e.name + ': ' + e.message }); }
    });`;
  return Promise.all(
    Array.from({ length: memory.size }, (_, rank) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { memory, rank, moduleUrl } });
        worker.once('message', (m) => void worker.terminate().then(() => resolve(m)));
        worker.once('error', reject);
      }),
    ),
  );
}

describe('AllReduce', () => {
  test('mean(): every rank gets the element-wise mean of all ranks\' values, in place, bit for bit alike (DD-PPO\'s gradients)', async () => {
    const memory = allocateAllReduce(3, 5);
    const replies = (await onThreads(
      memory,
      `async (ar, rank) => {
        const values = Float32Array.from({ length: 5 }, (_, i) => Math.fround(Math.cos(i + 10 * rank) * 7));
        ar.mean(values);
        return Array.from(values);
      }`,
    )) as { ok: number[] }[];
    const expected = Array.from({ length: 5 }, (_, i) => {
      let total = 0;
      for (let rank = 0; rank < 3; rank++) total += Math.fround(Math.cos(i + 10 * rank) * 7);
      return Math.fround(Math.fround(total) / 3);
    });
    expect(replies.map((r) => r.ok)).toEqual([expected, expected, expected]);
  });

  test('3 ranks: identical element-wise sums in rank order, summed counts, exact broadcast', async () => {
    const memory = allocateAllReduce(3, 7);
    const replies = (await onThreads(
      memory,
      `async (ar, rank) => {
        const out = [];
        for (let step = 0; step < 50; step++) {
          const mine = Float32Array.from({ length: 7 }, (_, i) => Math.fround(Math.sin(step * 7 + i + 100 * rank) * 1e3));
          const rows = ar.sum(rank + 1, mine);
          out.push([rows, Array.from(ar.result)]);
        }
        const b = ar.broadcast(rank === 0 ? Float32Array.of(-0.5, 1e-30, 3, 4, 5, 6, 7) : undefined);
        out.push([0, Array.from(b)]);
        return out;
      }`,
    )) as { ok: [number, number[]][] }[];
    const [a, b, c] = replies.map((r) => r.ok);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    for (let step = 0; step < 50; step++) {
      expect(a[step][0]).toBe(6);
      const expected = Array.from({ length: 7 }, (_, i) => {
        let total = 0; // rank order, in doubles, then rounded to float32 as the result array stores it
        for (let rank = 0; rank < 3; rank++) total += Math.fround(Math.sin(step * 7 + i + 100 * rank) * 1e3);
        return Math.fround(total);
      });
      expect(a[step][1]).toEqual(expected);
    }
    expect(a[50][1]).toEqual(Array.from(Float32Array.of(-0.5, 1e-30, 3, 4, 5, 6, 7)));
  });

  test('abort() releases the ranks waiting at a barrier with PeerAborted', async () => {
    const memory = allocateAllReduce(3, 2);
    const replies = (await onThreads(
      memory,
      `async (ar, rank) => {
        if (rank === 2) { await new Promise((r) => setTimeout(r, 200)); ar.abort(); return 'aborted'; }
        ar.sum(1);
        return 'passed';
      }`,
    )) as { ok?: string; error?: string }[];
    expect(replies).toEqual([{ error: 'PeerAborted: another worker failed' }, { error: 'PeerAborted: another worker failed' }, { ok: 'aborted' }]);
  });

  test('refuses a rank outside the group', () => {
    expect(() => new AllReduce(allocateAllReduce(2, 1), 2)).toThrow('rank 2 is not in [0, 2)');
  });
});
