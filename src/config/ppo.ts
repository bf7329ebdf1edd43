// The PPO config as the user writes it: layers (files, --config, command-line flags) merged over
// PPO_DEFAULTS, each key checked against a zod schema that mirrors PPOConfig, every mistake
// reported as one line naming the layer, the key path and what the value must be.
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { PPO_DEFAULTS, type PPOConfig } from '../algorithms/ppo/defaults.js';
import { isPlainObject, show, userError } from './util.js';

/** One source of config keys, lowest precedence first: a config file, --config, flags... */
export interface ConfigLayer {
  /** Names the layer in error messages: "configs/ppo-cartpole.json", "--config", "command line". */
  source: string;
  /** A plain object of PPO config keys; null and undefined are empty layers. */
  config: unknown;
}

const enumOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values).describe(`one of ${values.map((v) => `'${v}'`).join(', ')}`);

const positiveInt = () => z.int().positive().describe('a positive integer');
const nonNegativeNumber = () => z.number().nonnegative().describe('a number >= 0');
const bool = () => z.boolean().describe('true or false');

/** RLlib's [[t0, v0], [t1, v1], ...]: piecewise linear in timesteps. */
const schedule = () =>
  z
    .array(z.tuple([z.number().nonnegative(), z.number().nonnegative()]))
    .refine((pairs) => pairs.every((pair, i) => i === 0 || pair[0] > pairs[i - 1][0]))
    .nullable()
    .describe('null or a list of [timestep, value] pairs with increasing timesteps, e.g. [[0, 0.001], [1000000, 0.0001]]');

const modelShape = {
  fcnet_hiddens: z.array(z.int().positive()).describe('a list of positive integers (hidden layer sizes, e.g. [256, 256]; [] for none)'),
  fcnet_activation: enumOf(['tanh', 'relu', 'linear']),
  vf_share_layers: bool(),
  free_log_std: bool(),
};

const configShape = {
  env: z.string().min(1).nullable().describe('an env id such as "CartPole-v1" or null'),
  env_config: z.record(z.string(), z.unknown()).describe('an object (passed to the env)'),
  num_workers: z.int().nonnegative().describe('a non-negative integer'),
  num_envs_per_worker: positiveInt(),
  rollout_fragment_length: positiveInt(),
  batch_mode: enumOf(['truncate_episodes', 'complete_episodes']),
  train_batch_size: positiveInt(),
  sgd_minibatch_size: positiveInt(),
  num_sgd_iter: positiveInt(),
  shuffle_sequences: bool(),
  lr: z.number().positive().describe('a number > 0'),
  lr_schedule: schedule(),
  gamma: z.number().min(0).max(1).describe('a number in [0, 1]'),
  lambda: z.number().min(0).max(1).describe('a number in [0, 1]'),
  use_gae: bool(),
  use_critic: bool(),
  clip_param: z.number().positive().describe('a number > 0'),
  vf_clip_param: z.number().positive().describe('a number > 0'),
  vf_loss_coeff: nonNegativeNumber(),
  entropy_coeff: nonNegativeNumber(),
  entropy_coeff_schedule: schedule(),
  kl_coeff: nonNegativeNumber(),
  kl_target: nonNegativeNumber(),
  grad_clip: z.number().positive().nullable().describe('null (no clipping) or a number > 0'),
  observation_filter: enumOf(['NoFilter', 'MeanStdFilter']),
  clip_actions: bool(),
  model: z
    .strictObject(modelShape)
    .describe('an object such as {"fcnet_hiddens": [256, 256], "fcnet_activation": "tanh", "vf_share_layers": false}'),
  metrics_smoothing_episodes: positiveInt(),
  horizon: z.int().positive().nullable().describe("null (the env's own time limit) or a positive integer"),
  seed: z.int().nullable().describe('null or an integer'),
  num_cpus_per_worker: nonNegativeNumber(),
  // Accepted from RLlib configs and otherwise ignored.
  num_cpus_for_driver: nonNegativeNumber(),
  num_gpus: nonNegativeNumber(),
  log_level: enumOf(['DEBUG', 'INFO', 'WARN', 'ERROR']),
  framework: z.string().describe('a string such as "tf" or "torch" (ignored: the learner runs on tfjs)'),
};

/** The whole, resolved PPO config. */
export const ppoConfigSchema = z.strictObject(configShape);

