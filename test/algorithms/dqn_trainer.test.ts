// DQN's trainer and policy without workers or envs: trainIteration driven by a stand-in
// IterationContext that records what it is asked for (weights, epsilon, progress) and returns
// rounds of made-up transitions; the weights, counters and optimizer state a checkpoint takes;
// and DQNPolicy's Q-values, greedy actions and n-step postprocessing.
import { describe, expect, test } from '@jest/globals';
import type { z } from 'zod';
import { Box, Discrete } from '../../src/envs/spaces.js';
import { Random } from '../../src/utils/random.js';
import { ACTIONS, NEW_OBS, OBS, REWARDS, TERMINATED, TRUNCATED, allocateBatch, type SampleBatch } from '../../src/execution/sample_batch.js';
import type { Exploration } from '../../src/execution/exploration.js';
import type { IterationContext, TrainerSetup } from '../../src/algorithms/algorithm.js';
import { resolveDQNConfig, type DQNConfig } from '../../src/algorithms/dqn/defaults.js';
import { dqnTrainerFactory, type DQNAlgorithmTrainer } from '../../src/algorithms/dqn/trainer.js';
import { DQNPolicy, makeDQNPolicy } from '../../src/algorithms/dqn/policy.js';
import { QNetwork, argmaxRows, qModelLayout } from '../../src/algorithms/dqn/q_network.js';
import { postprocessNStep } from '../../src/execution/n_step.js';
import { getAlgorithm } from '../../src/algorithms/registry.js';
import { Trainer } from '../../src/training/trainer.js';
import { numericKeys } from '../helpers.js';

const OBS_SIZE = 3;

function dqnConfig(overrides: Record<string, unknown> = {}): DQNConfig {
  return resolveDQNConfig([
    {
      source: 'test',
      config: {
        env: 'CartPole-v1',
        seed: 3,
        model: { fcnet_hiddens: [8] },
        hiddens: [6],
        train_batch_size: 8,
        learning_starts: 8,
        timesteps_per_iteration: 12,
        target_network_update_freq: 8,
        exploration_config: { type: 'EpsilonGreedy', initial_epsilon: 1, final_epsilon: 0.02, epsilon_timesteps: 100 },
        lr_schedule: [
          [0, 1e-3],
          [100, 0],
        ],
        ...overrides,
      },
    },
  ]);
}

function makeTrainer(config: DQNConfig, actionSpace: Discrete | Box = new Discrete(2)): DQNAlgorithmTrainer {
  const setup = { config, observationSize: OBS_SIZE, actionSpace, rng: new Random(7), fragmentLength: config.rollout_fragment_length } as unknown as TrainerSetup<DQNConfig>;
  return dqnTrainerFactory.create(setup, {}) as DQNAlgorithmTrainer;
}

/** A stand-in for the shared Trainer's context: each sample() is one round of `roundSize` made-up transitions. */
function fakeContext(roundSize: number, startAt = 0) {
  let t = startAt;
  const rng = new Random(11);
  const requests: { weights: Float32Array; exploration?: Exploration; at: number }[] = [];
  const progress: [number, number][] = [];
  const ctx: IterationContext = {
    iteration: 0,
    rng: new Random(5),
    timesteps: () => t,
    onLearnProgress: (done, total) => progress.push([done, total]),
    async sample(request) {
      requests.push({ ...request, at: t });
      const batch: SampleBatch = allocateBatch(roundSize, { [OBS]: OBS_SIZE, [NEW_OBS]: OBS_SIZE, [ACTIONS]: 1, [REWARDS]: 1, [TERMINATED]: 1, [TRUNCATED]: 1, discounts: 1 });
      const c = batch.columns;
      for (let i = 0; i < roundSize * OBS_SIZE; i++) {
        c[OBS][i] = rng.normal();
        c[NEW_OBS][i] = rng.normal();
      }
      for (let i = 0; i < roundSize; i++) {
        c[ACTIONS][i] = rng.integer(2);
        c[REWARDS][i] = 1;
        c.discounts[i] = 0.99;
      }
      t += roundSize;
      return batch;
    },
  };
  return { ctx, requests, progress };
}

