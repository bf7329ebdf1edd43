// DQN's schedule around the learner: epsilon's linear decay, no update
// before learning_starts, one update per sampling round (or training_intensity's share), and the
// target network copied every target_network_update_freq sampled timesteps.
import { describe, expect, test } from '@jest/globals';
import { Random } from '../../src/utils/random.js';
import { PrioritizedReplayBuffer, allocateTransitions } from '../../src/execution/replay_buffer.js';
import { DQN_DEFAULTS, epsilonAt } from '../../src/algorithms/dqn/defaults.js';
import { DQNLearner } from '../../src/algorithms/dqn/learner.js';
import { initialQWeights, qModelLayout } from '../../src/algorithms/dqn/q_network.js';
import { ReplayTraining, type ReplayTrainingConfig } from '../../src/algorithms/dqn/replay_training.js';

describe('the epsilon schedule', () => {
  test('epsilon falls linearly from initial to final over epsilon_timesteps, then stays', () => {
    const c = DQN_DEFAULTS.exploration_config;
    expect(epsilonAt(c, 0)).toBe(1);
    expect(epsilonAt(c, 5000)).toBeCloseTo(0.51, 12);
    expect(epsilonAt(c, 10000)).toBeCloseTo(0.02, 12);
    expect(epsilonAt(c, 50000)).toBeCloseTo(0.02, 12);
  });
});

describe('ReplayTraining', () => {
  const base: ReplayTrainingConfig = {
    buffer_size: 100,
    prioritized_replay: false,
    prioritized_replay_alpha: 0.6,
    prioritized_replay_beta: 0.4,
    prioritized_replay_eps: 1e-6,
    learning_starts: 8,
    train_batch_size: 4,
    training_intensity: null,
    target_network_update_freq: 10,
  };

  function setUp(config: ReplayTrainingConfig) {
    const layout = qModelLayout(2, 2, { fcnet_hiddens: [3], fcnet_activation: 'tanh', hiddens: [], dueling: false });
    const learner = new DQNLearner(layout, { doubleQ: true, gradClip: 40, adamEpsilon: 1e-8, trainBatchSize: 4 }, initialQWeights(layout, new Random(1)));
    const training = new ReplayTraining(config, learner, 2, new Random(2), 4);
    const round = allocateTransitions(4, 2, 1);
    round.obs.fill(0.5);
    round.rewards.fill(1);
    round.discounts.fill(0.9);
    return { training, learner, round };
  }

  test('no update before learning_starts, then one per round; the target network follows every 10 sampled steps', () => {
    const { training, learner, round } = setUp(base);
    const initial = learner.getWeights();
    training.storeAndTrain(round, 4, 1e-2);
    expect(training.state.num_steps_trained).toBe(0);
    expect(Array.from(learner.getWeights())).toEqual(Array.from(initial));
    const trained: number[] = [];
    const targetUpdates: number[] = [];
    for (let sampled = 8; sampled <= 36; sampled += 4) {
      training.storeAndTrain(round, sampled, 1e-2);
      trained.push(training.state.num_steps_trained);
      targetUpdates.push(training.state.num_target_updates);
    }
    expect(trained).toEqual([4, 8, 12, 16, 20, 24, 28, 32]);
    // a copy once 10 steps have passed since the last: at 12, 24 and 36 sampled steps
    expect(targetUpdates).toEqual([0, 1, 1, 1, 2, 2, 2, 3]);
    expect(training.state.last_target_update_ts).toBe(36);
    expect(Array.from(learner.getTargetWeights())).toEqual(Array.from(learner.getWeights()));
    expect(training.lastStats).not.toBeNull();
  });

  test('training_intensity 2.5 with a native ratio of 1 gives 2 and 3 updates in turn', () => {
    const { training, round } = setUp({ ...base, learning_starts: 0, training_intensity: 2.5 });
    expect(training.updatesPerRound()).toBe(2.5);
    const perRound: number[] = [];
    let before = 0;
    for (let k = 1; k <= 4; k++) {
      training.storeAndTrain(round, 4 * k, 1e-3);
      perRound.push((training.state.num_steps_trained - before) / 4);
      before = training.state.num_steps_trained;
    }
    expect(perRound).toEqual([2, 3, 2, 3]);
  });

  test('updatesPerRound is training_intensity / (train_batch_size / round size); a credit of ten 0.1s makes one update', () => {
    const { learner } = setUp(base);
    const training = (intensity: number | null, roundSize: number) => new ReplayTraining({ ...base, training_intensity: intensity, learning_starts: 0 }, learner, 2, new Random(2), roundSize);
    expect(training(null, 16).updatesPerRound()).toBe(1);
    // batches of 4 from rounds of 8: a native ratio of 2, so intensity 3 asks for 3 / (4 / 8) = 6 updates
    expect(training(3, 8).updatesPerRound()).toBe(6);
    expect(training(3, 2).updatesPerRound()).toBe(1.5);
    // 0.1 ten times sums to 0.9999999999999999 in floating point: still the tenth round's update
    const slow = training(0.1, 4);
    const { round } = setUp(base);
    const counts: number[] = [];
    for (let k = 1; k <= 11; k++) {
      slow.storeAndTrain(round, 4 * k, 1e-3);
      counts.push(slow.state.num_steps_trained / 4);
    }
    expect(counts).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    // a credit within 1e-9 below 1 is an update (float sums of fractions fall short of 1 by about that)
    const almost = training(1 - 1e-9, 4);
    almost.storeAndTrain(round, 4, 1e-3);
    expect(almost.state.num_steps_trained).toBe(4);
  });

  test('the buffer: buffer_size rows, and prioritized replay with the alpha, beta and eps given', () => {
    const { learner } = setUp(base);
    const uniform = new ReplayTraining({ ...base, buffer_size: 12 }, learner, 2, new Random(2), 4);
    expect(uniform.buffer).not.toBeInstanceOf(PrioritizedReplayBuffer);
    expect(uniform.buffer.capacity).toBe(12);
    const prioritized = new ReplayTraining({ ...base, prioritized_replay: true, prioritized_replay_alpha: 0.7, prioritized_replay_beta: 0.3, prioritized_replay_eps: 0.01 }, learner, 2, new Random(2), 4);
    expect(prioritized.buffer).toBeInstanceOf(PrioritizedReplayBuffer);
    expect((prioritized.buffer as PrioritizedReplayBuffer).options).toEqual({ alpha: 0.7, beta: 0.3, eps: 0.01 });
  });

  test('prioritized replay gets the TD errors of each update', () => {
    const { training, round } = setUp({ ...base, prioritized_replay: true, learning_starts: 4 });
    training.storeAndTrain(round, 4, 1e-3);
    const buffer = training.buffer as unknown as { priorityWeight(slot: number): number };
    // every slot started at the max priority 1; the sampled ones now hold (|td| + eps)^0.6 != 1
    const weights = [0, 1, 2, 3].map((slot) => buffer.priorityWeight(slot));
    expect(weights.some((w) => Math.abs(w - 1) > 1e-3)).toBe(true);
  });
});
