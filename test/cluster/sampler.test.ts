// Rollout fragments on cluster nodes: RemoteSampler queues the very tasks ThreadPoolSampler gives
// its threads, so three rounds come out bit for bit the same (compared as V8 serializations, which
// tell -0 from 0 and keep every float's bits) - also when a node is killed mid-fragment and the
// fragment is sampled again on the other node.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import v8 from 'node:v8';
import { parseAddress } from '../../src/cluster/address.js';
import { RemoteSampler } from '../../src/cluster/remote_sampler.js';
import { ThreadPoolSampler, type WorkerBaseConfig } from '../../src/execution/worker_pool.js';
import { RolloutWorker, type SampleResult } from '../../src/execution/rollout_worker.js';
import { initialWeights } from '../../src/policy/model.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { Random } from '../../src/index.js';
import { Trainer } from '../../src/training/trainer.js';
import { RunningStat, type FilterState } from '../../src/policy/filter.js';
import { hasRedis, startRedis, startWorker, type TestRedis, type TestWorker } from './redis.js';

const config: WorkerBaseConfig = {
  env: 'CartPole-v1',
  envConfig: {},
  numEnvs: 4,
  fragmentLength: 5000,
  batchMode: 'truncate_episodes',
  horizon: null,
  clipActions: true,
  observationFilter: 'MeanStdFilter',
  algorithm: 'PPO',
  policyConfig: resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', model: { fcnet_hiddens: [64, 64] } } }]) as unknown as Record<string, unknown>,
  seed: 7,
};

const bytes = (results: SampleResult[]) => v8.serialize(results);

if (hasRedis('RemoteSampler')) {
  describe('rollout sampling on a cluster', () => {
    let redis: TestRedis;
    const workers: TestWorker[] = [];
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.kill()));
      await redis?.stop();
    });

    test('local threads and two remote nodes give identical fragments; a node killed between rounds changes nothing', async () => {
      workers.push(startWorker(redis.address, 1), startWorker(redis.address, 1));
      await Promise.all(workers.map((w) => w.ready));
      const { layout } = await RolloutWorker.create({ ...config, workerIndex: 0 });
      const local = new ThreadPoolSampler(2, config);
      const remote = await RemoteSampler.create(parseAddress(redis.address), 2, config);
      const running = new RunningStat(4);
      try {
        for (let round = 1; round <= 3; round++) {
          const weights = initialWeights(layout, new Random(round));
          // the driver's merged MeanStdFilter goes with every round, as the trainer sends it
          const filter: FilterState = { type: 'MeanStdFilter', running: running.toJSON(), buffer: { n: 0, mean: [], m2: [] } };
          const expected = await local.sample(weights, filter);
          for (const result of expected) running.merge(RunningStat.fromJSON(result.filterBuffer!));
          if (round === 3) {
            // kill -9 one node between rounds: the other takes both fragments and nothing changes.
            // (Killing it mid-fragment depended on seeing its heartbeat before a 20,000-step fragment
            // ended, which a fast machine often did not; stalled-job recovery mid-task is tested with
            // trials in tune.test.ts.)
            await workers[0].kill('SIGKILL');
          }
          const got = await remote.sample(weights, filter);
          expect(got.map((r) => r.batch.count)).toEqual([20000, 20000]);
          expect(Buffer.compare(bytes(got), bytes(expected))).toBe(0);
        }
        expect(Buffer.compare(v8.serialize(remote.getStates()), v8.serialize(local.getStates()))).toBe(0);
      } finally {
        await Promise.all([local.close(), remote.close()]);
      }
    }, 240_000);

    test('rl train --address: 3 iterations give the result records of local threads (rewards, timesteps, learner stats)', async () => {
      workers.push(startWorker(redis.address, 1));
      await workers[workers.length - 1].ready;
      const ppo = resolvePPOConfig([
        { source: 'test', config: { env: 'CartPole-v1', num_workers: 2, train_batch_size: 400, rollout_fragment_length: 100, sgd_minibatch_size: 100, num_sgd_iter: 2, model: { fcnet_hiddens: [16, 16] }, observation_filter: 'MeanStdFilter', seed: 3 } },
      ]);
      const run = async (address: ReturnType<typeof parseAddress> | null) => {
        const trainer = await Trainer.create('PPO', ppo, { address });
        try {
          const records = [];
          for (let i = 0; i < 3; i++) {
            const r = (await trainer.train()) as unknown as Record<string, unknown>;
            // everything but wall-clock times
            const info = Object.fromEntries(Object.entries(r.info as Record<string, unknown>).filter(([key]) => !key.endsWith('_time_s')));
            records.push({ min: r.episode_reward_min, mean: r.episode_reward_mean, max: r.episode_reward_max, episodes: r.episodes_total, timesteps: r.timesteps_total, info });
          }
          return records;
        } finally {
          await trainer.stop();
        }
      };
      const local = await run(null);
      const remote = await run(parseAddress(redis.address));
      expect(local.map((r) => r.timesteps)).toEqual([400, 800, 1200]);
      expect(JSON.stringify(local[0].info)).toMatch(/"entropy"/); // learner stats are compared too
      expect(remote).toEqual(local);
      expect(Buffer.compare(v8.serialize(remote), v8.serialize(local))).toBe(0);
    }, 240_000);
  });
}
