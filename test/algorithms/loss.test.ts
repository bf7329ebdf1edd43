// The PPO loss terms on a minibatch worked out by hand (numbers in the comments).
import { expect, test } from '@jest/globals';
import { Discrete } from '../../src/index.js';
import { ppoModelLayout as modelLayout } from '../../src/algorithms/ppo/model.js';
import { PPOLearner } from '../../src/algorithms/ppo/learner.js';
import { allocateBatch } from '../../src/execution/sample_batch.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, VALUE_TARGETS, VF_PREDS } from '../../src/algorithms/ppo/policy.js';
import { initBackend } from '../../src/utils/tensor_backend.js';

test('surrogate clipping, value clipping, KL and entropy on a hand-worked minibatch', async () => {
  await initBackend('wasm');
  // No hidden layers: logits = obs W + b. W = 0, b = [0, ln 3]: p = [0.25, 0.75] for every obs; V = 2.
  const layout = modelLayout(2, new Discrete(2), { fcnet_hiddens: [], fcnet_activation: 'tanh', vf_share_layers: false });
  const weights = new Float32Array(layout.totalSize);
  const policyOut = layout.layers[layout.policyPath[0]];
  const valueOut = layout.layers[layout.valuePath[0]];
  weights[policyOut.biasOffset + 1] = Math.log(3);
  weights[valueOut.biasOffset] = 2;
  const hp = { clipParam: 0.3, vfClipParam: 0.2, vfLossCoeff: 1, klTarget: 0.01, gradClip: null, numSgdIter: 1, sgdMinibatchSize: 2, shuffleSequences: false, useCritic: true };
  const learner = new PPOLearner(layout, 2, hp, weights, 0.2, 1e-3);

  const batch = allocateBatch(2, { obs: 2, actions: 1, [ACTION_LOGP]: 1, [ACTION_DIST_INPUTS]: 2, [ADVANTAGES]: 1, [VF_PREDS]: 1, [VALUE_TARGETS]: 1 });
  const { columns } = batch;
  columns.obs.set([0.3, -1, 2, 0.5]);
  columns.actions.set([1, 0]);
  columns[ACTION_LOGP].set([Math.log(0.5), Math.log(0.5)]); // sampled from the uniform policy...
  columns[ACTION_DIST_INPUTS].set([0, 0, 0, 0]); // ...whose logits were 0, 0
  columns[ADVANTAGES].set([1, -1]);
  columns[VF_PREDS].set([2.5, 1.5]);
  columns[VALUE_TARGETS].set([3, 2.1]);
  const terms = learner.evaluate(batch, 0.01);

  // ratios 0.75/0.5 = 1.5 (A=+1: min(1.5, clip 1.3) = 1.3) and 0.25/0.5 = 0.5 (A=-1: min(-0.5, -0.7) = -0.7)
  expect(terms.policy_loss).toBeCloseTo(-(1.3 - 0.7) / 2, 5);
  // KL(uniform || [0.25, 0.75]) = 0.5 ln 2 + 0.5 ln(2/3) = 0.5 ln(4/3)
  expect(terms.kl).toBeCloseTo(0.5 * Math.log(4 / 3), 5);
  const entropy = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
  expect(terms.entropy).toBeCloseTo(entropy, 5);
  // V = 2. Sample 1: (2-3)^2 = 1; clipped 2.5 + clip(-0.5, +-0.2) = 2.3 -> 0.49; max 1.
  // Sample 2: (2-2.1)^2 = 0.01; clipped 1.5 + 0.2 = 1.7 -> 0.16; max 0.16. Mean 0.58.
  expect(terms.vf_loss).toBeCloseTo(0.58, 5);
  expect(terms.total_loss).toBeCloseTo(-0.3 + 0.2 * 0.5 * Math.log(4 / 3) + 0.58 - 0.01 * entropy, 5);
  learner.dispose();
});
