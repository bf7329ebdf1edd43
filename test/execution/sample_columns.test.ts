// The generic columns every sample batch has, checked on a counter env whose observations are
// worked out by hand: terminated, truncated and new_obs, at episode ends (where the vector env
// has already reset: new_obs must be the episode's final observation, not the reset one) and at
// the fragment's cut, in both batch modes and across sample() calls.
import { describe, expect, test } from '@jest/globals';
import { RolloutWorker, type RolloutWorkerConfig } from '../../src/execution/rollout_worker.js';
import { register } from '../../src/envs/registry.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import type { Env, Info } from '../../src/envs/env.js';
import { ppoPolicy, rolloutWorkerConfig } from '../helpers.js';

// Starts at 1; each step adds 1. Terminates on reaching terminateAt, reports truncated itself on
// reaching truncateAt; seeded with an odd seed (env 1 of a vector env seeded 0), one step later.
class Counter implements Env<number[]> {
  readonly observation_space = new Box(0, 100, [1]);
  readonly action_space = new Discrete(2);
  private position = 1;
  private later = 0;
  constructor(private readonly options: { terminateAt?: number; truncateAt?: number }) {}
  reset(options: { seed?: number } = {}): [number[], Info] {
    if (options.seed !== undefined) this.later = options.seed % 2;
    this.position = 1;
    return [[this.position], {}];
  }
  step(): [number[], number, boolean, boolean, Info] {
    this.position += 1;
    const { terminateAt, truncateAt } = this.options;
    return [[this.position], 1, terminateAt !== undefined && this.position === terminateAt + this.later, truncateAt !== undefined && this.position === truncateAt + this.later, {}];
  }
}
register({ id: 'test/ColumnsCounter', entryPoint: (kwargs) => new Counter(kwargs as { terminateAt?: number; truncateAt?: number }) });

function config(overrides: Partial<RolloutWorkerConfig>): RolloutWorkerConfig {
  return rolloutWorkerConfig('test/ColumnsCounter', overrides);
}

async function worker(overrides: Partial<RolloutWorkerConfig>) {
  const w = await RolloutWorker.create(config(overrides));
  return { w, weights: new Float32Array(w.layout.totalSize) };
}

const columns = (batch: { columns: Record<string, Float32Array> }, ...names: string[]) => Object.fromEntries(names.map((n) => [n, Array.from(batch.columns[n])]));

describe('truncate_episodes', () => {
  test('terminated: the done row has new_obs = the final observation (4), not the reset one (1); the cut row has the current one', async () => {
    const { w, weights } = await worker({ envConfig: { terminateAt: 4 } });
    const { batch } = w.sample(weights, null);
    expect(columns(batch, 'obs', 'new_obs', 'terminated', 'truncated')).toEqual({
      obs: [1, 2, 3, 1, 2],
      new_obs: [2, 3, 4, 2, 3],
      terminated: [0, 0, 1, 0, 0],
      truncated: [0, 0, 0, 0, 0],
    });
  });

  test("the env's own truncation and a time limit (horizon) set truncated, not terminated", async () => {
    for (const overrides of [{ envConfig: { truncateAt: 4 } }, { horizon: 3 }]) {
      const { w, weights } = await worker(overrides);
      const { batch } = w.sample(weights, null);
      expect(columns(batch, 'obs', 'new_obs', 'terminated', 'truncated')).toEqual({
        obs: [1, 2, 3, 1, 2],
        new_obs: [2, 3, 4, 2, 3],
        terminated: [0, 0, 0, 0, 0],
        truncated: [0, 0, 1, 0, 0],
      });
    }
  });

  test('vector envs: each env-major block has its own boundaries; the next fragment continues the episode', async () => {
    // env 0 terminates at 4, env 1 (odd seed) at 5
    const { w, weights } = await worker({ numEnvs: 2, fragmentLength: 4, envConfig: { terminateAt: 4 } });
    const first = w.sample(weights, null).batch;
    expect(columns(first, 'obs', 'new_obs', 'terminated')).toEqual({
      obs: [1, 2, 3, 1, 1, 2, 3, 4],
      new_obs: [2, 3, 4, 2, 2, 3, 4, 5],
      terminated: [0, 0, 1, 0, 0, 0, 0, 1],
    });
    const second = w.sample(weights, null).batch;
    expect(Array.from(second.columns.obs)).toEqual([2, 3, 1, 2, 1, 2, 3, 4]);
    expect(Array.from(second.columns.new_obs)).toEqual([3, 4, 2, 3, 2, 3, 4, 5]);
  });

  test('MeanStdFilter: new_obs is filtered like obs, and equals the next row\'s obs within an episode', async () => {
    const { w, weights } = await worker({ observationFilter: 'MeanStdFilter', fragmentLength: 8, envConfig: { terminateAt: 5 } });
    const { batch } = w.sample(weights, null);
    const { obs, new_obs: newObs, terminated } = batch.columns;
    for (let t = 0; t + 1 < batch.count; t++) if (terminated[t] === 0) expect(newObs[t]).toBe(obs[t + 1]);
    expect(obs[0]).toBe(0); // the first observation is its own mean
    expect(newObs[3]).not.toBe(obs[4]); // the final observation (5) is not the reset one (1)
  });
});

