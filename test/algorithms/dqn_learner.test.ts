// DQN's learner and Q model beyond the loss's gradient (dqn_gradients.test.ts): the Adam step with
// adam_epsilon, RLlib's per-variable gradient clipping (tf.clip_by_norm on each kernel and bias),
// weight and optimizer-state checks, the Q model's layer layout and initial weights (normc trunk,
// Glorot-uniform heads, zero biases), and argmax's tie rule.
import { describe, expect, test } from '@jest/globals';
import { Random } from '../../src/utils/random.js';
import { allocateTransitions, type ReplaySample } from '../../src/execution/replay_buffer.js';
import { argmaxRows, combineDueling, initialQWeights, qModelLayout, qNetworkNames, QNetwork } from '../../src/algorithms/dqn/q_network.js';
import { clipEachByNorm, DQNLearner, type DQNLearnerHyperparams } from '../../src/algorithms/dqn/learner.js';
import { FlatAdam } from '../../src/nn/adam.js';
import type { ModelLayout } from '../../src/nn/layout.js';

const OBS = 4;
const ACTIONS = 3;
const ROWS = 16;

const options = (dueling: boolean) => ({ fcnet_hiddens: [8, 6], fcnet_activation: 'tanh' as const, hiddens: [5], dueling });

function randomBatch(rng: Random, rows = ROWS): ReplaySample {
  const t = allocateTransitions(rows, OBS, 1);
  for (let i = 0; i < rows * OBS; i++) {
    t.obs[i] = rng.normal();
    t.nextObs[i] = rng.normal();
  }
  for (let i = 0; i < rows; i++) {
    t.actions[i] = rng.integer(ACTIONS);
    t.rewards[i] = 3 * rng.normal();
    t.discounts[i] = 0.99;
  }
  return { ...t, indices: new Int32Array(rows), weights: new Float32Array(rows).fill(1) };
}

function setUp(hp: Partial<DQNLearnerHyperparams>, dueling = true) {
  const layout = qModelLayout(OBS, ACTIONS, options(dueling));
  const rng = new Random(4);
  const weights = initialQWeights(layout, rng).map((w) => w + 0.3 * rng.normal());
  const learner = new DQNLearner(layout, { doubleQ: true, gradClip: null, adamEpsilon: 1e-8, trainBatchSize: ROWS, ...hp }, weights);
  return { layout, learner, batch: randomBatch(rng), weights };
}

/** Each layer's kernel and bias ranges in the flat weights. */
const variables = (layout: ModelLayout): [number, number][] =>
  layout.layers.flatMap((l): [number, number][] => [
    [l.kernelOffset, l.biasOffset],
    [l.biasOffset, l.biasOffset + l.outSize],
  ]);
const norm = (g: Float32Array, [start, end]: [number, number]) => Math.hypot(...g.subarray(start, end));

