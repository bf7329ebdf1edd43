// Box actions are clipped to the action space before env.step (RLlib's clip_actions, default
// true): the sample batch keeps the sampled action (its logp is of that action), the env gets the
// clipped one. It matters for rewards: MountainCarContinuous charges 0.1 * a^2 on the action it
// is given (Gymnasium clamps the force but not the cost), and a custom env may trust its bounds.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { RolloutWorker, type RolloutWorkerConfig } from '../../src/execution/rollout_worker.js';
import { replayPolicy } from '../../src/execution/policy_replay.js';
import { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { toLayersModels } from '../../src/policy/layers_model.js';
import { type PPOModelLayout as ModelLayout } from '../../src/algorithms/ppo/model.js';
import { ppoModelLayout as modelLayout } from '../../src/algorithms/ppo/model.js';
import { register } from '../../src/envs/registry.js';
import { Box } from '../../src/envs/spaces.js';
import type { Env, Info } from '../../src/envs/env.js';
import { Random, resolvePPOConfig, saveCheckpoint } from '../../src/index.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { ppoPolicy, ppoTestManifest } from '../helpers.js';

/** Every action any Recorder env received. */
const received: number[][] = [];

// A custom env with a two-dimensional Box action space [-1, 1] x [0, 2] that records its actions.
class Recorder implements Env<number[]> {
  readonly observation_space = new Box(-1, 1, [1]);
  readonly action_space = new Box([-1, 0], [1, 2]);
  reset(): [number[], Info] {
    return [[0], {}];
  }
  step(action: ArrayLike<number>): [number[], number, boolean, boolean, Info] {
    received.push(Array.from(action));
    return [[0], 0, false, false, {}];
  }
}
register({ id: 'test/Recorder', entryPoint: () => new Recorder(), maxEpisodeSteps: 4 });

/** Zero weights except the Gaussian's output bias: the given means, log-std -20 (std 2e-9). */
function gaussianWeights(layout: ModelLayout, means: number[]): Float32Array {
  const weights = new Float32Array(layout.totalSize);
  const out = layout.layers[layout.policyPath[layout.policyPath.length - 1]];
  expect(out.outSize).toBe(2 * means.length);
  means.forEach((m, k) => {
    weights[out.biasOffset + k] = m;
    weights[out.biasOffset + means.length + k] = -20;
  });
  return weights;
}

function workerConfig(overrides: Partial<RolloutWorkerConfig>): RolloutWorkerConfig {
  return {
    env: 'test/Recorder',
    envConfig: {},
    numEnvs: 2,
    fragmentLength: 6,
    batchMode: 'truncate_episodes',
    horizon: null,
    clipActions: true,
    observationFilter: 'NoFilter',
    ...ppoPolicy({ model: { fcnet_hiddens: [], fcnet_activation: 'tanh', vf_share_layers: false }, gamma: 0.99, lambda: 1 }),
    seed: 1,
    workerIndex: 0,
    ...overrides,
  };
}

async function sampleRecorder(overrides: Partial<RolloutWorkerConfig>, means: number[]) {
  received.length = 0;
  const worker = await RolloutWorker.create(workerConfig(overrides));
  return worker.sample(gaussianWeights(worker.layout as ModelLayout, means), null);
}

function expectRows(actual: ArrayLike<number>, rowSize: number, expected: number[], digits = 5): void {
  expect(actual.length % rowSize).toBe(0);
  for (let r = 0; r < actual.length / rowSize; r++) {
    for (let k = 0; k < rowSize; k++) expect(actual[r * rowSize + k]).toBeCloseTo(expected[k], digits);
  }
}

describe('rollout worker', () => {
  test.each(['truncate_episodes', 'complete_episodes'] as const)('%s: a custom Box env only receives actions inside its bounds, per dimension', async (batchMode) => {
    const { batch } = await sampleRecorder({ batchMode }, [5, -5]);
    expect(received.length).toBeGreaterThanOrEqual(12);
    for (const action of received) expect(action).toEqual([1, 0]);
    expectRows(batch.columns.actions, 2, [5, -5]); // the batch keeps what was sampled
  });

  test('actions inside the bounds reach the env unchanged', async () => {
    const { batch } = await sampleRecorder({}, [0.25, 1.5]);
    for (const action of received) {
      expect(action[0]).toBeCloseTo(0.25, 6);
      expect(action[1]).toBeCloseTo(1.5, 6);
    }
    expect(Array.from(batch.columns.actions).every((a, i) => Math.abs(a - (i % 2 === 0 ? 0.25 : 1.5)) < 1e-6)).toBe(true);
  });

  test('clip_actions false passes the sampled action through (as RLlib)', async () => {
    await sampleRecorder({ clipActions: false }, [5, -5]);
    expect(received.length).toBe(12);
    for (const action of received) {
      expect(action[0]).toBeCloseTo(5, 5);
      expect(action[1]).toBeCloseTo(-5, 5);
    }
  });

  test('MountainCarContinuous is charged for the clipped action: reward -0.1 * 1^2 per step', async () => {
    const worker = await RolloutWorker.create(workerConfig({ env: 'MountainCarContinuous-v0', numEnvs: 1, fragmentLength: 20 }));
    const { batch } = worker.sample(gaussianWeights(worker.layout as ModelLayout, [5]), null);
    expect(batch.columns.rewards).toHaveLength(20);
    for (const r of batch.columns.rewards) expect(r).toBeCloseTo(-0.1, 6); // unclipped: -0.1 * 5^2 = -2.5
  });
});

describe('a checkpoint policy (rl rollout, rl serve)', () => {
  beforeAll(() => initBackend('wasm')); // saving a checkpoint builds tfjs LayersModels

  async function checkpointWithMean(mean: number): Promise<CheckpointPolicy> {
    const config = resolvePPOConfig([{ source: 'test', config: { env: 'MountainCarContinuous-v0', model: { fcnet_hiddens: [2] } } }]);
    const layout = modelLayout(2, new Box(-1, 1, [1]), config.model);
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'rl-clip-')), 'checkpoints');
    const manifest = await saveCheckpoint(root, 1, {
      manifest: ppoTestManifest('MountainCarContinuous-v0', config, 1),
      models: toLayersModels(layout, gaussianWeights(layout, [mean])),
    });
    return CheckpointPolicy.load(manifest);
  }

  test('computeActions clips greedy and sampled Box actions to the space', async () => {
    const policy = await checkpointWithMean(5);
    const out = new Float32Array(3);
    policy.computeActions(new Float32Array(6), 3, false, null, out);
    expect(Array.from(out)).toEqual([1, 1, 1]);
    policy.computeActions(new Float32Array(6), 3, true, new Random(0), out);
    expect(Array.from(out)).toEqual([1, 1, 1]);
    const low = await checkpointWithMean(-5);
    low.computeActions(new Float32Array(2), 1, false, null, out);
    expect(out[0]).toBe(-1);
    const inside = await checkpointWithMean(0.5);
    inside.computeActions(new Float32Array(2), 1, false, null, out);
    expect(out[0]).toBeCloseTo(0.5, 6);
  });

  test('replay steps MountainCarContinuous with the clipped action: reward -0.1 per step', async () => {
    const policy = await checkpointWithMean(5);
    const rewards: number[] = [];
    const actions: number[] = [];
    await replayPolicy(policy, {
      steps: 30,
      seed: 0,
      onStep: (record) => {
        rewards.push(record.reward);
        actions.push((record.action as number[])[0]);
      },
    });
    expect(rewards.length).toBeGreaterThanOrEqual(30);
    for (const r of rewards.slice(0, 30)) expect(r).toBeCloseTo(-0.1, 6);
    expect(actions.every((a) => a === 1)).toBe(true);
  });
});