describe('DQNAlgorithmTrainer.trainIteration', () => {
  test('rounds with the online weights and epsilon at each round\'s start until timesteps_per_iteration; RLlib\'s stats and counters', async () => {
    const trainer = makeTrainer(dqnConfig());
    const { ctx, requests, progress } = fakeContext(4);
    const before = trainer.learner.getWeights();
    const outcome = await trainer.trainIteration(ctx);
    // rounds of 4 steps starting at 0, 4 and 8 (12 sampled: the iteration's 12 are reached)
    expect(requests.map((r) => r.at)).toEqual([0, 4, 8]);
    for (const r of requests) expect(r.weights).toBe(trainer.learner.online.params);
    const epsilon = (t: number) => 1 - (t / 100) * 0.98;
    requests.forEach((r) => {
      expect(r.exploration?.type).toBe('epsilon_greedy');
      expect((r.exploration as { epsilon: number }).epsilon).toBeCloseTo(epsilon(r.at), 12);
    });
    expect(progress).toEqual([
      [4, 12],
      [8, 12],
      [12, 12],
    ]);
    // learning starts once 8 transitions are stored: updates of 8 rows at the rounds ending at 8 and 12
    expect(outcome.stepsTrained).toBe(16);
    expect(trainer.learner.getWeights()).not.toEqual(before);
    expect(Object.keys(outcome.learner).sort()).toEqual(['cur_epsilon', 'cur_lr', 'max_q', 'mean_q', 'mean_td_error', 'min_q']);
    expect(outcome.learner.cur_lr).toBeCloseTo(1e-3 * (1 - 12 / 100), 12);
    expect(outcome.learner.cur_epsilon).toBeCloseTo(epsilon(12), 12);
    const { mean_q, min_q, max_q, mean_td_error } = outcome.learner;
    expect(min_q).toBeLessThanOrEqual(mean_q);
    expect(mean_q).toBeLessThanOrEqual(max_q);
    expect(min_q).toBeLessThan(max_q);
    expect(Number.isFinite(mean_td_error)).toBe(true);
    // a target copy once 8 sampled steps passed since the last (at 8), not at 12
    expect(outcome.info).toEqual({ num_target_updates: 1, last_target_update_ts: 8 });
    expect(trainer.learner.getTargetWeights()).not.toEqual(trainer.learner.getWeights());
    expect(trainer.getState()).toEqual({ num_steps_trained: 16, num_target_updates: 1, last_target_update_ts: 8, replay_credit: 0 });

    // the next iteration goes on from the trainer's timesteps with the same buffer and counters
    const next = fakeContext(4, 12);
    const second = await trainer.trainIteration(next.ctx);
    expect(next.requests.map((r) => r.at)).toEqual([12, 16, 20]);
    // progress counts this iteration's steps
    expect(next.progress).toEqual([
      [4, 12],
      [8, 12],
      [12, 12],
    ]);
    expect(second.stepsTrained).toBe(24);
    expect(second.info).toEqual({ num_target_updates: 3, last_target_update_ts: 24 });
  });

  test('before learning_starts: no update and no Q stats, only cur_lr and cur_epsilon', async () => {
    const trainer = makeTrainer(dqnConfig({ learning_starts: 100, lr_schedule: null, lr: 0.25 }));
    const before = trainer.getWeights();
    const outcome = await trainer.trainIteration(fakeContext(4).ctx);
    expect(outcome.stepsTrained).toBe(0);
    expect(outcome.learner).toEqual({ cur_lr: 0.25, cur_epsilon: expect.closeTo(1 - 0.12 * 0.98, 12) });
    expect(outcome.info).toEqual({ num_target_updates: 0, last_target_update_ts: 0 });
    expect(trainer.getWeights()).toEqual(before);
  });

  test('training_intensity: replayed / sampled steps, the round being max(1, num_workers) x num_envs_per_worker x fragment', async () => {
    // intensity 2 on rounds of 1 x 2 x 4 = 8 steps and batches of 8: 2 updates (16 rows) per round
    for (const [numWorkers, perRound] of [
      [0, 16],
      [1, 16],
      [2, 32],
    ]) {
      const config = dqnConfig({ num_workers: numWorkers, num_envs_per_worker: 2, training_intensity: 2, learning_starts: 0, timesteps_per_iteration: 1 });
      const trainer = makeTrainer(config);
      const outcome = await trainer.trainIteration(fakeContext(Math.max(1, numWorkers) * 8).ctx);
      expect(outcome.stepsTrained).toBe(perRound);
    }
  });

  test('a non-Discrete action space is refused', () => {
    expect(() => makeTrainer(dqnConfig(), new Box(-1, 1, [1]))).toThrow(new TypeError('DQN needs a Discrete action space'));
  });
});

