// What the rollout worker bootstraps with, checked on its actual output: a tiny deterministic env
// and a linear value function V(s) = 0.5 s + 0.25, so every advantage can be worked out by hand.
// RLlib (postprocessing.compute_gae_for_sample_batch): a terminated episode ends with
// last_r = 0; a truncated one (time limit, or the env's own truncated flag) and a fragment cut
// end with last_r = V(s') of the observation after the last step.
import { describe, expect, test } from '@jest/globals';
import { RolloutWorker, type RolloutWorkerConfig } from '../../src/execution/rollout_worker.js';
import { register } from '../../src/envs/registry.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import type { Env, Info } from '../../src/envs/env.js';
import { ppoPolicy, rolloutWorkerConfig } from '../helpers.js';

// A counter: starts at 1, each step adds 1 and pays reward 1 whatever the action. It terminates
// when it reaches terminateAt, or reports truncated itself when it reaches truncateAt.
class Counter implements Env<number[]> {
  readonly observation_space = new Box(0, 100, [1]);
  readonly action_space = new Discrete(2);
  private position = 1;
  constructor(private readonly options: { terminateAt?: number; truncateAt?: number }) {}
  reset(): [number[], Info] {
    this.position = 1;
    return [[this.position], {}];
  }
  step(): [number[], number, boolean, boolean, Info] {
    this.position += 1;
    const terminated = this.position === this.options.terminateAt;
    const truncated = this.position === this.options.truncateAt;
    return [[this.position], 1, terminated, truncated, {}];
  }
}
register({ id: 'test/Counter', entryPoint: (kwargs) => new Counter(kwargs as { terminateAt?: number; truncateAt?: number }) });

const GAMMA = 0.9;
const V = (s: number) => 0.5 * s + 0.25; // V(1) = 0.75, V(2) = 1.25, V(3) = 1.75, V(4) = 2.25

function config(overrides: Partial<RolloutWorkerConfig>): RolloutWorkerConfig {
  const policy = ppoPolicy({ model: { fcnet_hiddens: [], fcnet_activation: 'tanh', vf_share_layers: false }, gamma: GAMMA, lambda: 1 });
  return rolloutWorkerConfig('test/Counter', { ...policy, ...overrides });
}

/** Samples one fragment with the policy's weights zero and the value output V(s) = 0.5 s + 0.25. */
async function sample(overrides: Partial<RolloutWorkerConfig>) {
  const worker = await RolloutWorker.create(config(overrides));
  const weights = new Float32Array(worker.layout.totalSize);
  const valueOut = worker.layout.layers[worker.layout.networks.value.path[worker.layout.networks.value.path.length - 1]];
  expect(valueOut.inSize).toBe(1);
  weights[valueOut.kernelOffset] = 0.5;
  weights[valueOut.biasOffset] = 0.25;
  return worker.sample(weights, null);
}

function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  Array.from(actual).forEach((a, k) => expect(a).toBeCloseTo(expected[k], 5));
}

// Three steps from s = 1, 2, 3, reward 1 each, lambda = 1, so A_t = G_t - V(s_t).
// Terminated (the step reached 4): G = [2.71, 1.9, 1]; the last advantage is r - V(3) = -0.75
// (always bootstrapping would give 1 + 0.9 V(4) - V(3) = 1.275).
const TERMINATED = { advantages: [2.71 - 0.75, 1.9 - 1.25, 1 - 1.75], targets: [2.71, 1.9, 1] };
// Truncated at s' = 4: G = 1 + 0.9 * V(4) = 3.025, then 1 + 0.9 * 3.025 = 3.7225, then 4.35025
// (bootstrapping with 0 would give the terminated numbers; with V of the reset observation, V(1) = 0.75, others).
const TRUNCATED = { advantages: [4.35025 - 0.75, 3.7225 - 1.25, 3.025 - 1.75], targets: [4.35025, 3.7225, 3.025] };
// The next episode's first two steps (s = 1, 2), cut by the fragment's end at s' = 3:
// G = [1 + 0.9 * (1 + 0.9 * V(3)), 1 + 0.9 * V(3)] = [3.3175, 2.575].
const CUT = { advantages: [3.3175 - 0.75, 2.575 - 1.25], targets: [3.3175, 2.575] };

