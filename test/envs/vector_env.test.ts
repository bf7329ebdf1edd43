import { describe, expect, test } from '@jest/globals';
import { VectorEnv, make, registeredEnvs, type Env } from '../../src/index.js';

describe('VectorEnv', () => {
  test('each env follows the same trajectory as a single env with seed + i', () => {
    const n = 3;
    const venv = new VectorEnv('CartPole-v1', n);
    const singles: Env[] = Array.from({ length: n }, () => make('CartPole-v1'));
    const obs = venv.reset(7);
    singles.forEach((env, i) => {
      const [o] = env.reset({ seed: 7 + i });
      expect(Array.from(obs.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(o));
    });
    const actions = new Float32Array(n);
    let finished = 0;
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < n; i++) actions[i] = (t * 7 + i * 3) % 5 < 2 ? 1 : 0;
      venv.step(actions);
      singles.forEach((env, i) => {
        const [o, r, terminated, truncated] = env.step(actions[i]);
        expect(venv.rewards[i]).toBe(r);
        expect(venv.terminated[i]).toBe(terminated ? 1 : 0);
        expect(venv.truncated[i]).toBe(truncated ? 1 : 0);
        if (terminated || truncated) {
          finished++;
          expect(Array.from(venv.finalObservations.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(o));
          // the vector env reset this env already; continue the single env from the same state
          env.reset();
          (env.unwrapped as unknown as { state: Float64Array }).state = (venv.envs[i] as unknown as { state: Float64Array }).state;
        } else {
          expect(Array.from(venv.observations.subarray(i * 4, i * 4 + 4))).toEqual(Array.from(o));
        }
      });
    }
    expect(finished).toBeGreaterThan(5);
  });

  test('tracks episode returns and lengths, and resets finished envs in the same step', () => {
    const venv = new VectorEnv('CartPole-v0', 2);
    venv.reset(0);
    const actions = new Float32Array([1, 1]); // always push right: falls within a few dozen steps
    let steps = 0;
    while (!venv.terminated[0] && steps < 200) {
      venv.step(actions);
      steps++;
    }
    expect(venv.terminated[0]).toBe(1);
    expect(venv.finishedLengths[0]).toBe(steps);
    expect(venv.finishedReturns[0]).toBe(steps); // reward 1 per step, the terminal one included
    expect(venv.episodeLengths[0]).toBe(0);
    // the new episode starts inside the reset range
    for (let k = 0; k < 4; k++) expect(Math.abs(venv.observations[k])).toBeLessThanOrEqual(0.05);
  });

  test('truncates at the time limit', () => {
    const venv = new VectorEnv('Pendulum-v1', 2);
    venv.reset(1);
    const actions = new Float32Array([0.5, -0.5]);
    for (let t = 1; t <= 200; t++) {
      venv.step(actions);
      expect(venv.truncated[0]).toBe(t === 200 ? 1 : 0);
      expect(venv.terminated[0]).toBe(0);
    }
    expect(venv.finishedLengths[1]).toBe(200);
  });

  test('rejects actions outside the space with a clear error', () => {
    const venv = new VectorEnv('CartPole-v1', 2);
    venv.reset(0);
    expect(() => venv.step(new Float32Array([0, 2]))).toThrow(/invalid action 2: expected an integer in \[0, 1\]/);
    expect(() => venv.step(new Float32Array([0.5, 0]))).toThrow(/invalid action 0.5/);
    const continuous = new VectorEnv('Pendulum-v1', 1);
    continuous.reset(0);
    expect(() => continuous.step(new Float32Array([Number.NaN]))).toThrow(/finite number/);
    expect(Number.isFinite(continuous.observations[0])).toBe(true);
  });

  test('works for every registered id', () => {
    for (const spec of registeredEnvs()) {
      const venv = new VectorEnv(spec.id, 4);
      venv.reset(3);
      const actions = new Float32Array(4 * venv.actionSize);
      for (let t = 0; t < 50; t++) venv.step(actions);
      expect(venv.observations.every(Number.isFinite)).toBe(true);
    }
  });
});
