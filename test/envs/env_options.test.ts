// The classic-control envs' constructor and reset options, reset draws, metadata and the
// TimeLimit wrapper's forwarding: what the Gymnasium reference trajectories (reference.test.ts)
// do not reach, since they set the state themselves and use the default options.
import { angleNormalize } from '../../src/envs/classic_control/pendulum.js';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import {
  AcrobotEnv,
  CartPoleEnv,
  ContinuousMountainCarEnv,
  MountainCarEnv,
  PendulumEnv,
  Random,
  TimeLimit,
  make,
  type Env,
} from '../../src/index.js';

const tau = 0.02;

describe('CartPole options', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('sutton_barto_reward: 0 while balanced, -1 on the terminating step and after it', () => {
    const env = new CartPoleEnv({ sutton_barto_reward: true });
    env.reset({ seed: 0 });
    env.state = [0, 0, 0, 0];
    expect(env.step(1).slice(1, 3)).toEqual([0, false]);
    env.state = [0, 0, 0.3, 0];
    expect(env.step(1).slice(1, 3)).toEqual([-1, true]);
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(env.step(1).slice(1, 3)).toEqual([-1, true]);
    expect(env.step(1).slice(1, 3)).toEqual([-1, true]);
  });

  test('default reward: 1 on the terminating step, 0 after it, with one warning', () => {
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    env.state = [0, 0, 0.3, 0];
    const writes: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    expect(env.step(1).slice(1, 3)).toEqual([1, true]);
    expect(writes).toEqual([]);
    expect(env.step(1).slice(1, 3)).toEqual([0, true]);
    // the warning comes with the first step past termination, and only then
    expect(writes).toHaveLength(1);
    expect(env.step(1).slice(1, 3)).toEqual([0, true]);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(
      /^WARN: You are calling 'step\(\)' even though this environment has already returned terminated = True\. You should always call 'reset\(\)' once you receive 'terminated = True' -- any further steps are undefined behavior\./,
    );
    // reset forgets the termination: the next terminating step rewards 1 again
    env.reset({ seed: 0 });
    env.state = [0, 0, 0.3, 0];
    expect(env.step(1).slice(1, 3)).toEqual([1, true]);
  });

  test('a state set without reset() starts a fresh episode: reward 1 on the terminating step', () => {
    const env = new CartPoleEnv();
    env.state = [0, 0, 0.3, 0];
    expect(env.step(1).slice(1, 3)).toEqual([1, true]);
  });

  test('kinematics_integrator: explicit Euler moves positions with the old velocities, semi-implicit with the new', () => {
    // From rest and upright, force +10: Gymnasium's formulas give the accelerations
    const temp = 10 / 1.1;
    const thetaacc = -temp / (0.5 * (4 / 3 - 0.1 / 1.1));
    const xacc = temp - (0.05 * thetaacc) / 1.1;
    const euler = new CartPoleEnv();
    euler.reset({ seed: 0 });
    euler.state = [0, 0, 0, 0];
    euler.step(1);
    const e = Array.from(euler.state);
    expect(e[0]).toBe(0);
    expect(e[2]).toBe(0);
    expect(e[1]).toBeCloseTo(tau * xacc, 12);
    expect(e[3]).toBeCloseTo(tau * thetaacc, 12);
    const semi = new CartPoleEnv({ kinematics_integrator: 'semi-implicit euler' });
    semi.reset({ seed: 0 });
    semi.state = [0, 0, 0, 0];
    semi.step(1);
    const s = Array.from(semi.state);
    expect(s[1]).toBeCloseTo(tau * xacc, 12);
    expect(s[3]).toBeCloseTo(tau * thetaacc, 12);
    expect(s[0]).toBeCloseTo(tau * (tau * xacc), 12);
    expect(s[2]).toBeCloseTo(tau * (tau * thetaacc), 12);
    expect(s[0]).not.toBe(0);
  });
});