describe('rollout worker bootstrapping (truncate_episodes)', () => {
  test('records s, V(s) and rewards of the fragment', async () => {
    const { batch, episodes } = await sample({ envConfig: { terminateAt: 4 } });
    expect(Array.from(batch.columns.obs)).toEqual([1, 2, 3, 1, 2]);
    expectClose(batch.columns.vf_preds, [1, 2, 3, 1, 2].map(V));
    expect(Array.from(batch.columns.rewards)).toEqual([1, 1, 1, 1, 1]);
    expect(episodes).toEqual({ returns: [3], lengths: [3] });
  });

  test('a terminated episode ends with A = r - V(s): no V(s\') term', async () => {
    const { batch } = await sample({ envConfig: { terminateAt: 4 } });
    expectClose(batch.columns.advantages.subarray(0, 3), TERMINATED.advantages);
    expectClose(batch.columns.value_targets.subarray(0, 3), TERMINATED.targets);
    expectClose(batch.columns.advantages.subarray(3), CUT.advantages);
    expectClose(batch.columns.value_targets.subarray(3), CUT.targets);
  });

  test('a time-limit truncation bootstraps with V(final observation)', async () => {
    const { batch, episodes } = await sample({ horizon: 3 });
    expect(episodes).toEqual({ returns: [3], lengths: [3] });
    expectClose(batch.columns.advantages.subarray(0, 3), TRUNCATED.advantages);
    expectClose(batch.columns.value_targets.subarray(0, 3), TRUNCATED.targets);
    expectClose(batch.columns.advantages.subarray(3), CUT.advantages);
  });

  test("the env's own truncated flag bootstraps the same way", async () => {
    const { batch } = await sample({ envConfig: { truncateAt: 4 } });
    expectClose(batch.columns.advantages.subarray(0, 3), TRUNCATED.advantages);
    expectClose(batch.columns.advantages.subarray(3), CUT.advantages);
  });

  test('each env of a vector env gets its own segments', async () => {
    const { batch } = await sample({ numEnvs: 2, envConfig: { terminateAt: 4 } });
    // env-major rows: env 0's fragment, then env 1's; both envs run the same deterministic episode
    const expected = [...TERMINATED.advantages, ...CUT.advantages];
    expectClose(batch.columns.advantages, [...expected, ...expected]);
  });
});

describe('rollout worker bootstrapping (complete_episodes)', () => {
  test('a terminated episode ends with A = r - V(s)', async () => {
    const { batch, episodes } = await sample({ batchMode: 'complete_episodes', fragmentLength: 3, envConfig: { terminateAt: 4 } });
    expect(episodes).toEqual({ returns: [3], lengths: [3] });
    expect(Array.from(batch.columns.obs)).toEqual([1, 2, 3]);
    expectClose(batch.columns.vf_preds, [1, 2, 3].map(V));
    expectClose(batch.columns.advantages, TERMINATED.advantages);
    expectClose(batch.columns.value_targets, TERMINATED.targets);
  });

  test('a time-limit truncation bootstraps with V(final observation)', async () => {
    const { batch } = await sample({ batchMode: 'complete_episodes', fragmentLength: 3, horizon: 3 });
    expectClose(batch.columns.advantages, TRUNCATED.advantages);
    expectClose(batch.columns.value_targets, TRUNCATED.targets);
  });

  test("the env's own truncated flag bootstraps the same way", async () => {
    const { batch } = await sample({ batchMode: 'complete_episodes', fragmentLength: 3, envConfig: { truncateAt: 4 } });
    expectClose(batch.columns.advantages, TRUNCATED.advantages);
  });
});
