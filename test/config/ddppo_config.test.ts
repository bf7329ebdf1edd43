// DD-PPO's config in process: RLlib 1.x's ddppo.DEFAULT_CONFIG over PPO's, the batch each worker
// trains on and the iteration's derived total, and validate_config's refusals, each blaming the
// layer that set the key (ddppo.test.ts runs two of them through the command line).
import { describe, expect, test } from '@jest/globals';
import { DDPPO_CONFIG, DDPPO_DEFAULTS, DDPPO_DOCS, derivedTrainBatchSize, resolveDDPPOConfig, workerBatchSize } from '../../src/algorithms/ddppo/defaults.js';
import { PPO_DEFAULTS, PPO_DOCS } from '../../src/algorithms/ppo/defaults.js';
import type { ConfigLayer } from '../../src/config/index.js';
import { userErrorOf } from '../helpers.js';

const one = (config: unknown, source = 'configs/ddppo.yaml'): ConfigLayer[] => [{ source, config }];
const messageFor = (config: unknown) => userErrorOf(() => resolveDDPPOConfig(one(config))).message;

describe('DD-PPO defaults', () => {
  test("RLlib 1.x's ddppo.DEFAULT_CONFIG over PPO's", () => {
    expect(DDPPO_DEFAULTS).toEqual({
      ...PPO_DEFAULTS,
      num_workers: 2,
      rollout_fragment_length: 100,
      num_envs_per_worker: 5,
      train_batch_size: -1,
      sgd_minibatch_size: 50,
      num_sgd_iter: 10,
      batch_mode: 'truncate_episodes',
      kl_coeff: 0,
    });
    expect(resolveDDPPOConfig([])).toEqual(DDPPO_DEFAULTS);
    expect(DDPPO_CONFIG.algorithm).toBe('DDPPO');
    // its own meanings where they differ from PPO's, PPO's elsewhere
    expect(DDPPO_DOCS.kl_coeff).toMatch(/must be 0/);
    expect(DDPPO_DOCS.lr).toBe(PPO_DOCS.lr);
  });

  test("each worker trains on rollout_fragment_length x num_envs_per_worker steps; an iteration on that times num_workers", () => {
    const config = resolveDDPPOConfig(one({ rollout_fragment_length: 30, num_envs_per_worker: 3, num_workers: 4, sgd_minibatch_size: 45 }));
    expect([workerBatchSize(config), derivedTrainBatchSize(config)]).toEqual([90, 360]);
  });
});

describe("DD-PPO's refusals (RLlib's validate_config)", () => {
  test.each([
    [{ train_batch_size: 1000 }, 'configs/ddppo.yaml: Set rollout_fragment_length instead of train_batch_size for DDPPO.'],
    [{ num_workers: 0 }, 'configs/ddppo.yaml: DDPPO must have at least 1 worker (num_workers >= 1); there is no central learner'],
    [{ kl_coeff: 0.2 }, "configs/ddppo.yaml: DDPPO doesn't support KL penalties like PPO-1; set kl_coeff to 0"],
    [{ batch_mode: 'complete_episodes' }, 'configs/ddppo.yaml: DDPPO needs batch_mode truncate_episodes, so that every worker trains on the same number of minibatches'],
    [
      { rollout_fragment_length: 10, num_envs_per_worker: 2, sgd_minibatch_size: 21 },
      'configs/ddppo.yaml: sgd_minibatch_size (21) must be <= rollout_fragment_length x num_envs_per_worker (20), the steps each worker trains on; lower sgd_minibatch_size or raise rollout_fragment_length',
    ],
  ])('%j', (config, message) => {
    expect(messageFor(config)).toBe(message);
  });

  test.each([
    ['sgd_minibatch_size', { rollout_fragment_length: 10, num_envs_per_worker: 2 }, { sgd_minibatch_size: 21 }],
    ['rollout_fragment_length', { sgd_minibatch_size: 21, num_envs_per_worker: 2 }, { rollout_fragment_length: 10 }],
    ['num_envs_per_worker', { sgd_minibatch_size: 21, rollout_fragment_length: 10 }, { num_envs_per_worker: 2 }],
  ])('a minibatch larger than the worker batch is blamed on the later layer, here the one that set %s', (_key, first, second) => {
    const message = userErrorOf(() =>
      resolveDDPPOConfig([
        { source: 'configs/ddppo.yaml', config: first },
        { source: '--config', config: second },
      ]),
    ).message;
    expect(message).toMatch(/^--config: sgd_minibatch_size \(21\) must be <= rollout_fragment_length x num_envs_per_worker \(20\)/);
  });

  test('the edges are accepted: one worker, a minibatch of exactly the worker batch', () => {
    const config = resolveDDPPOConfig(one({ num_workers: 1, rollout_fragment_length: 10, num_envs_per_worker: 2, sgd_minibatch_size: 20 }));
    expect([config.num_workers, config.sgd_minibatch_size]).toEqual([1, 20]);
  });

  test("train_batch_size's rule is an integer (-1)", () => {
    expect(messageFor({ train_batch_size: 0.5 })).toBe("configs/ddppo.yaml: 'train_batch_size' must be -1 (DD-PPO derives it), got 0.5");
  });
});
