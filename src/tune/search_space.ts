// Tune's search spaces inside a config: grid_search entries are crossed (the first one found
// varies fastest, as the book's Table 3-2 lists its rows), random entries (choice, uniform,
// quniform, loguniform, randint) are drawn for each of num_samples repetitions of the grid.
import { Random } from '../utils/random.js';
import { UserError } from '../utils/errors.js';
import { isPlainObject } from '../config/util.js';

type Json = unknown;
const RANDOM_KINDS = ['choice', 'uniform', 'quniform', 'loguniform', 'randint'] as const;
export type RandomKind = (typeof RANDOM_KINDS)[number];

/** A path into the config: object keys and array indices. */
export type ConfigPath = (string | number)[];

export interface Variant {
  config: Record<string, unknown>;
  /** Each searched value by its path label, e.g. {'fcnet_hiddens[0]': 20}. */
  varied: Record<string, unknown>;
}

interface Found {
  path: ConfigPath;
  kind: 'grid_search' | RandomKind;
  spec: unknown;
}

/** The search-space kind a config node is ({"loguniform": [...]} -> 'loguniform'), or null for ordinary values. */
export function searchKind(node: Record<string, unknown>): Found['kind'] | null {
  const keys = Object.keys(node);
  if (keys.length !== 1) return null;
  const key = keys[0];
  return key === 'grid_search' || (RANDOM_KINDS as readonly string[]).includes(key) ? (key as Found['kind']) : null;
}

/** Full dotted label of a path: model.fcnet_hiddens[0]. */
export function pathLabel(path: ConfigPath): string {
  return path.reduce<string>((label, part) => (typeof part === 'number' ? `${label}[${part}]` : label ? `${label}.${part}` : part), '');
}

/** Short label: the last key with its indices, e.g. fcnet_hiddens[0] (the full path where two would clash). */
function shortLabels(paths: ConfigPath[]): string[] {
  const short = paths.map((path) => {
    let i = path.length - 1;
    while (i > 0 && typeof path[i] === 'number') i--;
    return pathLabel(path.slice(i));
  });
  return short.map((label, i) => (short.indexOf(label) !== short.lastIndexOf(label) ? pathLabel(paths[i]) : label));
}

function find(node: Json, path: ConfigPath, out: Found[]): void {
  if (isPlainObject(node)) {
    const kind = searchKind(node);
    if (kind) {
      out.push({ path, kind, spec: node[kind] });
      return;
    }
    for (const [key, value] of Object.entries(node)) find(value, [...path, key], out);
  } else if (Array.isArray(node)) {
    node.forEach((value, i) => find(value, [...path, i], out));
  }
}

function checkSpec({ path, kind, spec }: Found, where = `config.${pathLabel(path)}`): void {
  const pair = Array.isArray(spec) && spec.length === 2 && spec.every((v) => typeof v === 'number') && spec[0] <= spec[1];
  if ((kind === 'grid_search' || kind === 'choice') && !(Array.isArray(spec) && spec.length > 0)) {
    throw new UserError(`${where}: {"${kind}": [...]} needs a non-empty list of values`);
  }
  if ((kind === 'uniform' || kind === 'randint') && !pair) throw new UserError(`${where}: {"${kind}": [low, high]} needs two numbers with low <= high`);
  if (kind === 'loguniform' && !(pair && (spec as number[])[0] > 0)) throw new UserError(`${where}: {"loguniform": [low, high]} needs 0 < low <= high`);
  if (kind === 'quniform' && !(Array.isArray(spec) && spec.length === 3 && spec.every((v) => typeof v === 'number') && spec[0] <= spec[1] && spec[2] > 0)) {
    throw new UserError(`${where}: {"quniform": [low, high, q]} needs low <= high and q > 0`);
  }
}

function draw(kind: RandomKind, spec: unknown, rng: Random): unknown {
  const s = spec as number[];
  switch (kind) {
    case 'choice':
      return (spec as unknown[])[rng.integer((spec as unknown[]).length)];
    case 'uniform':
      return rng.uniform(s[0], s[1]);
    case 'quniform':
      return Math.round(rng.uniform(s[0], s[1]) / s[2]) * s[2];
    case 'loguniform':
      return Math.exp(rng.uniform(Math.log(s[0]), Math.log(s[1])));
    case 'randint':
      return rng.integerBetween(s[0], s[1] - 1); // Tune's randint excludes the upper bound
  }
}

/** A random domain node ({"uniform": [0, 1]}, {"choice": [...]}, ...), checked; null when the node is not one. */
export function randomDomain(node: unknown, where: string): { kind: RandomKind; spec: unknown } | null {
  if (!isPlainObject(node)) return null;
  const kind = searchKind(node);
  if (kind === null || kind === 'grid_search') return null;
  checkSpec({ path: [], kind, spec: node[kind] }, where);
  return { kind, spec: node[kind] };
}

/** One draw from a random domain, as Tune's Domain.sample(). */
export function sampleDomain(domain: { kind: RandomKind; spec: unknown }, rng: Random): unknown {
  return draw(domain.kind, domain.spec, rng);
}

function setAt(root: Record<string, unknown>, path: ConfigPath, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}

export function expandSearchSpace(config: Record<string, unknown>, numSamples: number, seed: number): Variant[] {
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new UserError(`num_samples must be a positive integer, got ${numSamples}`);
  const found: Found[] = [];
  find(config, [], found);
  found.forEach((f) => checkSpec(f));
  const labels = shortLabels(found.map((f) => f.path));
  const grids = found.map((f, i) => ({ ...f, label: labels[i] })).filter((f) => f.kind === 'grid_search');
  const randoms = found.map((f, i) => ({ ...f, label: labels[i] })).filter((f) => f.kind !== 'grid_search');
  const gridSize = grids.reduce((n, g) => n * (g.spec as unknown[]).length, 1);
  const rng = new Random(seed);
  const variants: Variant[] = [];
  for (let sample = 0; sample < numSamples; sample++) {
    for (let point = 0; point < gridSize; point++) {
      const variant = structuredClone(config);
      const varied: Record<string, unknown> = {};
      let rest = point;
      for (const g of grids) {
        const values = g.spec as unknown[];
        const value = values[rest % values.length];
        rest = Math.floor(rest / values.length);
        setAt(variant, g.path, structuredClone(value));
        varied[g.label] = value;
      }
      for (const r of randoms) {
        const value = draw(r.kind as RandomKind, r.spec, rng);
        setAt(variant, r.path, value);
        varied[r.label] = value;
      }
      // keep columns in the order the parameters appear in the config
      variants.push({ config: variant, varied: Object.fromEntries(labels.map((l) => [l, varied[l]])) });
    }
  }
  return variants;
}
