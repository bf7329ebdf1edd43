// The PPO learner's steps against a plain reference (learner.test.ts checks the thread against no
// thread, which a bug shared by both would pass): split by rows, each minibatch's summed halves,
// reduceGradients (DD-PPO's all-reduce) before the global-norm clip and Adam, as whole minibatches
// run through one replica; evaluate() in chunks; the progress callback; the config's mapping; the
// value network's weight ranges; the model's argument checks.
import { afterAll, describe, expect, test } from '@jest/globals';
import { Box, Discrete, Random } from '../../src/index.js';
import type { Space } from '../../src/envs/spaces.js';
import { initialWeights, networkRange } from '../../src/nn/layout.js';
import { appendLogStd, numActions, policyOutputSize, ppoModelLayout, PPONetworks } from '../../src/algorithms/ppo/model.js';
import { LearnerHalf, learnerForConfig, PPOLearner, type LearnerHyperparams } from '../../src/algorithms/ppo/learner.js';
import { paramRanges, ValueBatch, valueRequestResult, valueRequestServer, writeValueRequest, VALUE_REQUEST_SLOTS, type ValueEpochs, type ValueLearner } from '../../src/algorithms/ppo/value_learner.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { MlpReplicas } from '../../src/nn/replicas.js';
import { clipByGlobalNorm, KernelAdam } from '../../src/nn/adam.js';
import { HP, layoutFor, OBS, randomBatch } from './ppo_setup.js';

const disposeAfter: PPOLearner[] = [];
afterAll(() => disposeAfter.forEach((learner) => learner.dispose()));

function learnerOf(space: Space, hp: LearnerHyperparams, reduceGradients?: (grads: Float32Array) => void): PPOLearner {
  const layout = layoutFor(space);
  const l = new PPOLearner(layout, numActions(space), hp, initialWeights(layout, new Random(7)), 0.2, 1e-2, { thread: false, reduceGradients });
  disposeAfter.push(l);
  return l;
}

/** The reference: one replica over each whole minibatch, then the global-norm clip and Adam. */
function reference(space: Space, hp: LearnerHyperparams, batchRows: number) {
  const layout = layoutFor(space);
  const size = Math.min(hp.sgdMinibatchSize, batchRows);
  const replicas = new MlpReplicas(layout, [size]);
  const whole = new LearnerHalf(new PPONetworks(layout, size, replicas.placement(0)), layout, numActions(space), hp);
  whole.kernel.params.set(initialWeights(layout, new Random(7)));
  return { whole, adam: new KernelAdam(whole.kernel.kernel, replicas.m, replicas.v), size };
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));

