// RLlib / Tune stop criteria: {result key: threshold}; a run stops as soon as any result value
// reaches its threshold (result[key] >= threshold).
import { distance } from 'fastest-levenshtein';
import { isPlainObject, show, userError } from './util.js';
import { parseJSONOrFile } from './parse.js';

const EXAMPLE = '{"training_iteration": 20, "episode_reward_mean": 195}';
const STOP_EXAMPLE = '{"training_iteration": 20}';

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

/**
 * Refuses stop criteria that would never end a run: none at all, or a key that no result holds
 * (a typo such as "training_iteraton"), naming the closest known key. `knownKeys` are dotted
 * ("info.learner.kl"); Tune's slash form ("info/learner/kl") is accepted as well.
 * `source` names where the criteria came from ("--stop", a file).
 */
export function checkStopCriteria(criteria: Record<string, number>, knownKeys: readonly string[], source: string): void {
  if (Object.keys(criteria).length === 0) {
    const example = source.startsWith('--') ? `${source} '${STOP_EXAMPLE}'` : `stop: ${STOP_EXAMPLE}`;
    throw userError(`${source}: no stop criteria, so the run would never stop; give at least one, e.g. ${example}`);
  }
  for (const key of Object.keys(criteria)) {
    if (knownKeys.includes(key.replace(/\//g, '.'))) continue;
    throw userError(`${source}: unknown stop key '${key}'; did you mean '${closestKey(key.replace(/\//g, '.'), knownKeys)}'? (no result holds it, so it would never stop the run)`);
  }
}

/**
 * For trainables whose result keys are known only when they report (rl tune's function
 * trainables): the message for the first stop key the first result lacks, or null. Ray Tune
 * checks the first result the same way, since such a key would never stop the trial.
 */
export function unreportedStopKey(criteria: Record<string, number>, result: Record<string, unknown>): string | null {
  for (const key of Object.keys(criteria)) {
    if (resultValue(result, key) !== undefined) continue;
    const reported = flattenKeys(result);
    return `stop key '${key}' is not in the trainable's results, so it would never stop the trial; did you mean '${closestKey(key.replace(/\//g, '.'), reported)}'? (reported: ${reported.join(', ')})`;
  }
  return null;
}

function flattenKeys(node: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(node).flatMap(([key, value]) => (isPlainObject(value) ? flattenKeys(value, `${prefix}${key}.`) : [`${prefix}${key}`]));
}

/** The value of a --stop flag: inline JSON or a .json/.yaml file of criteria; an empty value says what to give. */
export function parseStopFlag(flag: string, value: string, cwd: string): Record<string, number> {
  if (value.trim() === '') {
    throw userError(`${flag}: empty value; give stop criteria such as '${STOP_EXAMPLE}', or leave ${flag} out for the default of 20 iterations`);
  }
  return parseStopCriteria(parseJSONOrFile(flag, value, cwd), flag);
}

/**
 * The known key nearest to `key` by edit distance; ties go to a key of the same length, so that a
 * swapped pair of letters ("maen") suggests "mean" rather than "min".
 */
export function closestKey(key: string, knownKeys: readonly string[]): string {
  let best = knownKeys[0];
  let bestScore = Infinity;
  for (const candidate of knownKeys) {
    const score = distance(key, candidate) * 2 + (candidate.length === key.length ? 0 : 1);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
