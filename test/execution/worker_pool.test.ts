// Where fragments come from: the states a sampler keeps per rollout worker, the piscina task
// (run here in the main thread: its cache of workers, the state a task carries, a user's mistake
// sent back as a value), the local sampler, and the thread pool continuing a worker from a
// state it was given or reporting a user's mistake as a UserError. Each is checked against
// RolloutWorkers sampled by hand.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, jest, test } from '@jest/globals';
import sampleTask, { type SampleTask } from '../../src/execution/worker_thread.js';
import { LocalSampler, ThreadPoolSampler, createSampler } from '../../src/execution/worker_pool.js';
import { WorkerStates } from '../../src/execution/worker_states.js';
import { RolloutWorker, type RolloutWorkerConfig, type SampleResult, type WorkerState } from '../../src/execution/rollout_worker.js';
import { register } from '../../src/envs/registry.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import type { Info } from '../../src/envs/env.js';
import { UserError } from '../../src/utils/errors.js';
import { repoRoot, rolloutWorkerConfig, userErrorOf } from '../helpers.js';

const faulty = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'faulty.js');

function config(overrides: Partial<RolloutWorkerConfig> = {}): RolloutWorkerConfig {
  return rolloutWorkerConfig('CartPole-v1', { numEnvs: 2, fragmentLength: 6, seed: 4, ...overrides });
}

/** Two fragments in a row of a RolloutWorker stepped by hand, and the weights used (small, not zero: actions vary). */
async function byHand(overrides: Partial<RolloutWorkerConfig> = {}) {
  const worker = await RolloutWorker.create(config(overrides));
  const weights = new Float32Array(worker.layout.totalSize).map((_, i) => 0.1 * Math.sin(i + 1));
  const first = worker.sample(weights, null);
  const second = worker.sample(weights, null);
  return { weights, first, second };
}

/** What identifies a fragment: its columns and episodes. */
const fragment = (r: SampleResult | { userError: string }) => {
  if ('userError' in r) return r;
  return { workerIndex: r.workerIndex, columns: r.batch.columns, episodes: r.episodes };
};

let keys = 0;
function task(overrides: Partial<SampleTask> & Pick<SampleTask, 'weights'>): SampleTask {
  return { key: `test-${keys++}`, config: config(), filter: null, exploration: { type: 'stochastic' }, state: null, ...overrides };
}

describe('WorkerStates', () => {
  const state = (tag: string) => ({ tag }) as unknown as WorkerState;
  const a = state('a');
  const b = state('b');
  const c = state('c');

  test('none at first; a round records each worker by its index; all() is a copy', () => {
    const states = new WorkerStates(3);
    expect(states.numWorkers).toBe(3);
    expect(states.all()).toEqual([null, null, null]);
    expect(states.of(1)).toBeNull();
    states.record([{ workerIndex: 2, state: a } as SampleResult, { workerIndex: 0, state: b } as SampleResult]);
    expect(states.all()).toEqual([b, null, a]);
    expect(states.of(2)).toBe(a);
    const copy = states.all();
    copy[1] = c;
    expect(states.of(1)).toBeNull();
  });

  test('load takes as many states as there are workers; missing ones start fresh', () => {
    const states = new WorkerStates(3);
    states.load([c]);
    expect(states.all()).toEqual([c, null, null]);
    states.load([a, b, c, a]);
    expect(states.all()).toEqual([a, b, c]);
    states.load([null, undefined as unknown as null, b]);
    expect(states.all()).toEqual([null, null, b]);
  });
});

describe('the worker thread task', () => {
  test('a worker is made once per key and worker index and continues; a state given is taken', async () => {
    const { weights, first, second } = await byHand();
    const t = task({ weights });
    const one = await sampleTask(t);
    expect(fragment(one)).toEqual(fragment(first));
    const afterOne = structuredClone((one as SampleResult).state); // as a thread would send it (the worker goes on mutating its own)
    expect(fragment(await sampleTask({ ...t }))).toEqual(fragment(second)); // the cached worker goes on
    expect(fragment(await sampleTask({ ...t, key: `${t.key}-other` }))).toEqual(fragment(first)); // another key: a new worker
    // another worker index under the same key: a new worker, seeded as worker 1
    const w1 = await byHand({ workerIndex: 1 });
    expect(fragment(await sampleTask({ ...t, config: config({ workerIndex: 1 }) }))).toEqual(fragment(w1.first));
    // a new worker given the state after the first fragment samples the second
    expect(fragment(await sampleTask(task({ weights, state: afterOne })))).toEqual(fragment(second));
  });

  test("the task's exploration is used", async () => {
    const { weights } = await byHand();
    const random = await sampleTask(task({ weights, exploration: { type: 'random' } }));
    const worker = await RolloutWorker.create(config());
    expect(fragment(random)).toEqual(fragment(worker.sample(weights, null, { type: 'random' })));
  });

  test("a user's mistake comes back as its message, and the worker is dropped; other errors are thrown", async () => {
    const t = task({ weights: new Float32Array(0), config: config({ env: faulty, envConfig: { fault: 'nan_obs', after: 2 }, numEnvs: 1 }) });
    const made = await RolloutWorker.create(t.config);
    t.weights = new Float32Array(made.layout.totalSize);
    const message = userErrorOf(() => made.sample(t.weights, null)).message;
    expect(message).toMatch(/non-finite observation: value 1 of the observation is NaN at step 3 of an episode \(env 0 of rollout worker 0\)/);
    expect(await sampleTask(t)).toEqual({ userError: message });
    // the same key again: a new worker (its env fresh), so the same message, not one at step 4
    expect(await sampleTask({ ...t })).toEqual({ userError: message });
    // an error that is not the user's is a rejection
    const broken = task({ weights: t.weights, config: config({ env: 'test/PoolBroken', numEnvs: 1 }) });
    broken.weights = new Float32Array((await RolloutWorker.create(broken.config)).layout.totalSize);
    await expect(sampleTask(broken)).rejects.toThrow(TypeError);
  });
});

