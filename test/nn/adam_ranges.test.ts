// Adam on the kernel over ranges of the weights (the learner's split by network: each thread
// updates its own network's weights): elementwise, so ranges give the same bits as one update of
// all the weights, and weights outside the ranges are left alone.
import { expect, test } from '@jest/globals';
import { Discrete, Random } from '../../src/index.js';
import { initialWeights, networkRange } from '../../src/nn/layout.js';
import { ppoModelLayout } from '../../src/algorithms/ppo/model.js';
import { MlpReplicas } from '../../src/nn/replicas.js';
import { MlpKernel } from '../../src/nn/mlp.js';
import { KernelAdam } from '../../src/nn/adam.js';

const layout = ppoModelLayout(3, new Discrete(2), { fcnet_hiddens: [5, 7], fcnet_activation: 'tanh', vf_share_layers: false });

function kernels() {
  const replicas = new MlpReplicas(layout, [2, 2]);
  const kernel = new MlpKernel(layout, 2, replicas.placement(0));
  kernel.params.set(initialWeights(layout, new Random(1)));
  const rng = new Random(2);
  for (let i = 0; i < kernel.grads.length; i++) kernel.grads[i] = rng.normal();
  return { replicas, kernel };
}

test('two ranges covering the weights update them to the same bits as one update of all, over three steps', () => {
  const whole = kernels();
  const split = kernels();
  const [start, end] = networkRange(layout, 'value');
  expect(start).toBeGreaterThan(0);
  const all = new KernelAdam(whole.kernel, whole.replicas.m, whole.replicas.v);
  const policy = new KernelAdam(split.kernel, split.replicas.m, split.replicas.v, [[0, start]]);
  const value = new KernelAdam(split.kernel, split.replicas.m, split.replicas.v, [[start, end]]);
  for (let step = 0; step < 3; step++) {
    all.apply(1e-2);
    policy.apply(1e-2);
    value.apply(1e-2);
  }
  expect(end).toBe(layout.totalSize);
  expect(Array.from(split.kernel.params)).toEqual(Array.from(whole.kernel.params));
  expect(Array.from(split.replicas.m)).toEqual(Array.from(whole.replicas.m));
  expect(Array.from(split.replicas.v)).toEqual(Array.from(whole.replicas.v));
});

test('weights outside the ranges keep their values and moments', () => {
  const { replicas, kernel } = kernels();
  const before = kernel.params.slice();
  const [start, end] = networkRange(layout, 'value');
  new KernelAdam(kernel, replicas.m, replicas.v, [[start, end]]).apply(1e-2);
  expect(Array.from(kernel.params.subarray(0, start))).toEqual(Array.from(before.subarray(0, start)));
  expect(replicas.m.subarray(0, start).every((x) => x === 0)).toBe(true);
  expect(kernel.params.subarray(start, end).every((x, i) => x !== before[start + i])).toBe(true);
});

test('a range outside the weights is refused', () => {
  const { replicas, kernel } = kernels();
  const n = layout.totalSize;
  for (const [start, end] of [
    [-1, 4],
    [4, 2],
    [0, n + 1],
    [0.5, 3],
  ]) {
    expect(() => kernel.adamUpdate(replicas.m, replicas.v, 1e-3, 0.9, 0.999, 1e-8, start, end)).toThrow(`Adam's range [${start}, ${end}) is not within the ${n} weights`);
  }
  expect(() => kernel.adamUpdate(replicas.m, replicas.v, 1e-3, 0.9, 0.999, 1e-8, 0, n)).not.toThrow();
  expect(() => kernel.adamUpdate(replicas.m, replicas.v, 1e-3, 0.9, 0.999, 1e-8, 3, 3)).not.toThrow();
});
