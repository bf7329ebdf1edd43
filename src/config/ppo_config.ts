// Merges user config layers over PPO_DEFAULTS (defaults < file < flags), refusing unknown keys
// with the closest known one.
import { closest } from 'fastest-levenshtein';
import { UserError } from '../../utils/errors.js';
import { PPO_DEFAULTS, type PPOConfig } from './defaults.js';

export interface ConfigLayer {
  source: string;
  config: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeInto(target: Record<string, unknown>, layer: Record<string, unknown>, defaults: Record<string, unknown>, source: string, prefix: string): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!(key in defaults)) {
      const known = Object.keys(defaults);
      throw new UserError(`${source}: unknown config key '${path}'; did you mean '${prefix ? `${prefix}.` : ''}${closest(key, known)}'?`);
    }
    const base = defaults[key];
    if (isPlainObject(base) && Object.keys(base).length > 0) {
      if (!isPlainObject(value)) throw new UserError(`${source}: '${path}' must be an object`);
      const nested = { ...(target[key] as Record<string, unknown>) };
      mergeInto(nested, value, base, source, path);
      target[key] = nested;
    } else {
      target[key] = value;
    }
  }
}

export function resolvePPOConfig(layers: ConfigLayer[]): PPOConfig {
  const merged = structuredClone(PPO_DEFAULTS) as unknown as Record<string, unknown>;
  for (const { source, config } of layers) {
    if (config === undefined || config === null) continue;
    if (!isPlainObject(config)) throw new UserError(`${source}: the config must be a JSON object`);
    mergeInto(merged, config, PPO_DEFAULTS as unknown as Record<string, unknown>, source, '');
  }
  const config = merged as unknown as PPOConfig;
  if (config.sgd_minibatch_size > config.train_batch_size) {
    throw new UserError(`sgd_minibatch_size (${config.sgd_minibatch_size}) must be <= train_batch_size (${config.train_batch_size})`);
  }
  return config;
}

/** RLlib's stop dict: the first criterion a result reaches stops the run. */
export function stopReached(criteria: Record<string, number>, result: Record<string, unknown>): string | null {
  for (const [key, threshold] of Object.entries(criteria)) {
    const value = key.split('.').reduce<unknown>((node, part) => (isPlainObject(node) ? node[part] : undefined), result);
    if (typeof value === 'number' && value >= threshold) return `${key} >= ${threshold}`;
  }
  return null;
}