describe('termination exactly at the thresholds, as Gymnasium compares', () => {
  test('CartPole: strict: x = +-2.4 and theta = +-12 degrees are still alive', () => {
    const theta = (12 * 2 * Math.PI) / 360;
    const env = new CartPoleEnv();
    env.reset({ seed: 0 });
    // zero velocities: the explicit Euler step leaves the positions where they are
    for (const state of [
      [2.4, 0, 0, 0],
      [-2.4, 0, 0, 0],
      [0, 0, theta, 0],
      [0, 0, -theta, 0],
    ]) {
      env.state = state;
      const [, reward, terminated] = env.step(0);
      expect({ state, x: env.state[0], theta: env.state[2], terminated, reward }).toEqual({ state, x: state[0], theta: state[2], terminated: false, reward: 1 });
    }
  });

  test('MountainCar: position = goal and velocity = goal_velocity = 0 terminate (>=)', () => {
    // a velocity that gravity cancels exactly: the car stays at the goal position at speed 0
    const env = new MountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [0.5, Math.cos(3 * 0.5) * 0.0025];
    expect(env.step(1)[2]).toBe(true);
    expect(Array.from(env.state)).toEqual([0.5, 0]);
    const continuous = new ContinuousMountainCarEnv();
    continuous.reset({ seed: 0 });
    continuous.state = [0.45, 0.0025 * Math.cos(3 * 0.45)];
    const [, reward, terminated] = continuous.step([0]);
    expect([reward, terminated]).toEqual([100, true]);
    expect(Array.from(continuous.state)).toEqual([Math.fround(0.45), 0]);
  });
});

describe('walls and speed limits', () => {
  test('MountainCarContinuous clips the speed to +-0.07 and the position to [-1.2, 0.6]', () => {
    const env = new ContinuousMountainCarEnv();
    env.reset({ seed: 0 });
    env.state = [-0.6, 0.0695]; // pushed right and downhill: 0.0716 before the limit
    env.step([1]);
    expect(Array.from(env.state)).toEqual([Math.fround(-0.6 + 0.07), Math.fround(0.07)]);
    env.state = [-0.6, -0.0695];
    env.step([-1]);
    expect(env.state[1]).toBe(Math.fround(-0.07));
    env.state = [0.59, 0.05];
    env.step([1]);
    expect(env.state[0]).toBe(Math.fround(0.6));
    env.state = [-1.19, -0.05]; // into the left wall: stopped there
    env.step([-1]);
    expect(Array.from(env.state)).toEqual([Math.fround(-1.2), 0]);
  });

  test.each([
    ['MountainCar-v0', () => new MountainCarEnv(), 1],
    ['MountainCarContinuous-v0', () => new ContinuousMountainCarEnv(), [0]],
  ] as const)('%s: at the left wall only a leftward velocity is zeroed', (_id, create, action) => {
    const env = create();
    env.reset({ seed: 0 });
    env.state = [-1.25, 0.012]; // left of the wall, moving right: clipped to the wall, still moving right
    env.step(action as never);
    expect(env.state[0]).toBeCloseTo(-1.2, 6);
    expect(env.state[1]).toBeGreaterThan(0.012);
  });
});

describe('MountainCar goal_velocity', () => {
  // Past the goal position moving right at about 0.0207 after the step
  const nearGoal = [0.49, 0.02];

  test.each([
    ['MountainCar-v0', (o: { goal_velocity?: number }) => new MountainCarEnv(o), 2],
    ['MountainCarContinuous-v0', (o: { goal_velocity?: number }) => new ContinuousMountainCarEnv(o), [1]],
  ] as const)('%s terminates only at velocity >= goal_velocity', (_id, create, action) => {
    const plain = create({});
    plain.reset({ seed: 0 });
    plain.state = nearGoal;
    expect(plain.step(action as never)[2]).toBe(true);
    const demanding = create({ goal_velocity: 0.05 });
    demanding.reset({ seed: 0 });
    demanding.state = nearGoal;
    expect(demanding.step(action as never)[2]).toBe(false);
  });

  test('MountainCarContinuous: 100 at the goal, minus 0.1 a^2 of the raw action', () => {
    const env = new ContinuousMountainCarEnv();
    env.reset({ seed: 0 });
    env.state = nearGoal;
    expect(env.step([1])[1]).toBeCloseTo(100 - 0.1, 12);
    env.reset({ seed: 0 });
    expect(env.step([-3])[1]).toBeCloseTo(-0.9, 12);
  });
});

test("angleNormalize: ((x + pi) mod 2 pi) - pi with Python's floor modulo, in [-pi, pi)", () => {
  const twoPi = 2 * Math.PI;
  expect(angleNormalize(0)).toBe(0);
  expect(angleNormalize(1)).toBeCloseTo(1, 14);
  expect(angleNormalize(4)).toBeCloseTo(4 - twoPi, 14);
  expect(angleNormalize(-4)).toBeCloseTo(-4 + twoPi, 14);
  expect(angleNormalize(-10)).toBeCloseTo(-10 + 2 * twoPi, 14);
  expect(angleNormalize(10)).toBeCloseTo(10 - 2 * twoPi, 14);
  expect(angleNormalize(-Math.PI)).toBe(-Math.PI);
  expect(angleNormalize(Math.PI)).toBe(-Math.PI);
});

