// SACAlgorithmTrainer without workers or envs (a stand-in IterationContext returns made-up rounds):
// the replay buffer it makes (row width, prioritized options, priorities updated from the TD
// errors), the weights, state and optimizer arrays a checkpoint takes and gives back, and SAC's
// layouts and registry entry.
import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { Box, Discrete, type Space } from '../../src/envs/spaces.js';
import { Random } from '../../src/utils/random.js';
import { ACTIONS, NEW_OBS, OBS, REWARDS, TERMINATED, TRUNCATED, allocateBatch, type SampleBatch } from '../../src/execution/sample_batch.js';
import { PrioritizedReplayBuffer, type ReplayBuffer } from '../../src/execution/replay_buffer.js';
import type { IterationContext, TrainerSetup } from '../../src/algorithms/algorithm.js';
import { resolveSACConfig, type SACConfig } from '../../src/algorithms/sac/defaults.js';
import { sacTrainerFactory, type SACAlgorithmTrainer } from '../../src/algorithms/sac/trainer.js';
import { OBS_ACTION, sacModelLayout, sacPolicyLayout } from '../../src/algorithms/sac/model.js';
import { SAC_RESULT_KEYS } from '../../src/algorithms/sac/result_keys.js';
import { COMMON_RESULT_KEYS } from '../../src/training/result_keys.js';
import { getAlgorithm } from '../../src/algorithms/registry.js';

const O = 2;
const net = { fcnet_hiddens: [8], fcnet_activation: 'relu' as const };

function sacConfig(overrides: Record<string, unknown> = {}): SACConfig {
  return resolveSACConfig([
    { source: 'test', config: { env: 'Pendulum-v1', policy_model: net, Q_model: net, train_batch_size: 4, learning_starts: 8, timesteps_per_iteration: 16, ...overrides } },
  ]);
}

function makeTrainer(config: SACConfig, actionSpace: Space): SACAlgorithmTrainer {
  const setup = { config, observationSize: O, actionSpace, rng: new Random(2), fragmentLength: 1 } as unknown as TrainerSetup<SACConfig>;
  return sacTrainerFactory.create(setup, {}) as SACAlgorithmTrainer;
}

/** Rounds of `roundSize` made-up transitions with `actionSize` action floats a row (0 or 1 for `discrete`). */
function fakeContext(roundSize: number, actionSize: number, discrete = false): IterationContext {
  let t = 0;
  const rng = new Random(3);
  return {
    iteration: 0,
    rng: new Random(4),
    timesteps: () => t,
    onLearnProgress: () => {},
    async sample() {
      const batch: SampleBatch = allocateBatch(roundSize, { [OBS]: O, [NEW_OBS]: O, [ACTIONS]: actionSize, [REWARDS]: 1, [TERMINATED]: 1, [TRUNCATED]: 1, discounts: 1 });
      const c = batch.columns;
      for (let i = 0; i < roundSize * O; i++) [c[OBS][i], c[NEW_OBS][i]] = [rng.normal(), rng.normal()];
      for (let i = 0; i < roundSize * actionSize; i++) c[ACTIONS][i] = discrete ? rng.integer(2) : 0.9 * Math.tanh(rng.normal());
      for (let i = 0; i < roundSize; i++) [c[REWARDS][i], c.discounts[i]] = [rng.normal(), 0.99];
      t += roundSize;
      return batch;
    },
  };
}

const bufferOf = (trainer: SACAlgorithmTrainer) => (trainer as unknown as { buffer: ReplayBuffer }).buffer;

