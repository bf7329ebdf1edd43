import { describe, expect, test } from '@jest/globals';
import { Box, Discrete, Random, make, registeredEnvs, UserError } from '../../src/index.js';

describe('Gymnasium API', () => {
  test('the same seed gives the same episode; another seed another one', () => {
    const run = (seed: number) => {
      const env = make('CartPole-v1');
      const rng = new Random(seed);
      const [first] = env.reset({ seed });
      const trace = [Array.from(first)];
      for (let t = 0; t < 30; t++) {
        const [obs, , terminated, truncated] = env.step(env.action_space.sample(rng));
        trace.push(Array.from(obs));
        if (terminated || truncated) break;
      }
      return trace;
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  test('reset without a seed continues the generator: successive episodes differ', () => {
    const env = make('CartPole-v1');
    const [a] = env.reset({ seed: 5 });
    const [b] = env.reset();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    const [c] = env.reset({ seed: 5 });
    expect(Array.from(c)).toEqual(Array.from(a));
  });

  test('reset draws inside the documented range and honours low/high options', () => {
    const env = make('CartPole-v1');
    for (let seed = 0; seed < 50; seed++) {
      const [obs] = env.reset({ seed });
      for (const v of obs) expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(0.05)); // float32 observation
    }
    const [narrow] = env.reset({ seed: 1, options: { low: 0.01, high: 0.02 } });
    for (const v of narrow) expect(v >= 0.0099 && v <= 0.0201).toBe(true);
  });

  test('an action outside the action space is an error, not a NaN state', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    for (const bad of [2, -1, 0.5, Number.NaN, '1', [1]]) {
      expect(() => env.step(bad as number)).toThrow(/invalid action/);
    }
    const [obs] = env.step(1);
    expect(Array.from(obs).every(Number.isFinite)).toBe(true);
    const pendulum = make('Pendulum-v1');
    pendulum.reset({ seed: 0 });
    expect(() => pendulum.step([Number.NaN])).toThrow(/finite number/);
    expect(() => pendulum.step([1, 2])).toThrow(/expected 1 number/);
  });

  test('step before reset is an error', () => {
    expect(() => make('MountainCar-v0').step(1)).toThrow(/reset\(\) before step\(\)/);
  });

  test('state is settable, as Gymnasium env.unwrapped.state', () => {
    const env = make('CartPole-v1') as ReturnType<typeof make> & { state: ArrayLike<number> };
    env.reset({ seed: 0 });
    env.state = [0, 0, 0.1, 0];
    expect(Array.from(env.unwrapped!.observation_space.shape)).toEqual([4]);
    const [, , terminated] = env.step(0);
    expect(terminated).toBe(false);
    expect(env.state[2]).toBeCloseTo(0.1, 10);
    env.state = [0, 0, 0.3, 0];
    expect(env.step(0)[2]).toBe(true);
  });

  test('spaces sample inside themselves', () => {
    const rng = new Random(0);
    for (const spec of registeredEnvs()) {
      const env = make(spec.id);
      for (let i = 0; i < 100; i++) expect(env.action_space.contains(env.action_space.sample(rng))).toBe(true);
      expect(env.observation_space).toBeInstanceOf(Box);
    }
    const d = new Discrete(3, 1);
    expect(d.contains(0)).toBe(false);
    expect(d.contains(3)).toBe(true);
    expect(String(d)).toBe('Discrete(3, start=1)');
  });

  test('registry: six classic-control ids with Gymnasium time limits', () => {
    const table = Object.fromEntries(registeredEnvs().map((s) => [s.id, [s.maxEpisodeSteps, s.rewardThreshold]]));
    expect(table).toEqual({
      'CartPole-v0': [200, 195],
      'CartPole-v1': [500, 475],
      'MountainCar-v0': [200, -110],
      'MountainCarContinuous-v0': [999, 90],
      'Acrobot-v1': [500, -100],
      'Pendulum-v1': [200, null],
    });
  });

  test('unknown ids name the closest ids and rl envs', () => {
    expect(() => make('CartPol-v1')).toThrow(UserError);
    expect(() => make('CartPol-v1')).toThrow(/unknown env id 'CartPol-v1': did you mean 'CartPole-v1'.*rl envs/);
    expect(() => make('mountaincar')).toThrow(/MountainCar-v0/);
  });

  test('max_episode_steps can be overridden', () => {
    const env = make('CartPole-v1', { max_episode_steps: 3 });
    env.reset({ seed: 0 });
    expect(env.step(0)[3]).toBe(false);
    expect(env.step(1)[3]).toBe(false);
    expect(env.step(0)[3]).toBe(true);
  });
});

test('reset with seed null or no seed continues the generator; only a number reseeds it (Gymnasium)', () => {
  for (const id of ['CartPole-v1', 'Pendulum-v1']) {
    const byNull = make(id);
    const byNothing = make(id);
    byNull.reset({ seed: 5 });
    byNothing.reset({ seed: 5 });
    const next = Array.from(byNothing.reset()[0]);
    expect([id, Array.from(byNull.reset({ seed: null })[0])]).toEqual([id, next]);
    expect(Array.from(make(id).reset({ seed: 5 })[0])).not.toEqual(next);
  }
});