// A built-in-like env (registered in this thread) whose step is broken: an internal error, not the user's.
register({
  id: 'test/PoolBroken',
  entryPoint: () => ({
    observation_space: new Box(-1, 1, [2]),
    action_space: new Discrete(2),
    reset: (): [number[], Info] => [[0, 0], {}],
    step: (): [number[], number, boolean, boolean, Info] => {
      throw new TypeError('broken step');
    },
  }),
});

describe('samplers', () => {
  test('LocalSampler (num_workers 0): worker 0 sampled in this thread, its state kept and restored', async () => {
    const { weights, first, second } = await byHand();
    const local = await createSampler(0, config());
    expect(local).toBeInstanceOf(LocalSampler);
    expect(local.numWorkers).toBe(1);
    const [result] = await local.sample(weights, null);
    expect(fragment(result)).toEqual(fragment(first));
    const [state] = local.getStates();
    expect(state).toEqual(result.state);
    const other = await LocalSampler.create(config());
    other.setStates([null]); // nothing to restore: starts fresh
    other.setStates([state]);
    expect(fragment((await other.sample(weights, null))[0])).toEqual(fragment(second));
    await other.close();
  });

  test('ThreadPoolSampler: workers in order, each continued from the states it was given; a user error is a UserError', async () => {
    const w0 = await byHand();
    const w1 = await byHand({ workerIndex: 1 });
    const base = config();
    const first = new ThreadPoolSampler(2, base);
    try {
      const round = await first.sample(w0.weights, null);
      expect(round.map(fragment)).toEqual([fragment(w0.first), fragment(w1.first)]);
      expect(first.getStates()).toEqual(round.map((r) => r.state));
      const second = new ThreadPoolSampler(2, base); // other threads' caches: only the states carry the workers on
      try {
        second.setStates(first.getStates());
        expect((await second.sample(w0.weights, null)).map(fragment)).toEqual([fragment(w0.second), fragment(w1.second)]);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
    const bad = new ThreadPoolSampler(1, config({ env: faulty, envConfig: { fault: 'nan_obs', after: 0 }, numEnvs: 1 }));
    try {
      const weights = new Float32Array((await RolloutWorker.create(config({ env: faulty, numEnvs: 1 }))).layout.totalSize);
      const error = await bad.sample(weights, null).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(/non-finite observation: value 1 of the observation is NaN at step 1 of an episode \(env 0 of rollout worker 0\)/);
    } finally {
      await bad.close();
    }
  });

  test('ThreadPoolSampler: a thread that dies is replaced and the fragment sampled again from the same state, with a warning', async () => {
    const crashOnce = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'crash-once.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-crash-'));
    const done = path.join(dir, 'already');
    writeFileSync(done, '');
    const w0 = await byHand({ env: crashOnce, envConfig: { crash_flag: done }, numEnvs: 1 });
    const warnings: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (warnings.push(String(chunk)), true));
    const sampler = new ThreadPoolSampler(1, config({ env: crashOnce, envConfig: { crash_flag: path.join(dir, 'flag') }, numEnvs: 1 }));
    try {
      const [result] = await sampler.sample(w0.weights, null);
      expect(fragment(result)).toEqual(fragment(w0.first));
    } finally {
      write.mockRestore();
      await sampler.close();
    }
    expect(warnings.filter((w) => /^WARN: rollout worker 0 crashed \(.+\); replaced it and sampling its fragment again\n$/.test(w))).toHaveLength(1);
  });

  test('ThreadPoolSampler: a worker that dies on every attempt fails the round after three, with two warnings', async () => {
    const crashOnce = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'crash-once.js');
    const worker = await RolloutWorker.create(config({ env: crashOnce, numEnvs: 1 }));
    const warnings: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (warnings.push(String(chunk)), true));
    const sampler = new ThreadPoolSampler(1, config({ env: crashOnce, envConfig: { crash_always: true }, numEnvs: 1 }));
    try {
      await expect(sampler.sample(new Float32Array(worker.layout.totalSize), null)).rejects.toThrow();
    } finally {
      write.mockRestore();
      await sampler.close();
    }
    expect(warnings.filter((w) => /^WARN: rollout worker 0 crashed /.test(w))).toHaveLength(2);
  });

  test('ThreadPoolSampler: no more threads than workers or cores; close() ends them', async () => {
    // the pool is private: its thread count is what this test is about, and nothing public shows it
    const threadsOf = (sampler: ThreadPoolSampler) => (sampler as unknown as { pool: { threads: unknown[] } }).pool.threads.length;
    const w0 = await byHand();
    const sampler = new ThreadPoolSampler(1, config());
    try {
      expect((await sampler.sample(w0.weights, null)).map(fragment)).toEqual([fragment(w0.first)]);
      expect(threadsOf(sampler)).toBe(1);
    } finally {
      await sampler.close();
    }
    expect(threadsOf(sampler)).toBe(0);
  });

  test('createSampler: threads for num_workers >= 1, after making worker 0 here so that a bad env fails at once', async () => {
    const sampler = await createSampler(2, config());
    try {
      expect(sampler).toBeInstanceOf(ThreadPoolSampler);
      expect(sampler.numWorkers).toBe(2);
    } finally {
      await sampler.close();
    }
    const error = await createSampler(2, config({ env: 'NoSuchEnv-v0' })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/NoSuchEnv-v0/);
  });
});
