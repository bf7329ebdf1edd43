// The PPO value loss where its two squared errors tie: the gradient follows tfjs autodiff's
// (tf.maximum passes it to the first operand on >=, so the unclipped (V - R)^2 gets it), here on
// rows whose numbers are exact in binary, so the tie is exact.
import { beforeAll, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { valueLoss, type LossRows } from '../../src/algorithms/ppo/loss.js';
import { initBackend } from '../../src/utils/tensor_backend.js';

beforeAll(async () => {
  await initBackend('cpu');
});

test('at a tie of (V - R)^2 and the clipped (V_clip - R)^2 the gradient is that of (V - R)^2, as tfjs gives it', () => {
  const VC = 0.5;
  // row 0: V_old 0, V 1 (clipped to 0.5), R 0.75: (1 - 0.75)^2 = (0.5 - 0.75)^2 = 0.0625, tie, V outside the clip
  // row 1: V_old 0, V -1 (clipped to -0.5), R -0.75: the same tie below
  // row 2: V_old 0, V 1 (clipped to 0.5), R 0: the clipped term is smaller, the plain one wins
  // row 3: V_old 0, V 1 (clipped to 0.5), R 2: the clipped term wins outside the clip: no gradient
  const values = Float32Array.of(1, -1, 1, 1);
  const rows = { vfPreds: Float32Array.of(0, 0, 0, 0), valueTargets: Float32Array.of(0.75, -0.75, 0, 2) } as LossRows;
  const dValues = new Float32Array(4);
  const loss = valueLoss(rows, 4, values, VC, 1, dValues);
  const oracle = tf.tidy(() => {
    const old = tf.tensor1d(rows.vfPreds);
    const target = tf.tensor1d(rows.valueTargets);
    const f = (v: tf.Tensor) => tf.mean(tf.maximum(tf.square(tf.sub(v, target)), tf.square(tf.sub(tf.add(old, tf.clipByValue(tf.sub(v, old), -VC, VC)), target))));
    const v = tf.tensor1d(values);
    return { loss: f(v).dataSync()[0], grad: Array.from(tf.grad(f)(v).dataSync()) };
  });
  expect(loss).toBeCloseTo(oracle.loss, 6);
  // by hand: rows 0 and 1 2 (V - R) / 4 = +-0.125; row 2 2 / 4 = 0.5; row 3 0
  expect(oracle.grad).toEqual([0.125, -0.125, 0.5, 0]);
  expect(Array.from(dValues)).toEqual(oracle.grad);
});