describe.each([
  { name: 'Discrete(3), 130 rows shuffled (5 minibatches of 25)', space: new Discrete(3), rows: 130, shuffle: true },
  { name: 'Box(2) with free log-std, 10 rows in order (one minibatch of 10)', space: new Box(-1, 1, [2]), rows: 10, shuffle: false },
])('split by rows, $name', ({ space, rows, shuffle }) => {
  const hp = { ...HP, gradClip: 0.5, shuffleSequences: shuffle };

  test('each minibatch: the halves summed, clipped to grad_clip by global norm, one Adam step; stats are the last epoch\'s means', () => {
    const learner = learnerOf(space, hp);
    expect(learner.split).toBe('rows');
    const batch = randomBatch(space, rows, 3);
    const progress: [number, number][] = [];
    const rng = new Random(30);
    const stats = learner.learnOnBatch(batch, 2e-3, 0.03, rng, (done, total) => progress.push([done, total]));

    const { whole, adam, size } = reference(space, hp, rows);
    const numMinibatches = Math.floor(rows / size);
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    const expectedRng = new Random(30);
    const lastEpoch = { policy_loss: 0, vf_loss: 0, total_loss: 0, kl: 0, entropy: 0 };
    let clipped = 0;
    for (let epoch = 0; epoch < hp.numSgdIter; epoch++) {
      if (shuffle) expectedRng.shuffle(order);
      for (let m = 0; m < numMinibatches; m++) {
        whole.gather(batch, order, m * size, size);
        const terms = whole.run(size, size, 0.2, 0.03, true);
        if (clipByGlobalNorm(whole.kernel.grads, hp.gradClip) > hp.gradClip) clipped++;
        adam.apply(2e-3);
        if (epoch === hp.numSgdIter - 1) for (const key of Object.keys(lastEpoch) as (keyof typeof lastEpoch)[]) lastEpoch[key] += terms[key] / numMinibatches;
      }
    }
    expect(clipped).toBeGreaterThan(0);
    expect(progress).toEqual(Array.from({ length: hp.numSgdIter * numMinibatches }, (_, i) => [i + 1, hp.numSgdIter * numMinibatches]));
    for (const key of Object.keys(lastEpoch) as (keyof typeof lastEpoch)[]) expect(Math.abs(stats[key] - lastEpoch[key])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(lastEpoch[key])));
    expect(stats).toMatchObject({ cur_kl_coeff: 0.2, cur_lr: 2e-3, entropy_coeff: 0.03 });
    expect(worst(learner.getWeights(), whole.kernel.params)).toBeLessThan(1e-5);
    expect(worst(learner.getWeights(), initialWeights(layoutFor(space), new Random(7)))).toBeGreaterThan(1e-3);
    const [[step], m] = learner.getOptimizerState();
    expect(step).toBe(hp.numSgdIter * numMinibatches);
    expect(worst(m, adam.m)).toBeLessThan(1e-6);
    // the same draws as the reference's shuffles (none without shuffling)
    expect(rng.normal()).toBe(expectedRng.normal());
  });

  test('reduceGradients gets each minibatch\'s summed gradient before the clip, and what it writes is what Adam uses', () => {
    const layout = layoutFor(space);
    const [valueStart, valueEnd] = networkRange(layout, 'value');
    const seen: Float32Array[] = [];
    const learner = learnerOf(space, hp, (grads) => {
      seen.push(grads.slice());
      grads.fill(0, valueStart, valueEnd);
    });
    const batch = randomBatch(space, rows, 4);
    const before = learner.getWeights();
    learner.learnOnBatch(batch, 2e-3, 0.03, new Random(31));
    const { whole, size } = reference(space, hp, rows);
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    if (shuffle) new Random(31).shuffle(order);
    whole.gather(batch, order, 0, size);
    whole.run(size, size, 0.2, 0.03, true);
    const expected = whole.kernel.grads;
    expect(Math.hypot(...expected)).toBeGreaterThan(hp.gradClip);
    expect(worst(seen[0], expected)).toBeLessThan(1e-5 * Math.max(...expected.map(Math.abs)));
    expect(seen.length).toBe(hp.numSgdIter * Math.floor(rows / size));
    const after = learner.getWeights();
    expect(Array.from(after.subarray(valueStart, valueEnd))).toEqual(Array.from(before.subarray(valueStart, valueEnd)));
    expect(worst(after.subarray(0, valueStart), before.subarray(0, valueStart))).toBeGreaterThan(1e-3);
  });
});

test('evaluate: the loss terms over the whole batch, in chunks of the kernel\'s rows, without updating', () => {
  const space = new Discrete(3);
  const learner = learnerOf(space, HP);
  const batch = randomBatch(space, 60, 5);
  const before = learner.getWeights();
  const terms = learner.evaluate(batch, 0.03);
  const layout = layoutFor(space);
  const whole = new LearnerHalf(new PPONetworks(layout, 60), layout, 3, HP);
  whole.kernel.params.set(before);
  whole.gather(batch, Int32Array.from({ length: 60 }, (_, i) => i), 0, 60);
  const expected = whole.run(60, 60, 0.2, 0.03, false);
  for (const key of Object.keys(expected) as (keyof typeof expected)[]) expect(Math.abs(terms[key] - expected[key])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected[key])));
  expect(learner.getWeights()).toEqual(before);
});

test('updateKl applies RLlib\'s rule to the learner\'s coefficient; setWeights checks the size', () => {
  const learner = learnerOf(new Discrete(3), HP);
  expect(learner.updateKl(0.05)).toBeCloseTo(0.3, 12);
  expect(learner.klCoeff).toBeCloseTo(0.3, 12);
  expect(learner.updateKl(0.001)).toBeCloseTo(0.15, 12);
  const size = learner.getWeights().length;
  expect(() => learner.setWeights(new Float32Array(size + 1))).toThrow(new RangeError(`weights have ${size + 1} values; the model needs ${size}`));
});

