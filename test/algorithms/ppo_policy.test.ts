// PPOPolicy on its own (the rollout tests reach it through a worker): the columns it records, its
// distribution inputs and V(s) as the learner's networks (PPONetworks) compute them from the same
// weights, free_log_std's log-stds appended, sampled and greedy actions with their log-likelihoods,
// more rows than its batch, and GAE per segment with the config's gamma, lambda, use_gae and use_critic.
import { describe, expect, test } from '@jest/globals';
import { Box, Discrete, type Space } from '../../src/envs/spaces.js';
import { Random } from '../../src/utils/random.js';
import { NEW_OBS, REWARDS, TERMINATED, allocateBatch } from '../../src/execution/sample_batch.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { ACTION_DIST_INPUTS, ACTION_LOGP, ADVANTAGES, PPOPolicy, VALUE_TARGETS, VF_PREDS, makePPOPolicy } from '../../src/algorithms/ppo/policy.js';
import { PPONetworks, ppoModelLayout } from '../../src/algorithms/ppo/model.js';
import { computeAdvantages } from '../../src/algorithms/ppo/postprocessing.js';
import { distributionFor } from '../../src/policy/distributions.js';

const O = 3;

function ppoConfig(model: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', model: { fcnet_hiddens: [5], ...model }, ...overrides } }]);
}

function setUp(space: Space, model: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}, batch = 2) {
  const config = ppoConfig(model, overrides);
  const policy = new PPOPolicy({ observationSize: O, actionSpace: space, config, batch });
  const rng = new Random(17);
  const weights = Float32Array.from({ length: policy.layout.totalSize }, () => 0.6 * rng.normal());
  policy.setWeights(weights);
  const nets = new PPONetworks(ppoModelLayout(O, space, config.model), 8);
  nets.params.set(weights);
  /** The learner's distribution inputs and values of these rows. */
  const reference = (obs: Float32Array, rows: number) => {
    nets.input.set(obs.subarray(0, rows * O));
    nets.forward(rows);
    return { dist: nets.distInputs.slice(0, rows * policy.layout.policyOutputs), values: nets.values.slice(0, rows) };
  };
  return { policy, reference, rng };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, digits = 5) => Array.from(a).forEach((x, i) => expect(x).toBeCloseTo(b[i], digits));

describe('PPOPolicy.computeActions', () => {
  test.each([
    { name: 'Discrete(3)', space: new Discrete(3), model: {}, P: 3, A: 1 },
    { name: 'Box(2)', space: new Box(-1, 1, [2]), model: {}, P: 4, A: 2 },
    { name: 'Box(2) with free_log_std', space: new Box(-1, 1, [2]), model: { free_log_std: true }, P: 4, A: 2 },
  ])('$name: the columns, the networks\' outputs, sampled and greedy actions with their logp, beyond the batch size', ({ space, model, P, A }) => {
    const { policy, reference, rng } = setUp(space, model);
    expect(policy.extraColumns).toEqual({ [ACTION_LOGP]: 1, [ACTION_DIST_INPUTS]: P, [VF_PREDS]: 1 });
    expect(policy.actionSize).toBe(A);
    const dist = distributionFor(space);
    for (const rows of [2, 6]) {
      const obs = Float32Array.from({ length: rows * O }, () => rng.normal());
      const expected = reference(obs, rows);
      for (const stochastic of [true, false]) {
        const extras = { [ACTION_LOGP]: new Float32Array(rows).fill(9), [ACTION_DIST_INPUTS]: new Float32Array(rows * P).fill(9), [VF_PREDS]: new Float32Array(rows).fill(9) };
        const actions = new Float32Array(rows * A).fill(9);
        policy.computeActions(obs, rows, stochastic, new Random(3), actions, extras);
        close(extras[ACTION_DIST_INPUTS], expected.dist);
        close(extras[VF_PREDS], expected.values);
        const greedy = new Float32Array(rows * A);
        for (let i = 0; i < rows; i++) {
          expect(extras[ACTION_LOGP][i]).toBeCloseTo(dist.logp(expected.dist, i * P, actions, i * A), 4);
          dist.deterministic(expected.dist, i * P, greedy, i * A);
        }
        if (stochastic) {
          // the draws are the distribution's own, from the same generator
          const drawn = new Float32Array(rows * A);
          const draws = new Random(3);
          for (let i = 0; i < rows; i++) dist.sample(expected.dist, i * P, draws, drawn, i * A);
          close(actions, drawn, 4);
          if (rows === 6) expect(Array.from(actions)).not.toEqual(Array.from(greedy));
        } else {
          close(actions, greedy);
        }
      }
      // without the optional columns: only the actions, from this call's observations
      const alone = new Float32Array(rows * A);
      policy.computeActions(obs, rows, false, new Random(3), alone, {});
      const greedy = new Float32Array(rows * A);
      for (let i = 0; i < rows; i++) dist.deterministic(expected.dist, i * P, greedy, i * A);
      close(alone, greedy);
    }
  });

  test('free_log_std: the log-stds in the distribution inputs are the weights\' log_std parameters', () => {
    const { policy } = setUp(new Box(-1, 1, [2]), { free_log_std: true });
    const weights = new Float32Array(policy.layout.totalSize);
    weights.set([0.75, -0.5], policy.layout.logStdOffset!);
    policy.setWeights(weights);
    const extras = { [ACTION_DIST_INPUTS]: new Float32Array(8) };
    policy.computeActions(new Float32Array(2 * O).fill(1), 2, false, new Random(1), new Float32Array(4), extras);
    expect(Array.from(extras[ACTION_DIST_INPUTS])).toEqual([0, 0, 0.75, -0.5, 0, 0, 0.75, -0.5]);
  });
});