describe('SACAlgorithmTrainer', () => {
  test('the replay buffer stores rows as wide as the action space (3 for a Box(3)), the observation as wide as the env', async () => {
    const trainer = makeTrainer(sacConfig(), new Box(-1, 1, [3]));
    await trainer.trainIteration(fakeContext(4, 3));
    const buffer = bufferOf(trainer);
    expect([buffer.actionSize, buffer.observationSize, buffer.size]).toEqual([3, O, 16]);
    expect(buffer).not.toBeInstanceOf(PrioritizedReplayBuffer);
  });

  test('prioritized_replay: a prioritized buffer with the config options, its sampled rows given |TD error| + eps as priorities', async () => {
    const config = sacConfig({ prioritized_replay: true, prioritized_replay_alpha: 0.5, prioritized_replay_beta: 0.3, prioritized_replay_eps: 1e-3 });
    const trainer = makeTrainer(config, new Discrete(2));
    await trainer.trainIteration(fakeContext(4, 1, true));
    const buffer = bufferOf(trainer) as PrioritizedReplayBuffer;
    expect(buffer).toBeInstanceOf(PrioritizedReplayBuffer);
    expect(buffer.options).toMatchObject({ alpha: 0.5, beta: 0.3, eps: 1e-3 });
    // new rows enter with priority 1 (1^alpha = 1); the replayed ones were given their |TD error| + eps
    const weights = Array.from({ length: buffer.size }, (_, slot) => buffer.priorityWeight(slot));
    expect(weights.filter((w) => w !== 1).length).toBeGreaterThan(0);
  });

  test('getWeights is a copy; setWeights takes a model-sized array and refuses others', () => {
    const trainer = makeTrainer(sacConfig(), new Box(-1, 1, [1]));
    const weights = trainer.getWeights();
    expect(weights.length).toBe(trainer.layout.totalSize);
    const first = weights[0];
    weights[0] += 1;
    expect(trainer.getWeights()[0]).toBe(first);
    const other = Float32Array.from({ length: weights.length }, (_, i) => i / 1000);
    trainer.setWeights(other);
    expect(Array.from(trainer.getWeights())).toEqual(Array.from(other));
    expect(() => trainer.setWeights(new Float32Array(3))).toThrow(`weights have 3 values; the model needs ${weights.length}`);
  });

  test('getState / loadState and getArrays / loadArrays carry log_alpha, the target-update counters and Adam to another trainer', async () => {
    const trained = makeTrainer(sacConfig({ target_network_update_freq: 4 }), new Discrete(2));
    await trained.trainIteration(fakeContext(4, 1, true));
    const state = trained.getState();
    expect(state.num_target_updates).toBeGreaterThan(0);
    expect(state.log_alpha).not.toBe(0); // log(initial_alpha 1) before the entropy updates
    const fresh = makeTrainer(sacConfig({ target_network_update_freq: 4 }), new Discrete(2));
    fresh.loadState(state);
    expect(fresh.getState()).toEqual(state);
    const arrays = trained.getArrays();
    fresh.loadArrays((name) => arrays[name]);
    expect(fresh.getArrays().optimizer.map((a) => Array.from(a))).toEqual(arrays.optimizer.map((a) => Array.from(a)));
    // what a checkpoint's state must look like
    const shape = z.object(sacTrainerFactory.stateShape);
    expect(shape.safeParse(state).success).toBe(true);
    expect(shape.safeParse({ ...state, num_target_updates: -1 }).success).toBe(false);
    expect(shape.safeParse({ ...state, log_alpha: 'x' }).success).toBe(false);
  });
});

describe('SAC layouts', () => {
  test('policy, Q networks reading obs_action (Box), their targets; twin_q false leaves the twin out', () => {
    const config = sacConfig({ Q_model: { fcnet_hiddens: [6] }, policy_model: { fcnet_hiddens: [5] } });
    const layout = sacModelLayout(O, new Box(-1, 1, [3]), config);
    expect(Object.keys(layout.networks)).toEqual(['policy', 'q', 'twin_q', 'target_q', 'target_twin_q']);
    expect([layout.networks.q.input, layout.networks.q.inputSize, layout.networks.q.outputSize]).toEqual([OBS_ACTION, O + 3, 1]);
    expect(OBS_ACTION).toBe('obs_action');
    expect(layout.sizeSetting).toEqual({ key: 'Q_model.fcnet_hiddens', hiddens: [6] });
    const single = sacModelLayout(O, new Discrete(4), { ...config, twin_q: false });
    expect(Object.keys(single.networks)).toEqual(['policy', 'q', 'target_q']);
    expect([single.networks.q.input, single.networks.q.outputSize]).toEqual(['obs', 4]);
    const policy = sacPolicyLayout(O, new Box(-1, 1, [3]), config);
    expect([policy.networks.policy.outputSize, policy.sizeSetting]).toEqual([6, { key: 'policy_model.fcnet_hiddens', hiddens: [5] }]);
  });

  test('other action spaces are refused', () => {
    const odd = { kind: 'MultiBinary' } as unknown as Space;
    expect(() => sacModelLayout(O, odd, sacConfig())).toThrow('SAC supports Box and Discrete action spaces');
    expect(() => sacPolicyLayout(O, odd, sacConfig())).toThrow('SAC supports Box and Discrete action spaces');
  });
});

describe('SAC registry entry', () => {
  test("result keys: the common ones, each learner stat under info.learner, and the target-update counters", () => {
    const learner = ['actor_loss', 'critic_loss', 'alpha_loss', 'alpha_value', 'log_alpha_value', 'target_entropy', 'policy_t', 'mean_q', 'max_q', 'min_q', 'mean_td_error'];
    expect(SAC_RESULT_KEYS).toEqual([...COMMON_RESULT_KEYS, ...learner.map((k) => `info.learner.${k}`), 'info.num_target_updates', 'info.last_target_update_ts']);
  });

  test("the play page draws SAC's Box actions as squashed means (PPO's as clipped means)", () => {
    expect([getAlgorithm('SAC').playBoxActions, getAlgorithm('PPO').playBoxActions]).toEqual(['squashed-means', 'clipped-means']);
  });
});