describe('Pendulum options', () => {
  test('g scales the gravity term of the angular acceleration', () => {
    const thdotAfter = (g?: number) => {
      const env = new PendulumEnv(g === undefined ? {} : { g });
      env.reset({ seed: 0 });
      env.state = [1, 0];
      env.step([0]);
      return env.state[1];
    };
    expect(thdotAfter()).toBeCloseTo(((3 * 10) / 2) * Math.sin(1) * 0.05, 12);
    expect(thdotAfter(2)).toBeCloseTo(((3 * 2) / 2) * Math.sin(1) * 0.05, 12);
  });

  test('x_init and y_init bound the reset draw; non-numbers are an error', () => {
    const env = new PendulumEnv();
    const thetas: number[] = [];
    const speeds: number[] = [];
    for (let i = 0; i < 200; i++) {
      env.reset({ seed: i === 0 ? 7 : undefined, options: { x_init: 0.1, y_init: 0.2 } });
      thetas.push(env.state[0]);
      speeds.push(env.state[1]);
    }
    expect(Math.max(...thetas.map(Math.abs))).toBeLessThanOrEqual(0.1);
    expect(Math.max(...thetas)).toBeGreaterThan(0.09);
    expect(Math.min(...thetas)).toBeLessThan(-0.09);
    expect(Math.max(...speeds.map(Math.abs))).toBeLessThanOrEqual(0.2);
    expect(Math.max(...speeds)).toBeGreaterThan(0.18);
    expect(Math.min(...speeds)).toBeLessThan(-0.18);
    expect(() => env.reset({ options: { x_init: '1' } })).toThrow(/x_init and y_init must be numbers/);
    expect(() => env.reset({ options: { y_init: [1] } })).toThrow(/x_init and y_init must be numbers/);
  });

  test('lastTorque is the clipped torque of the last step, null after reset', () => {
    const env = new PendulumEnv();
    env.reset({ seed: 0 });
    expect(env.lastTorque).toBeNull();
    env.step([5]);
    expect(env.lastTorque).toBe(2);
    env.step([-0.5]);
    expect(env.lastTorque).toBe(-0.5);
    env.reset({ seed: 1 });
    expect(env.lastTorque).toBeNull();
  });
});