test('learnerForConfig takes each hyperparameter from its config key', () => {
  const config = resolvePPOConfig([
    {
      source: 'test',
      config: { clip_param: 0.3, vf_clip_param: 5, vf_loss_coeff: 0.7, kl_target: 0.02, grad_clip: 1.5, num_sgd_iter: 4, sgd_minibatch_size: 16, shuffle_sequences: false, use_critic: true, kl_coeff: 0.35 },
    },
  ]);
  const layout = layoutFor(new Discrete(3));
  const learner = learnerForConfig(layout, 3, config, initialWeights(layout, new Random(1)), { thread: false });
  disposeAfter.push(learner);
  expect(learner.hp).toEqual({ clipParam: 0.3, vfClipParam: 5, vfLossCoeff: 0.7, klTarget: 0.02, gradClip: 1.5, numSgdIter: 4, sgdMinibatchSize: 16, shuffleSequences: false, useCritic: true });
  expect(learner.klCoeff).toBe(0.35);
});

describe("the value network's side", () => {
  test('paramRanges: the value network\'s range; the policy\'s is the rest, free_log_std\'s log-stds after the layers included', () => {
    const box = ppoModelLayout(OBS, new Box(-1, 1, [2]), { fcnet_hiddens: [4], fcnet_activation: 'tanh', vf_share_layers: false, free_log_std: true });
    const [start, end] = networkRange(box, 'value');
    expect(end).toBeLessThan(box.totalSize);
    expect(paramRanges(box)).toEqual({ policy: [[0, start], [end, box.totalSize]], value: [[start, end]] });
    const discrete = ppoModelLayout(OBS, new Discrete(2), { fcnet_hiddens: [4], fcnet_activation: 'tanh', vf_share_layers: false });
    const [s, e] = networkRange(discrete, 'value');
    expect(e).toBe(discrete.totalSize);
    expect(paramRanges(discrete)).toEqual({ policy: [[0, s]], value: [[s, e]] });
  });

  test('ValueBatch: its arrays side by side in one buffer; fits only its own shape; the thread refuses a request before any batch', () => {
    const bytes = ValueBatch.bytes(5, 2, 3);
    expect(bytes).toBe(4 * (2 * 5 + 5 * 3 + 2 * 5));
    const batch = new ValueBatch(new SharedArrayBuffer(bytes), 5, 2, 3);
    expect([batch.orders.length, batch.obs.length, batch.vfPreds.length, batch.valueTargets.length]).toEqual([10, 15, 5, 5]);
    expect([batch.obs.byteOffset, batch.vfPreds.byteOffset, batch.valueTargets.byteOffset]).toEqual([40, 100, 120]);
    expect([batch.fits(5, 2), batch.fits(6, 2), batch.fits(5, 3)]).toEqual([true, false, false]);
    const serve = valueRequestServer({ run: () => 0 } as unknown as ValueLearner);
    expect(() => serve(new Float64Array(6), () => null)).toThrow('a value-epochs request before any batch was posted');
  });
});

test('a value-epochs request: what writeValueRequest puts in the slots is what the thread side runs, on the batch last posted', () => {
  const runs: { batch: ValueBatch; epochs: ValueEpochs }[] = [];
  const serve = valueRequestServer({ run: (batch: ValueBatch, epochs: ValueEpochs) => (runs.push({ batch, epochs }), 2.5 + runs.length) } as unknown as ValueLearner);
  const slots = new Float64Array(VALUE_REQUEST_SLOTS);
  const buffer = new SharedArrayBuffer(ValueBatch.bytes(6, 2, 3));
  const received: number[] = [];
  const receive = () => (received.push(1), { buffer, count: 6, numSgdIter: 2, observationSize: 3 });
  const first = { size: 3, numMinibatches: 2, lr: 0.004, adamStep: 7 };
  writeValueRequest(slots, first, true);
  serve(slots, receive);
  expect(valueRequestResult(slots)).toBe(3.5);
  expect(runs[0].epochs).toEqual(first);
  expect([runs[0].batch.buffer, runs[0].batch.count, runs[0].batch.numSgdIter, runs[0].batch.observationSize]).toEqual([buffer, 6, 2, 3]);
  // no new batch: nothing is received, the same batch runs again
  const second = { size: 2, numMinibatches: 3, lr: 0.001, adamStep: 11 };
  writeValueRequest(slots, second, false);
  serve(slots, receive);
  expect(received).toEqual([1]);
  expect(runs[1].epochs).toEqual(second);
  expect(runs[1].batch).toBe(runs[0].batch);
  expect(valueRequestResult(slots)).toBe(4.5);
});