describe('DQNAlgorithmTrainer checkpoint parts', () => {
  test('weights: the online half then the target half; setWeights splits them and checks the size', async () => {
    const trainer = makeTrainer(dqnConfig());
    await trainer.trainIteration(fakeContext(4).ctx);
    const online = trainer.learner.getWeights();
    const target = trainer.learner.getTargetWeights();
    const all = trainer.getWeights();
    expect(all.length).toBe(trainer.layout.totalSize);
    expect(all.length).toBe(2 * online.length);
    expect(all.subarray(0, online.length)).toEqual(online);
    expect(all.subarray(online.length)).toEqual(target);

    const other = makeTrainer(dqnConfig({ seed: 9 }));
    other.setWeights(all);
    expect(other.learner.getWeights()).toEqual(online);
    expect(other.learner.getTargetWeights()).toEqual(target);
    const n = all.length;
    expect(() => other.setWeights(all.subarray(1))).toThrow(new RangeError(`weights have ${n - 1} values; the model needs ${n}`));
  });

  test('state: zero counters before the first iteration; loaded counters, before or after it, are what training goes on from', async () => {
    const zero = { num_steps_trained: 0, num_target_updates: 0, last_target_update_ts: 0, replay_credit: 0 };
    const fresh = makeTrainer(dqnConfig());
    expect(fresh.getState()).toEqual(zero);
    const saved = { num_steps_trained: 800, num_target_updates: 5, last_target_update_ts: 0, replay_credit: 0.5 };
    fresh.loadState({ ...saved, extra: 1 });
    expect(fresh.getState()).toEqual(saved);
    const outcome = await fresh.trainIteration(fakeContext(4).ctx);
    expect(outcome.stepsTrained).toBe(16);
    expect(outcome.info).toEqual({ num_target_updates: 6, last_target_update_ts: 8 });
    expect(fresh.getState()).toEqual({ num_steps_trained: 816, num_target_updates: 6, last_target_update_ts: 8, replay_credit: 0.5 });

    fresh.loadState(zero);
    expect(fresh.getState()).toEqual(zero);
    await fresh.trainIteration(fakeContext(4, 12).ctx);
    expect(fresh.getState()).toMatchObject({ num_steps_trained: 24, num_target_updates: 2 });
  });

  test("Adam's state goes out under 'optimizer' and comes back", async () => {
    const trainer = makeTrainer(dqnConfig());
    await trainer.trainIteration(fakeContext(4).ctx);
    const arrays = trainer.getArrays();
    expect(Object.keys(arrays)).toEqual(['optimizer']);
    expect(arrays.optimizer[0][0]).toBe(2);
    const other = makeTrainer(dqnConfig());
    const asked: string[] = [];
    other.loadArrays((name) => {
      asked.push(name);
      return arrays[name];
    });
    expect(asked).toEqual(['optimizer']);
    expect(other.learner.getOptimizerState()).toEqual(arrays.optimizer);
  });

  test('stateShape accepts the counters and refuses negative or fractional counts', () => {
    const shape = dqnTrainerFactory.stateShape as Record<string, z.ZodType>;
    expect(Object.keys(shape).sort()).toEqual(['last_target_update_ts', 'num_steps_trained', 'num_target_updates', 'replay_credit']);
    expect(shape.num_steps_trained.safeParse(3).success).toBe(true);
    expect(shape.num_steps_trained.safeParse(-1).success).toBe(false);
    expect(shape.num_target_updates.safeParse(1.5).success).toBe(false);
    expect(shape.replay_credit.safeParse(0.5).success).toBe(true);
    expect(shape.replay_credit.safeParse(-0.5).success).toBe(false);
  });
});

