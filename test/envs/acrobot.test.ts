// Acrobot's edges that the recorded Gymnasium trajectories (reference.test.ts) never reach
// exactly: wrap() keeps an angle of exactly +-pi (Gymnasium's `while x > M` / `while x < m`
// are strict), reached from the unstable upright rest state, where gravity's torque is
// cos(pi / 2) ~ 6e-17 and one rk4 step moves theta1 by far less than an ulp of pi.
import { describe, expect, test } from '@jest/globals';
import { Random, make } from '../../src/index.js';

type Acrobot = ReturnType<typeof make> & { state: ArrayLike<number> };

function fromState(state: number[]): Acrobot {
  const env = make('Acrobot-v1') as Acrobot;
  env.reset({ seed: 0 });
  (env.unwrapped as Acrobot).state = state;
  return env;
}

describe('Acrobot wrap() at exactly +-pi', () => {
  test('theta1 = pi stays pi (not -pi): the observation keeps sin(pi) > 0', () => {
    const env = fromState([Math.PI, 0, 0, 0]);
    const [obs, reward, terminated] = env.step(1); // torque 0
    const state = (env.unwrapped as Acrobot).state;
    expect(state[0]).toBe(Math.PI);
    for (let k = 1; k < 4; k++) expect(Math.abs(state[k])).toBeLessThan(1e-13);
    expect(obs[0]).toBe(-1);
    expect(obs[1]).toBe(Math.fround(Math.sin(Math.PI))); // 1.2e-16, not -1.2e-16
    // the tip is at height -cos(pi) - cos(pi + ~0) = 2 > 1: the terminal state, reward 0
    expect([reward, terminated]).toEqual([0, true]);
  });

  test('theta1 = -pi stays -pi (not pi)', () => {
    const env = fromState([-Math.PI, 0, 0, 0]);
    env.step(1);
    const state = (env.unwrapped as Acrobot).state;
    expect(state[0]).toBe(-Math.PI);
    for (let k = 1; k < 4; k++) expect(Math.abs(state[k])).toBeLessThan(1e-13);
  });
});

test('reset draws exactly 4 values from the env generator (the next reset continues after them), each rounded to float32', () => {
  const env = make('Acrobot-v1') as Acrobot;
  env.reset({ seed: 11 });
  const first = Array.from((env.unwrapped as Acrobot).state);
  env.reset();
  const rng = new Random(11);
  const expected = Array.from({ length: 8 }, () => Math.fround(rng.uniform(-0.1, 0.1)));
  expect([...first, ...Array.from((env.unwrapped as Acrobot).state)]).toEqual(expected);
});
