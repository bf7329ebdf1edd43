// Adam's update and global-norm clipping on the flat arrays, against values worked out by hand.
import { expect, test } from '@jest/globals';
import { FlatAdam, clipByGlobalNorm } from '../../src/nn/adam.js';

test('two Adam steps match the hand-worked update (TensorFlow form, lr 0.1)', () => {
  const params = new Float32Array([1, -2]);
  const adam = new FlatAdam(2);
  // Step 1, g = [0.5, -0.1]: m = 0.1 g = [0.05, -0.01], v = 0.001 g^2 = [2.5e-4, 1e-5],
  // lr_1 = 0.1 sqrt(0.001) / 0.1 = 0.0316228; m / sqrt(v) = [3.16228, -3.16228]: each moves by lr.
  adam.apply(params, new Float32Array([0.5, -0.1]), 0.1);
  expect(params[0]).toBeCloseTo(0.9, 6);
  expect(params[1]).toBeCloseTo(-1.9, 6);
  // Step 2, g = [-0.5, 0.3]: m = [0.9(0.05) - 0.05, 0.9(-0.01) + 0.03] = [-0.005, 0.021],
  // v = [0.999(2.5e-4) + 2.5e-4, 0.999(1e-5) + 9e-5] = [4.9975e-4, 9.999e-5],
  // lr_2 = 0.1 sqrt(1 - 0.999^2) / (1 - 0.9^2) = 0.0235317;
  // updates: 0.0235317 x -0.005 / 0.0223551 = -0.0052632 and 0.0235317 x 0.021 / 0.0099995 = 0.0494192.
  adam.apply(params, new Float32Array([-0.5, 0.3]), 0.1);
  expect(params[0]).toBeCloseTo(0.9052632, 6);
  expect(params[1]).toBeCloseTo(-1.9494193, 6);
  expect(adam.step).toBe(2);
  expect(adam.m[0]).toBeCloseTo(-0.005, 8);
  expect(adam.v[1]).toBeCloseTo(9.999e-5, 9);
});

test('global-norm clipping scales every gradient by max_norm / norm only above max_norm', () => {
  const grads = new Float32Array([3, 0, -4]); // norm 5
  expect(clipByGlobalNorm(grads, 10)).toBeCloseTo(5, 6);
  expect(Array.from(grads)).toEqual([3, 0, -4]);
  expect(clipByGlobalNorm(grads, 1)).toBeCloseTo(5, 6);
  expect(grads[0]).toBeCloseTo(0.6, 6);
  expect(grads[1]).toBe(0);
  expect(grads[2]).toBeCloseTo(-0.8, 6);
});
