// replayPolicy (rl rollout's loop) against a stub policy, checked step by step against the same
// env stepped by hand: episodes or steps (finishing the episode in progress), the records and
// hooks, the seed, the config's horizon and env_config, Box actions and closing the env.
import { performance } from 'node:perf_hooks';
import { describe, expect, test } from '@jest/globals';
import { DEFAULT_ROLLOUT_STEPS, replayPolicy, type StepRecord } from '../../src/execution/policy_replay.js';
import type { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { make, register } from '../../src/envs/registry.js';
import { Box, type Space } from '../../src/envs/spaces.js';
import type { Env, Info } from '../../src/envs/env.js';
import { Random } from '../../src/utils/random.js';

/** CartPole's action from its observation: push towards the side the pole leans to (episodes of tens of steps). */
const lean = (obs: ArrayLike<number>) => (obs[2] + 0.3 * obs[3] > 0 ? 1 : 0);

interface Stub {
  policy: CheckpointPolicy;
  calls: { explore: boolean; rng: Random | null; batch: number }[];
}

function stubPolicy(envId: string, choose: (obs: Float32Array) => number[], config: Record<string, unknown> = {}): Stub {
  const probe = make(envId);
  const calls: Stub['calls'] = [];
  const actionSpace: Space = probe.action_space;
  const policy = {
    envId,
    config: { env_config: {}, horizon: null, ...config },
    layout: { observationSize: (probe.observation_space as Box).size },
    actionSize: actionSpace.type === 'Discrete' ? 1 : actionSpace.size,
    action_space: actionSpace,
    computeActions(obs: Float32Array, batch: number, explore: boolean, rng: Random | null, out: Float32Array) {
      calls.push({ explore, rng, batch });
      out.set(choose(obs.slice(0, (probe.observation_space as Box).size)));
    },
  };
  return { policy: policy as unknown as CheckpointPolicy, calls };
}

/** The episodes the replay should see: the env made as replay makes it, reset with the seed once, then without. */
function byHand(envId: string, seed: number, episodes: number, choose: (obs: ArrayLike<number>) => number = lean) {
  const env = make(envId);
  const out: { rewards: number[]; observations: number[][]; truncated: boolean }[] = [];
  let [obs] = env.reset({ seed });
  for (let e = 0; e < episodes; e++) {
    const rewards: number[] = [];
    const observations: number[][] = [];
    for (;;) {
      observations.push(Array.from(obs));
      const [next, r, terminated, truncated] = env.step(choose(obs));
      rewards.push(r);
      obs = next;
      if (terminated || truncated) {
        out.push({ rewards, observations, truncated });
        break;
      }
    }
    [obs] = env.reset();
  }
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('replayPolicy', () => {
  test('episodes: each step and episode as the env stepped by hand gives them, from the seed', async () => {
    const { policy, calls } = stubPolicy('CartPole-v1', (obs) => [lean(obs)]);
    const steps: StepRecord[] = [];
    const episodes: unknown[] = [];
    const summary = await replayPolicy(policy, { episodes: 3, seed: 7, onStep: (r) => steps.push(r), onEpisode: (r) => episodes.push(r) });
    const expected = byHand('CartPole-v1', 7, 3);
    expect(summary.seed).toBe(7);
    expect(summary.episodes).toEqual(expected.map((e, k) => ({ episode: k, reward: sum(e.rewards), length: e.rewards.length })));
    expect(episodes).toEqual(summary.episodes);
    expect(summary.steps).toBe(sum(expected.map((e) => e.rewards.length)));
    expect(summary.seconds).toBeGreaterThanOrEqual(0);
    expect(steps).toHaveLength(summary.steps);
    let i = 0;
    expected.forEach((e, k) => {
      e.rewards.forEach((reward, t) => {
        const last = t === e.rewards.length - 1;
        expect(steps[i]).toEqual({
          episode: k,
          t,
          observation: Array.from(Float32Array.from(e.observations[t])),
          action: lean(Float32Array.from(e.observations[t])),
          reward,
          terminated: last && !e.truncated,
          truncated: last && e.truncated,
        });
        i++;
      });
    });
    // greedy by default, one observation per call, the generator seeded with the seed
    expect(calls.every((c) => c.explore === false && c.batch === 1 && c.rng === calls[0].rng)).toBe(true);
    expect(calls[0].rng!.uniform()).toBe((() => {
      const rng = new Random(7);
      return rng.uniform();
    })());
  });

  test('explore is passed on; a replay without a seed picks one and reports it', async () => {
    const { policy, calls } = stubPolicy('CartPole-v1', () => [1]);
    const summary = await replayPolicy(policy, { episodes: 1, explore: true });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.explore)).toBe(true);
    expect(Number.isInteger(summary.seed)).toBe(true);
    expect(summary.episodes).toEqual([{ episode: 0, reward: byHand('CartPole-v1', summary.seed, 1, () => 1)[0].rewards.length, length: summary.steps }]);
  });

  test('steps: stops at the first episode end once that many steps are done; episodes takes precedence', async () => {
    const { policy } = stubPolicy('CartPole-v1', (obs) => [lean(obs)]);
    const lengths = byHand('CartPole-v1', 3, 20).map((e) => e.rewards.length);
    const cumulative = lengths.map((_, k) => sum(lengths.slice(0, k + 1)));
    const target = cumulative[1] + 1; // one step into the third episode
    const summary = await replayPolicy(policy, { steps: target, seed: 3 });
    expect(summary.episodes.map((e) => e.length)).toEqual(lengths.slice(0, 3));
    expect(summary.steps).toBe(cumulative[2]);
    const exact = await replayPolicy(policy, { steps: cumulative[1], seed: 3 });
    expect(exact.episodes).toHaveLength(2);
    const both = await replayPolicy(policy, { episodes: 2, steps: 1, seed: 3 });
    expect(both.episodes.map((e) => e.length)).toEqual(lengths.slice(0, 2));
  });

  test(`without episodes or steps: ${DEFAULT_ROLLOUT_STEPS} steps, then the episode in progress`, async () => {
    expect(DEFAULT_ROLLOUT_STEPS).toBe(10_000);
    const { policy } = stubPolicy('CartPole-v1', () => [1]);
    const summary = await replayPolicy(policy, { seed: 0 });
    const last = summary.episodes[summary.episodes.length - 1].length;
    expect(summary.steps).toBeGreaterThanOrEqual(10_000);
    expect(summary.steps - last).toBeLessThan(10_000);
    expect(sum(summary.episodes.map((e) => e.length))).toBe(summary.steps);
  });

  test('onFrame after every reset and every step, awaited, with the env', async () => {
    const { policy } = stubPolicy('CartPole-v1', (obs) => [lean(obs)]);
    const frames: Env[] = [];
    let pending = 0;
    const summary = await replayPolicy(policy, {
      episodes: 2,
      seed: 1,
      onFrame: async (env) => {
        expect(pending).toBe(0); // the previous frame was awaited
        pending++;
        await new Promise((resolve) => setImmediate(resolve));
        frames.push(env);
        pending--;
      },
    });
    expect(frames).toHaveLength(summary.steps + 2);
    expect(frames.every((env) => env === frames[0] && env.observation_space.type === 'Box')).toBe(true);
  });

  test("the config's horizon and env_config make the env", async () => {
    const { policy } = stubPolicy('CartPole-v1', (obs) => [lean(obs)], { horizon: 4, env_config: { sutton_barto_reward: true } });
    const steps: StepRecord[] = [];
    const summary = await replayPolicy(policy, { episodes: 2, seed: 5, onStep: (r) => steps.push(r) });
    expect(summary.episodes.map((e) => e.length)).toEqual([4, 4]);
    expect(steps.map((s) => s.truncated)).toEqual([false, false, false, true, false, false, false, true]);
    expect(summary.episodes.map((e) => e.reward)).toEqual([0, 0]); // Sutton and Barto: 0 while balanced
  });
});

