// Where each env's rows land in a rollout worker's batch, checked on a vector env with
// observations two values wide (so that an offset of i * O or row * O cannot pass for i or row)
// and envs whose episodes end at different steps: obs, new_obs, the policy's own columns, the
// segments handed to postprocessing, the observation filter's updates, and the seeds the envs get.
import { describe, expect, test } from '@jest/globals';
import { RolloutWorker, upgradePendingEpisode, type RolloutWorkerConfig } from '../../src/execution/rollout_worker.js';
import { register } from '../../src/envs/registry.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import type { Env, Info } from '../../src/envs/env.js';
import { make } from '../../src/envs/registry.js';
import { Random } from '../../src/utils/random.js';
import { initialWeights } from '../../src/policy/model.js';
import { UserError } from '../../src/utils/errors.js';
import { ppoPolicy, rolloutWorkerConfig } from '../helpers.js';

// Observation [base + s, -(base + s)] with s = 1 after reset and +1 a step; base = 100 x the last
// reset seed, so each env of a vector env (seeds seed + i) is told apart by its rows. Terminates
// when s reaches terminateAt (+ 1 for an odd seed: env 1's episodes are a step longer than env 0's).
class PairCounter implements Env<number[]> {
  readonly observation_space = new Box(-1000, 1000, [2]);
  readonly action_space = new Discrete(2);
  private s = 1;
  private base = 0;
  private later = 0;
  constructor(private readonly terminateAt: number) {}
  private obs(): number[] {
    return [this.base + this.s, -(this.base + this.s)];
  }
  reset(options: { seed?: number | null } = {}): [number[], Info] {
    if (options.seed !== undefined && options.seed !== null) {
      this.base = 100 * options.seed;
      this.later = options.seed % 2;
    }
    this.s = 1;
    return [this.obs(), {}];
  }
  step(): [number[], number, boolean, boolean, Info] {
    this.s += 1;
    return [this.obs(), 1, this.s === this.terminateAt + this.later, false, {}];
  }
}
register({ id: 'test/PairCounter', entryPoint: (kwargs) => new PairCounter((kwargs.terminateAt as number | undefined) ?? 4) });
// An env whose reset observation is not finite.
register({
  id: 'test/NaNReset',
  entryPoint: () => ({
    observation_space: new Box(-1, 1, [2]),
    action_space: new Discrete(2),
    reset: (): [number[], Info] => [[0, Number.NaN], {}],
    step: (): [number[], number, boolean, boolean, Info] => [[0, 0], 0, false, false, {}],
  }),
});

function config(overrides: Partial<RolloutWorkerConfig>): RolloutWorkerConfig {
  return rolloutWorkerConfig('test/PairCounter', { envConfig: { terminateAt: 4 }, numEnvs: 2, fragmentLength: 8, ...overrides });
}

/** A worker whose policy's logits are its observation (identity kernel, no hidden layer), and the segments its postprocessing got. */
async function worker(overrides: Partial<RolloutWorkerConfig> = {}) {
  const w = await RolloutWorker.create(config(overrides));
  const weights = new Float32Array(w.layout.totalSize);
  const out = w.layout.layers[w.layout.networks.policy.path[0]];
  expect([out.inSize, out.outSize]).toEqual([2, 2]);
  weights[out.kernelOffset] = 1; // row-major [in][out]: logit 0 = obs 0
  weights[out.kernelOffset + 3] = 1; // logit 1 = obs 1
  const segments: [number, number][][] = [];
  const policy = w.policy as { postprocess?: (batch: never, s: [number, number][]) => void };
  const postprocess = policy.postprocess!.bind(policy);
  policy.postprocess = (batch, s) => {
    segments.push(s.map(([a, b]) => [a, b]));
    postprocess(batch, s);
  };
  return { w, weights, segments };
}

/** Rows of [base + s, -(base + s)] for the given s values. */
const pairs = (base: number, ss: number[]) => ss.flatMap((s) => [base + s, -(base + s)]);

