// PPO's config: RLlib 1.x's ppo.DEFAULT_CONFIG over the common keys, what each key means, and
// the rules a value must follow. A user's config is merged over these: defaults < file < flags.
import { z } from 'zod';
import {
  COMMON_DEFAULTS,
  COMMON_DOCS,
  COMMON_SHAPE,
  MODEL_SHAPE,
  bool,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  schedule,
  unitInterval,
  type CommonConfig,
  type Schedule,
} from '../../config/common.js';
import { resolveConfig, type ConfigLayer, type ConfigSpec } from '../../config/resolve.js';
import { userError } from '../../config/util.js';

export type { Activation, ModelConfig, Schedule } from '../../config/common.js';

export interface PPOConfig extends CommonConfig {
  sgd_minibatch_size: number;
  num_sgd_iter: number;
  shuffle_sequences: boolean;
  lr_schedule: Schedule | null;
  lambda: number;
  use_gae: boolean;
  use_critic: boolean;
  clip_param: number;
  vf_clip_param: number;
  vf_loss_coeff: number;
  entropy_coeff: number;
  entropy_coeff_schedule: Schedule | null;
  kl_coeff: number;
  kl_target: number;
  grad_clip: number | null;
}

export const PPO_DEFAULTS: PPOConfig = {
  ...COMMON_DEFAULTS,
  train_batch_size: 4000,
  lr: 5e-5,
  sgd_minibatch_size: 128,
  num_sgd_iter: 30,
  shuffle_sequences: true,
  lr_schedule: null,
  lambda: 1.0,
  use_gae: true,
  use_critic: true,
  clip_param: 0.3,
  vf_clip_param: 10.0,
  vf_loss_coeff: 1.0,
  entropy_coeff: 0.0,
  entropy_coeff_schedule: null,
  kl_coeff: 0.2,
  kl_target: 0.01,
  grad_clip: null,
};

/** What each PPO key means, one line each. */
export const PPO_DOCS: Record<keyof PPOConfig, string> = {
  ...COMMON_DOCS,
  sgd_minibatch_size: 'rows per SGD minibatch (<= train_batch_size)',
  num_sgd_iter: 'epochs of minibatch SGD over each train batch',
  shuffle_sequences: 'shuffle the batch before each epoch',
  lr_schedule: 'piecewise-linear lr over timesteps, [[t0, lr0], [t1, lr1], ...] (replaces lr)',
  lambda: 'GAE lambda: 1 is Monte-Carlo advantages, 0 one-step TD',
  use_gae: 'generalised advantage estimation (false: discounted returns minus V)',
  use_critic: 'learn a value function as baseline (use_gae needs it)',
  clip_param: "PPO's surrogate clip: how far the probability ratio may leave 1",
  vf_clip_param: 'how far V may move from its value at sampling time in the value loss',
  vf_loss_coeff: 'weight of the value loss in the total loss',
  entropy_coeff: 'weight of the entropy bonus',
  entropy_coeff_schedule: 'piecewise-linear entropy_coeff over timesteps (replaces entropy_coeff)',
  kl_coeff: 'initial weight of the KL penalty, adapted towards kl_target after each iteration',
  kl_target: 'the KL between old and new policy that kl_coeff aims for',
  grad_clip: 'global-norm gradient clipping (null: none)',
};

const PPO_SHAPE = {
  ...COMMON_SHAPE,
  sgd_minibatch_size: positiveInt(),
  num_sgd_iter: positiveInt(),
  shuffle_sequences: bool(),
  lr_schedule: schedule(),
  lambda: unitInterval(),
  use_gae: bool(),
  use_critic: bool(),
  clip_param: positiveNumber(),
  vf_clip_param: positiveNumber(),
  vf_loss_coeff: nonNegativeNumber(),
  entropy_coeff: nonNegativeNumber(),
  entropy_coeff_schedule: schedule(),
  kl_coeff: nonNegativeNumber(),
  kl_target: nonNegativeNumber(),
  grad_clip: z.number().positive().nullable().describe('null (no clipping) or a number > 0'),
};

/** The whole, resolved PPO config. */
export const ppoConfigSchema = z.strictObject(PPO_SHAPE);

// Compile-time guard: the schema and PPOConfig must describe the same type, so a key added to
// the defaults without a rule here (or the other way round) fails the build.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesPPOConfig: Same<z.output<typeof ppoConfigSchema>, PPOConfig> = true;
void schemaMatchesPPOConfig;

export const PPO_CONFIG: ConfigSpec<PPOConfig> = {
  algorithm: 'PPO',
  defaults: PPO_DEFAULTS,
  shape: PPO_SHAPE,
  nested: { model: MODEL_SHAPE },
  check(config, sourceOf) {
    if (config.sgd_minibatch_size > config.train_batch_size) {
      throw userError(
        `${sourceOf('sgd_minibatch_size', 'train_batch_size')}: sgd_minibatch_size (${config.sgd_minibatch_size}) must be <= ` +
          `train_batch_size (${config.train_batch_size}); lower sgd_minibatch_size or raise train_batch_size`,
      );
    }
  },
};

/** PPO_DEFAULTS < layers[0] < layers[1] < ...; see resolveConfig. */
export function resolvePPOConfig(layers: ConfigLayer[]): PPOConfig {
  return resolveConfig(PPO_CONFIG, layers);
}