describe('complete_episodes', () => {
  test('whole episodes with the same columns; an episode still running carries its rows (and new_obs) into the next call', async () => {
    const { w, weights } = await worker({ batchMode: 'complete_episodes', fragmentLength: 2, envConfig: { terminateAt: 4 } });
    const first = w.sample(weights, null).batch;
    expect(columns(first, 'obs', 'new_obs', 'terminated', 'truncated')).toEqual({ obs: [1, 2, 3], new_obs: [2, 3, 4], terminated: [0, 0, 1], truncated: [0, 0, 0] });
    // Two envs, episodes of 3 and 4 steps, at least 2 x 2 steps a call: after 4 steps env 1's episode
    // completes the target while env 0 is one step into its second episode, which carries over.
    const { w: w2, weights: weights2 } = await worker({ numEnvs: 2, batchMode: 'complete_episodes', fragmentLength: 2, envConfig: { terminateAt: 4 } });
    const a = w2.sample(weights2, null).batch;
    expect(columns(a, 'obs', 'new_obs', 'terminated')).toEqual({ obs: [1, 2, 3, 1, 2, 3, 4], new_obs: [2, 3, 4, 2, 3, 4, 5], terminated: [0, 0, 1, 0, 0, 0, 1] });
    const pending = w2.getState().pending[0];
    expect(pending.obs).toEqual([1]);
    expect(pending.new_obs).toEqual([]); // the last row's new_obs comes with the next step
    const b = w2.sample(weights2, null).batch;
    expect(Array.from(b.columns.obs.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(b.columns.new_obs.subarray(0, 3))).toEqual([2, 3, 4]);
    expect(Array.from(b.columns.terminated.subarray(0, 3))).toEqual([0, 0, 1]);
  });

  test("a checkpoint's pending episode in the old PPO form (logp, distInputs, vfPreds) is upgraded", async () => {
    // CartPole: a classic-control env whose state a checkpoint holds
    const cartpole = { env: 'CartPole-v1', numEnvs: 2, batchMode: 'complete_episodes' as const, fragmentLength: 10, ...ppoPolicy({ model: { fcnet_hiddens: [4] } }) };
    const { w, weights } = await worker(cartpole);
    weights.fill(0.1);
    // sample until env 0 is a few steps into an episode (its pending rows are what is upgraded)
    let state = structuredClone(w.getState());
    for (let round = 0; round < 20 && state.pending[0].obs.length <= 4; round++) {
      w.sample(weights, null);
      state = structuredClone(w.getState());
    }
    const p = state.pending[0];
    expect(p.obs.length).toBeGreaterThan(4);
    state.pending[0] = { obs: p.obs, actions: p.actions, logp: p.action_logp, distInputs: p.action_dist_inputs, vfPreds: p.vf_preds, rewards: p.rewards };
    const expected = w.sample(weights, null).batch;
    const { w: other } = await worker(cartpole);
    other.setState(state);
    const got = other.sample(weights, null).batch;
    for (const name of Object.keys(expected.columns)) expect([name, Array.from(got.columns[name])]).toEqual([name, Array.from(expected.columns[name])]);
  });
});
