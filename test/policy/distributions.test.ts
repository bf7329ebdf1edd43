// Categorical and DiagGaussian without tfjs: values against closed forms, gradients against
// central differences in float64 (the tfjs autodiff check of the whole loss is in
// test/nn/gradients.test.ts), and the offsets, scale and accumulation every method takes.
import { describe, expect, test } from '@jest/globals';
import { Box, Discrete, Random } from '../../src/index.js';
import { Categorical, DiagGaussian, distributionFor, type ActionDistribution } from '../../src/policy/distributions.js';

/** `values` placed at offset `off` of an array padded with junk that a wrong offset would read. */
function at(off: number, values: number[], pad = 3): Float64Array {
  const out = new Float64Array(off + values.length + pad).fill(7.5);
  out.set(values, off);
  return out;
}

type GradMethod = 'logpGrad' | 'entropyGrad' | 'klGrad';

/**
 * The analytic gradient of one method with respect to the (new) inputs, written at gOff into a
 * buffer already holding 0.25 everywhere (the methods add into it) and scaled by `scale`,
 * compared with central differences of the value method.
 */
function checkGradient(dist: ActionDistribution, method: GradMethod, inputs: number[], other: number[], action: number[]): void {
  const P = dist.inputSize;
  const iOff = 2;
  const gOff = 1;
  const scale = -1.5;
  const x = at(iOff, inputs);
  const o = at(1, other);
  const a = at(3, action);
  const grad = new Float32Array(gOff + P + 2).fill(0.25);
  let value: number;
  if (method === 'logpGrad') value = dist.logpGrad(x, iOff, a, 3, scale, grad, gOff);
  else if (method === 'entropyGrad') value = dist.entropyGrad(x, iOff, scale, grad, gOff);
  else value = dist.klGrad(o, 1, x, iOff, scale, grad, gOff);
  const f = (y: Float64Array): number =>
    method === 'logpGrad' ? dist.logp(y, iOff, a, 3) : method === 'entropyGrad' ? dist.entropy(y, iOff) : dist.kl(o, 1, y, iOff);
  expect(value).toBeCloseTo(f(x), 6);
  const h = 1e-5;
  for (let k = 0; k < P; k++) {
    const plus = Float64Array.from(x);
    const minus = Float64Array.from(x);
    plus[iOff + k] += h;
    minus[iOff + k] -= h;
    const numeric = (f(plus) - f(minus)) / (2 * h);
    expect({ k, grad: grad[gOff + k] }).toEqual({ k, grad: expect.closeTo(0.25 + scale * numeric, 4) });
  }
  // nothing written outside [gOff, gOff + P)
  expect(grad[0]).toBe(0.25);
  expect(Array.from(grad.subarray(gOff + P))).toEqual([0.25, 0.25]);
}

