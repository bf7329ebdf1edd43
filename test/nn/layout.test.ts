// Named networks in one flat weight array (denseLayout) and the kernel running any of them:
// inputs shared by name, hidden layers shared in part (a dueling Q head's trunk), gradients of
// the selected networks only, and gradients w.r.t. an input (SAC's dQ/da), all checked against
// tfjs autodiff on the same weights.
import { beforeAll, describe, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { denseLayout, initialWeights, networkRange, type ModelLayout } from '../../src/nn/layout.js';
import { MlpKernel } from '../../src/nn/mlp.js';
import { Random } from '../../src/utils/random.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { closeTo } from '../helpers.js';

const sizeSetting = { key: 'model.fcnet_hiddens', hiddens: [6, 5] };

/** A dueling-style pair sharing one hidden layer, a separate network on the same input, and Q(s, a) on its own input. */
function layout(): ModelLayout {
  return denseLayout(
    3,
    [
      { name: 'adv', inputSize: 3, hiddens: [6, 5], activation: 'tanh', outputSize: 2 },
      { name: 'val', inputSize: 3, hiddens: [6, 4], activation: 'tanh', outputSize: 1, shareHiddensWith: 'adv', sharedLayers: 1 },
      { name: 'other', inputSize: 3, hiddens: [4], activation: 'relu', outputSize: 2 },
      { name: 'q', input: 'obs_action', inputSize: 4, hiddens: [5], activation: 'tanh', outputSize: 1, outputActivation: 'linear' },
    ],
    { params: { log_alpha: 1 }, sizeSetting },
  );
}

describe('denseLayout', () => {
  test('shares the first hidden layers, keeps each network contiguous, puts free parameters last', () => {
    const l = layout();
    expect(l.networks.val.path[0]).toBe(l.networks.adv.path[0]);
    expect(l.networks.val.path[1]).not.toBe(l.networks.adv.path[1]);
    expect(l.layers.map((x) => `${x.name} ${x.inSize}x${x.outSize}`)).toEqual([
      'adv_fc_1 3x6', 'adv_fc_2 6x5', 'adv_out 5x2', 'val_fc_2 6x4', 'val_out 4x1', 'other_fc_1 3x4', 'other_out 4x2', 'q_fc_1 4x5', 'q_out 5x1',
    ]);
    const [otherStart, otherEnd] = networkRange(l, 'other');
    expect([otherStart, otherEnd]).toEqual([l.layers[5].kernelOffset, l.layers[6].biasOffset + 2]);
    expect(l.params.log_alpha).toEqual({ offset: l.totalSize - 1, size: 1 });
    expect(() => denseLayout(3, [{ name: 'a', inputSize: 3, hiddens: [2], activation: 'tanh', outputSize: 1 }, { name: 'b', inputSize: 3, hiddens: [3], activation: 'tanh', outputSize: 1, shareHiddensWith: 'a' }], { sizeSetting })).toThrow(/sizes differ/);
    expect(() => denseLayout(3, [{ name: 'a', inputSize: 3, hiddens: [], activation: 'tanh', outputSize: 1 }, { name: 'b', inputSize: 4, hiddens: [], activation: 'tanh', outputSize: 1 }], { sizeSetting })).toThrow(/input 'obs' is read with sizes 3 and 4/);
  });
});

describe('initialWeights', () => {
  test("RLlib's normc: every kernel column has norm initStd (1 hidden, 0.01 output), biases and free parameters are zero", () => {
    const l = layout();
    const weights = initialWeights(l, new Random(3));
    for (const layer of l.layers) {
      for (let j = 0; j < layer.outSize; j++) {
        let norm = 0;
        for (let i = 0; i < layer.inSize; i++) norm += weights[layer.kernelOffset + i * layer.outSize + j] ** 2;
        expect([layer.name, j, closeTo(Math.sqrt(norm), layer.initStd, 1e-6 * layer.initStd)]).toEqual([layer.name, j, true]);
      }
      expect(Array.from(weights.subarray(layer.biasOffset, layer.biasOffset + layer.outSize))).toEqual(new Array(layer.outSize).fill(0));
    }
    expect(l.layers.map((x) => x.initStd)).toEqual([1, 1, 0.01, 1, 0.01, 1, 0.01, 1, 0.01]);
    expect(weights[l.params.log_alpha.offset]).toBe(0);
    // the columns are not all alike: each is its own normal draw
    const first = l.layers[0];
    expect(weights[first.kernelOffset]).not.toBe(weights[first.kernelOffset + 1]);
  });
});

describe('MlpKernel on named networks, against tfjs autodiff', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  test('outputs, parameter gradients of the selected networks (zero elsewhere) and input gradients', () => {
    const l = layout();
    const rng = new Random(4);
    const weights = initialWeights(l, rng).map((w) => w + 0.3 * rng.normal());
    const rows = 7;
    const obs = Float32Array.from({ length: rows * 3 }, () => rng.normal());
    const obsAction = Float32Array.from({ length: rows * 4 }, () => rng.normal());
    // loss = sum(cAdv * adv) + sum(cVal * val) + sum(cQ * q): dLoss/dOutput are the c's
    const coeff = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const cAdv = coeff(rows * 2);
    const cVal = coeff(rows);
    const cQ = coeff(rows);

    const kernel = new MlpKernel(l, 8);
    kernel.params.set(weights);
    kernel.grads.fill(7); // stale values must not survive
    kernel.input('obs').set(obs);
    kernel.input('obs_action').set(obsAction);
    const selected = ['adv', 'val', 'q'];
    kernel.forward(rows, selected);
    kernel.dOutput('adv').set(cAdv);
    kernel.dOutput('val').set(cVal);
    kernel.dOutput('q').set(cQ);
    kernel.backward(rows, selected, { inputGrads: true });

    const tfResult = tf.tidy(() => {
      const vars = l.layers.flatMap((layer) => [
        tf.variable(tf.tensor2d(weights.slice(layer.kernelOffset, layer.biasOffset), [layer.inSize, layer.outSize])),
        tf.variable(tf.tensor1d(weights.slice(layer.biasOffset, layer.biasOffset + layer.outSize))),
      ]);
      const xObs = tf.variable(tf.tensor2d(obs, [rows, 3]));
      const xQ = tf.variable(tf.tensor2d(obsAction, [rows, 4]));
      const net = (name: string, x: tf.Tensor2D): tf.Tensor2D => {
        let h = x;
        for (const index of l.networks[name].path) {
          h = tf.add(tf.matMul(h, vars[2 * index] as tf.Tensor2D), vars[2 * index + 1]);
          const act = l.layers[index].activation;
          if (act === 'tanh') h = tf.tanh(h);
          else if (act === 'relu') h = tf.relu(h);
        }
        return h;
      };
      const outputs = { adv: net('adv', xObs), val: net('val', xObs), q: net('q', xQ) };
      const { value, grads } = tf.variableGrads(() =>
        tf.addN([tf.sum(tf.mul(net('adv', xObs), tf.tensor2d(cAdv, [rows, 2]))), tf.sum(tf.mul(net('val', xObs), tf.tensor2d(cVal, [rows, 1]))), tf.sum(tf.mul(net('q', xQ), tf.tensor2d(cQ, [rows, 1])))]) as tf.Scalar,
      );
      void value;
      const flat = new Float32Array(l.totalSize);
      l.layers.forEach((layer, i) => {
        const gw = grads[vars[2 * i].name];
        const gb = grads[vars[2 * i + 1].name];
        if (gw) flat.set(gw.dataSync(), layer.kernelOffset);
        if (gb) flat.set(gb.dataSync(), layer.biasOffset);
      });
      return {
        adv: outputs.adv.dataSync().slice(),
        q: outputs.q.dataSync().slice(),
        grads: flat,
        dObs: grads[xObs.name].dataSync().slice(),
        dQ: grads[xQ.name].dataSync().slice(),
      };
    });
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).every((v, i) => closeTo(v, b[i], 1e-4));
    expect(close(kernel.output('adv').subarray(0, rows * 2), tfResult.adv)).toBe(true);
    expect(close(kernel.output('q').subarray(0, rows), tfResult.q)).toBe(true);
    // 'other' was not selected: its gradients are zero, like the free parameter's and those tfjs gives for it
    const [otherStart, otherEnd] = networkRange(l, 'other');
    expect(kernel.grads.subarray(otherStart, otherEnd).every((g) => g === 0)).toBe(true);
    expect(close(kernel.grads.subarray(0, l.params.log_alpha.offset), tfResult.grads.subarray(0, l.params.log_alpha.offset))).toBe(true);
    expect(close(kernel.dInput('obs').subarray(0, rows * 3), tfResult.dObs)).toBe(true);
    expect(close(kernel.dInput('obs_action').subarray(0, rows * 4), tfResult.dQ)).toBe(true);
  });
});

test('MlpKernel takes batches of 1 to maxBatch whole rows, and names the range otherwise', () => {
  const kernel = new MlpKernel(layout(), 4);
  for (const batch of [0, 5, 2.5, -1]) expect(() => kernel.forward(batch)).toThrow(`batch of ${batch} rows; the kernel holds 1 to 4`);
  for (const batch of [1, 4]) {
    kernel.forward(batch);
    expect(() => kernel.backward(batch)).not.toThrow();
  }
  expect(() => kernel.backward(5)).toThrow('batch of 5 rows; the kernel holds 1 to 4');
});
