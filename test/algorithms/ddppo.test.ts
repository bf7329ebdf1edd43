// DD-PPO (src/algorithms/ddppo): each worker thread samples and trains on its own samples with
// PPO's learner, minibatch gradients averaged by the shared-memory all-reduce. Fixed seeds, no timing.
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, jest, test } from '@jest/globals';
import { Trainer, type TrainResult } from '../../src/training/trainer.js';
import { resolveDDPPOConfig, type DDPPOConfig } from '../../src/algorithms/ddppo/defaults.js';
import type { DDPPOAlgorithmTrainer } from '../../src/algorithms/ddppo/trainer.js';
import { learnerForConfig } from '../../src/algorithms/ppo/learner.js';
import { ppoModelLayout } from '../../src/algorithms/ppo/model.js';
import { ADVANTAGES } from '../../src/algorithms/ppo/policy.js';
import { standardize } from '../../src/algorithms/ppo/postprocessing.js';
import { RolloutWorker } from '../../src/execution/rollout_worker.js';
import { column } from '../../src/execution/sample_batch.js';
import { Discrete } from '../../src/envs/spaces.js';
import { initialWeights } from '../../src/nn/layout.js';
import { Random } from '../../src/utils/random.js';
import { repoRoot, rl, rolloutWorkerConfig } from '../helpers.js';
import { RequestThread } from '../../src/sgd/request_thread.js';
import { AllReduce } from '../../src/sgd/allreduce.js';
import { DDPPOWorkers } from '../../src/algorithms/ddppo/workers.js';
import { UserError } from '../../src/utils/errors.js';

const config = (overrides: Record<string, unknown> = {}): DDPPOConfig =>
  resolveDDPPOConfig([
    {
      source: 'test',
      config: {
        env: 'CartPole-v1',
        num_workers: 2,
        rollout_fragment_length: 40,
        num_envs_per_worker: 2,
        sgd_minibatch_size: 20,
        num_sgd_iter: 3,
        lr: 0.001,
        model: { fcnet_hiddens: [16, 16] },
        seed: 7,
        ...overrides,
      },
    },
  ]);

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
/** A result record without its wall-clock fields. */
const timeless = (r: TrainResult) => {
  const { time_this_iter_s, time_total_s, info, ...rest } = r;
  const { sample_time_s, learn_time_s, ...counts } = info;
  void [time_this_iter_s, time_total_s, sample_time_s, learn_time_s];
  return { ...rest, info: counts };
};

async function withTrainer<T>(c: DDPPOConfig, body: (trainer: Trainer<DDPPOConfig>) => Promise<T>): Promise<T> {
  const trainer = await Trainer.create<DDPPOConfig>('DDPPO', c, { backend: 'wasm' });
  try {
    return await body(trainer);
  } finally {
    await trainer.stop();
  }
}

