// A network too large for the kernel's memory is refused with one line, before anything is allocated.
import { expect, test } from '@jest/globals';
import { Discrete } from '../../src/index.js';
import { ppoModelLayout as modelLayout } from '../../src/algorithms/ppo/model.js';
import { MlpKernel, KERNEL_MEMORY_LIMIT_BYTES, checkKernelMemory, planMemory } from '../../src/nn/mlp.js';
import { MlpReplicas } from '../../src/nn/replicas.js';
import { rl, userErrorOf } from '../helpers.js';

test('the kernel refuses a network larger than its memory, naming fcnet_hiddens and the bytes needed', () => {
  const layout = modelLayout(4, new Discrete(2), { fcnet_hiddens: [10000, 10000], fcnet_activation: 'tanh', vf_share_layers: false });
  // two 10000 x 10000 kernels (one per network; 0.8 GiB of weights, under the layout's 2 GiB), with gradients and a transpose: near 2 GiB
  const error = userErrorOf(() => new MlpKernel(layout, 128));
  expect(error.message).toMatch(/^model\.fcnet_hiddens \[10000, 10000\] needs \d+\.\d GiB of learner memory for minibatches of 128, more than the kernel's 1\.0 GiB/);
  expect(KERNEL_MEMORY_LIMIT_BYTES).toBe(1024 ** 3);
});

test('rl train with such a network exits 2 with that one line', () => {
  const { code, stderr } = rl(['train', '--env', 'CartPole-v1', '--config', '{"model": {"fcnet_hiddens": [10000, 10000]}}']);
  expect(code).toBe(2);
  expect(stderr.trim().split('\n').filter((line) => line.includes('fcnet_hiddens'))).toHaveLength(1);
  expect(stderr).toMatch(/model\.fcnet_hiddens \[10000, 10000\] needs \d+\.\d GiB/);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
});

test("the kernel's memory is its regions end to end, each rounded up to 16 bytes, one per shared input", () => {
  // policy and value read the same 'obs' rows: one input region (and one for its gradients)
  const layout = modelLayout(3, new Discrete(2), { fcnet_hiddens: [5], fcnet_activation: 'tanh', vf_share_layers: false });
  const maxBatch = 7;
  const region = (floats: number) => Math.ceil((floats * 4) / 16) * 16;
  const layers = layout.layers.map((l) => 2 * region(maxBatch * l.outSize)); // outputs and their gradients
  const scratch = region(Math.max(...layout.layers.map((l) => l.inSize * l.outSize)));
  const expected = 64 + 2 * region(layout.totalSize) + 2 * region(maxBatch * 3) + scratch + layers.reduce((a, b) => a + b, 0);
  expect(planMemory(layout, maxBatch).top).toBe(expected);
  expect(new MlpKernel(layout, maxBatch).memory.buffer.byteLength).toBe(Math.ceil(expected / 65536) * 65536);
});

test('checkKernelMemory takes exactly 1 GiB and refuses one byte more, naming the setting to shrink', () => {
  const layout = modelLayout(4, new Discrete(2), { fcnet_hiddens: [64, 64], fcnet_activation: 'tanh', vf_share_layers: false });
  expect(() => checkKernelMemory(layout, 128, KERNEL_MEMORY_LIMIT_BYTES)).not.toThrow();
  const error = userErrorOf(() => checkKernelMemory(layout, 128, KERNEL_MEMORY_LIMIT_BYTES + 0.2 * 1024 ** 3));
  expect(error.message).toBe(
    "model.fcnet_hiddens [64, 64] needs 1.2 GiB of learner memory for minibatches of 128, more than the kernel's 1.0 GiB: use smaller fcnet_hiddens (or minibatches)",
  );
  expect(() => checkKernelMemory(layout, 128, KERNEL_MEMORY_LIMIT_BYTES + 1)).toThrow(/needs 1\.0 GiB/);
});

test("replicas' memory: the shared weights and Adam's two moments, then each replica's regions for its rows", () => {
  const layout = modelLayout(3, new Discrete(2), { fcnet_hiddens: [5], fcnet_activation: 'tanh', vf_share_layers: false });
  const region = (floats: number) => Math.ceil((floats * 4) / 16) * 16;
  const first = 64 + 3 * region(layout.totalSize);
  const second = planMemory(layout, 4, first, 64).top;
  const expected = planMemory(layout, 3, second, 64).top;
  const replicas = new MlpReplicas(layout, [4, 3]);
  expect(replicas.memory.buffer.byteLength).toBe(Math.ceil(expected / 65536) * 65536);
  expect(replicas.placement(1)).toEqual({ memory: replicas.memory, base: second, paramsPtr: 64 });
  expect(replicas.m.byteOffset).toBe(64 + region(layout.totalSize));
});

test('replicas too large for the memory are refused naming the minibatch, all their rows', () => {
  const layout = modelLayout(4, new Discrete(2), { fcnet_hiddens: [10000, 10000], fcnet_activation: 'tanh', vf_share_layers: false });
  expect(userErrorOf(() => new MlpReplicas(layout, [64, 63])).message).toMatch(/needs \d+\.\d GiB of learner memory for minibatches of 127,/);
});
