// VectorEnv's edges: its arguments, the time limit it takes, reset() clearing the last step,
// Discrete spaces with a start, Box actions handed to a step()-API env, what a custom env's
// reset() throws or returns wrong, snapshots, close(), and non-finite rewards.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { VectorEnv, resolveEnv } from '../../src/index.js';
import { userErrorOf } from '../helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-venv-edges-'));
let modules = 0;
/** A custom env module (as a user would write one) from the body of its default export factory; its id. */
async function customEnv(factory: string): Promise<string> {
  const file = path.join(dir, `env${modules++}.js`);
  writeFileSync(file, `export default (config) => (${factory});\n`);
  return resolveEnv(file);
}

describe('VectorEnv', () => {
  test('numEnvs must be a positive integer', () => {
    for (const n of [0, -1, 1.5]) expect(() => new VectorEnv('CartPole-v1', n)).toThrow(`numEnvs must be a positive integer, got ${n}`);
  });

  test("the id's time limit, unless maxEpisodeSteps overrides it (null: none)", () => {
    expect(new VectorEnv('CartPole-v1', 1).maxEpisodeSteps).toBe(500);
    expect(new VectorEnv('CartPole-v1', 1, { maxEpisodeSteps: 3 }).maxEpisodeSteps).toBe(3);
    const unlimited = new VectorEnv('Pendulum-v1', 1, { maxEpisodeSteps: null });
    expect(unlimited.maxEpisodeSteps).toBeNull();
    unlimited.reset(0);
    for (let t = 0; t < 250; t++) unlimited.step(Float32Array.of(0));
    expect(unlimited.truncated[0]).toBe(0);
    expect(unlimited.episodeLengths[0]).toBe(250);
  });

  test('reset() clears the rewards, flags and episode counters of the last step', () => {
    const venv = new VectorEnv('CartPole-v1', 2, { maxEpisodeSteps: 2 });
    venv.reset(0);
    venv.step(Float32Array.of(0, 1));
    expect(Array.from(venv.episodeLengths)).toEqual([1, 1]);
    venv.step(Float32Array.of(0, 1));
    expect(Array.from(venv.truncated)).toEqual([1, 1]);
    venv.step(Float32Array.of(0, 1));
    venv.reset(0);
    expect([...venv.rewards, ...venv.terminated, ...venv.truncated, ...venv.episodeReturns, ...venv.episodeLengths]).toEqual(new Array(10).fill(0));
  });

  test('too few actions is an error naming how many it needs', () => {
    const venv = new VectorEnv('Pendulum-v1', 3);
    venv.reset(0);
    expect(() => venv.step(Float32Array.of(0, 0))).toThrow('VectorEnv.step needs 3 action values, got 2');
  });

  test('a Discrete action space with a start takes start .. start + n - 1', async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [-10], high: [10] },
      action_space: { type: 'Discrete', n: 3, start: -1 },
      last: 0,
      reset() { return [[0], {}]; },
      step(action) { this.last = action; return [[action], action, false, false, {}]; },
    }`);
    const venv = new VectorEnv(id, 3);
    venv.reset(0);
    venv.step(Float32Array.of(-1, 0, 1));
    expect(Array.from(venv.observations)).toEqual([-1, 0, 1]);
    expect(Array.from(venv.rewards)).toEqual([-1, 0, 1]);
    expect(() => venv.step(Float32Array.of(2, 0, 0))).toThrow(/invalid action 2: expected an integer in \[-1, 1\]/);
    expect(() => venv.step(Float32Array.of(-2, 0, 0))).toThrow(/invalid action -2/);
  });

  test("a step()-API env with a Box action space gets its own env's action values", async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [-10, -10], high: [10, 10] },
      action_space: { type: 'Box', low: [-10, -10], high: [10, 10] },
      reset() { return [[0, 0], {}]; },
      step(action) { return [[action[0], action[1]], action.length, false, false, {}]; },
    }`);
    const venv = new VectorEnv(id, 2);
    expect(venv.actionSize).toBe(2);
    venv.reset(0);
    venv.step(Float32Array.of(1, 2, 3, 4));
    expect(Array.from(venv.observations)).toEqual([1, 2, 3, 4]);
    expect(Array.from(venv.rewards)).toEqual([2, 2]);
    expect(() => venv.step(Float32Array.of(1, 2, 3, Number.NaN))).toThrow(/invalid action \[3, NaN\]: every value must be a finite number/);
    expect(() => venv.step(Float32Array.of(1, 2, 3))).toThrow('VectorEnv.step needs 4 action values, got 3');
  });

  test('an observation space that is not a Box is refused', async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Discrete', n: 4 },
      action_space: { type: 'Discrete', n: 2 },
      reset() { return [0, {}]; },
      step() { return [0, 0, false, false, {}]; },
    }`);
    expect(() => new VectorEnv(id, 1)).toThrow(`${id}: VectorEnv needs a Box observation space`);
  });

  test("what a custom env's reset() throws or returns wrong is one line naming the env (no step)", async () => {
    const throws = await customEnv(`{
      observation_space: { type: 'Box', low: [0], high: [1] },
      action_space: { type: 'Discrete', n: 2 },
      reset() { throw new RangeError('no room\\n   at all'); },
      step() { return [[0], 0, false, false, {}]; },
    }`);
    const venv = new VectorEnv(throws, 2, { owner: 'rollout worker 1' });
    expect(userErrorOf(() => venv.reset(0)).message).toMatch(/env\d+\.js: reset\(\) threw RangeError: no room at all \(env 0 of rollout worker 1\)$/);
    const notArray = await customEnv(`{
      observation_space: { type: 'Box', low: [0], high: [1] },
      action_space: { type: 'Discrete', n: 2 },
      reset() { return 7; },
      step() { return [[0], 0, false, false, {}]; },
    }`);
    expect(userErrorOf(() => new VectorEnv(notArray, 1).reset(0)).message).toMatch(/: reset\(\) returned 7; it must return \[observation, info\] \(env 0\)$/);
    const thrownString = await customEnv(`{
      observation_space: { type: 'Box', low: [0], high: [1] },
      action_space: { type: 'Discrete', n: 2 },
      reset() { throw 'plain'; },
      step() { return [[0], 0, false, false, {}]; },
    }`);
    expect(userErrorOf(() => new VectorEnv(thrownString, 1).reset(0)).message).toMatch(/: reset\(\) threw plain \(env 0\)$/);
  });

  test("what a custom env's step() returns in the wrong form is named", async () => {
    const base = `observation_space: { type: 'Box', low: [0, 0], high: [1, 1] }, action_space: { type: 'Discrete', n: 2 }, reset() { return [[0, 0], {}]; }`;
    const cases: [string, RegExp][] = [
      ['7', /step\(\) returned 7; it must return \[observation, reward, terminated, truncated, info\] \(env 0, step 1 of an episode\)/],
      ['[[0, 0], 1, false]', /step\(\) returned \[\[0,0\],1,false\]; it must return \[observation, reward/],
      ["['ab', 1, false, false, {}]", /step\(\) returned the observation "ab"; it must be an array of 2 numbers/],
      ['[5, 1, false, false, {}]', /step\(\) returned the observation 5; it must be an array of 2 numbers/],
      ['[[0, 0, 0], 1, false, false, {}]', /step\(\) returned an observation of 3 values; its observation_space has 2/],
    ];
    for (const [result, message] of cases) {
      const id = await customEnv(`{ ${base}, step() { return ${result}; } }`);
      const venv = new VectorEnv(id, 1);
      venv.reset(0);
      expect(userErrorOf(() => venv.step(Float32Array.of(0))).message).toMatch(message);
    }
  });

  test('snapshots: null when an env cannot be snapshotted; a classic env continues elsewhere', async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [0], high: [1] },
      action_space: { type: 'Discrete', n: 2 },
      reset() { return [[0], {}]; },
      step() { return [[0], 0, false, false, {}]; },
    }`);
    expect(new VectorEnv(id, 1).getState()).toBeNull();
    const a = new VectorEnv('CartPole-v1', 2);
    a.reset(3);
    for (let t = 0; t < 5; t++) a.step(Float32Array.of(1, 0));
    const b = new VectorEnv('CartPole-v1', 2);
    b.setState(structuredClone(a.getState()!));
    expect(Array.from(b.observations)).toEqual(Array.from(a.observations));
    expect(Array.from(b.episodeLengths)).toEqual([5, 5]);
    expect(Array.from(b.episodeReturns)).toEqual([5, 5]);
    a.step(Float32Array.of(0, 1));
    b.step(Float32Array.of(0, 1));
    expect(Array.from(b.observations)).toEqual(Array.from(a.observations));
  });

  test("close() closes every env, through the step()-API adapter too", async () => {
    const closed: number[] = [];
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [0], high: [1] },
      action_space: { type: 'Discrete', n: 2 },
      reset() { return [[0], {}]; },
      step() { return [[0], 0, false, false, {}]; },
      close() { config.closed.push(1); },
    }`);
    new VectorEnv(id, 3, { kwargs: { closed } }).close();
    expect(closed).toEqual([1, 1, 1]);
    new VectorEnv('CartPole-v1', 2).close(); // classic envs have a close() that does nothing
  });

  test('checkFinite: a NaN reward names the step; rewards are not checked after a reset', async () => {
    const venv = new VectorEnv('CartPole-v1', 2, { owner: 'rollout worker 0' });
    venv.reset(0);
    venv.rewards[0] = Number.NaN; // left over: reset() zeroes rewards, a caller may not have stepped
    venv.checkFinite(true);
    venv.step(Float32Array.of(1, 1));
    venv.step(Float32Array.of(1, 1));
    venv.rewards[1] = Number.NaN;
    expect(userErrorOf(() => venv.checkFinite()).message).toBe(
      'env CartPole-v1 returned a non-finite reward: NaN at step 2 of an episode (env 1 of rollout worker 0); make step() and reset() return finite numbers',
    );
  });

  test('reset() without a seed (undefined or null) does not seed the envs: fresh envs start differently', () => {
    for (const seed of [undefined, null]) {
      const a = new VectorEnv('CartPole-v1', 2);
      const b = new VectorEnv('CartPole-v1', 2);
      a.reset(seed);
      b.reset(seed);
      expect(Array.from(a.observations)).not.toEqual(Array.from(b.observations));
      expect(Array.from(a.observations.subarray(0, 4))).not.toEqual(Array.from(a.observations.subarray(4)));
    }
  });

  test('a step()-API env gets seed + i on reset(seed), nothing on reset(); a 4-element step result is enough', async () => {
    const seeds: unknown[] = [];
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [-10], high: [10] },
      action_space: { type: 'Discrete', n: 2 },
      reset(options) { config.seeds.push(options.seed); return [[options.seed ?? -1], {}]; },
      step() { return [[1], 1, false, true]; },
    }`);
    const venv = new VectorEnv(id, 2, { kwargs: { seeds } });
    venv.reset(10);
    expect(seeds).toEqual([10, 11]);
    expect(Array.from(venv.observations)).toEqual([10, 11]);
    venv.step(Float32Array.of(0, 1)); // truncated by the env itself: reset in the same step, without a seed
    expect(Array.from(venv.truncated)).toEqual([1, 1]);
    expect(seeds).toEqual([10, 11, undefined, undefined]);
    expect(Array.from(venv.finalObservations)).toEqual([1, 1]);
    expect(Array.from(venv.observations)).toEqual([-1, -1]);
    venv.close(); // no close() of its own: nothing to call
  });

  test("what a custom env's reset() throws after an episode is named as reset(), without a step", async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [0], high: [1] },
      action_space: { type: 'Discrete', n: 2 },
      resets: 0,
      reset() { if (this.resets++ > 0) throw new Error('no second episode'); return [[0], {}]; },
      step() { return [[0], 0, true, false, {}]; },
    }`);
    const venv = new VectorEnv(id, 1);
    venv.reset(0);
    expect(userErrorOf(() => venv.step(Float32Array.of(0))).message).toMatch(/: reset\(\) threw Error: no second episode \(env 0\)$/);
  });

  test('a null observation from step() is named, not a TypeError', async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [0, 0], high: [1, 1] },
      action_space: { type: 'Discrete', n: 2 },
      reset() { return [[0, 0], {}]; },
      step() { return [null, 0, false, false, {}]; },
    }`);
    const venv = new VectorEnv(id, 1);
    venv.reset(0);
    expect(userErrorOf(() => venv.step(Float32Array.of(0))).message).toMatch(/: step\(\) returned the observation null; it must be an array of 2 numbers \(env 0, step 1 of an episode\)$/);
  });

  test('checkFinite names the env, the value within its observation, and "from reset()" for the reset observation after an episode', async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [-10, -10, -10], high: [10, 10, 10] },
      action_space: { type: 'Discrete', n: 2 },
      resets: 0,
      reset() { this.resets++; return [this.resets > 1 && config.bad ? [0, 0, NaN] : [0, 0, 0], {}]; },
      step(action) { return [config.inf && action === 1 ? [0, Infinity, 0] : [0, 0, 0], 0, action === 0, false, {}]; },
    }`);
    // env 1 of 2 steps into an infinite observation: value 1 of its row
    const venv = new VectorEnv(id, 2, { kwargs: { inf: true, bad: false } });
    venv.reset(0);
    venv.checkFinite(true);
    const Act = (a: number, b: number) => Float32Array.of(a, b);
    venv.step(Act(0, 1)); // env 0 terminates (finite), env 1 goes on
    expect(userErrorOf(() => venv.checkFinite()).message).toMatch(/non-finite observation: value 1 of the observation is Infinity at step 1 of an episode \(env 1\)/);
    // env 0's episode ends and its next episode starts on a NaN: named as from reset()
    const resets = new VectorEnv(id, 2, { kwargs: { inf: false, bad: true } });
    resets.reset(0);
    resets.checkFinite(true);
    resets.step(Act(1, 0)); // env 1 terminates; its reset observation holds the NaN
    expect(userErrorOf(() => resets.checkFinite()).message).toMatch(/non-finite observation: value 2 of the observation is NaN from reset\(\) \(env 1\)/);
    // the last observation of the episode (final observation) is checked before the reset one
    const final = new VectorEnv(id, 1, { kwargs: { inf: true, bad: false } });
    final.reset(0);
    final.step(Float32Array.of(1));
    final.rewards[0] = 0;
    final.terminated[0] = 1; // as if the infinite observation had ended the episode
    final.finalObservations.set(final.observations);
    final.finishedLengths[0] = 1;
    final.observations.fill(0);
    expect(userErrorOf(() => final.checkFinite()).message).toMatch(/value 1 of the observation is Infinity at step 1 of an episode \(env 0\)/);
  });

  test('checkFinite after a time limit: the reset observation is "from reset()"; only finished envs have their final observation checked', async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [-10, -10], high: [10, 10] },
      action_space: { type: 'Discrete', n: 2 },
      resets: 0,
      reset() { this.resets++; return [config.nanFirst && this.resets === 1 ? [NaN, 0] : this.resets > 1 ? [0, NaN] : [0, 0], {}]; },
      step() { return [[1, 1], 0, false, false, {}]; },
    }`);
    const venv = new VectorEnv(id, 2, { maxEpisodeSteps: 1, kwargs: { nanFirst: false } });
    venv.reset(0);
    venv.checkFinite(true);
    venv.step(Float32Array.of(0, 0)); // both truncated by the time limit; their next episodes start on [0, NaN]
    expect(Array.from(venv.truncated)).toEqual([1, 1]);
    expect(userErrorOf(() => venv.checkFinite()).message).toMatch(/value 1 of the observation is NaN from reset\(\) \(env 0\)/);
    // a final observation left over from an earlier episode is not checked while the env runs on
    const ongoing = new VectorEnv(id, 2, { kwargs: { nanFirst: false } });
    ongoing.reset(0);
    ongoing.step(Float32Array.of(0, 0));
    ongoing.finalObservations.fill(Number.POSITIVE_INFINITY);
    ongoing.checkFinite();
    // env 1 finished on an infinite observation: its final row is named, as value 1 of env 1
    ongoing.step(Float32Array.of(0, 0));
    ongoing.terminated[1] = 1;
    ongoing.finishedLengths[1] = 2;
    ongoing.finalObservations.fill(0);
    ongoing.finalObservations[3] = Number.POSITIVE_INFINITY;
    expect(userErrorOf(() => ongoing.checkFinite()).message).toMatch(
      /returned a non-finite observation: value 1 of the observation is Infinity at step 2 of an episode \(env 1\); make step\(\) and reset\(\) return finite numbers$/,
    );
    ongoing.finalObservations[3] = 0;
    ongoing.checkFinite(); // a finished env with a finite final observation passes
    // the first value of the first env's reset observation
    const first = new VectorEnv(id, 2, { kwargs: { nanFirst: true } });
    first.reset(0);
    expect(userErrorOf(() => first.checkFinite(true)).message).toMatch(/value 0 of the observation is NaN from reset\(\) \(env 0\)/);
  });

  test("a custom in-place env's writeObservation() failing after a step is named as step()", async () => {
    const id = await customEnv(`{
      observation_space: { type: 'Box', low: [0], high: [1] },
      action_space: { type: 'Discrete', n: 2 },
      steps: 0,
      resetInPlace() {},
      stepInPlace() { this.steps++; this.lastTerminated = false; return 0; },
      writeObservation(out, offset) { if (this.steps > 0) throw new Error('no pixels'); out[offset] = 0; },
      reset() { return [[0], {}]; },
      step() { return [[0], 0, false, false, {}]; },
    }`);
    const venv = new VectorEnv(id, 1);
    venv.reset(0);
    expect(userErrorOf(() => venv.step(Float32Array.of(0))).message).toMatch(/: step\(\) threw Error: no pixels \(env 0, step 1 of an episode\)$/);
  });
});