// Compile-time guard: the schema and PPOConfig must describe the same type, so a key added to
// defaults.ts without a rule here (or the other way round) fails the build.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesPPOConfig: Same<z.output<typeof ppoConfigSchema>, PPOConfig> = true;
void schemaMatchesPPOConfig;

const TOP_KEYS = Object.keys(configShape);
const MODEL_KEYS = Object.keys(modelShape);

function unknownKey(source: string, key: string, inModel: boolean): never {
  const known = inModel ? MODEL_KEYS : TOP_KEYS;
  const path = inModel ? `model.${key}` : key;
  let hint: string;
  if (!inModel && Object.hasOwn(modelShape, key)) {
    hint = `did you mean 'model.${key}'?`;
  } else if (inModel && Object.hasOwn(configShape, key)) {
    hint = `did you mean '${key}' (a top-level key, outside model)?`;
  } else {
    const lower = key.toLowerCase();
    const best = closest(lower, known);
    hint =
      distance(lower, best) <= Math.max(2, Math.floor(key.length / 3))
        ? `did you mean '${inModel ? 'model.' : ''}${best}'?`
        : `the ${inModel ? 'model' : 'PPO config'} keys are ${known.join(', ')}`;
  }
  throw userError(`${source}: unknown config key '${path}'; ${hint}`);
}

function checkValue(source: string, path: string, schema: z.ZodType, value: unknown): void {
  if (!schema.safeParse(value).success) {
    throw userError(`${source}: '${path}' must be ${schema.description ?? 'valid'}, got ${show(value)}`);
  }
}

/** Checks one layer on its own, so that an error names the layer that holds the mistake. */
function checkLayer(source: string, config: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(configShape, key)) unknownKey(source, key, false);
    if (key === 'model') {
      if (!isPlainObject(value)) throw userError(`${source}: 'model' must be ${configShape.model.description}, got ${show(value)}`);
      for (const [modelKey, modelValue] of Object.entries(value)) {
        if (modelValue === undefined) continue;
        if (!Object.hasOwn(modelShape, modelKey)) unknownKey(source, modelKey, true);
        checkValue(source, `model.${modelKey}`, modelShape[modelKey as keyof typeof modelShape], modelValue);
      }
    } else {
      checkValue(source, key, configShape[key as keyof typeof configShape], value);
    }
  }
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, so that a "__proto__" key stays a plain key
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Plain objects merge key by key, recursively; anything else (arrays, scalars, null) replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) setOwn(out, key, value);
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    setOwn(out, key, deepMerge(Object.hasOwn(out, key) ? out[key] : undefined, value));
  }
  return out;
}

/**
 * PPO_DEFAULTS < layers[0] < layers[1] < ...: plain objects (model, env_config) merge deeply,
 * arrays and scalars replace. Throws a one-line UserError naming the layer, key and fix.
 */
export function resolvePPOConfig(layers: ConfigLayer[]): PPOConfig {
  let merged: unknown = structuredClone(PPO_DEFAULTS);
  /** top-level key -> index of the last layer that set it */
  const origin = new Map<string, number>();
  layers.forEach(({ source, config }, index) => {
    if (config === undefined || config === null) return;
    if (!isPlainObject(config)) {
      throw userError(`${source}: the config must be an object of PPO config keys such as {"lr": 0.0001}, got ${show(config)}`);
    }
    checkLayer(source, config);
    merged = deepMerge(merged, config);
    for (const [key, value] of Object.entries(config)) if (value !== undefined) origin.set(key, index);
  });
  const sourceOf = (...keys: string[]): string => {
    const index = Math.max(-1, ...keys.map((key) => origin.get(key) ?? -1));
    return index >= 0 ? layers[index].source : 'PPO defaults';
  };

  const parsed = ppoConfigSchema.safeParse(merged);
  if (!parsed.success) {
    // Unreachable while every layer passed checkLayer and PPO_DEFAULTS is valid; kept as a guard.
    const path = parsed.error.issues[0]?.path.map(String) ?? [];
    throw userError(`${sourceOf(path[0] ?? '')}: invalid config at '${path.join('.')}': ${parsed.error.issues[0]?.message}`);
  }
  const config: PPOConfig = parsed.data;
  if (config.sgd_minibatch_size > config.train_batch_size) {
    throw userError(
      `${sourceOf('sgd_minibatch_size', 'train_batch_size')}: sgd_minibatch_size (${config.sgd_minibatch_size}) must be <= ` +
        `train_batch_size (${config.train_batch_size}); lower sgd_minibatch_size or raise train_batch_size`,
    );
  }
  return config;
}