// A two-dimensional Box action space; records what it is given and whether it was closed.
const received: number[][] = [];
let closed = 0;
class Recorder implements Env<number[]> {
  readonly observation_space = new Box(-10, 10, [1]);
  readonly action_space = new Box([-1, 0], [1, 2]);
  private t = 0;
  reset(): [number[], Info] {
    this.t = 0;
    return [[0], {}];
  }
  step(action: ArrayLike<number>): [number[], number, boolean, boolean, Info] {
    received.push(Array.from(action));
    this.t++;
    return [[this.t], action[0] + action[1], false, this.t === 2, {}];
  }
  close(): void {
    closed++;
  }
}
register({ id: 'test/ReplayRecorder', entryPoint: () => new Recorder(), maxEpisodeSteps: null });

test('Box actions: the env gets every value, the record lists them; the env is closed at the end', async () => {
  const { policy } = stubPolicy('test/ReplayRecorder', (obs) => [0.5, obs[0]]);
  const steps: StepRecord[] = [];
  const summary = await replayPolicy(policy, { episodes: 2, seed: 0, onStep: (r) => steps.push(r) });
  expect(received).toEqual([
    [0.5, 0],
    [0.5, 1],
    [0.5, 0],
    [0.5, 1],
  ]);
  expect(steps.map((s) => s.action)).toEqual(received);
  expect(summary.episodes).toEqual([
    { episode: 0, reward: 2, length: 2 },
    { episode: 1, reward: 2, length: 2 },
  ]);
  expect(closed).toBe(1);
});

// The same env without close(): Env's close is optional.
class RecorderWithoutClose extends Recorder {}
Object.defineProperty(RecorderWithoutClose.prototype, 'close', { value: undefined });
register({ id: 'test/ReplayNoClose', entryPoint: () => new RecorderWithoutClose(), maxEpisodeSteps: null });

test('an env without close() replays; the summary times the replay in seconds', async () => {
  const { policy } = stubPolicy('test/ReplayNoClose', () => [0, 0]);
  const before = performance.now();
  const summary = await replayPolicy(policy, { episodes: 3, seed: 0 });
  const wallSeconds = (performance.now() - before) / 1000;
  expect(summary.episodes.map((e) => e.length)).toEqual([2, 2, 2]);
  expect(summary.steps).toBe(6);
  expect(summary.seconds).toBeGreaterThanOrEqual(0);
  expect(summary.seconds).toBeLessThanOrEqual(wallSeconds);
});
