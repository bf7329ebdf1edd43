import { describe, expect, test } from '@jest/globals';
import { RolloutWorker, type RolloutWorkerConfig } from '../../src/execution/rollout_worker.js';
import { initialWeights } from '../../src/policy/model.js';
import { Random } from '../../src/index.js';
import { ppoPolicy } from '../helpers.js';

const base: RolloutWorkerConfig = {
  env: 'CartPole-v1',
  envConfig: {},
  numEnvs: 3,
  fragmentLength: 40,
  batchMode: 'truncate_episodes',
  horizon: null,
  clipActions: true,
  observationFilter: 'NoFilter',
  ...ppoPolicy({ model: { fcnet_hiddens: [8], fcnet_activation: 'tanh', vf_share_layers: false }, gamma: 0.99, lambda: 0.95 }),
  seed: 4,
  workerIndex: 1,
};

async function workerWithWeights(config: RolloutWorkerConfig) {
  const worker = await RolloutWorker.create(config);
  return { worker, weights: initialWeights(worker.layout, new Random(0)) };
}

describe('RolloutWorker', () => {
  test('truncate_episodes: exactly fragment x envs steps, episodes counted where they end', async () => {
    const { worker, weights } = await workerWithWeights(base);
    const { batch, episodes } = worker.sample(weights, null);
    expect(batch.count).toBe(120);
    expect(episodes.returns.length).toBeGreaterThan(0);
    expect(episodes.returns).toEqual(episodes.lengths); // CartPole: reward 1 per step
    expect(Array.from(batch.columns.actions).every((a) => a === 0 || a === 1)).toBe(true);
  });

  test('complete_episodes: only whole episodes, at least fragment x envs steps; running ones carry over', async () => {
    const { worker, weights } = await workerWithWeights({ ...base, batchMode: 'complete_episodes' });
    const first = worker.sample(weights, null);
    expect(first.batch.count).toBeGreaterThanOrEqual(120);
    expect(first.batch.count).toBe(first.episodes.lengths.reduce((a, b) => a + b, 0));
    // rows of one finished episode sum to its return
    expect(Array.from(first.batch.columns.rewards).reduce((a, b) => a + b, 0)).toBe(first.episodes.returns.reduce((a, b) => a + b, 0));
    const carried = first.state.pending.reduce((n, e) => n + e.rewards.length, 0);
    const second = worker.sample(weights, null);
    expect(second.batch.count).toBe(second.episodes.lengths.reduce((a, b) => a + b, 0));
    expect(carried).toBeGreaterThan(0);
  });

  test('the same state gives the same fragment in a fresh worker (what lets any thread run it)', async () => {
    for (const batchMode of ['truncate_episodes', 'complete_episodes'] as const) {
      const { worker, weights } = await workerWithWeights({ ...base, batchMode });
      worker.sample(weights, null);
      const state = structuredClone(worker.getState());
      const a = worker.sample(weights, null);
      const other = await RolloutWorker.create({ ...base, batchMode });
      other.setState(state);
      const b = other.sample(weights, null);
      expect(b.batch.count).toBe(a.batch.count);
      expect(Array.from(b.batch.columns.obs)).toEqual(Array.from(a.batch.columns.obs));
      expect(Array.from(b.batch.columns.actions)).toEqual(Array.from(a.batch.columns.actions));
      expect(Array.from(b.batch.columns.advantages)).toEqual(Array.from(a.batch.columns.advantages));
      expect(b.episodes).toEqual(a.episodes);
    }
  });
});
