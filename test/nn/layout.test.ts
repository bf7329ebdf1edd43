// Named networks in one flat weight array (denseLayout) and the kernel running any of them:
// inputs shared by name, hidden layers shared in part (a dueling Q head's trunk), gradients of
// the selected networks only, and gradients w.r.t. an input (SAC's dQ/da), all checked against
// tfjs autodiff on the same weights.
import { beforeAll, describe, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { denseLayout, initialWeights, networkOf, networkRange, type ModelLayout, type NetworkSpec } from '../../src/nn/layout.js';
import { MlpKernel, planMemory, sharedMemory } from '../../src/nn/mlp.js';
import { MlpReplicas } from '../../src/nn/replicas.js';
import { Random } from '../../src/utils/random.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { closeTo, userErrorOf } from '../helpers.js';

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

describe('denseLayout refuses inconsistent specs, one line naming the networks', () => {
  const net = (name: string, more: Partial<NetworkSpec> = {}): NetworkSpec => ({ name, inputSize: 3, hiddens: [2, 3], activation: 'tanh', outputSize: 1, ...more });
  const layoutOf = (...specs: NetworkSpec[]) => denseLayout(3, specs, { sizeSetting });

  test('a name declared twice', () => {
    expect(() => layoutOf(net('a'), net('a'))).toThrow("network 'a' is declared twice");
  });

  test('sharing the layers of a network not declared before it (an Object.prototype name included)', () => {
    for (const other of ['later', 'constructor', 'toString']) {
      expect(() => layoutOf(net('a', { shareHiddensWith: other }), net('later'))).toThrow(`network 'a' shares the layers of '${other}', which is not declared before it`);
    }
  });

  test('sharing layers with a network that reads another input', () => {
    expect(() => layoutOf(net('a'), net('b', { input: 'obs_action', inputSize: 4, shareHiddensWith: 'a' }))).toThrow("network 'b' shares layers with 'a' but reads another input");
  });

  test('sharing more layers than the other has, or layers of other sizes (any of them)', () => {
    const differ = "network 'b' shares 3 hidden layers of 'a', whose sizes differ";
    expect(() => layoutOf(net('a'), net('b', { hiddens: [2, 3, 3], sharedLayers: 3, shareHiddensWith: 'a' }))).toThrow(differ);
    expect(() => layoutOf(net('a'), net('b', { hiddens: [2, 3, 3], shareHiddensWith: 'a' }))).toThrow(differ);
    // the first layer agrees, the second does not
    expect(() => layoutOf(net('a'), net('b', { hiddens: [2, 4], shareHiddensWith: 'a' }))).toThrow("network 'b' shares 2 hidden layers of 'a', whose sizes differ");
    expect(layoutOf(net('a'), net('b', { hiddens: [2, 4], sharedLayers: 1, shareHiddensWith: 'a' })).layers.map((x) => x.name)).toEqual(['a_fc_1', 'a_fc_2', 'a_out', 'b_fc_2', 'b_out']);
  });

  test("the output layer's activation is outputActivation, linear by default", () => {
    const l = layoutOf(net('a', { outputActivation: 'tanh' }), net('b'));
    expect(l.layers.map((x) => x.activation)).toEqual(['tanh', 'tanh', 'tanh', 'tanh', 'tanh', 'linear']);
  });

  test('networkOf and networkRange name the networks there are', () => {
    const l = layout();
    expect(networkOf(l, 'val')).toBe(l.networks.val);
    expect(() => networkOf(l, 'nope')).toThrow("the model has no network 'nope'; it has adv, val, other, q");
    expect(() => networkRange(l, 'toString')).toThrow("the model has no network 'toString'; it has adv, val, other, q");
  });

  test('a model of more than 2 GiB of float32 weights, free parameters counted, is refused before anything is allocated', () => {
    // one 1 -> 1 layer (2 weights) and a free parameter block: 2^29 float32 weights are exactly 2 GiB
    const withParams = (size: number) => denseLayout(1, [{ name: 'a', inputSize: 1, hiddens: [], activation: 'linear', outputSize: 1 }], { params: { big: size }, sizeSetting });
    expect(withParams(2 ** 29 - 2).totalSize).toBe(2 ** 29);
    const error = userErrorOf(() => withParams(2 ** 29 - 1));
    expect(error.message).toBe(
      'model.fcnet_hiddens [6,5] makes networks of 536,870,913 weights (2.0 GiB as float32), more than the 2 GiB limit; use smaller layers such as [256, 256]',
    );
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

  test('each kernel is the next inSize x outSize normal draws, row-major, each column scaled by one positive factor (same seed, same weights)', () => {
    const l = layout();
    const weights = initialWeights(l, new Random(3));
    const rng = new Random(3);
    for (const layer of l.layers) {
      const draws = Array.from({ length: layer.inSize * layer.outSize }, () => rng.normal());
      for (let j = 0; j < layer.outSize; j++) {
        const scale = weights[layer.kernelOffset + j] / draws[j];
        expect(scale).toBeGreaterThan(0);
        for (let i = 0; i < layer.inSize; i++) {
          const k = i * layer.outSize + j;
          expect([layer.name, i, j, closeTo(weights[layer.kernelOffset + k], draws[k] * scale, 1e-6 * layer.initStd)]).toEqual([layer.name, i, j, true]);
        }
      }
    }
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

describe('MlpKernel: what forward and backward leave alone, and its names', () => {
  /** A kernel on layout() with weights and both inputs filled from the seed. */
  function filled(seed: number, maxBatch = 4) {
    const l = layout();
    const rng = new Random(seed);
    const kernel = new MlpKernel(l, maxBatch);
    kernel.params.set(initialWeights(l, rng).map((w) => w + 0.3 * rng.normal()));
    kernel.input('obs').set(Float32Array.from({ length: maxBatch * 3 }, () => rng.normal()));
    kernel.input('obs_action').set(Float32Array.from({ length: maxBatch * 4 }, () => rng.normal()));
    for (const name of Object.keys(l.networks)) kernel.dOutput(name).set(Float32Array.from({ length: maxBatch * l.networks[name].outputSize }, () => rng.normal()));
    return { l, kernel };
  }

  test('a second backward gives the same gradients as the first (no stale output gradients of shared layers)', () => {
    const { kernel } = filled(11);
    kernel.forward(4);
    const douts = ['adv', 'val', 'other', 'q'].map((name) => kernel.dOutput(name).slice());
    kernel.backward(4, undefined, { inputGrads: true });
    const first = kernel.grads.slice();
    const firstDObs = kernel.dInput('obs').slice();
    // backward overwrites the activations' gradients in place; the caller fills dOutput again
    ['adv', 'val', 'other', 'q'].forEach((name, i) => kernel.dOutput(name).set(douts[i]));
    kernel.backward(4, undefined, { inputGrads: true });
    expect(Array.from(kernel.grads)).toEqual(Array.from(first));
    expect(Array.from(kernel.dInput('obs'))).toEqual(Array.from(firstDObs));
  });

  test("a backward over some networks zeroes the others' gradients, whatever their output gradients hold", () => {
    const { l, kernel } = filled(12);
    kernel.forward(4);
    kernel.backward(4); // every network: 'other' gets gradients from its (nonzero) dOutput
    const [start, end] = networkRange(l, 'other');
    expect(kernel.grads.subarray(start, end).some((g) => g !== 0)).toBe(true);
    kernel.dOutput('other').fill(1);
    kernel.forward(4, ['adv', 'q']);
    kernel.backward(4, ['adv', 'q']);
    expect(Array.from(kernel.grads.subarray(start, end))).toEqual(new Array(end - start).fill(0));
    expect(kernel.grads.subarray(...networkRange(l, 'q')).some((g) => g !== 0)).toBe(true);
  });

  test("a forward over some networks leaves the others' outputs as they were (a target network's, say)", () => {
    const { kernel } = filled(13);
    kernel.forward(4);
    const other = kernel.output('other').slice();
    const adv = kernel.output('adv').slice();
    kernel.input('obs').fill(0.5); // other rows, as DQN's target then online networks read
    kernel.forward(4, ['adv']);
    expect(Array.from(kernel.output('other'))).toEqual(Array.from(other));
    expect(Array.from(kernel.output('adv'))).not.toEqual(Array.from(adv));
  });

  test('backward writes the input gradients only when asked to', () => {
    const { kernel } = filled(14);
    kernel.dInput('obs').fill(9);
    kernel.forward(4);
    kernel.backward(4);
    expect(kernel.dInput('obs').every((g) => g === 9)).toBe(true);
    kernel.backward(4, undefined, { inputGrads: true });
    expect(kernel.dInput('obs').some((g) => g !== 9)).toBe(true);
  });

  test("input() and dInput() read 'obs' by default, maxBatch rows each; unknown names are named", () => {
    const { kernel } = filled(15, 5);
    expect(kernel.input()).toBe(kernel.input('obs'));
    expect(kernel.dInput()).toBe(kernel.dInput('obs'));
    expect([kernel.input('obs').length, kernel.dInput('obs').length, kernel.dInput('obs_action').length]).toEqual([15, 15, 20]);
    expect([kernel.output('adv').length, kernel.dOutput('val').length]).toEqual([10, 5]);
    expect(() => kernel.input('action')).toThrow("the model has no input 'action'; it has obs, obs_action");
    expect(() => kernel.dInput('action')).toThrow("the model has no input 'action'; it has obs, obs_action");
    const noNetwork = "the model has no network 'nope'; it has adv, val, other, q";
    expect(() => kernel.output('nope')).toThrow(noNetwork);
    expect(() => kernel.dOutput('nope')).toThrow(noNetwork);
    expect(() => kernel.forward(1, ['adv', 'nope'])).toThrow(noNetwork);
  });

  test('selections whose names run together are told apart (a, b is not ab)', () => {
    const one = (name: string): NetworkSpec => ({ name, inputSize: 2, hiddens: [], activation: 'linear', outputSize: 1 });
    const l = denseLayout(2, [one('a'), one('b'), one('ab')], { sizeSetting });
    const kernel = new MlpKernel(l, 1);
    kernel.params.set(initialWeights(l, new Random(1)));
    kernel.input().set([1, 2]);
    kernel.output('ab').fill(NaN);
    kernel.forward(1, ['a', 'b']);
    kernel.forward(1, ['ab']);
    const { kernelOffset } = l.layers[2];
    expect(kernel.output('ab')[0]).toBeCloseTo(kernel.params[kernelOffset] + 2 * kernel.params[kernelOffset + 1], 6);
  });
});

describe('MlpKernel placed in a shared memory (replicas)', () => {
  test('fits a memory of exactly the bytes it needs, and refuses a smaller one naming both sizes', () => {
    const l = layout();
    const needed = planMemory(l, 2, 0, 0).top; // its regions from 0, the weights elsewhere
    const memory = sharedMemory(65536);
    const kernel = new MlpKernel(l, 2, { memory, base: 65536 - needed, paramsPtr: 64 });
    expect(kernel.memory).toBe(memory);
    expect(kernel.params.byteOffset).toBe(64);
    const past = 2 ** 30; // past the memory, and past the kernel limit a memory of its own has
    expect(() => new MlpKernel(l, 2, { memory, base: past, paramsPtr: 64 })).toThrow(`the kernel needs ${past + needed} bytes of its memory; it has 65536`);
    expect(() => new MlpKernel(l, 2, { memory, base: 65536 - needed + 16, paramsPtr: 64 })).toThrow(RangeError);
  });

  test('addGradients sums two replicas of one memory, and refuses a kernel of another memory', () => {
    const l = layout();
    const replicas = new MlpReplicas(l, [2, 3]);
    const [a, b] = [0, 1].map((i) => new MlpKernel(l, 2 + i, replicas.placement(i)));
    expect(a.params.byteOffset).toBe(b.params.byteOffset);
    const rng = new Random(16);
    a.grads.set(Float32Array.from({ length: l.totalSize }, () => rng.normal()));
    b.grads.set(Float32Array.from({ length: l.totalSize }, () => rng.normal()));
    const expected = Array.from(a.grads, (g, i) => Math.fround(g + b.grads[i]));
    a.addGradients(b);
    expect(Array.from(a.grads)).toEqual(expected);
    expect(() => a.addGradients(new MlpKernel(l, 2))).toThrow('replicas must share one memory');
  });
});
