// DQN's TD target worked by hand on a three-step trajectory: n-step sums (n = 2, gamma = 0.5),
// double Q against plain max, dueling heads, and an episode that terminated against one that was
// truncated (which must still bootstrap). Tiny linear networks with hand-set weights make every
// Q-value a small integer:
//   online: A(s) = s, V(s) = s0 + s1   -> Q(s) = V + A - mean(A) = (s0 + s1) / 2 + s
//   target: A(s) = [s1, s0], V(s) = (s0 + s1) / 2 -> Q'(s) = [s1, s0]
import { describe, expect, test } from '@jest/globals';
import { allocateTransitions, type ReplaySample } from '../../src/execution/replay_buffer.js';
import { DISCOUNTS, adjustNStep } from '../../src/execution/n_step.js';
import { QNetwork, qModelLayout } from '../../src/algorithms/dqn/q_network.js';
import { DQNLearner } from '../../src/algorithms/dqn/learner.js';
import { huberQLoss, tdTargets } from '../../src/algorithms/dqn/loss.js';
import type { ModelLayout } from '../../src/nn/layout.js';
import { DQNPolicy } from '../../src/algorithms/dqn/policy.js';
import { resolveDQNConfig } from '../../src/algorithms/dqn/defaults.js';
import { Discrete } from '../../src/envs/spaces.js';
import { NEW_OBS, REWARDS, TERMINATED, TRUNCATED, allocateBatch, column } from '../../src/execution/sample_batch.js';

const O0 = [1, 3];
const O1 = [2, 0];
const O2 = [0, 2];
const O3 = [1, 3];

/** Online Q(s) = (s0 + s1)/2 + s, target Q'(s) = [s1, s0] (see the header), for these states: */
//   Q(O0) = [3, 5]   Q(O1) = [3, 1]   Q(O2) = [1, 3]   Q(O3) = [3, 5]
//   Q'(O2) = [2, 0]  Q'(O3) = [3, 1]
// double Q at O2: argmax Q = 1 -> Q'[1] = 0;  plain max Q'(O2) = 2
// double Q at O3: argmax Q = 1 -> Q'[1] = 1;  plain max Q'(O3) = 3

function dueling(): ModelLayout {
  return qModelLayout(2, 2, { fcnet_hiddens: [], fcnet_activation: 'linear', hiddens: [], dueling: true });
}

/** Flat weights for the dueling layout [q_out (advantages) 2x2, q_value_out 2x1]: kernels row-major (in x out), biases 0. */
function weights(layout: ModelLayout, advantage: number[], value: number[]): Float32Array {
  const w = new Float32Array(layout.totalSize);
  const [a, v] = layout.layers;
  expect([a.name, v.name]).toEqual(['q_out', 'q_value_out']);
  w.set(advantage, a.kernelOffset);
  w.set(value, v.kernelOffset);
  return w;
}

const ONLINE = (layout: ModelLayout) => weights(layout, [1, 0, 0, 1], [1, 1]);
const TARGET = (layout: ModelLayout) => weights(layout, [0, 1, 1, 0], [0.5, 0.5]);

/** The three one-step rows of one episode piece, rewards 1, 2, 4; the last row ends it (terminated or truncated). */
function trajectory(terminated: boolean): ReplaySample {
  const t = allocateTransitions(3, 2, 1);
  t.obs.set([...O0, ...O1, ...O2]);
  t.nextObs.set([...O1, ...O2, ...O3]);
  t.actions.set([1, 0, 1]);
  t.rewards.set([1, 2, 4]);
  t.terminated.set([0, 0, terminated ? 1 : 0]);
  adjustNStep(t, 0, 3, 2, 0.5, 2);
  return { ...t, indices: Int32Array.of(0, 1, 2), weights: Float32Array.of(1, 0.5, 2) };
}