describe('Categorical', () => {
  const d = new Categorical(3);
  const p = [1 / 6, 2 / 6, 3 / 6];
  const logits = [0, Math.log(2), Math.log(3)];

  test('logp, entropy and KL at an offset, against closed forms', () => {
    const x = at(4, logits.map((l) => l + 5)); // shifting the logits changes nothing
    for (let k = 0; k < 3; k++) expect(d.logp(x, 4, at(2, [k]), 2)).toBeCloseTo(Math.log(p[k]), 12);
    expect(d.entropy(x, 4)).toBeCloseTo(-p.reduce((s, q) => s + q * Math.log(q), 0), 12);
    const uniform = at(1, [0, 0, 0]);
    expect(d.kl(x, 4, uniform, 1)).toBeCloseTo(p.reduce((s, q) => s + q * Math.log(q * 3), 0), 12);
    expect(d.kl(uniform, 1, x, 4)).toBeCloseTo(p.reduce((s, q) => s + (1 / 3) * Math.log(1 / 3 / q), 0), 12);
  });

  test('large logits stay finite (the log-sum-exp subtracts the maximum)', () => {
    const x = [1000, 1000 + Math.log(3), -1000];
    expect(d.logp(x, 0, [1], 0)).toBeCloseTo(Math.log(0.75), 12);
    expect(d.entropy(x, 0)).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 12);
    const negative = [-1000, -1000 + Math.log(3), -2000];
    expect(d.logp(negative, 0, [0], 0)).toBeCloseTo(Math.log(0.25), 12);
  });

  test('deterministic: the first largest logit, read at the offset', () => {
    const actions = new Float32Array(3).fill(9);
    d.deterministic(Float32Array.from([5, 0, 2, 1, 2]), 1, actions, 1);
    expect(Array.from(actions)).toEqual([9, 1, 9]);
    d.deterministic(Float32Array.from([3, 1, 3]), 0, actions, 2);
    expect(actions[2]).toBe(0);
    d.deterministic(Float32Array.from([-2, -1, -3]), 0, actions, 0);
    expect(actions[0]).toBe(1);
  });

  test('sample: frequencies follow the probabilities, and the returned value is log p(action)', () => {
    const rng = new Random(1);
    const x = Float32Array.from([7, ...logits]);
    const counts = [0, 0, 0];
    const actions = new Float32Array(2);
    const n = 30000;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const logp = d.sample(x, 1, rng, actions, 1);
      counts[actions[1]]++;
      worst = Math.max(worst, Math.abs(logp - Math.log(p[actions[1]])));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(actions[0]).toBe(0);
    // 4 standard deviations of a binomial count: a wrong choice of action is far outside
    counts.forEach((c, k) => expect(Math.abs(c - n * p[k])).toBeLessThan(4 * Math.sqrt(n * p[k] * (1 - p[k]))));
  });

  test('sample picks an action with probability 1 and never one with probability 0', () => {
    const rng = new Random(3);
    const actions = new Float32Array(1);
    for (let i = 0; i < 200; i++) {
      expect(d.sample(Float32Array.from([-1e4, -1e4, 0]), 0, rng, actions, 0)).toBe(0);
      expect(actions[0]).toBe(2);
      d.sample(Float32Array.from([0, -1e4, -1e4]), 0, rng, actions, 0);
      expect(actions[0]).toBe(0);
    }
  });

  test.each(['logpGrad', 'entropyGrad', 'klGrad'] as const)('%s matches central differences', (method) => {
    checkGradient(d, method, [0.3, -0.8, 1.1], [-0.2, 0.5, 0.1], [2]);
    checkGradient(d, method, [0.3, -0.8, 1.1], [1.0, 0.0, -1.0], [0]);
  });
});

describe('DiagGaussian', () => {
  const d = new DiagGaussian(2);

  test('input size: means then log-stds', () => {
    expect(d.inputSize).toBe(4);
    expect(d.actionSize).toBe(2);
  });

  test('logp, entropy and KL at an offset, against closed forms', () => {
    const means = [0.5, -1];
    const stds = [2, 0.7]; // not reciprocal: log-std mistakes would cancel
    const x = at(3, [...means, ...stds.map(Math.log)]);
    const a = [1.5, -0.25];
    let logp = 0;
    for (let k = 0; k < 2; k++) logp += -0.5 * ((a[k] - means[k]) / stds[k]) ** 2 - Math.log(stds[k]) - 0.5 * Math.log(2 * Math.PI);
    expect(d.logp(x, 3, at(1, a), 1)).toBeCloseTo(logp, 12);
    const entropy = stds.reduce((s, sd) => s + 0.5 * Math.log(2 * Math.PI * Math.E * sd * sd), 0);
    expect(d.entropy(x, 3)).toBeCloseTo(entropy, 12);
    // KL(N(m1, s1) || N(m2, s2)) = log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2, summed
    const newMeans = [0, 0.5];
    const newStds = [1, 3];
    const y = at(2, [...newMeans, ...newStds.map(Math.log)]);
    let kl = 0;
    for (let k = 0; k < 2; k++) {
      kl += Math.log(newStds[k] / stds[k]) + (stds[k] ** 2 + (means[k] - newMeans[k]) ** 2) / (2 * newStds[k] ** 2) - 0.5;
    }
    expect(d.kl(x, 3, y, 2)).toBeCloseTo(kl, 12);
    expect(d.kl(x, 3, x, 3)).toBeCloseTo(0, 12);
  });

  test('deterministic: the means, read at the offset', () => {
    const actions = new Float32Array(4).fill(9);
    d.deterministic(Float32Array.from([8, 0.5, -1, 3, 4]), 1, actions, 1);
    expect(Array.from(actions)).toEqual([9, 0.5, -1, 9]);
  });

  test('sample: mean and std per dimension, and the returned value is log p(action)', () => {
    const rng = new Random(2);
    const x = Float32Array.from([0.5, -1, Math.log(2), Math.log(0.5)]);
    const actions = new Float32Array(2);
    const n = 20000;
    const sums = [0, 0];
    const squares = [0, 0];
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const logp = d.sample(x, 0, rng, actions, 0);
      worst = Math.max(worst, Math.abs(logp - d.logp(x, 0, actions, 0)));
      for (let k = 0; k < 2; k++) {
        sums[k] += actions[k];
        squares[k] += actions[k] ** 2;
      }
    }
    expect(worst).toBeLessThan(1e-5);
    const expected = [
      [0.5, 2],
      [-1, 0.5],
    ];
    for (let k = 0; k < 2; k++) {
      const mean = sums[k] / n;
      const std = Math.sqrt(squares[k] / n - mean * mean);
      expect(Math.abs(mean - expected[k][0])).toBeLessThan((5 * expected[k][1]) / Math.sqrt(n));
      expect(std / expected[k][1]).toBeCloseTo(1, 1);
    }
  });

  test.each(['logpGrad', 'entropyGrad', 'klGrad'] as const)('%s matches central differences', (method) => {
    checkGradient(d, method, [0.3, -0.8, 0.4, -0.6], [-0.2, 0.5, 0.1, 0.3], [1.2, -0.1]);
  });
});

