// Adam (Kingma & Ba 2015) against values worked out by hand. With both moments bias-corrected,
// a constant gradient moves each parameter by lr * sign(g) on every step, the first included;
// without the second-moment correction the first step would be 1 / sqrt(1 - 0.999) = 31.6x that,
// without the first-moment one 0.1x. A learning curve does not show either.
import { describe, expect, test } from '@jest/globals';
import { Discrete, Random } from '../../src/index.js';
import { ppoModelLayout } from '../../src/algorithms/ppo/model.js';
import { FlatAdam, KernelAdam, clipByGlobalNorm, loadOptimizerArrays, optimizerArrays, type AdamState } from '../../src/nn/adam.js';
import { MlpKernel } from '../../src/nn/mlp.js';
import { MlpReplicas } from '../../src/nn/replicas.js';

const LR = 1e-3;

/** Parameters in units of lr, to compare with hand values. */
const inLr = (params: Float32Array) => Array.from(params, (p) => p / LR);

function expectClose(actual: number[], expected: number[], digits: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, k) => expect(a).toBeCloseTo(expected[k], digits));
}

describe('FlatAdam', () => {
  test('a constant gradient moves every parameter by lr * sign(g) on each of the first steps', () => {
    const adam = new FlatAdam(4);
    const params = new Float32Array(4);
    const grads = Float32Array.from([0.5, -2, 0.03, 0]);
    for (let step = 1; step <= 3; step++) {
      adam.apply(params, grads, LR);
      expect(adam.step).toBe(step);
      expectClose(inLr(params), [-step, step, -step, 0], 4);
    }
  });

  test('the moments follow the gradient: +1 then -1 moves by -lr, then by +lr * 0.01 / 0.19', () => {
    // step 1: m = 0.1, v = 0.001; m^ = 1, v^ = 1 -> -lr.
    // step 2: m = 0.9 * 0.1 - 0.1 = -0.01, v = 0.999 * 0.001 + 0.001 = 0.001999;
    //         m^ = -0.01 / (1 - 0.81) = -0.0526316, v^ = 0.001999 / (1 - 0.998001) = 1 -> +0.0526316 lr.
    const adam = new FlatAdam(1);
    const params = new Float32Array(1);
    adam.apply(params, Float32Array.from([1]), LR);
    expectClose(inLr(params), [-1], 5);
    expectClose(Array.from(adam.m), [0.1], 6);
    expectClose(Array.from(adam.v), [0.001], 8);
    adam.apply(params, Float32Array.from([-1]), LR);
    expectClose(Array.from(adam.m), [-0.01], 6);
    expectClose(Array.from(adam.v), [0.001999], 8);
    expectClose(inLr(params), [-1 + 0.0526316], 4);
  });

  test('epsilon is added to sqrt(v) (TensorFlow form): a gradient of 1e-10 moves by only 3.1613e-4 lr', () => {
    // lr_1 = lr * sqrt(0.001) / 0.1; m = 1e-11; sqrt(v) = 3.1623e-12; 0.316228 * 1e-11 / (1e-8 + 3.1623e-12) = 3.1613e-4
    const adam = new FlatAdam(1);
    const params = new Float32Array(1);
    adam.apply(params, Float32Array.from([1e-10]), LR);
    expect(params[0] / LR).toBeCloseTo(-3.1613e-4, 7);
  });

  test('betas and epsilon are configurable', () => {
    // beta1 = 0.5, beta2 = 0.75, epsilon = 1: g = 2 -> m = 1, v = 1; lr_1 = lr * sqrt(0.25) / 0.5 = lr;
    // step = lr * 1 / (1 + 1) = lr / 2
    const adam = new FlatAdam(1, 0.5, 0.75, 1);
    const params = new Float32Array(1);
    adam.apply(params, Float32Array.from([2]), LR);
    expectClose(inLr(params), [-0.5], 5);
  });

  test('state() and load() continue a run exactly; state() is a copy', () => {
    const grads = [Float32Array.from([0.3, -1]), Float32Array.from([-0.2, 4]), Float32Array.from([1, 1])];
    const straight = new FlatAdam(2);
    const a = new Float32Array(2);
    grads.forEach((g) => straight.apply(a, g, LR));

    const first = new FlatAdam(2);
    const b = new Float32Array(2);
    first.apply(b, grads[0], LR);
    const saved = first.state();
    first.apply(new Float32Array(2), grads[1], LR); // moves on after the snapshot
    expect(saved.step).toBe(1);
    const resumed = new FlatAdam(2);
    resumed.load(saved);
    resumed.apply(b, grads[1], LR);
    resumed.apply(b, grads[2], LR);
    expect(resumed.step).toBe(3);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(resumed.m)).toEqual(Array.from(straight.m));
    expect(Array.from(resumed.v)).toEqual(Array.from(straight.v));
  });

  test('load() refuses a state of another size', () => {
    const adam = new FlatAdam(3);
    const wrong = { step: 1, m: new Float32Array(2), v: new Float32Array(2) };
    expect(() => adam.load(wrong)).toThrow('optimizer state has 2 moments; the model has 3 parameters');
    expect(() => adam.load({ step: 1, m: new Float32Array(3), v: new Float32Array(2) })).toThrow(RangeError);
  });
});

