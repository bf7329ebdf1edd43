// Config layering for any algorithm: layers (files, --config, command-line flags) merged over the
// algorithm's defaults, each key checked against its zod rule, every mistake reported as one line
// naming the layer, the key path and what the value must be (RLlib merges the same way:
// defaults < file < flags; plain objects merge key by key).
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { isPlainObject, show, userError } from './util.js';

/** One source of config keys, lowest precedence first: a config file, --config, flags... */
export interface ConfigLayer {
  /** Names the layer in error messages: "configs/ppo-cartpole.json", "--config", "command line". */
  source: string;
  /** A plain object of config keys; null and undefined are empty layers. */
  config: unknown;
}

/** An algorithm's config: its defaults, the rule of every key, and checks across keys. */
export interface ConfigSpec<C> {
  /** The algorithm's name, for messages ("the PPO config keys are ..."). */
  algorithm: string;
  defaults: C;
  /** The rule of every top-level key (describe() says what a value must be). */
  shape: z.ZodRawShape;
  /** Object-valued keys whose own keys are checked one by one (model: MODEL_SHAPE). */
  nested: Record<string, z.ZodRawShape>;
  /** Checks across keys after merging; sourceOf names the layer that set the last of the keys. */
  check?: (config: C, sourceOf: (...keys: string[]) => string) => void;
}

function unknownKey(spec: ConfigSpec<unknown>, source: string, key: string, parent: string | null): never {
  const known = Object.keys(parent === null ? spec.shape : spec.nested[parent]);
  const path = parent === null ? key : `${parent}.${key}`;
  const home = parent === null ? Object.keys(spec.nested).find((name) => Object.hasOwn(spec.nested[name], key)) : undefined;
  let hint: string;
  if (home !== undefined) {
    hint = `did you mean '${home}.${key}'?`;
  } else if (parent !== null && Object.hasOwn(spec.shape, key)) {
    hint = `did you mean '${key}' (a top-level key, outside ${parent})?`;
  } else {
    const lower = key.toLowerCase();
    const best = closest(lower, known);
    hint =
      distance(lower, best) <= Math.max(2, Math.floor(key.length / 3))
        ? `did you mean '${parent === null ? '' : `${parent}.`}${best}'?`
        : `the ${parent ?? `${spec.algorithm} config`} keys are ${known.join(', ')}`;
  }
  throw userError(`${source}: unknown config key '${path}'; ${hint}`);
}

function checkValue(source: string, path: string, schema: z.ZodType, value: unknown): void {
  if (!schema.safeParse(value).success) {
    throw userError(`${source}: '${path}' must be ${schema.description ?? 'valid'}, got ${show(value)}`);
  }
}

/** Checks one layer on its own, so that an error names the layer that holds the mistake. */
function checkLayer(spec: ConfigSpec<unknown>, source: string, config: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(spec.shape, key)) unknownKey(spec, source, key, null);
    const nested = Object.hasOwn(spec.nested, key) ? spec.nested[key] : undefined;
    if (nested) {
      if (!isPlainObject(value)) throw userError(`${source}: '${key}' must be ${(spec.shape[key] as z.ZodType).description}, got ${show(value)}`);
      for (const [inner, innerValue] of Object.entries(value)) {
        if (innerValue === undefined) continue;
        if (!Object.hasOwn(nested, inner)) unknownKey(spec, source, inner, key);
        checkValue(source, `${key}.${inner}`, nested[inner] as z.ZodType, innerValue);
      }
    } else {
      checkValue(source, key, spec.shape[key] as z.ZodType, value);
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
 * defaults < layers[0] < layers[1] < ...: plain objects (model, env_config) merge deeply,
 * arrays and scalars replace. Throws a one-line UserError naming the layer, key and fix.
 */
export function resolveConfig<C>(spec: ConfigSpec<C>, layers: ConfigLayer[]): C {
  let merged: unknown = structuredClone(spec.defaults);
  /** top-level key -> index of the last layer that set it */
  const origin = new Map<string, number>();
  layers.forEach(({ source, config }, index) => {
    if (config === undefined || config === null) return;
    if (!isPlainObject(config)) {
      throw userError(`${source}: the config must be an object of ${spec.algorithm} config keys such as {"lr": 0.0001}, got ${show(config)}`);
    }
    checkLayer(spec as ConfigSpec<unknown>, source, config);
    merged = deepMerge(merged, config);
    for (const [key, value] of Object.entries(config)) if (value !== undefined) origin.set(key, index);
  });
  const sourceOf = (...keys: string[]): string => {
    const index = Math.max(-1, ...keys.map((key) => origin.get(key) ?? -1));
    return index >= 0 ? layers[index].source : `${spec.algorithm} defaults`;
  };
  const parsed = z.strictObject(spec.shape).safeParse(merged);
  if (!parsed.success) {
    // Unreachable while every layer passed checkLayer and the defaults are valid; kept as a guard.
    const path = parsed.error.issues[0]?.path.map(String) ?? [];
    throw userError(`${sourceOf(path[0] ?? '')}: invalid config at '${path.join('.')}': ${parsed.error.issues[0]?.message}`);
  }
  const config = parsed.data as C;
  spec.check?.(config, sourceOf);
  return config;
}