describe('DDPPO', () => {
  test("with 1 worker, an iteration is PPO's learner on that worker's samples, bit for bit", async () => {
    const c = config({ num_workers: 1, shuffle_sequences: true });
    const { weights, learner } = await withTrainer(c, async (trainer) => {
      const result = await trainer.train();
      return { weights: trainer.getWeights(), learner: result.info.learner };
    });
    // the same by hand: the trainer's initial weights, its worker's fragment, standardised advantages, PPO's learner
    const probe = new Discrete(2);
    const layout = ppoModelLayout(4, probe, c.model);
    const start = initialWeights(layout, new Random(c.seed!));
    const worker = await RolloutWorker.create({
      env: 'CartPole-v1',
      envConfig: {},
      numEnvs: c.num_envs_per_worker,
      fragmentLength: c.rollout_fragment_length,
      batchMode: c.batch_mode,
      horizon: c.horizon,
      clipActions: c.clip_actions,
      observationFilter: c.observation_filter,
      algorithm: 'DDPPO',
      policyConfig: c as unknown as Record<string, unknown>,
      seed: c.seed!,
      workerIndex: 0,
    });
    const batch = worker.sample(start, null).batch;
    standardize(column(batch, ADVANTAGES));
    // a DD-PPO worker's learner splits each minibatch by rows (its gradient goes through the
    // all-reduce, the identity for one worker); PPO's does too when it has a gradient hook
    const ppo = learnerForConfig(layout, 2, c, start, { thread: false, reduceGradients: () => {} });
    expect(ppo.split).toBe('rows');
    const stats = ppo.learnOnBatch(batch, c.lr, c.entropy_coeff, new Random(new Random(c.seed!).seed()));
    expect(learner).toEqual({ ...stats });
    expect(same(weights, ppo.getWeights())).toBe(true);
    expect(same(weights, start)).toBe(false);
    ppo.dispose();
  });

  test('with 3 workers, every replica holds the same weights after each iteration (and they moved)', async () => {
    await withTrainer(config({ num_workers: 3 }), async (trainer) => {
      const workers = (trainer.algo as DDPPOAlgorithmTrainer).sampler;
      const before = trainer.getWeights();
      for (let i = 0; i < 2; i++) {
        await trainer.train();
        const replicas = await workers.replicaWeights();
        expect(replicas.map((w) => same(w, replicas[0]))).toEqual([true, true, true]);
        expect(same(replicas[0], trainer.getWeights())).toBe(true);
      }
      expect(same(before, trainer.getWeights())).toBe(false);
    });
  });

  test('the same config and seed give the same result records and weights, 2 workers', async () => {
    const run = () =>
      withTrainer(config({ observation_filter: 'MeanStdFilter' }), async (trainer) => {
        const records = [];
        for (let i = 0; i < 3; i++) records.push(timeless(await trainer.train()));
        return { records, weights: trainer.getWeights() };
      });
    const a = await run();
    const b = await run();
    expect(b.records).toEqual(a.records);
    expect(same(a.weights, b.weights)).toBe(true);
    // a result record as rl train writes it: steps of both workers, learner stats averaged over them
    expect(a.records[2].timesteps_total).toBe(3 * 2 * 40 * 2);
    expect(a.records[2].info.num_steps_trained).toBe(3 * 2 * 40 * 2);
    expect(a.records[0].info.learner.cur_kl_coeff).toBe(0);
  });

  test('a restored checkpoint continues the same curve: 2 + 2 iterations equal 4, weights and Adam state on every worker', async () => {
    const c = config({ observation_filter: 'MeanStdFilter' });
    const expected = await withTrainer(c, async (trainer) => {
      const records = [];
      for (let i = 0; i < 4; i++) records.push(timeless(await trainer.train()));
      return { records, weights: trainer.getWeights() };
    });
    const root = mkdtempSync(path.join(os.tmpdir(), 'rl-ddppo-'));
    const got = await withTrainer(c, async (trainer) => {
      const records = [];
      for (let i = 0; i < 2; i++) records.push(timeless(await trainer.train()));
      return { records, manifest: await trainer.save(root) };
    });
    const resumed = await Trainer.restore(got.manifest, [], { backend: 'wasm' });
    try {
      expect(resumed.algorithm.name).toBe('DDPPO');
      for (let i = 0; i < 2; i++) got.records.push(timeless(await resumed.train()));
      expect(got.records).toEqual(expected.records);
      expect(same(resumed.getWeights(), expected.weights)).toBe(true);
      const replicas = await (resumed.algo as DDPPOAlgorithmTrainer).sampler.replicaWeights();
      expect(replicas.map((w) => same(w, expected.weights))).toEqual([true, true]);
    } finally {
      await resumed.stop();
    }
    // rl rollout replays a DDPPO checkpoint with PPO's policy
    const rollout = rl(['rollout', got.manifest, '--episodes', '1']);
    expect([rollout.code, rollout.stderr]).toEqual([0, expect.stringContaining(`replayed ${got.manifest} (CartPole-v1, iteration 2`)]);
  });

  test('learns CartPole-v1: mean episode reward 150 within 25 iterations (seed 1, 2 workers, RLlib sizes)', async () => {
    const c = config({ rollout_fragment_length: 100, num_envs_per_worker: 5, sgd_minibatch_size: 50, num_sgd_iter: 10, model: { fcnet_hiddens: [64, 64] }, seed: 1 });
    const best = await withTrainer(c, async (trainer) => {
      let reward = -Infinity;
      for (let i = 0; i < 25 && reward < 150; i++) reward = (await trainer.train()).episode_reward_mean;
      return reward;
    });
    expect(best).toBeGreaterThanOrEqual(150);
  }, 60_000);
});