describe('clipByGlobalNorm', () => {
  test('scales to the max norm when above it and returns the norm before clipping', () => {
    const grads = Float32Array.from([3, -4]);
    expect(clipByGlobalNorm(grads, 1)).toBeCloseTo(5, 6);
    expectClose(Array.from(grads), [0.6, -0.8], 6);
  });

  test('leaves gradients at or below the max norm alone', () => {
    const grads = Float32Array.from([3, -4]);
    expect(clipByGlobalNorm(grads, 5)).toBeCloseTo(5, 6);
    expect(Array.from(grads)).toEqual([3, -4]);
    expect(clipByGlobalNorm(grads, 10)).toBeCloseTo(5, 6);
    expect(Array.from(grads)).toEqual([3, -4]);
  });
});

describe('optimizerArrays and loadOptimizerArrays (what checkpoints store)', () => {
  /** Two optimizers of different sizes, moved apart by a few steps. */
  function trained(): FlatAdam[] {
    const a = new FlatAdam(2);
    const b = new FlatAdam(3);
    a.apply(new Float32Array(2), Float32Array.from([0.5, -1]), LR);
    for (let k = 0; k < 2; k++) b.apply(new Float32Array(3), Float32Array.from([1, 2, -3]), LR);
    return [a, b];
  }

  test('saves [[step], m, v] per optimizer in order, and loads them back into fresh optimizers', () => {
    const [a, b] = trained();
    const arrays = optimizerArrays([a, b]);
    expect(arrays.map((x) => Array.from(x))).toEqual([[1], Array.from(a.m), Array.from(a.v), [2], Array.from(b.m), Array.from(b.v)]);
    const fresh = [new FlatAdam(2), new FlatAdam(3)];
    loadOptimizerArrays(fresh, arrays);
    expect(fresh.map((o) => o.step)).toEqual([1, 2]);
    fresh.forEach((o, i) => {
      expect(Array.from(o.m)).toEqual(Array.from([a, b][i].m));
      expect(Array.from(o.v)).toEqual(Array.from([a, b][i].v));
    });
  });

  test('refuses arrays of another count or a step that is not one number, naming the expected form', () => {
    const arrays = optimizerArrays(trained());
    const message = (n: number, got: number) => `optimizer state must be [[step], m, v] for each of ${n} optimizer(s); got ${got} arrays`;
    expect(() => loadOptimizerArrays([new FlatAdam(2)], arrays)).toThrow(message(1, 6));
    expect(() => loadOptimizerArrays([new FlatAdam(2), new FlatAdam(3)], arrays.slice(0, 5))).toThrow(message(2, 5));
    // the second optimizer's step (array 3) given as two numbers
    const badStep = arrays.map((x, i) => (i === 3 ? Float32Array.of(2, 2) : x));
    expect(() => loadOptimizerArrays([new FlatAdam(2), new FlatAdam(3)], badStep)).toThrow(message(2, 6));
  });
});

describe('KernelAdam', () => {
  const layout = () => ppoModelLayout(3, new Discrete(2), { fcnet_hiddens: [4], fcnet_activation: 'tanh', vf_share_layers: false });

  test('state() and load() continue a run exactly; load() refuses moments of another size', () => {
    const l = layout();
    const grads = [0, 1, 2].map((seed) => {
      const rng = new Random(100 + seed);
      return Float32Array.from({ length: l.totalSize }, () => rng.normal());
    });
    const start = () => {
      const replicas = new MlpReplicas(l, [2, 2]);
      const kernel = new MlpKernel(l, 2, replicas.placement(0));
      return { kernel, adam: new KernelAdam(kernel, replicas.m, replicas.v) };
    };
    const step = ({ kernel, adam }: ReturnType<typeof start>, g: Float32Array) => {
      kernel.grads.set(g);
      adam.apply(1e-2);
    };
    const straight = start();
    grads.forEach((g) => step(straight, g));
    const first = start();
    step(first, grads[0]);
    const saved = first.adam.state();
    expect(saved.step).toBe(1);
    const resumed = start();
    resumed.kernel.params.set(first.kernel.params);
    resumed.adam.load(saved);
    step(resumed, grads[1]);
    step(resumed, grads[2]);
    expect(resumed.adam.step).toBe(3);
    expect(Array.from(resumed.kernel.params)).toEqual(Array.from(straight.kernel.params));
    expect(Array.from(resumed.adam.v)).toEqual(Array.from(straight.adam.v));
    // state() is a copy: the optimizer moving on leaves it as it was
    const { adam } = first;
    const snapshot = adam.state();
    const before = Array.from(snapshot.m);
    adam.apply(1e-2);
    expect(Array.from(snapshot.m)).toEqual(before);
    const size = l.totalSize;
    const wrong = (m: number, v: number): AdamState => ({ step: 1, m: new Float32Array(m), v: new Float32Array(v) });
    expect(() => adam.load(wrong(size - 1, size))).toThrow(`optimizer state has ${size - 1} moments; the model has ${size} parameters`);
    expect(() => adam.load(wrong(size, size - 1))).toThrow(RangeError);
    expect(() => new FlatAdam(3).load(wrong(2, 3))).toThrow('optimizer state has 2 moments; the model has 3 parameters');
  });

  test("the kernel refuses Adam moments that are not views of its memory", () => {
    const l = layout();
    const kernel = new MlpKernel(l, 2);
    const outside = new Float32Array(l.totalSize);
    const inside = new Float32Array(kernel.memory.buffer, 0, l.totalSize);
    const message = "Adam's moments must be views of the kernel's memory";
    expect(() => kernel.adamUpdate(outside, inside, 1e-3, 0.9, 0.999, 1e-8)).toThrow(message);
    expect(() => kernel.adamUpdate(inside, outside, 1e-3, 0.9, 0.999, 1e-8)).toThrow(message);
  });
});
