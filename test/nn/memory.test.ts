// A network too large for the kernel's memory is refused with one line, before anything is allocated.
import { expect, test } from '@jest/globals';
import { Discrete } from '../../src/index.js';
import { ppoModelLayout as modelLayout } from '../../src/algorithms/ppo/model.js';
import { MlpKernel, KERNEL_MEMORY_LIMIT_BYTES } from '../../src/nn/mlp.js';
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