describe('n-step postprocessing (n = 2, gamma = 0.5)', () => {
  test('sums rewards, moves the next observation and sets gamma^k', () => {
    const t = trajectory(true);
    expect(Array.from(t.rewards)).toEqual([1 + 0.5 * 2, 2 + 0.5 * 4, 4]);
    expect(Array.from(t.nextObs)).toEqual([...O2, ...O3, ...O3]);
    expect(Array.from(t.terminated)).toEqual([0, 1, 1]);
    expect(Array.from(t.discounts)).toEqual([0.25, 0.25, 0.5]);
  });

  test('a truncated piece keeps terminated 0 on every row', () => {
    const t = trajectory(false);
    expect(Array.from(t.terminated)).toEqual([0, 0, 0]);
    expect(Array.from(t.discounts)).toEqual([0.25, 0.25, 0.5]);
  });

  test('n = 1 leaves one-step rows as they are, discount gamma', () => {
    const t = allocateTransitions(2, 1, 1);
    t.rewards.set([3, 5]);
    t.nextObs.set([7, 8]);
    adjustNStep(t, 0, 2, 1, 0.9, 1);
    expect(Array.from(t.rewards)).toEqual([3, 5]);
    expect(Array.from(t.nextObs)).toEqual([7, 8]);
    expect(Array.from(t.discounts)).toEqual([Math.fround(0.9), Math.fround(0.9)]);
  });
});

describe("DQNPolicy's postprocess on a sample batch", () => {
  test('n-step per segment: a terminated episode, then a piece cut by the fragment', () => {
    const config = resolveDQNConfig([{ source: 'test', config: { n_step: 2, gamma: 0.5 } }]);
    const policy = new DQNPolicy({ observationSize: 1, actionSpace: new Discrete(2), config, batch: 1 });
    const batch = allocateBatch(5, { obs: 1, actions: 1, rewards: 1, terminated: 1, truncated: 1, new_obs: 1 });
    column(batch, REWARDS).set([1, 2, 4, 8, 16]);
    column(batch, NEW_OBS).set([10, 11, 12, 20, 21]);
    column(batch, TERMINATED).set([0, 0, 1, 0, 0]);
    column(batch, TRUNCATED).set([0, 0, 0, 0, 0]);
    policy.postprocess(batch, [
      [0, 3],
      [3, 5],
    ]);
    // rows 0-2 end in termination; rows 3-4 are cut by the fragment and keep bootstrapping from 21
    expect(Array.from(column(batch, REWARDS))).toEqual([2, 4, 4, 16, 16]);
    expect(Array.from(column(batch, NEW_OBS))).toEqual([11, 12, 12, 21, 21]);
    expect(Array.from(column(batch, TERMINATED))).toEqual([0, 1, 1, 0, 0]);
    expect(Array.from(column(batch, DISCOUNTS))).toEqual([0.25, 0.25, 0.5, 0.25, 0.5]);
  });
});

describe('dueling Q-values', () => {
  test('Q = V + A - mean(A)', () => {
    const layout = dueling();
    const net = new QNetwork(layout, 4);
    net.params.set(ONLINE(layout));
    expect(Array.from(net.forward(Float32Array.from([...O0, ...O1, ...O2]), 3).subarray(0, 6))).toEqual([3, 5, 3, 1, 1, 3]);
    net.params.set(TARGET(layout));
    expect(Array.from(net.forward(Float32Array.from([...O2, ...O3]), 2).subarray(0, 4))).toEqual([2, 0, 3, 1]);
  });
});