describe("DDPPOAlgorithmTrainer's checkpoint parts", () => {
  test("a fresh trainer: state {}, a fresh Adam ([[0], zeros, zeros]); weights go in and out as copies, checked for size", async () => {
    await withTrainer(config(), async (trainer) => {
      const algo = trainer.algo as DDPPOAlgorithmTrainer;
      const n = trainer.layout.totalSize;
      expect(algo.getState()).toEqual({});
      expect(algo.getArrays().optimizer.map((a) => [a.length, a.every((x) => x === 0)])).toEqual([
        [1, true],
        [n, true],
        [n, true],
      ]);
      const out = algo.getWeights();
      const first = out[0];
      out[0] += 1;
      expect(algo.getWeights()[0]).toBe(first);
      const given = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      algo.setWeights(given);
      given.fill(9);
      expect(algo.getWeights()[1]).toBe(Math.fround(Math.sin(1)));
      expect(() => algo.setWeights(new Float32Array(n - 1))).toThrow(`weights have ${n - 1} values; the model needs ${n}`);
    });
  });

  test('loadArrays refuses anything but [[step], m, v] of the model size', async () => {
    await withTrainer(config(), async (trainer) => {
      const algo = trainer.algo as DDPPOAlgorithmTrainer;
      const n = trainer.layout.totalSize;
      const z = (k: number) => new Float32Array(k);
      for (const arrays of [[z(1), z(n)], [z(2), z(n), z(n)], [z(1), z(n - 1), z(n)], [z(1), z(n), z(n + 1)]]) {
        expect(() => algo.loadArrays(() => arrays)).toThrow(`optimizer state must be [[step], m, v] with ${n} moments each; got arrays of ${arrays.map((a) => a.length).join(', ')} values`);
      }
    });
  });

  test("setWeights alone reaches every worker before the next iteration; worker 0's SGD progress is reported; stats are the workers' means", async () => {
    await withTrainer(config({ lr: 1e-6 }), async (trainer) => {
      const algo = trainer.algo as DDPPOAlgorithmTrainer;
      const given = trainer.getWeights().map((w) => 0.5 * w + 0.01);
      algo.setWeights(given);
      const progress: [number, number][] = [];
      const result = await trainer.train({ onLearnProgress: (done, total) => progress.push([done, total]) });
      // 3 epochs of 4 minibatches on each worker, Adam steps of about lr: still next to the weights given
      for (const replica of await algo.sampler.replicaWeights()) {
        expect(Math.max(...replica.map((w, i) => Math.abs(w - given[i])))).toBeLessThan(1e-4);
      }
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[progress.length - 1]).toEqual([12, 12]);
      // every worker's cur_lr is lr: their mean is too (a sum would be 2 lr)
      expect(result.info.learner.cur_lr).toBeCloseTo(1e-6, 12);
    });
  });
});

