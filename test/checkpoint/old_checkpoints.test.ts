// Checkpoints written before the algorithm registry (test/fixtures/checkpoints-v1, made by the
// code of commit 017e1a2) still replay and resume exactly as that code did; a checkpoint of an
// algorithm this rl does not have is refused with one line.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { Trainer } from '../../src/training/trainer.js';
import { manifestDigest } from '../../src/checkpoint/format.js';
import { readFixture, repoRoot, rl } from '../helpers.js';

interface Expected {
  observations: number[][];
  greedyActions: number[];
  restoredResult: { training_iteration: number; episode_reward_mean: number | null; timesteps_total: number; learner: Record<string, number> };
}
const expected = readFixture<Record<'cartpole' | 'pendulum', Expected>>('checkpoints-v1', 'expected.json');
const fixture = (name: string) => path.join(repoRoot, 'test', 'fixtures', 'checkpoints-v1', name, 'checkpoint_1', 'checkpoint-1');

describe.each(['cartpole', 'pendulum'] as const)('a %s checkpoint of the old format', (name) => {
  test('replays with the same greedy actions', async () => {
    const policy = await CheckpointPolicy.load(fixture(name));
    expect(policy.algorithm.name).toBe('PPO');
    const obs = Float32Array.from(expected[name].observations.flat());
    const actions = new Float32Array(3 * policy.actionSize);
    policy.computeActions(obs, 3, false, null, actions);
    const want = expected[name].greedyActions.map(Math.fround);
    if (name === 'cartpole') expect(Array.from(actions)).toEqual(want);
    else {
      // a Box action is the Gaussian's mean, a network output: the kernel's narrow output layer now
      // sums its dot products in another order (src/nn/kernel/dense.ts), so float32 rounding, not bits
      actions.forEach((a, i) => expect(Math.abs(a - want[i])).toBeLessThanOrEqual(1e-6 * Math.abs(want[i])));
    }
  });

  test('resumes the same curve: the next iteration as the old code computed it', async () => {
    const trainer = await Trainer.restore(fixture(name), [], { backend: 'wasm' });
    try {
      const r = await trainer.train();
      const { learner: oldLearner, ...oldCounts } = expected[name].restoredResult;
      const got = { training_iteration: r.training_iteration, episode_reward_mean: r.episode_reward_mean, timesteps_total: r.timesteps_total };
      // sampling is bit-identical; the learner's stats agree to float32 precision, not bit for bit,
      // since the learner now sums each minibatch's gradient in two halves (src/nn/replicas.ts)
      expect(JSON.parse(JSON.stringify(got))).toEqual(oldCounts);
      const learner = r.info.learner as Record<string, number>;
      expect(Object.keys(learner).sort()).toEqual(Object.keys(oldLearner).sort());
      for (const [key, old] of Object.entries(oldLearner as Record<string, number>)) {
        // the key rides along so that a failure names the stat
        expect({ key, within1e4: Math.abs(learner[key] - old) <= 1e-4 * Math.abs(old) }).toEqual({ key, within1e4: true });
      }
    } finally {
      await trainer.stop();
    }
  });
});

describe('a checkpoint of an algorithm this rl does not have', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-unknown-algo-'));
  cpSync(path.dirname(fixture('cartpole')), path.join(dir, 'checkpoint_1'), { recursive: true });
  const manifestPath = path.join(dir, 'checkpoint_1', 'checkpoint-1');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  manifest.algorithm = 'IMPALA';
  manifest.manifest_sha256 = manifestDigest(manifest);
  writeFileSync(manifestPath, JSON.stringify(manifest));

  test('is refused with one line by replay, restore and the CLI', async () => {
    const line = /checkpoint-1 was trained with an algorithm this rl does not have: IMPALA is not available; use one of PPO/;
    await expect(CheckpointPolicy.load(manifestPath)).rejects.toThrow(line);
    await expect(Trainer.restore(manifestPath)).rejects.toThrow(line);
    const { code, stderr } = rl(['rollout', manifestPath, '--episodes', '1']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(line);
  });
});