describe('reset draws, as Gymnasium', () => {
  /** The state right after 200 successive resets (one seed, then the generator continues), per state component. */
  function resetStates(env: Env & { state: ArrayLike<number> }, options?: Record<string, unknown>): number[][] {
    const columns: number[][] = [];
    for (let i = 0; i < 200; i++) {
      env.reset({ seed: i === 0 ? 7 : undefined, options });
      Array.from(env.state).forEach((v, i) => (columns[i] ??= []).push(v));
    }
    return columns;
  }

  /** Every value in [lo, hi], and the draws reach both ends of it. */
  function expectSpread(values: number[], lo: number, hi: number): void {
    const span = hi - lo;
    expect(Math.min(...values)).toBeGreaterThanOrEqual(lo);
    expect(Math.max(...values)).toBeLessThanOrEqual(hi);
    expect(Math.min(...values)).toBeLessThan(lo + 0.05 * span);
    expect(Math.max(...values)).toBeGreaterThan(hi - 0.05 * span);
  }

  test('reset draws from the env generator in order, exactly as many values as the state has', () => {
    const expected = (seed: number, low: number, high: number, n: number) => {
      const rng = new Random(seed);
      return Array.from({ length: n }, () => rng.uniform(low, high));
    };
    const cartpole = new CartPoleEnv();
    cartpole.reset({ seed: 11 });
    const first = Array.from(cartpole.state);
    cartpole.reset();
    expect([...first, ...cartpole.state]).toEqual(expected(11, -0.05, 0.05, 8));
    const car = new MountainCarEnv();
    car.reset({ seed: 11 });
    const position = car.state[0];
    car.reset();
    expect([position, car.state[0]]).toEqual(expected(11, -0.6, -0.4, 2));
    const pendulum = new PendulumEnv();
    pendulum.reset({ seed: 11 });
    const rng = new Random(11);
    expect(Array.from(pendulum.state)).toEqual([rng.uniform(-Math.PI, Math.PI), rng.uniform(-1, 1)]);
  });

  test('CartPole: each of the 4 components uniform in [-0.05, 0.05]', () => {
    for (const column of resetStates(new CartPoleEnv())) expectSpread(column, -0.05, 0.05);
  });

  test('Acrobot: each of the 4 components uniform in [-0.1, 0.1], rounded to float32; low/high options', () => {
    const columns = resetStates(new AcrobotEnv());
    expect(columns).toHaveLength(4);
    for (const column of columns) {
      expectSpread(column, -0.1, 0.1);
      for (const v of column) expect(Math.fround(v)).toBe(v);
    }
    for (const column of resetStates(new AcrobotEnv(), { low: 0.2, high: 0.3 })) expectSpread(column, 0.2, 0.3);
  });

  test.each([
    ['MountainCar-v0', () => new MountainCarEnv()],
    ['MountainCarContinuous-v0', () => new ContinuousMountainCarEnv()],
  ] as const)('%s: position uniform in [-0.6, -0.4], velocity 0; low/high options', (_id, create) => {
    const [positions, velocities] = resetStates(create());
    expectSpread(positions, -0.6, -0.4);
    expect(new Set(velocities)).toEqual(new Set([0]));
    const env = create();
    env.reset({ seed: 0 });
    env.state = [0.1, 0.05];
    env.reset({ seed: 0, options: { low: -0.3, high: -0.2 } });
    const [position, velocity] = Array.from(env.state);
    expect(position >= -0.3 && position <= -0.2).toBe(true);
    expect(velocity).toBe(0);
  });

  test('Pendulum: theta uniform in [-pi, pi], theta_dot in [-1, 1]', () => {
    const [thetas, speeds] = resetStates(new PendulumEnv());
    expectSpread(thetas, -Math.PI, Math.PI);
    expectSpread(speeds, -1, 1);
  });
});

test("metadata: Gymnasium's render modes and frame rates (rollout --render uses render_fps)", () => {
  const fps = Object.fromEntries(
    ['CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Acrobot-v1', 'Pendulum-v1'].map((id) => {
      const env = make(id);
      expect(env.metadata?.render_modes).toEqual(['human', 'rgb_array']);
      return [id, env.metadata?.render_fps];
    }),
  );
  expect(fps).toEqual({ 'CartPole-v1': 50, 'MountainCar-v0': 30, 'MountainCarContinuous-v0': 30, 'Acrobot-v1': 15, 'Pendulum-v1': 30 });
});

describe('TimeLimit forwards to the env it wraps', () => {
  test('spaces, metadata, unwrapped, state and close', () => {
    const inner = new PendulumEnv();
    const env = new TimeLimit<Float32Array>(inner as Env<Float32Array>, 5);
    expect(env.observation_space).toBe(inner.observation_space);
    expect(env.action_space).toBe(inner.action_space);
    expect(env.metadata).toBe(inner.metadata);
    expect(env.unwrapped).toBe(inner);
    expect(new TimeLimit<Float32Array>(env as Env<Float32Array>, 3).unwrapped).toBe(inner);
    env.reset({ seed: 0 });
    env.state = [0.5, -0.25];
    expect(Array.from(inner.state)).toEqual([0.5, -0.25]);
    expect(Array.from(env.state!)).toEqual([0.5, -0.25]);
    const close = jest.spyOn(inner, 'close');
    env.close();
    expect(close).toHaveBeenCalledTimes(1);
    // an env without close() (custom envs need not have one)
    const bare = { observation_space: inner.observation_space, action_space: inner.action_space, reset: () => inner.reset(), step: () => inner.step([0]) };
    expect(() => new TimeLimit(bare as unknown as Env<Float32Array>, 5).close()).not.toThrow();
  });

  test('elapsed counts steps and reset clears it; truncated from step max_episode_steps on', () => {
    const env = new TimeLimit(new PendulumEnv(), 2);
    env.reset({ seed: 0 });
    expect(env.elapsed).toBe(0);
    expect(env.step([0])[3]).toBe(false);
    expect(env.elapsed).toBe(1);
    expect(env.step([0])[3]).toBe(true);
    expect(env.step([0])[3]).toBe(true);
    expect(env.elapsed).toBe(3);
    env.reset({ seed: 0 });
    expect(env.elapsed).toBe(0);
    expect(env.step([0])[3]).toBe(false);
  });
});