describe('TD targets, errors and loss on the hand-worked batch', () => {
  // Q(s, a) of the rows: Q(O0)[1] = 5, Q(O1)[0] = 3, Q(O2)[1] = 3
  const cases = [
    // terminated: rows 1 and 2 do not bootstrap
    { name: 'terminated, double Q', terminated: true, doubleQ: true, targets: [2 + 0.25 * 0, 4, 4] },
    { name: 'terminated, max Q', terminated: true, doubleQ: false, targets: [2 + 0.25 * 2, 4, 4] },
    // truncated: every row bootstraps from O2 or O3
    { name: 'truncated, double Q', terminated: false, doubleQ: true, targets: [2 + 0.25 * 0, 4 + 0.25 * 1, 4 + 0.5 * 1] },
    { name: 'truncated, max Q', terminated: false, doubleQ: false, targets: [2 + 0.25 * 2, 4 + 0.25 * 3, 4 + 0.5 * 3] },
  ];
  test.each(cases)('$name', ({ terminated, doubleQ, targets }) => {
    const layout = dueling();
    const learner = new DQNLearner(layout, { doubleQ, gradClip: 40, adamEpsilon: 1e-8, trainBatchSize: 4 }, ONLINE(layout), TARGET(layout));
    const { stats, tdErrors } = learner.computeGradients(trajectory(terminated));
    const selected = [5, 3, 3];
    const td = selected.map((q, i) => q - targets[i]);
    for (let i = 0; i < 3; i++) expect(tdErrors[i]).toBeCloseTo(td[i], 5);
    const huber = (x: number) => (Math.abs(x) < 1 ? 0.5 * x * x : Math.abs(x) - 0.5);
    const w = [1, 0.5, 2];
    expect(stats.loss).toBeCloseTo((w[0] * huber(td[0]) + w[1] * huber(td[1]) + w[2] * huber(td[2])) / 3, 5);
    expect(stats.mean_q).toBeCloseTo(11 / 3, 5);
    expect(stats.min_q).toBe(3);
    expect(stats.max_q).toBe(5);
    expect(stats.mean_td_error).toBeCloseTo((td[0] + td[1] + td[2]) / 3, 5);
  });

  test('an update moves the online weights, not the target ones, until updateTarget()', () => {
    const layout = dueling();
    const learner = new DQNLearner(layout, { doubleQ: true, gradClip: 40, adamEpsilon: 1e-8, trainBatchSize: 4 }, ONLINE(layout), TARGET(layout));
    learner.learnOnBatch(trajectory(true), 1e-2);
    expect(Array.from(learner.getWeights())).not.toEqual(Array.from(ONLINE(layout)));
    expect(Array.from(learner.getTargetWeights())).toEqual(Array.from(TARGET(layout)));
    learner.updateTarget();
    expect(Array.from(learner.getTargetWeights())).toEqual(Array.from(learner.getWeights()));
  });
});

describe('tdTargets and huberQLoss write exactly their n rows', () => {
  test('the targets of rows past n are left alone; dQ is zero but for the taken actions of the n rows', () => {
    // 2 rows of 3 actions in arrays of 3 rows: the third row's values must not be read or written
    const rows = { rewards: Float32Array.of(1, 2, 3), terminated: Float32Array.of(0, 1, 0), discounts: Float32Array.of(0.5, 0.5, 0.5) };
    const nextQ = Float32Array.of(1, 4, 2, 0, 0, 8, 6, 6, 6);
    const out = new Float32Array(3).fill(7);
    tdTargets(rows, 2, 3, nextQ, null, new Int32Array(3), out);
    expect(Array.from(out)).toEqual([1 + 0.5 * 4, 2, 7]);

    const q = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const dQ = new Float32Array(9).fill(9);
    const tdErrors = new Float32Array(3).fill(9);
    // row 0 takes action 2: td = 3 - 3.5 = -0.5 (quadratic); row 1 action 0: td = 4 - 2 = 2 (linear)
    const stats = huberQLoss(q, Float32Array.of(2, 0, 1), Float32Array.of(3.5, 2, 0), Float32Array.of(1, 1, 1), 2, 3, dQ, tdErrors);
    expect(Array.from(dQ)).toEqual([0, 0, -0.25, 0.5, 0, 0, 9, 9, 9]);
    expect(Array.from(tdErrors)).toEqual([-0.5, 2, 9]);
    expect(stats.loss).toBeCloseTo((0.125 + 1.5) / 2, 6);
  });
});