describe("DD-PPO workers' failures", () => {
  type Threads = { threads: RequestThread<object>[] };
  const threadsOf = (trainer: Trainer<DDPPOConfig>) => ((trainer.algo as DDPPOAlgorithmTrainer).sampler as unknown as Threads).threads;

  test('a thread asked anything before init answers that it was not initialised', async () => {
    const thread = new RequestThread<object>(new URL('../../src/algorithms/ddppo/worker_thread.js', import.meta.url));
    try {
      expect(await thread.call({ op: 'weights' })).toEqual({ id: 0, error: 'the DD-PPO worker was not initialised', user: false });
    } finally {
      await thread.close();
    }
  });

  test('a worker that fails while its peer waits at the all-reduce: the failure is named (not the peer it stopped), and the workers refuse more', async () => {
    await withTrainer(config(), async (trainer) => {
      const sampler = (trainer.algo as DDPPOAlgorithmTrainer).sampler;
      // only worker 0 samples, so worker 1 has nothing to learn on and fails; worker 0 gives up at the barrier
      const sampled = await threadsOf(trainer)[0].call({ op: 'sample', filter: null, exploration: { type: 'stochastic' }, state: null });
      expect('ok' in sampled).toBe(true);
      const failure = 'DDPPO worker 1 failed in learning: learn before sample';
      await expect(sampler.learn(1e-3, 0, [1, 2], () => {})).rejects.toThrow(failure);
      await expect(sampler.replicaWeights()).rejects.toThrow(`the DDPPO workers stopped after an error (${failure}); restore the last checkpoint`);
    });
  });

  test('workers that all stopped waiting at the all-reduce, with no error among them, end the call with that said', async () => {
    await withTrainer(config(), async (trainer) => {
      const sampler = (trainer.algo as DDPPOAlgorithmTrainer).sampler;
      await sampler.sample(trainer.getWeights(), null);
      new AllReduce(threadsOf(trainer)[0].memory!, 0).abort();
      await expect(sampler.learn(1e-3, 0, [1, 2], () => {})).rejects.toThrow('DDPPO learning: a worker stopped waiting for its peers, yet none reported an error');
    });
  });

  test('an optimizer state that does not fit is refused by every worker, named as restoring', async () => {
    await withTrainer(config(), async (trainer) => {
      const sampler = (trainer.algo as DDPPOAlgorithmTrainer).sampler;
      await expect(sampler.load(trainer.getWeights(), [Float32Array.of(0)])).rejects.toThrow(/^DDPPO worker 0 failed in restoring: optimizer state must be/);
    });
  });

  test('a worker that cannot start (its env) fails the start with its error as one user error', async () => {
    const c = config();
    const layout = ppoModelLayout(4, new Discrete(2), c.model);
    const close = jest.spyOn(RequestThread.prototype, 'close');
    const start = DDPPOWorkers.start({ rollout: rolloutWorkerConfig('Nope-v0'), layout, numActions: 2, config: c, weights: initialWeights(layout, new Random(1)) });
    await expect(start).rejects.toBeInstanceOf(UserError);
    await expect(start).rejects.toThrow(/^DDPPO worker 0 failed in starting: unknown env id 'Nope-v0'/);
    // and its threads are shut down, the good one too
    expect(close).toHaveBeenCalledTimes(2);
    close.mockRestore();
  });
});

describe('DDPPO on the command line', () => {
  test.each([
    ['train_batch_size set', { train_batch_size: 1000 }, 'rl: --config: Set rollout_fragment_length instead of train_batch_size for DDPPO.'],
    ['kl_coeff not 0', { kl_coeff: 0.2 }, "rl: --config: DDPPO doesn't support KL penalties like PPO-1; set kl_coeff to 0"],
    ['num_workers 0', { num_workers: 0 }, 'rl: --config: DDPPO must have at least 1 worker (num_workers >= 1); there is no central learner'],
  ])('%s: one line, exit 2, nothing trained', (_name, bad, line) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-ddppo-cli-'));
    const { code, stdout, stderr } = rl(['train', '--run', 'DDPPO', '--env', 'CartPole-v1', '--checkpoint-dir', dir, '--config', JSON.stringify(bad)]);
    expect([code, stdout, stderr.trim().split('\n')]).toEqual([2, '', [line]]);
  });

  test('a worker whose env throws ends the run with one error line and exit 2; the last good checkpoint stays, none half-written', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-ddppo-fail-'));
    const faulty = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'faulty.js');
    const { code, stderr } = rl([
      'train', '--run', 'DDPPO', '--env', faulty, '--seed', '3', '--checkpoint-dir', dir, '--checkpoint-freq', '1',
      '--config', JSON.stringify({ env_config: { fault: 'throw', after: 150 }, model: { fcnet_hiddens: [8] } }),
    ]);
    const errors = stderr.split('\n').filter((l) => l.startsWith('rl: '));
    expect(code).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^rl: DDPPO worker \d failed in sampling: env .*faulty\.js: step\(\) threw Error: the corridor collapsed/);
    expect(existsSync(path.join(dir, 'checkpoint_1', 'checkpoint-1'))).toBe(true);
    expect(existsSync(path.join(dir, 'checkpoint_2'))).toBe(false);
  });
});
