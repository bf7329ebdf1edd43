// DD-PPO's config: RLlib 1.x's ddppo.DEFAULT_CONFIG over PPO's, and its rules. The batch is not
// set but derived (each worker trains on its own rollout_fragment_length x num_envs_per_worker
// steps); the KL penalty is off, as every worker's KL would differ and RLlib refuses it.
import { z } from 'zod';
import { PPO_CONFIG, PPO_DEFAULTS, PPO_DOCS, type PPOConfig } from '../ppo/defaults.js';
import { resolveConfig, type ConfigLayer, type ConfigSpec } from '../../config/resolve.js';
import { userError } from '../../config/util.js';

export type DDPPOConfig = PPOConfig;

/** RLlib's "train_batch_size": -1, meaning "derived"; any other value is refused. */
const DERIVED = -1;

export const DDPPO_DEFAULTS: DDPPOConfig = {
  ...PPO_DEFAULTS,
  num_workers: 2,
  rollout_fragment_length: 100,
  num_envs_per_worker: 5,
  train_batch_size: DERIVED,
  sgd_minibatch_size: 50,
  num_sgd_iter: 10,
  batch_mode: 'truncate_episodes',
  kl_coeff: 0,
};

export const DDPPO_DOCS: Record<keyof DDPPOConfig, string> = {
  ...PPO_DOCS,
  num_workers: 'worker threads (>= 1), each sampling with its own envs and training on its own samples',
  train_batch_size: 'derived: rollout_fragment_length x num_envs_per_worker x num_workers (leave at -1; set rollout_fragment_length)',
  sgd_minibatch_size: "rows per SGD minibatch on each worker (<= the worker's rollout_fragment_length x num_envs_per_worker)",
  batch_mode: 'truncate_episodes only: every worker must train on the same number of minibatches',
  kl_coeff: 'must be 0: DD-PPO has no KL penalty (RLlib refuses one)',
};

const DDPPO_SHAPE = {
  ...PPO_CONFIG.shape,
  train_batch_size: z.int().describe('-1 (DD-PPO derives it)'),
};

/** Steps each worker samples and trains on per iteration. */
export function workerBatchSize(config: DDPPOConfig): number {
  return config.rollout_fragment_length * config.num_envs_per_worker;
}

/** The steps of one iteration, all workers: what RLlib's train_batch_size would be. */
export function derivedTrainBatchSize(config: DDPPOConfig): number {
  return workerBatchSize(config) * config.num_workers;
}

export const DDPPO_CONFIG: ConfigSpec<DDPPOConfig> = {
  algorithm: 'DDPPO',
  defaults: DDPPO_DEFAULTS,
  shape: DDPPO_SHAPE,
  nested: PPO_CONFIG.nested,
  // RLlib 1.x ddppo.validate_config, in its words where it has them
  check(config, sourceOf) {
    if (config.train_batch_size !== DERIVED) throw userError(`${sourceOf('train_batch_size')}: Set rollout_fragment_length instead of train_batch_size for DDPPO.`);
    if (config.num_workers < 1) throw userError(`${sourceOf('num_workers')}: DDPPO must have at least 1 worker (num_workers >= 1); there is no central learner`);
    if (config.kl_coeff !== 0) throw userError(`${sourceOf('kl_coeff')}: DDPPO doesn't support KL penalties like PPO-1; set kl_coeff to 0`);
    if (config.batch_mode !== 'truncate_episodes') {
      throw userError(`${sourceOf('batch_mode')}: DDPPO needs batch_mode truncate_episodes, so that every worker trains on the same number of minibatches`);
    }
    if (config.sgd_minibatch_size > workerBatchSize(config)) {
      throw userError(
        `${sourceOf('sgd_minibatch_size', 'rollout_fragment_length', 'num_envs_per_worker')}: sgd_minibatch_size (${config.sgd_minibatch_size}) must be <= ` +
          `rollout_fragment_length x num_envs_per_worker (${workerBatchSize(config)}), the steps each worker trains on; lower sgd_minibatch_size or raise rollout_fragment_length`,
      );
    }
  },
};

/** DDPPO_DEFAULTS < layers[0] < layers[1] < ...; see resolveConfig. */
export function resolveDDPPOConfig(layers: ConfigLayer[]): DDPPOConfig {
  return resolveConfig(DDPPO_CONFIG, layers);
}