describe('DQNLearner', () => {
  test('learnOnBatch: the gradient of computeGradients, then one Adam step with adam_epsilon', () => {
    for (const adamEpsilon of [1e-8, 0.5]) {
      const { layout, learner, batch, weights } = setUp({ adamEpsilon });
      const probe = setUp({ adamEpsilon }).learner;
      probe.computeGradients(batch);
      const expected = weights.slice();
      new FlatAdam(layout.totalSize, 0.9, 0.999, adamEpsilon).apply(expected, probe.online.grads, 1e-2);
      learner.learnOnBatch(batch, 1e-2);
      expect(learner.getWeights()).toEqual(expected);
    }
  });

  test('grad_clip scales each kernel and bias whose norm is above it down to it, and leaves the others', () => {
    const probe = setUp({});
    probe.learner.computeGradients(probe.batch);
    const grads = probe.learner.online.grads.slice();
    const norms = variables(probe.layout).map((v) => norm(grads, v));
    const clip = [...norms].sort((a, b) => a - b)[Math.floor(norms.length / 2)];
    expect(norms.filter((n) => n > clip * 1.01).length).toBeGreaterThan(1);
    expect(norms.filter((n) => n > 0 && n < clip * 0.99).length).toBeGreaterThan(1);
    const expected = grads.slice();
    variables(probe.layout).forEach((v, j) => {
      if (norms[j] > clip) for (let i = v[0]; i < v[1]; i++) expected[i] *= clip / norms[j];
    });
    const clipped = grads.slice();
    clipEachByNorm(clipped, probe.layout, clip);
    expected.forEach((g, i) => expect(Math.abs(clipped[i] - g)).toBeLessThanOrEqual(1e-6 * Math.abs(g)));

    // through learnOnBatch: Adam's first moment after one step is (1 - beta1) g, the clipped g
    const { learner, batch } = setUp({ gradClip: clip });
    learner.learnOnBatch(batch, 1e-2);
    const [[step], m] = learner.getOptimizerState();
    expect(step).toBe(1);
    expected.forEach((g, i) => expect(Math.abs(m[i] - 0.1 * g)).toBeLessThanOrEqual(1e-6 * Math.max(Math.abs(g), 1e-3)));
  });

  test('the target network starts as the given target weights (else the online ones) and changes only on updateTarget', () => {
    const { layout, learner, weights } = setUp({});
    expect(learner.getTargetWeights()).toEqual(weights);
    const other = weights.map((w) => w + 1);
    const withTarget = new DQNLearner(layout, learner.hp, weights, other);
    expect(withTarget.getTargetWeights()).toEqual(other);
    expect(withTarget.getWeights()).toEqual(weights);
    withTarget.setTargetWeights(weights);
    expect(withTarget.getTargetWeights()).toEqual(weights);
  });

  test('getWeights and getTargetWeights are copies: training does not change them, nor does writing them change the learner', () => {
    const { learner, batch, weights } = setUp({});
    const online = learner.getWeights();
    const target = learner.getTargetWeights();
    learner.learnOnBatch(batch, 1e-2);
    learner.updateTarget();
    expect(online).toEqual(weights);
    expect(target).toEqual(weights);
    const trained = learner.getWeights();
    expect(trained).not.toEqual(weights);
    trained.fill(0);
    learner.getTargetWeights().fill(0);
    expect(learner.online.params.some((w) => w !== 0)).toBe(true);
    expect(learner.target.params).toEqual(learner.online.params);
  });

  test('weights of the wrong size are one clear RangeError, online or target', () => {
    const { layout, learner } = setUp({});
    const short = new Float32Array(layout.totalSize - 1);
    const message = `weights have ${layout.totalSize - 1} values; the Q model needs ${layout.totalSize}`;
    expect(() => learner.setWeights(short)).toThrow(new RangeError(message));
    expect(() => learner.setTargetWeights(short)).toThrow(new RangeError(message));
    expect(() => new DQNLearner(layout, learner.hp, short)).toThrow(RangeError);
  });

  test("Adam's state round-trips into a new learner, which then takes the same step", () => {
    const a = setUp({});
    a.learner.learnOnBatch(a.batch, 1e-2);
    const b = setUp({});
    b.learner.setWeights(a.learner.getWeights());
    b.learner.setOptimizerState(a.learner.getOptimizerState());
    expect(b.learner.getOptimizerState()).toEqual(a.learner.getOptimizerState());
    a.learner.learnOnBatch(a.batch, 1e-2);
    b.learner.learnOnBatch(a.batch, 1e-2);
    expect(b.learner.getWeights()).toEqual(a.learner.getWeights());
  });

  test('computeGradients returns the TD errors of the batch rows only', () => {
    const { learner } = setUp({});
    const { tdErrors } = learner.computeGradients(randomBatch(new Random(5), 6));
    expect(tdErrors.length).toBe(6);
  });
});

