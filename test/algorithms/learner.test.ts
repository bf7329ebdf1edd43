// The learner's data-parallel minibatch step: each minibatch in two halves whose gradients are
// summed, half 1 in a learner thread when there is one. The thread must not change a single bit
// of the results; the halves must add up to the whole minibatch's loss and gradient; Adam on the
// kernel must follow FlatAdam.
import { afterAll, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { Box, Discrete, Random } from '../../src/index.js';
import type { Space } from '../../src/envs/spaces.js';
import { initialWeights } from '../../src/nn/layout.js';
import { ppoModelLayout as modelLayout, PPONetworks } from '../../src/algorithms/ppo/model.js';
import { PPOLearner, LearnerHalf, learnerSplit, type LearnerHyperparams, type LearnerSplit } from '../../src/algorithms/ppo/learner.js';
import { MlpReplicas } from '../../src/nn/replicas.js';
import { FlatAdam, KernelAdam } from '../../src/nn/adam.js';
import { MlpKernel } from '../../src/nn/mlp.js';
import { HP, layoutFor, OBS, randomBatch } from './ppo_setup.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, VALUE_TARGETS, VF_PREDS } from '../../src/algorithms/ppo/policy.js';

const disposeAfter: PPOLearner[] = [];
afterAll(() => disposeAfter.forEach((learner) => learner.dispose()));

/** grad_clip couples the networks' gradients: split by rows; without it, by network. */
const SPLITS = { rows: HP, networks: { ...HP, gradClip: null } } satisfies Record<LearnerSplit, LearnerHyperparams>;

function learner(space: Space, thread: boolean, hp = HP): PPOLearner {
  const layout = layoutFor(space);
  const l = new PPOLearner(layout, space instanceof Discrete ? space.n : 0, hp, initialWeights(layout, new Random(7)), 0.2, 1e-2, { thread });
  disposeAfter.push(l);
  return l;
}

test.each([
  { name: 'Discrete(3)', space: new Discrete(3), split: 'rows' },
  { name: 'Box(2) with free log-std', space: new Box(-1, 1, [2]), split: 'rows' },
  { name: 'Discrete(3)', space: new Discrete(3), split: 'networks' },
  { name: 'Box(2) with free log-std', space: new Box(-1, 1, [2]), split: 'networks' },
] as const)('$name, split by $split: weights, Adam state and stats are the same bits with the learner thread as without', async ({ space, split }) => {
  const threaded = learner(space, true, SPLITS[split]);
  const local = learner(space, false, SPLITS[split]);
  expect([threaded.split, local.split]).toEqual([split, split]);
  for (let waited = 0; !threaded.threadReady; waited += 20) {
    if (waited > 20000) throw new Error('the learner thread did not start in 20 s');
    await sleep(20);
  }
  // 130 rows: 5 minibatches of 25 (13 + 12 rows a half) a epoch; the last 5 rows are left out
  const batch = randomBatch(space, 130, 1);
  for (let iteration = 0; iteration < 2; iteration++) {
    const a = threaded.learnOnBatch(batch, 1e-2, 0.01, new Random(10 + iteration));
    const b = local.learnOnBatch(batch, 1e-2, 0.01, new Random(10 + iteration));
    expect(a).toEqual(b);
  }
  // the first request goes to the thread; later ones too unless it lagged (then the caller does some itself)
  expect(threaded.threadSteps).toBeGreaterThan(0);
  expect(local.threadSteps).toBe(0);
  expect(Array.from(threaded.getWeights())).toEqual(Array.from(local.getWeights()));
  expect(threaded.getOptimizerState().map((a) => Array.from(a))).toEqual(local.getOptimizerState().map((a) => Array.from(a)));
  // and the weights did move
  expect(Array.from(threaded.getWeights())).not.toEqual(Array.from(initialWeights(layoutFor(space), new Random(7))));
});

test.each([
  ['Discrete(3)', new Discrete(3)],
  ['Box(2) with free log-std', new Box(-1, 1, [2])],
])('%s: split by network, the learner takes the same steps as whole minibatches through both networks with one Adam (same bits)', (_name, space) => {
  const hp = SPLITS.networks;
  const layout = layoutFor(space);
  const numActions = space instanceof Discrete ? space.n : 0;
  const weights = initialWeights(layout, new Random(7));
  const split = learner(space, false, hp);
  // the reference: the plain algorithm, one replica running both networks on each whole minibatch
  const replicas = new MlpReplicas(layout, [hp.sgdMinibatchSize]);
  const whole = new LearnerHalf(new PPONetworks(layout, hp.sgdMinibatchSize, replicas.placement(0)), layout, numActions, hp);
  whole.kernel.params.set(weights);
  const adam = new KernelAdam(whole.kernel.kernel, replicas.m, replicas.v);
  const batch = randomBatch(space, 130, 2);
  for (let iteration = 0; iteration < 2; iteration++) {
    const stats = split.learnOnBatch(batch, 1e-2, 0.01, new Random(20 + iteration));
    const rng = new Random(20 + iteration);
    const order = Int32Array.from({ length: batch.count }, (_, i) => i);
    const lastEpoch = { policy_loss: 0, vf_loss: 0, total_loss: 0, kl: 0, entropy: 0 };
    for (let epoch = 0; epoch < hp.numSgdIter; epoch++) {
      rng.shuffle(order);
      for (let m = 0; m < 5; m++) {
        whole.gather(batch, order, m * 25, 25);
        const terms = whole.run(25, 25, 0.2, 0.01, true);
        adam.apply(1e-2);
        if (epoch === hp.numSgdIter - 1) for (const key of Object.keys(lastEpoch) as (keyof typeof lastEpoch)[]) lastEpoch[key] += terms[key] / 5;
      }
    }
    for (const key of Object.keys(lastEpoch) as (keyof typeof lastEpoch)[]) expect(stats[key]).toBeCloseTo(lastEpoch[key], 6);
    expect(stats.vf_loss).toBeGreaterThan(0);
    expect(Array.from(split.getWeights())).toEqual(Array.from(whole.kernel.params));
    expect(split.getOptimizerState().map((a) => Array.from(a))).toEqual([[adam.step], Array.from(adam.m), Array.from(adam.v)]);
  }
});

test('split by network, a learner thread that fails after its value epochs: the caller restores the value network and Adam, and redoes them (same bits as no thread)', async () => {
  const space = new Discrete(3);
  const threaded = learner(space, true, SPLITS.networks);
  const local = learner(space, false, SPLITS.networks);
  for (let waited = 0; !threaded.threadReady; waited += 20) {
    if (waited > 20000) throw new Error('the learner thread did not start in 20 s');
    await sleep(20);
  }
  // the thread does the work and writes the value network, then counts as failed
  const thread = (threaded as unknown as { thread: { finish(): boolean } }).thread;
  const finish = thread.finish.bind(thread);
  let failures = 0;
  thread.finish = () => {
    finish();
    failures += 1;
    return false;
  };
  const batch = randomBatch(space, 130, 5);
  expect(threaded.learnOnBatch(batch, 1e-2, 0.01, new Random(3))).toEqual(local.learnOnBatch(batch, 1e-2, 0.01, new Random(3)));
  expect(failures).toBe(1);
  expect(Array.from(threaded.getWeights())).toEqual(Array.from(local.getWeights()));
  expect(threaded.getOptimizerState().map((a) => Array.from(a))).toEqual(local.getOptimizerState().map((a) => Array.from(a)));
});

test('without a thread the learner is never thread-ready; dispose() ends the learner thread', async () => {
  expect(learner(new Discrete(3), false).threadReady).toBe(false);
  const threaded = learner(new Discrete(3), true);
  const worker = (threaded as unknown as { thread: { worker: import('node:worker_threads').Worker } }).thread.worker;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  threaded.dispose();
  await expect(exited).resolves.toBeDefined();
});

test('the learner splits by network only when the networks share no layers, have a critic and nothing couples their gradients', () => {
  const separate = layoutFor(new Discrete(3));
  const shared = modelLayout(OBS, new Discrete(3), { fcnet_hiddens: [16, 12], fcnet_activation: 'tanh', vf_share_layers: true });
  const free = { ...HP, gradClip: null };
  expect(learnerSplit(separate, free, {})).toBe('networks');
  expect(learnerSplit(separate, HP, {})).toBe('rows');
  expect(learnerSplit(shared, free, {})).toBe('rows');
  expect(learnerSplit(separate, { ...free, useCritic: false }, {})).toBe('rows');
  expect(learnerSplit(separate, free, { reduceGradients: () => {} })).toBe('rows');
});

test("gather copies the chosen rows' observations, actions, log-likelihoods, distribution inputs, V(s), advantages and value targets, in the order's order", () => {
  const space = new Box(-1, 1, [2]);
  const layout = layoutFor(space);
  const half = new LearnerHalf(new PPONetworks(layout, 4, new MlpReplicas(layout, [4]).placement(0)), layout, 0, HP);
  const batch = randomBatch(space, 10, 6);
  const order = Int32Array.of(5, 8, 1, 6, 3, 0);
  half.gather(batch, order, 2, 3); // rows 1, 6, 3
  const pick = (name: string, width: number) => [1, 6, 3].flatMap((i) => Array.from(batch.columns[name].subarray(i * width, (i + 1) * width)));
  const P = layout.policyOutputs;
  const { rows } = half;
  expect(Array.from(half.kernel.input.subarray(0, 3 * OBS))).toEqual(pick('obs', OBS));
  expect([rows.actions, rows.logp, rows.distInputs, rows.vfPreds, rows.advantages, rows.valueTargets].map((a, k) => Array.from(a.subarray(0, 3 * [2, 1, P, 1, 1, 1][k])))).toEqual([
    pick('actions', 2),
    pick(ACTION_LOGP, 1),
    pick(ACTION_DIST_INPUTS, P),
    pick(VF_PREDS, 1),
    pick(ADVANTAGES, 1),
    pick(VALUE_TARGETS, 1),
  ]);
});

test('two halves with means over the whole add up to the whole minibatch: loss terms and gradients to 1e-5', () => {
  const space = new Discrete(3);
  const layout = layoutFor(space);
  const n = 23;
  const weights = initialWeights(layout, new Random(3)).map((w, i) => w + 0.2 * Math.sin(i));
  const replicas = new MlpReplicas(layout, [n, n]);
  const [whole, part] = [0, 1].map((index) => new LearnerHalf(new PPONetworks(layout, n, replicas.placement(index)), layout, 3, HP));
  whole.kernel.params.set(weights);
  const batch = randomBatch(space, n, 4);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  whole.gather(batch, order, 0, n);
  const expected = whole.run(n, n, 0.3, 0.02, true);
  const expectedGrads = whole.kernel.grads.slice();
  // rows 0-11 then 12-22 through the same replica, summed as the learner sums its halves
  part.gather(batch, order, 0, 12);
  const first = part.run(12, n, 0.3, 0.02, true);
  const firstGrads = part.kernel.grads.slice();
  part.gather(batch, order, 12, 11);
  const second = part.run(11, n, 0.3, 0.02, true);
  for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
    expect(first[key] + second[key]).toBeCloseTo(expected[key], 5);
  }
  let diff = 0;
  let norm = 0;
  part.kernel.grads.forEach((g: number, i: number) => {
    diff += (firstGrads[i] + g - expectedGrads[i]) ** 2;
    norm += expectedGrads[i] ** 2;
  });
  expect(Math.sqrt(diff / norm)).toBeLessThan(1e-5);
  expect(norm).toBeGreaterThan(0);
});

