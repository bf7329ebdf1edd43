// Exploration while sampling: epsilon-greedy replaces the policy's greedy action with a uniformly
// random one with probability epsilon (RLlib's EpsilonGreedy), per task, in the main thread and
// in worker threads alike; greedy is the policy's deterministic action.
import { describe, expect, test } from '@jest/globals';
import { RolloutWorker, type RolloutWorkerConfig } from '../../src/execution/rollout_worker.js';
import { createSampler } from '../../src/execution/worker_pool.js';
import { applyEpsilonGreedy, randomActions } from '../../src/execution/exploration.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import { Random } from '../../src/utils/random.js';
import { ppoPolicy } from '../helpers.js';

const base: Omit<RolloutWorkerConfig, 'workerIndex'> = {
  env: 'CartPole-v1',
  envConfig: {},
  numEnvs: 4,
  fragmentLength: 500,
  batchMode: 'truncate_episodes',
  horizon: null,
  clipActions: true,
  observationFilter: 'NoFilter',
  ...ppoPolicy({ model: { fcnet_hiddens: [] } }),
  seed: 3,
};

/** Fraction of actions that are 1: with zero weights the logits tie and the greedy action is 0, so every 1 is an exploring action. */
const onesFraction = (actions: Float32Array) => actions.reduce((n, a) => n + a, 0) / actions.length;

describe('epsilon-greedy', () => {
  test('applyEpsilonGreedy replaces about epsilon of the rows, with any action (seed 1, 20000 rows)', () => {
    const rows = 20_000;
    const actions = new Float32Array(rows);
    const replaced = applyEpsilonGreedy(actions, rows, 4, 0.3, new Random(1));
    // binomial(20000, 0.3): sd 65; a random action equals the greedy one a quarter of the time
    expect(Math.abs(replaced - 6000)).toBeLessThan(300);
    const changed = actions.reduce((n, a) => n + (a !== 0 ? 1 : 0), 0);
    expect(Math.abs(changed - 4500)).toBeLessThan(300);
    expect(new Set(actions)).toEqual(new Set([0, 1, 2, 3]));
    expect(applyEpsilonGreedy(new Float32Array(100), 100, 4, 0, new Random(1))).toBe(0);
  });

  test('a rollout worker explores by the epsilon of each task: 0 greedy, 0.5 about a quarter of actions flipped, 1 about half', async () => {
    const worker = await RolloutWorker.create({ ...base, workerIndex: 0 });
    const weights = new Float32Array(worker.layout.totalSize);
    expect(onesFraction(worker.sample(weights, null, { type: 'epsilon_greedy', epsilon: 0 }).batch.columns.actions)).toBe(0);
    expect(onesFraction(worker.sample(weights, null, { type: 'greedy' }).batch.columns.actions)).toBe(0);
    // 2000 actions: sd of the fraction ~0.01
    expect(Math.abs(onesFraction(worker.sample(weights, null, { type: 'epsilon_greedy', epsilon: 0.5 }).batch.columns.actions) - 0.25)).toBeLessThan(0.05);
    expect(Math.abs(onesFraction(worker.sample(weights, null, { type: 'epsilon_greedy', epsilon: 1 }).batch.columns.actions) - 0.5)).toBeLessThan(0.05);
    // stochastic sampling from uniform logits: half
    expect(Math.abs(onesFraction(worker.sample(weights, null).batch.columns.actions) - 0.5)).toBeLessThan(0.05);
  });

  test('the exploration travels with the task to worker threads, and the fragments repeat with the seed', async () => {
    const probe = await RolloutWorker.create({ ...base, workerIndex: 0 });
    const run = async () => {
      const sampler = await createSampler(2, { ...base, numEnvs: 1, fragmentLength: 300 });
      try {
        const weights = new Float32Array(probe.layout.totalSize);
        const greedy = await sampler.sample(weights, null, { type: 'epsilon_greedy', epsilon: 0 });
        const exploring = await sampler.sample(weights, null, { type: 'epsilon_greedy', epsilon: 0.6 });
        return { greedy: greedy.map((r) => onesFraction(r.batch.columns.actions)), exploring: exploring.map((r) => Array.from(r.batch.columns.actions)) };
      } finally {
        await sampler.close();
      }
    };
    const a = await run();
    expect(a.greedy).toEqual([0, 0]);
    for (const actions of a.exploring) expect(Math.abs(onesFraction(Float32Array.from(actions)) - 0.3)).toBeLessThan(0.1);
    expect((await run()).exploring).toEqual(a.exploring);
  });

  test('epsilon-greedy on a Box action space is refused', async () => {
    const worker = await RolloutWorker.create({ ...base, env: 'Pendulum-v1', numEnvs: 1, fragmentLength: 5, workerIndex: 0 });
    expect(() => worker.sample(new Float32Array(worker.layout.totalSize), null, { type: 'epsilon_greedy', epsilon: 0.1 })).toThrow(/needs a Discrete action space/);
  });
});

test('random exploration draws uniformly within the space', () => {
  const rng = new Random(2);
  const box = new Box([-1, 0], [1, 4]);
  const actions = new Float32Array(2000);
  randomActions(box, actions, 1000, rng);
  for (let r = 0; r < 1000; r++) {
    expect(actions[2 * r]).toBeGreaterThanOrEqual(-1);
    expect(actions[2 * r]).toBeLessThanOrEqual(1);
    expect(actions[2 * r + 1]).toBeGreaterThanOrEqual(0);
    expect(actions[2 * r + 1]).toBeLessThanOrEqual(4);
  }
  const discrete = new Float32Array(1000);
  randomActions(new Discrete(3), discrete, 1000, rng);
  expect(new Set(discrete)).toEqual(new Set([0, 1, 2]));
});
