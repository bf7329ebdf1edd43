// Experiment files for `rl train -f` and `rl tune`: RLlib's tuned-example form
//   cartpole-ppo: { env: CartPole-v1, run: PPO, stop: {...}, config: {...} }
// or the flat form { name?, env?, run, stop?, config?, ... }, as YAML or JSON.
import path from 'node:path';
import { closest } from 'fastest-levenshtein';
import { z } from 'zod';
import { readDataFile } from './parse.js';
import { parseStopCriteria } from './stop.js';
import { isPlainObject, show, userError } from './util.js';

export interface Experiment {
  name: string;
  /** The algorithm, e.g. "PPO" (not checked here). */
  run: string;
  /** The top-level env, else config.env when it is a string, else null. */
  env: string | null;
  stop: Record<string, number>;
  /** As written in the file (it may hold search spaces for rl tune); not validated here. */
  config: Record<string, unknown>;
  checkpoint_freq?: number;
  checkpoint_at_end?: boolean;
  num_samples?: number;
  local_dir?: string;
  /** any other top-level keys, kept for rl tune */
  extra: Record<string, unknown>;
  /** The file, as given: use it as the ConfigLayer source of `config`. */
  source: string;
}

const optionalRules = {
  checkpoint_freq: z.int().nonnegative().describe('a non-negative integer (0: no periodic checkpoints)'),
  checkpoint_at_end: z.boolean().describe('true or false'),
  num_samples: z.int().positive().describe('a positive integer'),
  local_dir: z.string().min(1).describe('a directory path'),
};

const KNOWN_KEYS = new Set(['name', 'run', 'env', 'stop', 'config', ...Object.keys(optionalRules)]);

const SHAPE_HINT = 'expected { <name>: { run: PPO, env: CartPole-v1, stop: {...}, config: {...} } } or a top-level run key';

function hasRun(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.hasOwn(value, 'run');
}

/** Reads an experiment from a .yaml, .yml or .json file (relative paths from the working directory). */
export function loadExperimentFile(file: string): Experiment {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.yaml' && ext !== '.yml' && ext !== '.json') {
    throw userError(`${file}: an experiment file must end in .yaml, .yml or .json`);
  }
  const data = readDataFile(file);
  if (!isPlainObject(data)) throw userError(`${file}: ${SHAPE_HINT}, got ${show(data)}`);

  let name: string;
  let spec: Record<string, unknown>;
  /** how a key of spec is written in error messages: "cartpole-ppo.stop" or "stop" */
  let prefix: string;
  if (Object.hasOwn(data, 'run')) {
    spec = data;
    prefix = '';
    if (data.name !== undefined && data.name !== null && (typeof data.name !== 'string' || data.name === '')) {
      throw userError(`${file}: 'name' must be a non-empty string, got ${show(data.name)}`);
    }
    name = typeof data.name === 'string' ? data.name : path.basename(file, path.extname(file));
  } else {
    const keys = Object.keys(data);
    const experiments = keys.filter((key) => hasRun(data[key]));
    if (experiments.length > 1) {
      throw userError(`${file}: holds ${experiments.length} experiments (${experiments.join(', ')}); rl runs one experiment per file, so split them into separate files`);
    }
    if (keys.length === 1 && isPlainObject(data[keys[0]])) {
      if (experiments.length === 0) throw userError(`${file}: experiment '${keys[0]}' has no 'run' key; add run: PPO`);
      name = keys[0];
      spec = data[name] as Record<string, unknown>;
      prefix = `${name}.`;
    } else if (experiments.length === 1) {
      const others = keys.filter((key) => key !== experiments[0]);
      throw userError(`${file}: unexpected top-level key(s) ${others.map((k) => `'${k}'`).join(', ')} next to experiment '${experiments[0]}'; move them inside it`);
    } else {
      throw userError(`${file}: no experiment found; ${SHAPE_HINT}`);
    }
  }

  const { run } = spec;
  if (typeof run !== 'string' || run.trim() === '') throw userError(`${file}: '${prefix}run' must be an algorithm name such as "PPO", got ${show(run)}`);

  let config: Record<string, unknown> = {};
  if (spec.config !== undefined && spec.config !== null) {
    if (!isPlainObject(spec.config)) throw userError(`${file}: '${prefix}config' must be an object of config keys, got ${show(spec.config)}`);
    config = spec.config;
  }

  let env: string | null = null;
  if (spec.env !== undefined && spec.env !== null) {
    if (typeof spec.env !== 'string' || spec.env === '') throw userError(`${file}: '${prefix}env' must be an env id such as "CartPole-v1", got ${show(spec.env)}`);
    env = spec.env;
  } else if (typeof config.env === 'string' && config.env !== '') {
    env = config.env;
  }

  const stop = spec.stop === undefined || spec.stop === null ? {} : parseStopCriteria(spec.stop, file);

  const experiment: Experiment = { name, run, env, stop, config, extra: {}, source: file };
  for (const [key, rule] of Object.entries(optionalRules)) {
    const value = spec[key];
    if (value === undefined || value === null) continue;
    if (!rule.safeParse(value).success) throw userError(`${file}: '${prefix}${key}' must be ${rule.description}, got ${show(value)}`);
    Object.assign(experiment, { [key]: value });
  }
  for (const [key, value] of Object.entries(spec)) {
    if (!KNOWN_KEYS.has(key) || (prefix !== '' && key === 'name')) {
      Object.defineProperty(experiment.extra, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return experiment;
}

/**
 * Refuses top-level keys besides the common ones and `extraKeys` (a typo such as "stopp" would
 * otherwise be ignored, and the run would go on without its stop criteria), naming the closest.
 */
export function checkExperimentKeys(experiment: Experiment, extraKeys: readonly string[]): void {
  for (const key of Object.keys(experiment.extra)) {
    if (extraKeys.includes(key)) continue;
    throw userError(`${experiment.source}: unknown experiment key '${key}'; did you mean '${closest(key, [...KNOWN_KEYS, ...extraKeys])}'?`);
  }
}
