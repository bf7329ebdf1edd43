// CheckpointPolicy (rl rollout, rl serve, the library): what it reads from a checkpoint (the
// algorithm, env, iteration, networks and observation filter), greedy actions of the filtered
// observations row by row, and the checkpoints it refuses with one line naming the problem.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, jest, test } from '@jest/globals';
import { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { toLayersModels } from '../../src/policy/layers_model.js';
import { ppoModelLayout } from '../../src/algorithms/ppo/model.js';
import { Box, Discrete } from '../../src/envs/spaces.js';
import { envModuleRecord } from '../../src/checkpoint/env.js';
import { resolveEnv } from '../../src/envs/registry.js';
import { ppoTestManifest, repoRoot } from '../helpers.js';
import { Random, resolvePPOConfig, saveCheckpoint } from '../../src/index.js';
import { UserError } from '../../src/utils/errors.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import type { FilterState } from '../../src/policy/filter.js';

beforeAll(() => initBackend('wasm')); // saving a checkpoint builds tfjs LayersModels

/** A MeanStdFilter of CartPole's 4 values: mean [5, 0, 0, 0], std 1 each (n 2, m2 1). */
const filter: FilterState = {
  type: 'MeanStdFilter',
  running: { n: 2, mean: [5, 0, 0, 0], m2: [1, 1, 1, 1] },
  buffer: { n: 0, mean: [], m2: [] },
};

/**
 * A CartPole PPO checkpoint without hidden layers whose logits are [0, x0] for the (filtered)
 * observation x: the greedy action is 1 exactly when x0 > 0.
 */
async function checkpoint(manifest: Record<string, unknown> = {}): Promise<string> {
  const config = resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', model: { fcnet_hiddens: [] } } }]);
  const layout = ppoModelLayout(4, new Discrete(2), config.model);
  const weights = new Float32Array(layout.totalSize);
  const out = layout.layers[layout.policyPath[0]];
  expect([out.inSize, out.outSize]).toEqual([4, 2]);
  weights[out.kernelOffset + 1] = 1; // [in 0][out 1]
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'rl-ckpt-policy-')), 'checkpoints');
  return saveCheckpoint(root, 3, {
    manifest: ppoTestManifest('CartPole-v1', config, 3, manifest as never),
    models: toLayersModels(layout, weights),
  });
}

/** Rows of CartPole observations with the given first values (the rest 0). */
const rows = (x0s: number[]) => Float32Array.from(x0s.flatMap((x) => [x, 0, 0, 0]));