test('distributionFor: Categorical for Discrete, DiagGaussian over the Box size', () => {
  const categorical = distributionFor(new Discrete(5));
  expect(categorical).toBeInstanceOf(Categorical);
  expect(categorical.inputSize).toBe(5);
  const gaussian = distributionFor(new Box(-1, 1, [3]));
  expect(gaussian).toBeInstanceOf(DiagGaussian);
  expect(gaussian.inputSize).toBe(6);
  expect(() => distributionFor({ type: 'Tuple' } as never)).toThrow(/unsupported action space/);
});

describe('sampling and greedy actions at their edges', () => {
  /** A Random whose uniform() returns the given values in turn. */
  const uniforms = (...values: number[]) => ({ uniform: () => values.shift()! }) as unknown as Random;

  test('Categorical.sample: a draw equal to the first cumulative probability is the next category; one past the rounded total is the last', () => {
    const dist = new Categorical(4);
    // float rounding leaves these probabilities' running sum at 0.9999999999999998, below the largest draw
    const logits = Float32Array.of(1.6400370597839355, -0.8356133699417114, -1.8875075578689575, -0.3360862135887146, 9);
    const max = Math.max(...logits.subarray(0, 4));
    let sum = 0;
    for (let k = 0; k < 4; k++) sum += Math.exp(logits[k] - max);
    const lse = max + Math.log(sum);
    const actions = new Float32Array(1);
    expect(dist.sample(logits, 0, uniforms(1 - 2 ** -53), actions, 0)).toBeCloseTo(logits[3] - lse, 12);
    expect(actions[0]).toBe(3);
    dist.sample(logits, 0, uniforms(Math.exp(logits[0] - lse)), actions, 0);
    expect(actions[0]).toBe(1);
  });

  test("Categorical.deterministic reads only its own row, wherever it starts", () => {
    const dist = new Categorical(3);
    // the rows before and after hold larger values than this row's maximum (0.7, at index 2)
    const inputs = Float32Array.of(9, 9, 9, 0.1, 0.5, 0.7, 9, 9);
    const actions = new Float32Array(1);
    dist.deterministic(inputs, 3, actions, 0);
    expect(actions[0]).toBe(2);
  });

  test('DiagGaussian.sample writes its d actions and draws d normals, nothing more', () => {
    const dist = new DiagGaussian(2);
    const inputs = Float32Array.of(0.5, -0.5, -1, 0, 3, 1);
    const actions = Float32Array.of(0, 0, 42);
    const rng = new Random(3);
    dist.sample(inputs, 0, rng, actions, 0);
    const reference = new Random(3);
    const [z0, z1, next] = [reference.normal(), reference.normal(), reference.normal()];
    expect(actions[0]).toBeCloseTo(0.5 + Math.exp(-1) * z0, 6);
    expect(actions[1]).toBeCloseTo(-0.5 + Math.exp(0) * z1, 6);
    expect(actions[2]).toBe(42);
    expect(rng.normal()).toBe(next);
  });
});