describe('PPOPolicy.value and postprocess', () => {
  test('value: V(s) of the observation at an offset', () => {
    const { policy, reference, rng } = setUp(new Discrete(2));
    const obs = Float32Array.from({ length: 3 * O }, () => rng.normal());
    const { values } = reference(obs, 3);
    expect(policy.value(obs, 2 * O)).toBeCloseTo(values[2], 5);
    expect(policy.value(obs, O)).toBeCloseTo(values[1], 5);
  });

  test.each([
    { use_gae: true, use_critic: true },
    { use_gae: false, use_critic: true },
    { use_gae: false, use_critic: false },
  ])('GAE per segment with use_gae $use_gae, use_critic $use_critic: 0 after a terminated end, V(new_obs) after a cut', (flags) => {
    const overrides = { gamma: 0.8, lambda: 0.6, ...flags };
    const { policy, reference } = setUp(new Discrete(2), {}, overrides);
    const policy2 = makePPOPolicy({ observationSize: O, actionSpace: new Discrete(2), config: ppoConfig({}, overrides), batch: 2 });
    expect(policy2).toBeInstanceOf(PPOPolicy);
    const rows = 5;
    const batch = allocateBatch(rows, { [REWARDS]: 1, [VF_PREDS]: 1, [TERMINATED]: 1, [NEW_OBS]: O });
    batch.columns[REWARDS].set([1, -2, 0.5, 3, 1.5]);
    batch.columns[VF_PREDS].set([0.2, -0.4, 0.3, 1, -1]);
    batch.columns[TERMINATED].set([0, 1, 0, 0, 0]);
    batch.columns[NEW_OBS].forEach((_, i, a) => (a[i] = Math.cos(i)));
    policy.postprocess(batch, [
      [0, 2],
      [2, 5],
    ]);
    const advantages = new Float32Array(rows);
    const targets = new Float32Array(rows);
    const options = { gamma: 0.8, lambda: 0.6, useGae: flags.use_gae, useCritic: flags.use_critic };
    computeAdvantages(batch.columns[REWARDS], batch.columns[VF_PREDS], 0, options, advantages, targets, 0, 2);
    const lastValue = reference(batch.columns[NEW_OBS].subarray(4 * O), 1).values[0];
    expect(Math.abs(lastValue)).toBeGreaterThan(1e-3);
    computeAdvantages(batch.columns[REWARDS], batch.columns[VF_PREDS], lastValue, options, advantages, targets, 2, 5);
    close(batch.columns[ADVANTAGES], advantages);
    close(batch.columns[VALUE_TARGETS], targets);
  });
});
