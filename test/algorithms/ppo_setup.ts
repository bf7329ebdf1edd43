// The PPO learner tests' fixture: a small model over three observations and a batch sampled from
// the networks' own distribution with random advantages and value targets.
import { Box, Random } from '../../src/index.js';
import type { Space } from '../../src/envs/spaces.js';
import { ppoModelLayout as modelLayout } from '../../src/algorithms/ppo/model.js';
import { allocateBatch, type SampleBatch } from '../../src/execution/sample_batch.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, VALUE_TARGETS, VF_PREDS } from '../../src/algorithms/ppo/policy.js';
import type { LearnerHyperparams } from '../../src/algorithms/ppo/learner.js';
import { distributionFor } from '../../src/policy/distributions.js';

export const OBS = 3;
export const HP: LearnerHyperparams = { clipParam: 0.2, vfClipParam: 2, vfLossCoeff: 0.5, klTarget: 0.01, gradClip: 4, numSgdIter: 3, sgdMinibatchSize: 25, shuffleSequences: true, useCritic: true };

export function layoutFor(space: Space) {
  return modelLayout(OBS, space, { fcnet_hiddens: [16, 12], fcnet_activation: 'tanh', vf_share_layers: false, free_log_std: space instanceof Box });
}

/** A batch sampled from the networks' own distribution at weights w, with random advantages. */
export function randomBatch(space: Space, count: number, seed: number): SampleBatch {
  const rng = new Random(seed);
  const dist = distributionFor(space);
  const batch = allocateBatch(count, { obs: OBS, actions: dist.actionSize, [ACTION_LOGP]: 1, [ACTION_DIST_INPUTS]: dist.inputSize, [ADVANTAGES]: 1, [VF_PREDS]: 1, [VALUE_TARGETS]: 1 });
  const c = batch.columns;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < OBS; k++) c.obs[i * OBS + k] = rng.normal();
    for (let k = 0; k < dist.inputSize; k++) c[ACTION_DIST_INPUTS][i * dist.inputSize + k] = 0.5 * rng.normal();
    c[ACTION_LOGP][i] = dist.sample(c[ACTION_DIST_INPUTS], i * dist.inputSize, rng, c.actions, i * dist.actionSize);
    c[VF_PREDS][i] = rng.normal();
    c[ADVANTAGES][i] = rng.normal();
    c[VALUE_TARGETS][i] = c[VF_PREDS][i] + 3 * rng.normal();
  }
  return batch;
}
