import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Box, Discrete, VectorEnv, envSpec, make, resolveEnv } from '../../src/index.js';
import { repoRoot } from '../helpers.js';

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