describe('the Q model', () => {
  test('layers: trunk (fcnet_activation, normc), each stream\'s ReLU hiddens and linear output (Glorot), target copies after the online half', () => {
    const layout = qModelLayout(OBS, ACTIONS, options(true), true);
    const names = ['fc_1', 'fc_2', 'q_hidden_1', 'q_out', 'q_value_hidden_1', 'q_value_out'];
    expect(layout.layers.map((l) => l.name)).toEqual([...names, ...names.map((n) => `target_${n}`)]);
    expect(layout.layers.map((l) => [l.inSize, l.outSize, l.activation, l.initStd]).slice(0, 6)).toEqual([
      [OBS, 8, 'tanh', 1],
      [8, 6, 'tanh', 1],
      [6, 5, 'relu', 0],
      [5, ACTIONS, 'linear', 0],
      [6, 5, 'relu', 0],
      [5, 1, 'linear', 0],
    ]);
    // contiguous: each kernel then its bias, layer after layer
    let offset = 0;
    for (const l of layout.layers) {
      expect([l.kernelOffset, l.biasOffset]).toEqual([offset, offset + l.inSize * l.outSize]);
      offset += l.inSize * l.outSize + l.outSize;
    }
    expect(layout.totalSize).toBe(offset);
    expect(layout.networks.q).toEqual({ name: 'q', input: 'obs', inputSize: OBS, outputSize: ACTIONS, path: [0, 1, 2, 3] });
    expect(layout.networks.q_value).toEqual({ name: 'q_value', input: 'obs', inputSize: OBS, outputSize: 1, path: [0, 1, 4, 5] });
    expect(layout.networks.target_q.path).toEqual([6, 7, 8, 9]);
    expect(layout.networks.target_q_value.path).toEqual([6, 7, 10, 11]);
    expect(Object.keys(qModelLayout(OBS, ACTIONS, options(false)).networks)).toEqual(['q']);
    expect(layout.sizeSetting).toEqual({ key: 'model.fcnet_hiddens', hiddens: [8, 6] });
    expect(qNetworkNames(true, 'target_')).toEqual(['target_q', 'target_q_value']);
    expect(qNetworkNames(false)).toEqual(['q']);
  });

  test('initial weights: trunk kernel columns of norm 1, head kernels uniform in +-sqrt(6 / (in + out)), biases 0', () => {
    const layout = qModelLayout(OBS, ACTIONS, { ...options(true), hiddens: [40] });
    const w = initialQWeights(layout, new Random(2));
    for (const l of layout.layers) {
      expect(Array.from(w.subarray(l.biasOffset, l.biasOffset + l.outSize)).every((b) => b === 0)).toBe(true);
      const kernel = w.subarray(l.kernelOffset, l.biasOffset);
      if (l.initStd > 0) {
        for (let j = 0; j < l.outSize; j++) {
          let sum = 0;
          for (let i = 0; i < l.inSize; i++) sum += kernel[i * l.outSize + j] ** 2;
          expect(Math.sqrt(sum)).toBeCloseTo(1, 5);
        }
      } else {
        const limit = Math.sqrt(6 / (l.inSize + l.outSize));
        const largest = Math.max(...kernel.map(Math.abs));
        expect(largest).toBeLessThanOrEqual(limit);
        expect(largest).toBeGreaterThan(0.8 * limit);
        // both signs
        expect(kernel.some((x) => x < 0) && kernel.some((x) => x > 0)).toBe(true);
      }
    }
  });

  test('combineDueling writes Q = V + A - mean(A) for exactly its rows, nothing past them', () => {
    const q = new Float32Array(8).fill(7);
    // 2 rows of 3 advantages, in an output with room for more
    combineDueling(Float32Array.of(1, 2, 6, -3, 0, 0, 5, 5, 5), Float32Array.of(10, -1, 4), 2, 3, q);
    expect(Array.from(q)).toEqual([8, 9, 13, -3, 0, 0, 7, 7]);
  });

  test('argmaxRows: the first of tied maxima, per row', () => {
    const out = new Float32Array(4).fill(9);
    argmaxRows(Float32Array.of(1, 3, 3, 5, 2, 5, 0, 0, 0), 3, 3, out);
    expect(Array.from(out)).toEqual([1, 0, 0, 9]);
    argmaxRows(Float32Array.of(-1, -2, -0.5), 1, 3, out);
    expect(out[0]).toBe(2);
  });

  test('QNetwork without dueling: Q is the q network\'s output, and backward passes dQ through unchanged', () => {
    const layout = qModelLayout(OBS, ACTIONS, options(false));
    const net = new QNetwork(layout, 4);
    net.params.set(initialQWeights(layout, new Random(3)));
    const obs = Float32Array.from({ length: 4 * OBS }, (_, i) => Math.sin(i));
    const q = net.forward(obs, 4).slice(0, 4 * ACTIONS);
    // dQ 1 on action 1 of each of the 4 rows: the output bias's gradient is 4 there, 0 elsewhere
    const dQ = Float32Array.from({ length: 4 * ACTIONS }, (_, i) => (i % ACTIONS === 1 ? 1 : 0));
    net.backward(dQ, 4);
    const out = layout.layers[layout.layers.length - 1];
    expect(Array.from(net.grads.subarray(out.biasOffset, out.biasOffset + ACTIONS))).toEqual([0, 4, 0]);
    expect(q.every(Number.isFinite)).toBe(true);
  });
});