describe('DQNPolicy', () => {
  const context = (dueling: boolean, batch = 2) => ({
    observationSize: OBS_SIZE,
    actionSpace: new Discrete(4),
    config: dqnConfig({ dueling, n_step: 3, gamma: 0.5 }),
    batch,
  });

  test.each([true, false])('dueling %s: Q-values and greedy actions as the learner\'s Q network computes them, for more rows than the batch', (dueling) => {
    const policy = new DQNPolicy(context(dueling));
    const layout = qModelLayout(OBS_SIZE, 4, { fcnet_hiddens: [8], fcnet_activation: 'tanh', hiddens: [6], dueling });
    expect(policy.layout).toEqual(layout);
    const rng = new Random(21);
    const weights = Float32Array.from({ length: layout.totalSize }, () => 0.5 * rng.normal());
    policy.setWeights(weights);
    const net = new QNetwork(layout, 5);
    net.params.set(weights);
    for (const rows of [2, 5]) {
      const obs = Float32Array.from({ length: rows * OBS_SIZE }, () => rng.normal());
      const expected = net.forward(obs, rows).slice(0, rows * 4);
      const q = policy.qValues(obs, rows).slice(0, rows * 4);
      q.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      const actions = new Float32Array(rows);
      policy.computeActions(obs, rows, true, rng, actions);
      const greedy = new Float32Array(rows);
      argmaxRows(expected, rows, 4, greedy);
      expect(actions).toEqual(greedy);
      // the greedy actions are not all the same, so argmax is not trivially right
      if (rows === 5) expect(new Set(actions).size).toBeGreaterThan(1);
    }
  });

  test('postprocess: n_step and gamma from the config', () => {
    const policy = makeDQNPolicy(context(true));
    const make = () => {
      const batch = allocateBatch(5, { [OBS]: OBS_SIZE, [NEW_OBS]: OBS_SIZE, [ACTIONS]: 1, [REWARDS]: 1, [TERMINATED]: 1, [TRUNCATED]: 1 });
      batch.columns[REWARDS].set([1, 2, 3, 4, 5]);
      batch.columns[NEW_OBS].forEach((_, i, a) => (a[i] = i));
      return batch;
    };
    const ours = make();
    policy.postprocess?.(ours, [[0, 5]]);
    const expected = make();
    postprocessNStep(expected, [[0, 5]], 3, 0.5);
    expect(ours).toEqual(expected);
    // n = 3 at gamma 0.5: 1 + 2/2 + 3/4
    expect(ours.columns[REWARDS][0]).toBe(2.75);
  });

  test('a non-Discrete action space is refused', () => {
    expect(() => new DQNPolicy({ ...context(true), actionSpace: new Box(-1, 1, [1]) })).toThrow(new TypeError('DQN needs a Discrete action space'));
  });
});

describe("DQN's registry entry", () => {
  test('its result keys are exactly the numeric keys of a result record (what stop criteria and schedulers are checked against)', async () => {
    const trainer = await Trainer.create('DQN', dqnConfig({ num_workers: 0, timesteps_per_iteration: 16, rollout_fragment_length: 4 }));
    try {
      const result = (await trainer.train()) as unknown as Record<string, unknown>;
      expect([...getAlgorithm('DQN').resultKeys].sort()).toEqual(numericKeys(result).sort());
    } finally {
      await trainer.stop();
    }
  });

  test('fragments are at least n_step long, as RLlib raises rollout_fragment_length to n_step', () => {
    const fragment = getAlgorithm('DQN').fragmentLength!;
    expect([fragment(dqnConfig({ rollout_fragment_length: 4, n_step: 5 })), fragment(dqnConfig({ rollout_fragment_length: 6, n_step: 3 }))]).toEqual([5, 6]);
  });
});

