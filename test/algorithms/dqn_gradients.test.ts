// DQN's loss and its gradient on the kernel against tfjs autodiff of the same loss written with
// tfjs ops from RLlib 1.x's dqn_tf_policy.py (QLoss with num_atoms 1, dueling as
// compute_q_values combines the streams): dueling on and off, double Q on and off, with TD
// errors on both sides of the Huber kink and importance weights.
import { beforeAll, describe, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/utils/random.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { allocateTransitions, type ReplaySample } from '../../src/execution/replay_buffer.js';
import { initialQWeights, qModelLayout } from '../../src/algorithms/dqn/q_network.js';
import { DQNLearner } from '../../src/algorithms/dqn/learner.js';
import type { ModelLayout } from '../../src/policy/model.js';

const OBS = 5;
const ACTIONS = 3;
const ROWS = 24;

beforeAll(async () => {
  await initBackend('wasm');
});

/** The loss and its gradient w.r.t. the online weights, by tfjs autodiff. */
function oracle(layout: ModelLayout, dueling: boolean, doubleQ: boolean, online: Float32Array, target: Float32Array, batch: ReplaySample): { loss: number; grad: Float32Array } {
  return tf.tidy(() => {
    const tensors = (flat: Float32Array, trainable: boolean) =>
      layout.layers.flatMap((l) => [
        tf.variable(tf.tensor2d(flat.slice(l.kernelOffset, l.biasOffset), [l.inSize, l.outSize]), trainable),
        tf.variable(tf.tensor1d(flat.slice(l.biasOffset, l.biasOffset + l.outSize)), trainable),
      ]);
    const vars = tensors(online, true);
    const targetVars = tensors(target, false);
    const run = (v: tf.Variable[], x: tf.Tensor2D, path: number[]) => {
      let h = x;
      for (const index of path) {
        h = tf.add(tf.matMul(h, v[2 * index] as tf.Tensor2D), v[2 * index + 1]);
        const act = layout.layers[index].activation;
        if (act === 'relu') h = tf.relu(h);
        else if (act === 'tanh') h = tf.tanh(h);
      }
      return h;
    };
    const qValues = (v: tf.Variable[], x: tf.Tensor2D): tf.Tensor2D => {
      const scores = run(v, x, layout.policyPath);
      if (!dueling) return scores;
      const state = run(v, x, layout.valuePath);
      return tf.add(state, tf.sub(scores, tf.mean(scores, 1, true)));
    };
    const obs = tf.tensor2d(batch.obs, [ROWS, OBS]);
    const nextObs = tf.tensor2d(batch.nextObs, [ROWS, OBS]);
    const oneHot = tf.oneHot(tf.tensor1d(Array.from(batch.actions), 'int32'), ACTIONS);
    const qTp1 = qValues(targetVars, nextObs);
    const best = doubleQ
      ? tf.sum(tf.mul(qTp1, tf.oneHot(tf.argMax(qValues(vars, nextObs), 1), ACTIONS)), 1)
      : tf.max(qTp1, 1);
    const notDone = tf.sub(1, tf.tensor1d(batch.terminated));
    // computed outside lossFn, so no gradient flows through the target (RLlib's stop_gradient)
    const targetValues = tf.add(tf.tensor1d(batch.rewards), tf.mul(tf.tensor1d(batch.discounts), tf.mul(notDone, best)));
    const lossFn = (): tf.Scalar => {
      const selected = tf.sum(tf.mul(qValues(vars, obs), oneHot), 1);
      const td = tf.sub(selected, targetValues);
      const abs = tf.abs(td);
      // huber with delta 1: 0.5 q^2 + (|x| - q), q = min(|x|, 1)
      const quadratic = tf.minimum(abs, 1);
      const huber = tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(abs, quadratic));
      return tf.mean(tf.mul(tf.tensor1d(batch.weights), huber)) as tf.Scalar;
    };
    const { value, grads } = tf.variableGrads(lossFn, vars);
    const grad = new Float32Array(layout.totalSize);
    layout.layers.forEach((l, i) => {
      if (grads[vars[2 * i].name]) grad.set(grads[vars[2 * i].name].dataSync() as Float32Array, l.kernelOffset);
      if (grads[vars[2 * i + 1].name]) grad.set(grads[vars[2 * i + 1].name].dataSync() as Float32Array, l.biasOffset);
    });
    const loss = value.dataSync()[0];
    [...vars, ...targetVars].forEach((v) => v.dispose());
    return { loss, grad };
  });
}

/** A random batch whose targets spread TD errors on both sides of |td| = 1. */
function randomBatch(rng: Random): ReplaySample {
  const t = allocateTransitions(ROWS, OBS, 1);
  for (let i = 0; i < ROWS * OBS; i++) {
    t.obs[i] = rng.normal();
    t.nextObs[i] = rng.normal();
  }
  for (let i = 0; i < ROWS; i++) {
    t.actions[i] = rng.integer(ACTIONS);
    t.rewards[i] = 3 * rng.normal();
    t.terminated[i] = rng.uniform() < 0.3 ? 1 : 0;
    t.discounts[i] = 0.99 ** (1 + rng.integer(3));
  }
  const weights = Float32Array.from({ length: ROWS }, () => rng.uniform(0.2, 1));
  return { ...t, indices: new Int32Array(ROWS), weights };
}

const CASES = [
  { dueling: true, doubleQ: true, activation: 'tanh' as const },
  { dueling: true, doubleQ: false, activation: 'relu' as const },
  { dueling: false, doubleQ: true, activation: 'relu' as const },
  { dueling: false, doubleQ: false, activation: 'linear' as const },
];

describe.each(CASES)('dueling $dueling, double_q $doubleQ, $activation trunk', ({ dueling, doubleQ, activation }) => {
  test('loss and gradient agree with tfjs autodiff to 1e-4', () => {
    for (const seed of [1, 2]) {
      const rng = new Random(seed);
      // 19 and 6 units: the kernel's 16-wide, 4-wide and scalar paths all run
      const layout = qModelLayout(OBS, ACTIONS, { fcnet_hiddens: [19], fcnet_activation: activation, hiddens: [6], dueling });
      const online = initialQWeights(layout, rng).map((w) => w + 0.2 * rng.normal());
      const target = online.map((w) => w + 0.3 * rng.normal());
      const batch = randomBatch(rng);
      const learner = new DQNLearner(layout, { doubleQ, gradClip: null, adamEpsilon: 1e-8, trainBatchSize: ROWS }, online, target);
      const { stats, tdErrors } = learner.computeGradients(batch);
      const expected = oracle(layout, dueling, doubleQ, online, target, batch);
      expect(Math.abs(stats.loss - expected.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, expected.loss));
      const grads = learner.online.grads;
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < grads.length; i++) {
        diff += (grads[i] - expected.grad[i]) ** 2;
        norm += expected.grad[i] ** 2;
      }
      expect(Math.sqrt(diff / norm)).toBeLessThanOrEqual(1e-4);
      // both Huber branches ran, so the check covers both gradients
      expect(tdErrors.some((x) => Math.abs(x) < 1)).toBe(true);
      expect(tdErrors.some((x) => Math.abs(x) > 1)).toBe(true);
      // with dueling, both streams get gradients
      if (dueling) {
        for (const path of [layout.policyPath, layout.valuePath]) {
          const out = layout.layers[path[path.length - 1]];
          expect(grads.subarray(out.kernelOffset, out.biasOffset).some((g) => g !== 0)).toBe(true);
        }
      }
    }
  });
});
