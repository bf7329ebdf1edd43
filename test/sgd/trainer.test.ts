// SGDTrainer: the all-reduce makes N workers on a global batch equal to one worker on it,
// replicas stay bit-identical, a failing worker ends the epoch with one error, and a checkpoint
// continues the run exactly.
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { SGDTrainer, type TrainingCreators } from '../../src/sgd/index.js';
import { UserError } from '../../src/utils/errors.js';
import { repoRoot } from '../helpers.js';

const regression = path.join(repoRoot, 'test', 'fixtures', 'sgd', 'regression.js');

async function withTrainer<T>(numWorkers: number, config: Record<string, unknown>, use: (t: SGDTrainer) => Promise<T>): Promise<T> {
  const trainer = await SGDTrainer.create({ module: regression, numWorkers, config, seed: 7, backend: 'cpu' });
  try {
    return await use(trainer);
  } finally {
    await trainer.shutdown();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The same module on the WebAssembly kernel (tanh) and through tfjs (elu, which the kernel does not run). */
const ENGINES: [string, Record<string, unknown>][] = [
  ['kernel', {}],
  ['tfjs', { hidden_activation: 'elu' }],
];

describe('SGDTrainer', () => {
  test('a Dense model trains on the kernel; one it cannot run trains through tfjs, saying why', async () => {
    expect(await withTrainer(1, {}, async (t) => t.info.engine)).toBe('kernel');
    expect(await withTrainer(1, { hidden_activation: 'elu' }, async (t) => t.info.engine)).toBe("tfjs (the kernel does not run layer dense_Dense1's elu activation)");
  });

  test.each(ENGINES)('2 workers on a global batch make the update 1 worker makes on it (%s)', async (_, engine) => {
    // one step per epoch (batch_size = all 96 rows), then 12 steps of 8 rows each
    const run = (numWorkers: number) =>
      withTrainer(numWorkers, { ...engine, batch_size: 96, lr: 0.2, optimizer: 'sgd' }, async (t) => {
        const before = (await t.replicaWeights())[0];
        const first = await t.train();
        const afterOne = (await t.replicaWeights())[0];
        return { before, afterOne, loss: first.train_loss, samples: first.num_samples };
      });
    const one = await run(1);
    const two = await run(2);
    expect(maxAbsDiff(one.before, two.before)).toBe(0); // the seeded initial weights
    expect(maxAbsDiff(one.before, one.afterOne)).toBeGreaterThan(1e-3); // the step moved the weights
    expect(maxAbsDiff(one.afterOne, two.afterOne)).toBeLessThan(1e-6);
    expect(two.samples).toBe(96);
    expect(Math.abs(one.loss - two.loss)).toBeLessThan(1e-6);

    const epochs = (numWorkers: number) =>
      withTrainer(numWorkers, { ...engine, batch_size: 8, lr: 0.02, optimizer: 'sgd' }, async (t) => {
        for (let e = 0; e < 2; e++) await t.train();
        return (await t.replicaWeights())[0];
      });
    expect(maxAbsDiff(await epochs(1), await epochs(2))).toBeLessThan(1e-5);
  });

  test.each(ENGINES)('replicas stay bit-identical over many steps (%s)', async (_, engine) => {
    // 96 rows in global batches of 5 (the last of 1 row: one worker gets none) for 6 epochs: 120 steps
    await withTrainer(2, { ...engine, batch_size: 5, lr: 0.01 }, async (t) => {
      for (let e = 0; e < 6; e++) await t.train();
      const [a, b] = await t.replicaWeights();
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      const validation = await t.validate();
      expect(validation!.val_num_samples).toBe(32);
      expect(Object.keys(validation!)).toContain('val_mae');
    });
  });

  test('a worker that throws ends the epoch with one error naming it; the trainer can still save what it had', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'rl-sgd-fail-'));
    await withTrainer(2, { batch_size: 32, fail_at_epoch: 2, fail_on_worker: 1 }, async (t) => {
      await t.train();
      await t.save(root);
      const error = await t.train().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toBe('worker 1 failed in epoch 2: disk read failed in batch 3');
      expect(t.epoch).toBe(1);
      // the peers left their barriers: the next epoch runs (the fixture fails only in epoch 2)
      expect((await t.train()).epoch).toBe(2);
    });
    expect(readdirSync(root).sort()).toEqual(['checkpoint_1']);
  });

  test('a worker thread that dies: its peers stop waiting, one error names it, the trainer refuses to go on', async () => {
    await withTrainer(2, { batch_size: 32, fail_at_epoch: 1, fail_on_worker: 1, exit: true }, async (t) => {
      await expect(t.train()).rejects.toThrow(/^worker 1 failed in epoch 1: its thread exited with code 3$/);
      await expect(t.train()).rejects.toThrow(/lost a worker .*create a new one/);
    });
  });

  test('in-memory creators run in this thread, and only with one worker', async () => {
    const creators = (await import(regression)) as TrainingCreators;
    const inThread = await SGDTrainer.create({ creators, config: { batch_size: 32, optimizer: 'sgd' }, seed: 7, backend: 'cpu' });
    try {
      expect((await inThread.train()).num_samples).toBe(96);
      // the same module through a worker thread makes the same update
      const threaded = await withTrainer(1, { batch_size: 32, optimizer: 'sgd' }, async (t) => (await t.train(), (await t.replicaWeights())[0]));
      expect(maxAbsDiff((await inThread.replicaWeights())[0], threaded)).toBe(0);
    } finally {
      await inThread.shutdown();
    }
    await expect(SGDTrainer.create({ creators, numWorkers: 2 })).rejects.toThrow(/creators are functions, which cannot cross to worker threads: put them in a module/);
  });

  test("each epoch's progress: one worker's steps, in order, from the first to the last, a few a second", async () => {
    const seen: [number, number | null][] = [];
    const trainer = await SGDTrainer.create({ module: regression, numWorkers: 2, config: { batch_size: 2 }, seed: 7, backend: 'cpu', onProgress: (step, steps) => seen.push([step, steps]) });
    const epochs: { reports: [number, number | null][]; ms: number }[] = [];
    try {
      for (let epoch = 0; epoch < 2; epoch++) {
        const start = performance.now();
        await trainer.train();
        epochs.push({ reports: seen.splice(0), ms: performance.now() - start });
      }
    } finally {
      await trainer.shutdown();
    }
    for (const { reports, ms } of epochs) {
      // 96 rows in global batches of 2: the first and the last of 48 steps, and at most one more every 100 ms
      expect(reports[0]).toEqual([1, 48]);
      expect(reports.at(-1)).toEqual([48, 48]);
      expect(reports.every(([step, steps], i) => steps === 48 && (i === 0 || step > reports[i - 1][0]))).toBe(true);
      expect(reports.length).toBeLessThanOrEqual(2 + Math.ceil(ms / 100));
    }
  });

  test('a slow epoch reports progress in between, at most every 100 ms', async () => {
    const seen: [number, number | null][] = [];
    const trainer = await SGDTrainer.create({ module: regression, numWorkers: 2, config: { batch_delay_ms: 10 }, seed: 7, backend: 'cpu', onProgress: (step, steps) => seen.push([step, steps]) });
    const start = performance.now();
    try {
      await trainer.train();
    } finally {
      await trainer.shutdown();
    }
    const ms = performance.now() - start;
    // 48 batches from a generator (so the step count is unknown), each at least 10 ms after the
    // last: step 47 comes at least 460 ms after step 1, so a report falls due in between
    expect(seen[0]).toEqual([1, null]);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every(([step, steps], i) => steps === null && step <= 48 && (i === 0 || step > seen[i - 1][0]))).toBe(true);
    expect(seen.length).toBeLessThanOrEqual(1 + Math.ceil(ms / 100));
  });

  test.each(ENGINES)('save then load continues the run exactly (weights and optimizer state) (%s)', async (_, engine) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'rl-sgd-ckpt-'));
    const straight = await withTrainer(2, { ...engine, batch_size: 16, lr: 0.02 }, async (t) => {
      await t.train();
      const manifest = await t.save(root);
      await t.train();
      return { manifest, weights: (await t.replicaWeights())[0] };
    });
    const resumed = await withTrainer(1, { ...engine, batch_size: 16, lr: 0.02 }, async (t) => {
      await t.load(straight.manifest);
      expect(t.epoch).toBe(1);
      await t.train();
      return (await t.replicaWeights())[0];
    });
    // one worker continuing what two started: the same updates to float tolerance (Adam's moments included)
    expect(maxAbsDiff(straight.weights, resumed)).toBeLessThan(1e-5);
  });
});