describe('the PPO model', () => {
  test('distribution inputs per space; other spaces are refused', () => {
    expect([policyOutputSize(new Discrete(4)), policyOutputSize(new Box(-1, 1, [3]))]).toEqual([4, 6]);
    expect([numActions(new Discrete(4)), numActions(new Box(-1, 1, [3]))]).toEqual([4, 0]);
    expect(() => policyOutputSize({} as Discrete)).toThrow(new TypeError('unsupported action space'));
  });

  test('appendLogStd: rows of [means, log-stds]', () => {
    const out = new Float32Array(9).fill(7);
    appendLogStd(Float32Array.of(1, 2, 3, 4), Float32Array.of(-1, -2), 2, out);
    expect(Array.from(out)).toEqual([1, 2, -1, -2, 3, 4, -1, -2, 7]);
  });

  test('PPONetworks: one network at a time, never none; free_log_std\'s log-stds are appended only when the policy runs', () => {
    const layout = ppoModelLayout(OBS, new Box(-1, 1, [2]), { fcnet_hiddens: [4], fcnet_activation: 'tanh', vf_share_layers: false, free_log_std: true });
    const nets = new PPONetworks(layout, 2);
    nets.params.set(initialWeights(layout, new Random(2)));
    nets.params.set([0.5, -0.25], layout.logStdOffset!);
    nets.input.set([1, 2, 3, -1, 0, 1]);
    nets.distInputs.fill(9);
    nets.forward(2, { policy: false });
    expect(Array.from(nets.distInputs)).toEqual(new Array(8).fill(9));
    nets.forward(2, { value: false });
    expect([nets.distInputs[2], nets.distInputs[3], nets.distInputs[6], nets.distInputs[7]]).toEqual([0.5, -0.25, 0.5, -0.25]);
    expect(() => nets.forward(2, { policy: false, value: false })).toThrow(new RangeError('no network chosen'));
    // the log-stds' gradient: summed over the rows, not accumulated over calls
    nets.dDistInputs.set([0, 0, 1, 2, 0, 0, 3, 5]);
    nets.dValues.fill(0);
    for (let call = 0; call < 2; call++) {
      nets.backward(2);
      expect(Array.from(nets.grads.subarray(layout.logStdOffset!, layout.logStdOffset! + 2))).toEqual([4, 7]);
    }
    nets.backward(2, { policy: false });
  });
});

test('split by rows without grad_clip (DD-PPO\'s reduceGradients): the summed gradient goes to Adam unclipped', () => {
  const space = new Discrete(3);
  const hp = { ...HP, gradClip: null, numSgdIter: 1 };
  const learner = learnerOf(space, hp, () => {});
  expect(learner.split).toBe('rows');
  const batch = randomBatch(space, 50, 6);
  learner.learnOnBatch(batch, 2e-3, 0.03, new Random(32));
  const { whole, adam, size } = reference(space, hp, 50);
  const order = Int32Array.from({ length: 50 }, (_, i) => i);
  new Random(32).shuffle(order);
  for (let m = 0; m < 2; m++) {
    whole.gather(batch, order, m * size, size);
    whole.run(size, size, 0.2, 0.03, true);
    adam.apply(2e-3);
  }
  expect(worst(learner.getWeights(), whole.kernel.params)).toBeLessThan(1e-5);
  expect(worst(learner.getOptimizerState()[1], adam.m)).toBeLessThan(1e-6);
});