describe('CheckpointPolicy', () => {
  test('reads what the manifest names; greedy actions of the raw observations without a filter', async () => {
    const policy = await CheckpointPolicy.load(await checkpoint());
    expect([policy.algorithm.name, policy.envId, policy.iteration, policy.actionSize]).toEqual(['PPO', 'CartPole-v1', 3, 1]);
    expect(policy.action_space).toBeInstanceOf(Discrete);
    expect(policy.layout.observationSize).toBe(4);
    expect(policy.config.env).toBe('CartPole-v1');
    expect(path.basename(policy.manifestPath)).toBe('checkpoint-3');
    const out = new Float32Array(3);
    policy.computeActions(rows([4, -1, 6]), 3, false, null, out);
    expect(Array.from(out)).toEqual([1, 0, 1]);
  });

  test("the checkpoint's filter normalises each row before the policy sees it (batch larger than the last)", async () => {
    const policy = await CheckpointPolicy.load(await checkpoint({ filter }));
    const one = new Float32Array(1);
    policy.computeActions(rows([4]), 1, false, null, one); // (4 - 5) / 1 < 0
    expect(one[0]).toBe(0);
    const out = new Float32Array(4);
    policy.computeActions(rows([6, 4, 5.5, 4.9]), 4, false, null, out);
    expect(Array.from(out)).toEqual([1, 0, 1, 0]);
    // the filter is not updated by replaying: the same rows give the same actions, even after
    // 100 rows of 6 (which, pushed into the filter, would move its mean past 5.5)
    policy.computeActions(rows([6, 4, 5.5, 4.9]), 4, false, null, out);
    expect(Array.from(out)).toEqual([1, 0, 1, 0]);
    policy.computeActions(rows(new Array(100).fill(6)), 100, false, null, new Float32Array(100));
    policy.computeActions(rows([5.5]), 1, false, null, one);
    expect(one[0]).toBe(1);
  });

  test('explore samples with the generator given, and needs one', async () => {
    const policy = await CheckpointPolicy.load(await checkpoint());
    const out = new Float32Array(200);
    expect(() => policy.computeActions(rows(new Array(200).fill(0)), 200, true, null, out)).toThrow('explore needs a random generator');
    // logits [0, 0]: both actions about equally often
    policy.computeActions(rows(new Array(200).fill(0)), 200, true, new Random(0), out);
    const ones = out.reduce((a, b) => a + b, 0);
    expect(out.every((a) => a === 0 || a === 1)).toBe(true);
    expect(ones).toBeGreaterThan(60);
    expect(ones).toBeLessThan(140);
    const again = new Float32Array(200);
    policy.computeActions(rows(new Array(200).fill(0)), 200, true, new Random(0), again);
    expect(Array.from(again)).toEqual(Array.from(out));
  });

  test('refused with one line: an rl sgd model, an unknown algorithm, a filter of the wrong size', async () => {
    const reject = async (manifest: Record<string, unknown>) => {
      const file = await checkpoint(manifest);
      const error = await CheckpointPolicy.load(file).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      return { file, message: (error as UserError).message };
    };
    const sgd = await reject({ algorithm: 'SGD' });
    expect(sgd.message).toMatch(/ was written by rl sgd: a model, not a policy with an env; serve it with rl serve \S*checkpoint_3[\\/]model$/);
    const unknown = await reject({ algorithm: 'NOPE' });
    expect(unknown.message).toMatch(/checkpoint-3 was trained with an algorithm this rl does not have:.*NOPE/);
    const damaged = await reject({ filter: { ...filter, running: { n: 2, mean: [5, 0, 0], m2: [1, 1, 1] } } });
    expect(damaged.message).toMatch(/checkpoint-3 is damaged: its observation filter running 'mean' has 3 values; observations have 4$/);
  });

  test("a custom env's checkpoint: its env_config makes the env, Box rows of several actions, a changed module is warned about", async () => {
    const module = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'box-actions.js');
    const envId = await resolveEnv(module);
    const config = resolvePPOConfig([{ source: 'test', config: { env: envId, env_config: { actions: 3 }, model: { fcnet_hiddens: [] } } }]);
    const layout = ppoModelLayout(1, new Box(-1, 1, [3]), config.model);
    const weights = new Float32Array(layout.totalSize);
    const out = layout.layers[layout.policyPath[0]];
    [0.25, -0.5, 5].forEach((mean, k) => (weights[out.biasOffset + k] = mean)); // greedy action: the means, clipped
    const save = async (envModule: { name: string; sha256: string } | null) =>
      saveCheckpoint(path.join(mkdtempSync(path.join(os.tmpdir(), 'rl-ckpt-custom-')), 'checkpoints'), 1, {
        manifest: ppoTestManifest(module, config, 1, { env_module: envModule }),
        models: toLayersModels(layout, weights),
      });
    const warnings: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (warnings.push(String(chunk)), true));
    try {
      const policy = await CheckpointPolicy.load(await save(envModuleRecord(envId)), { env: module });
      expect(warnings).toEqual([]);
      expect(policy.actionSize).toBe(3);
      const actions = new Float32Array(6);
      policy.computeActions(new Float32Array([0, 0.5]), 2, false, null, actions);
      expect(Array.from(actions)).toEqual([0.25, -0.5, 1, 0.25, -0.5, 1]);
      await CheckpointPolicy.load(await save({ name: 'box-actions.js', sha256: '0'.repeat(64) }), { env: module });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/is not the box-actions\.js that .*checkpoint-1 was trained with \(its sha256 differs\); replaying with it anyway/);
    } finally {
      write.mockRestore();
    }
  });
});
