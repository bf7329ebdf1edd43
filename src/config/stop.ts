// RLlib / Tune stop criteria: {result key: threshold}; a run stops as soon as any result value
// reaches its threshold (result[key] >= threshold).
import { isPlainObject, show, userError } from './util.js';

const EXAMPLE = '{"training_iteration": 20, "episode_reward_mean": 195}';

/**
 * Checks a stop dict. Nested result keys are written with dots ("info.learner.kl"); a nested
 * object ({"info": {"learner": {"kl": 0.001}}}) is flattened to the same dotted keys.
 */
export function parseStopCriteria(value: unknown, source: string): Record<string, number> {
  if (!isPlainObject(value)) {
    throw userError(`${source}: stop criteria must be an object of result key -> number such as ${EXAMPLE}, got ${show(value)}`);
  }
  const criteria: Record<string, number> = {};
  const visit = (node: Record<string, unknown>, prefix: string): void => {
    for (const [key, threshold] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (isPlainObject(threshold)) {
        visit(threshold, path);
      } else if (typeof threshold === 'number' && !Number.isNaN(threshold)) {
        Object.defineProperty(criteria, path, { value: threshold, enumerable: true, writable: true, configurable: true });
      } else {
        throw userError(`${source}: stop criterion '${path}' must be a number (the run stops when the result reaches it), got ${show(threshold)}`);
      }
    }
  };
  visit(value, '');
  return criteria;
}

/** result[key], or the nested value for a dotted key ("info.learner.kl"; Tune's "info/learner/kl" too). */
export function resultValue(result: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(result, key)) return result[key];
  let node: unknown = result;
  for (const part of key.split(/[./]/)) {
    if (!isPlainObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/**
 * The first criterion the result meets, worded "<key> >= <threshold>" (e.g.
 * "training_iteration >= 20"), or null when none is met. A key missing from the result, or
 * holding something other than a number, is not met.
 */
export function stopReached(criteria: Record<string, number>, result: Record<string, unknown>): string | null {
  for (const [key, threshold] of Object.entries(criteria)) {
    const value = resultValue(result, key);
    if (typeof value === 'number' && value >= threshold) return `${key} >= ${threshold}`;
  }
  return null;
}
