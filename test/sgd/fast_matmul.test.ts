// rl sgd's BatchMatMul for the wasm backend: products with a transposed operand go through a
// transposed copy and tfjs's fast path; they must equal tfjs's own results (the cpu backend's)
// to float tolerance, and so must a Dense model's gradients.
import { beforeAll, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { useFastTransposedMatMul } from '../../src/sgd/fast_matmul.js';

let stock: tf.KernelFunc;
beforeAll(async () => {
  await initBackend('wasm');
  stock = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
  useFastTransposedMatMul();
});

test("the wasm backend's BatchMatMul is replaced, once", () => {
  const replaced = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
  expect(replaced).not.toBe(stock);
  useFastTransposedMatMul();
  expect(tf.getKernel('BatchMatMul', 'wasm').kernelFunc).toBe(replaced);
});

/** Runs f on the wasm backend (with the replacement) and on tfjs's cpu backend; the largest relative difference. */
async function againstCpu(f: () => tf.Tensor | tf.Tensor[]): Promise<{ worst: number; size: number }> {
  const run = () => tf.tidy(() => [f()].flat().map((t) => t.dataSync().slice()));
  const wasm = run();
  await tf.setBackend('cpu');
  try {
    const cpu = run();
    let worst = 0;
    let size = 0;
    cpu.forEach((values, k) =>
      values.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(wasm[k][i] - v) / (1 + Math.abs(v)));
        size += 1;
      }),
    );
    return { worst, size };
  } finally {
    await tf.setBackend('wasm');
  }
}

const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

test.each([
  { what: 'a^T b', a: [37, 13], b: [37, 29], transposeA: true, transposeB: false },
  { what: 'a b^T', a: [13, 37], b: [29, 37], transposeA: false, transposeB: true },
  { what: 'a^T b^T', a: [37, 13], b: [29, 37], transposeA: true, transposeB: true },
  { what: 'a^T b, one matrix in a batch of 1', a: [1, 37, 13], b: [1, 37, 29], transposeA: true, transposeB: false },
  { what: 'a b^T, a batch of 3 (as tfjs does it)', a: [3, 13, 37], b: [3, 29, 37], transposeA: false, transposeB: true },
  { what: 'a b (as tfjs does it)', a: [13, 37], b: [37, 29], transposeA: false, transposeB: false },
])('$what equals tfjs to 1e-5', async ({ a, b, transposeA, transposeB }) => {
  const { worst, size } = await againstCpu(() => tf.matMul(random(a, 1), random(b, 2), transposeA, transposeB));
  expect(size).toBe(a.slice(0, -2).reduce((p, q) => p * q, 1) * 13 * 29);
  expect(worst).toBeLessThan(1e-5);
});

test("a Dense model's gradients (every kernel's backward has a transposed product) equal tfjs's to 1e-5", async () => {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [20], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }), tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) })],
  });
  const x = random([12, 20], 5);
  const y = random([12, 5], 6);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { worst, size } = await againstCpu(() => {
    const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar, variables);
    return variables.map((v) => grads[v.name]);
  });
  expect(size).toBe(20 * 16 + 16 + 16 * 5 + 5);
  expect(worst).toBeLessThan(1e-5);
  model.dispose();
});