describe('truncate_episodes with two envs of two-value observations', () => {
  // env 0 (seed 0): episodes of 3 steps (s = 1, 2, 3, terminal 4); env 1 (seed 1, base 100): of 4 steps
  test('each env-major block holds its own observations, final observations and logits', async () => {
    const { w, weights, segments } = await worker();
    const { batch } = w.sample(weights, null);
    const c = batch.columns;
    expect(Array.from(c.obs)).toEqual([...pairs(0, [1, 2, 3, 1, 2, 3, 1, 2]), ...pairs(100, [1, 2, 3, 4, 1, 2, 3, 4])]);
    expect(Array.from(c.new_obs)).toEqual([...pairs(0, [2, 3, 4, 2, 3, 4, 2, 3]), ...pairs(100, [2, 3, 4, 5, 2, 3, 4, 5])]);
    expect(Array.from(c.terminated)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    // the policy's column (width 2) row by row: the logits of each row's own observation
    expect(Array.from(c.action_dist_inputs)).toEqual(Array.from(c.obs));
    // in the order the episodes ended, then the fragment's cut; env 1's second episode ends on the last step (no cut segment)
    expect(segments).toEqual([[[0, 3], [8, 12], [3, 6], [12, 16], [6, 8]]]);
  });

  test('one step per fragment: the row whose episode goes on gets the observation its env is at', async () => {
    for (const numEnvs of [1, 2]) {
      const { w, weights, segments } = await worker({ numEnvs, fragmentLength: 1 });
      const rowsOf = (ss: number[]) => [...pairs(0, ss), ...(numEnvs === 2 ? pairs(100, ss) : [])];
      const first = w.sample(weights, null).batch;
      expect(Array.from(first.columns.obs)).toEqual(rowsOf([1]));
      expect(Array.from(first.columns.new_obs)).toEqual(rowsOf([2]));
      const second = w.sample(weights, null).batch;
      expect(Array.from(second.columns.obs)).toEqual(rowsOf([2]));
      expect(Array.from(second.columns.new_obs)).toEqual(rowsOf([3]));
      const perFragment = numEnvs === 1 ? [[0, 1]] : [[0, 1], [1, 2]];
      expect(segments).toEqual([perFragment, perFragment]);
    }
  });

  test('a policy without postprocessing gets its batch as sampled', async () => {
    for (const batchMode of ['truncate_episodes', 'complete_episodes'] as const) {
      const { w, weights } = await worker({ batchMode });
      (w.policy as { postprocess?: unknown }).postprocess = undefined;
      const { batch } = w.sample(weights, null);
      expect(batch.columns.advantages).toBeUndefined();
      expect(batch.count).toBeGreaterThanOrEqual(8);
    }
  });
});

describe('complete_episodes with two envs of two-value observations', () => {
  test("each episode's rows and new_obs come from its own env", async () => {
    const { w, weights, segments } = await worker({ batchMode: 'complete_episodes', fragmentLength: 4 });
    // 8 steps wanted: env 0's episodes end at steps 3 and 6, env 1's at step 4 (3 + 4 + 3 = 10 rows by step 6)
    const { batch } = w.sample(weights, null);
    expect(Array.from(batch.columns.obs)).toEqual([...pairs(0, [1, 2, 3]), ...pairs(100, [1, 2, 3, 4]), ...pairs(0, [1, 2, 3])]);
    expect(Array.from(batch.columns.new_obs)).toEqual([...pairs(0, [2, 3, 4]), ...pairs(100, [2, 3, 4, 5]), ...pairs(0, [2, 3, 4])]);
    expect(Array.from(batch.columns.action_dist_inputs)).toEqual(Array.from(batch.columns.obs));
    expect(segments).toEqual([[[0, 3]], [[0, 4]], [[0, 3]]]);
    // env 1 is two steps into its second episode: its rows so far, new_obs of all but the last
    const pending = w.getState().pending[1];
    expect(pending.obs).toEqual(pairs(100, [1, 2]));
    expect(pending.new_obs).toEqual(pairs(100, [2]));
  });
});

describe('the observation filter', () => {
  test('the buffer sent back holds exactly the observations acted on in this fragment (not final or cut ones, not earlier fragments)', async () => {
    const { w, weights } = await worker({ observationFilter: 'MeanStdFilter' });
    for (let round = 0; round < 2; round++) {
      const { filterBuffer } = w.sample(weights, null);
      expect(filterBuffer!.n).toBe(16);
    }
    // a first fragment's 16 observations, as in the first test
    const { filterBuffer } = (await worker({ observationFilter: 'MeanStdFilter' })).w.sample(weights, null);
    const raw = [...pairs(0, [1, 2, 3, 1, 2, 3, 1, 2]), ...pairs(100, [1, 2, 3, 4, 1, 2, 3, 4])];
    const mean0 = raw.filter((_, k) => k % 2 === 0).reduce((a, b) => a + b, 0) / 16;
    expect(filterBuffer!.mean[0]).toBeCloseTo(mean0, 10);
    expect(filterBuffer!.mean[1]).toBeCloseTo(-mean0, 10);
  });

  test("a driver's filter state is used as given, with the worker's buffer started empty", async () => {
    const { w, weights } = await worker({ observationFilter: 'MeanStdFilter', numEnvs: 1, fragmentLength: 2 });
    // a million observations of mean (1, -1) and std 2: the fragment's two hardly move it
    const n = 1_000_000;
    const state = { type: 'MeanStdFilter' as const, running: { n, mean: [1, -1], m2: [4 * (n - 1), 4 * (n - 1)] }, buffer: { n: 5, mean: [7, 7], m2: [1, 1] } };
    const { batch, filterBuffer } = w.sample(weights, state);
    // s = 1, 2: (s - 1) / 2 and (-s + 1) / 2
    const obs = Array.from(batch.columns.obs);
    [0, 0, 0.5, -0.5].forEach((v, k) => expect(obs[k]).toBeCloseTo(v, 5));
    expect(filterBuffer!.n).toBe(2);
    expect(filterBuffer!.mean).toEqual([1.5, -1.5]);
  });
});

describe('what a worker starts from', () => {
  test('env i of worker w is reset with seed + w x numEnvs + i (no two envs of a run share a seed)', async () => {
    const cartpole = { env: 'CartPole-v1', envConfig: {}, numEnvs: 3, fragmentLength: 1, seed: 4, workerIndex: 2, ...ppoPolicy({ model: { fcnet_hiddens: [4] } }) };
    const w = await RolloutWorker.create(config(cartpole));
    const { batch } = w.sample(initialWeights(w.layout, new Random(0)), null);
    for (let i = 0; i < 3; i++) {
      const [expected] = make('CartPole-v1').reset({ seed: 4 + 2 * 3 + i });
      expect(Array.from(batch.columns.obs.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(expected));
    }
  });

  test("the worker's generator is seeded from the seed and the worker index (checkpointed states depend on it)", async () => {
    for (const [seed, workerIndex] of [
      [4, 0],
      [4, 2],
      [9, 1],
    ]) {
      const w = await RolloutWorker.create(config({ seed, workerIndex }));
      expect(w.getState().rng).toEqual(new Random(seed * 7919 + 104729 * (workerIndex + 1)).getState());
    }
  });

  test('a non-finite reset observation is named as coming from reset(), with the worker', async () => {
    const w = await RolloutWorker.create(config({ env: 'test/NaNReset', envConfig: {}, workerIndex: 3 }));
    let error: unknown;
    try {
      w.sample(new Float32Array(w.layout.totalSize), null);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/value 1 of the observation is NaN from reset\(\) \(env 0 of rollout worker 3\)/);
  });
});

describe('random exploration through the worker', () => {
  test("replaces the policy's actions with uniform ones", async () => {
    const { w, weights } = await worker({ numEnvs: 1, fragmentLength: 400, envConfig: { terminateAt: 1000 } });
    // logits (s, -s): the policy all but always picks action 0 once s > 10
    const stochastic = w.sample(weights, null).batch.columns.actions;
    expect(Array.from(stochastic.subarray(20)).every((a) => a === 0)).toBe(true);
    const random = Array.from(w.sample(weights, null, { type: 'random' }).batch.columns.actions);
    const ones = random.filter((a) => a === 1).length;
    expect(ones).toBeGreaterThan(150);
    expect(ones).toBeLessThan(250);
  });
});

test('upgradePendingEpisode: an old PPO episode gets the current column names, new_obs and end flags for each of its rows', () => {
  const old = { obs: [1, -1, 2, -2, 3, -3], actions: [0, 1, 1], logp: [-0.1, -0.2, -0.3], distInputs: [0, 0, 1, 1, 2, 2], vfPreds: [5, 6, 7], rewards: [1, 1, 1] };
  expect(upgradePendingEpisode(old, 2)).toEqual({
    obs: [1, -1, 2, -2, 3, -3],
    actions: [0, 1, 1],
    action_logp: [-0.1, -0.2, -0.3],
    action_dist_inputs: [0, 0, 1, 1, 2, 2],
    vf_preds: [5, 6, 7],
    rewards: [1, 1, 1],
    new_obs: [2, -2, 3, -3],
    terminated: [0, 0, 0],
    truncated: [0, 0, 0],
  });
  // an episode with no rows yet (a damaged or empty entry) upgrades to empty columns
  expect(upgradePendingEpisode({ actions: [] }, 2)).toEqual({ actions: [], new_obs: [], terminated: [], truncated: [] });
  // a current one is kept as it is
  const current = { obs: [1, -1], new_obs: [], rewards: [1], terminated: [0], truncated: [0] };
  expect(upgradePendingEpisode(current, 2)).toBe(current);
});