test('Adam on the kernel (f32) follows FlatAdam (f64) to 1e-6 over six steps (odd and even counts of weights)', () => {
  const parities = new Set<number>();
  for (const hiddens of [[5], [4, 4]]) {
    const layout = modelLayout(OBS, new Discrete(2), { fcnet_hiddens: hiddens, fcnet_activation: 'tanh', vf_share_layers: false });
    const replicas = new MlpReplicas(layout, [4, 4]);
    const kernel = new MlpKernel(layout, 4, replicas.placement(0));
    const adam = new KernelAdam(kernel, replicas.m, replicas.v);
    const flat = new FlatAdam(layout.totalSize);
    const rng = new Random(5);
    kernel.params.set(initialWeights(layout, rng));
    const params = kernel.params.slice();
    for (let step = 0; step < 6; step++) {
      for (let i = 0; i < kernel.grads.length; i++) kernel.grads[i] = rng.normal() * 10 ** (step - 3);
      adam.apply(3e-3);
      flat.apply(params, kernel.grads, 3e-3);
    }
    parities.add(layout.totalSize % 2); // the kernel's two-lane loop and its leftover weight
    // a dropped bias correction or a wrong moment would move the weights by ~lr (3e-3)
    const worst = (a: Float32Array, b: Float32Array, scale: number) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / scale));
    expect(worst(kernel.params, params, 1)).toBeLessThan(1e-6);
    expect(worst(adam.m, flat.m, Math.max(...flat.m.map(Math.abs)))).toBeLessThan(1e-6);
    expect(worst(adam.v, flat.v, Math.max(...flat.v.map(Math.abs)))).toBeLessThan(1e-6);
    expect(worst(kernel.params, initialWeights(layout, new Random(5)), 1)).toBeGreaterThan(1e-3);
    expect(adam.step).toBe(6);
  }
  expect([...parities].sort()).toEqual([0, 1]);
});
