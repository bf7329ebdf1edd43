import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Box, Discrete, VectorEnv, envSpec, make, resolveEnv } from '../../src/index.js';
import { repoRoot, userErrorOf } from '../helpers.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'custom-envs');

describe('custom envs from a module path', () => {
  test('a module exporting a class works with make and VectorEnv, with its time limit', async () => {
    const id = await resolveEnv('./corridor.js', fixtures);
    expect(id).toBe(path.join(fixtures, 'corridor.js'));
    expect(envSpec(id).maxEpisodeSteps).toBe(20);
    const env = make(id);
    expect(env.action_space).toBeInstanceOf(Discrete);
    expect(env.observation_space).toBeInstanceOf(Box);
    env.reset();
    let last = env.step(1);
    for (let i = 0; i < 4; i++) last = env.step(1);
    expect(last.slice(1, 4)).toEqual([1, true, false]);

    const venv = new VectorEnv(id, 2);
    venv.reset(0);
    const right = new Float32Array([1, 0]);
    for (let i = 0; i < 5; i++) venv.step(right);
    expect(Array.from(venv.terminated)).toEqual([1, 0]);
    expect(venv.finishedReturns[0]).toBe(1);
    expect(venv.observations[0]).toBe(0); // reset after the end
    for (let i = 0; i < 15; i++) venv.step(right);
    expect(venv.truncated[1]).toBe(1); // 20 steps going left
  });

  test('a module whose env lacks step() names what is missing', async () => {
    await expect(resolveEnv('./no-step.js', fixtures)).rejects.toThrow(/lacks a step\(\) method/);
  });

  test('a missing module is a clear error', async () => {
    await expect(resolveEnv('./nope.js', fixtures)).rejects.toThrow(/env module \.\/nope\.js not found/);
  });

  test('a module with no env export says what to export', async () => {
    await expect(resolveEnv('../helpers.js', path.join(repoRoot, 'dist', 'test', 'envs'))).rejects.toThrow(/exports no env/);
  });
});

describe('a custom env that breaks the API is named in one line (issue 9)', () => {
  const faulty = path.join(fixtures, 'faulty.js');
  const venvOf = async (env_config: Record<string, unknown>) => new VectorEnv(await resolveEnv(faulty), 2, { kwargs: env_config, owner: 'rollout worker 3' });

  test('checkFinite names the env, the value and the step; finite output passes', async () => {
    const venv = await venvOf({ fault: 'nan_obs', after: 2 });
    venv.reset(0);
    venv.checkFinite(true);
    venv.step(new Float32Array([1, 1]));
    venv.checkFinite();
    venv.step(new Float32Array([1, 1]));
    venv.step(new Float32Array([1, 1]));
    expect(userErrorOf(() => venv.checkFinite()).message).toBe(
      'env test/fixtures/custom-envs/faulty.js returned a non-finite observation: value 1 of the observation is NaN at step 3 of an episode (env 0 of rollout worker 3); make step() and reset() return finite numbers',
    );
  });

  test('a reward too large for float32 is non-finite too (batches are float32)', async () => {
    const venv = await venvOf({});
    venv.reset(0);
    venv.step(new Float32Array([0, 0]));
    venv.rewards[1] = 1e39;
    expect(userErrorOf(() => venv.checkFinite()).message).toMatch(/returned a non-finite reward: 1e\+39 \(too large for float32\) at step 1 of an episode \(env 1 of rollout worker 3\)/);
  });

  test('the last observation of a finished episode is checked as well as the reset one after it', async () => {
    const venv = await venvOf({ fault: 'inf_obs', after: 4 });
    venv.reset(0);
    for (let t = 0; t < 4; t++) venv.step(new Float32Array([1, 1]));
    venv.checkFinite();
    venv.step(new Float32Array([1, 1])); // position 5: the episode ends on a non-finite observation
    expect(venv.terminated[0]).toBe(1);
    expect(userErrorOf(() => venv.checkFinite()).message).toMatch(/value 0 of the observation is Infinity at step 5 of an episode \(env 0 of rollout worker 3\)/);
  });

  test('what step() throws or returns wrong is a UserError naming the env and the problem', async () => {
    const thrown = await venvOf({ fault: 'throw', after: 0 });
    thrown.reset(0);
    expect(userErrorOf(() => thrown.step(new Float32Array([1, 1]))).message).toBe(
      'env test/fixtures/custom-envs/faulty.js: step() threw Error: the corridor collapsed (env 0 of rollout worker 3, step 1 of an episode)',
    );
    const short = await venvOf({ fault: 'short_obs', after: 0 });
    short.reset(0);
    expect(userErrorOf(() => short.step(new Float32Array([1, 1]))).message).toMatch(/: step\(\) returned an observation of 1 value; its observation_space has 2 \(env 0/);
    const stringReward = await venvOf({ fault: 'string_reward', after: 0 });
    stringReward.reset(0);
    expect(userErrorOf(() => stringReward.step(new Float32Array([1, 1]))).message).toMatch(/: step\(\) returned the reward "one"; it must be a number/);
  });

  test('terminated and truncated may be any truthy value, as in JavaScript', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-truthy-'));
    const file = path.join(dir, 'truthy.js');
    writeFileSync(file, "export default () => ({ observation_space: { type: 'Box', low: [0], high: [1] }, action_space: { type: 'Discrete', n: 2 }, reset: () => [[0], {}], step: () => [[1], 1, 1, 0, {}] });\n");
    const venv = new VectorEnv(await resolveEnv(file), 1);
    venv.reset(0);
    venv.step(new Float32Array([0]));
    expect([venv.terminated[0], venv.truncated[0], venv.finishedLengths[0]]).toEqual([1, 0, 1]);
  });

  test('an error inside a built-in env stays an internal error (a bug of ours keeps its stack)', () => {
    const venv = new VectorEnv('CartPole-v1', 1);
    venv.reset(0);
    (venv.envs[0] as unknown as { stepInPlace: () => number }).stepInPlace = () => {
      throw new TypeError('bug');
    };
    expect(() => venv.step(new Float32Array([1]))).toThrow(TypeError);
  });
});
