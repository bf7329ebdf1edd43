// Population Based Training (Jaderberg et al. 2017, "Population Based Training of Neural
// Networks"), as Ray Tune 1.x's asynchronous PopulationBasedTraining (python/ray/tune/schedulers/
// pbt.py at ray-1.2.0): whenever a trial's time_attr has advanced perturbation_interval past its
// last perturbation, it is ranked against the live population; a top-quantile trial saves a
// checkpoint, a bottom-quantile trial clones a random top trial's checkpoint (weights, optimizer,
// trainer state) and continues with the donor's config perturbed by explore().
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { closest } from 'fastest-levenshtein';
import { getAlgorithm, isAlgorithm } from '../algorithms/registry.js';
import { resultValue } from '../config/index.js';
import { isPlainObject, show } from '../config/util.js';
import { Random, type RandomState } from '../utils/random.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { logger } from '../utils/log.js';
import { pathLabel, randomDomain, sampleDomain, type ConfigPath, type RandomKind } from './search_space.js';
import type { Decision, Scheduler, TrialView } from './schedulers.js';

/** A parsed hyperparam_mutations entry: a list of values, a random domain, or nested mutations (Tune's dict). */
export type Mutation =
  | { type: 'list'; values: unknown[] }
  | { type: 'domain'; kind: RandomKind; spec: unknown }
  | { type: 'nested'; mutations: Mutations };
export type Mutations = Record<string, Mutation>;

export type ExploreFn = (config: Record<string, unknown>) => unknown;

export interface PBTOptions {
  time_attr: string;
  metric: string;
  mode: 'max' | 'min';
  perturbation_interval: number;
  hyperparam_mutations: Mutations;
  quantile_fraction: number;
  resample_probability: number;
  /** Absolute path of a JS module whose default (or `explore`) export is f(config) -> config. */
  custom_explore_fn: string | null;
  log_config: boolean;
  require_attrs: boolean;
  seed: number;
}

const OPTION_KEYS = [
  'type',
  'time_attr',
  'metric',
  'mode',
  'perturbation_interval',
  'hyperparam_mutations',
  'quantile_fraction',
  'resample_probability',
  'custom_explore_fn',
  'log_config',
  'require_attrs',
  'synch',
  'seed',
];

/** Parses hyperparam_mutations: each value a non-empty list, a random domain ({"loguniform": [lo, hi]}...) or a nested dict of mutations. */
export function parseMutations(value: unknown, where = 'hyperparam_mutations'): Mutations {
  if (!isPlainObject(value)) throw new UserError(`scheduler pbt: '${where}' must map config keys to lists or search spaces, got ${show(value)}`);
  const mutations: Mutations = {};
  for (const [key, spec] of Object.entries(value)) {
    const at = `${where}.${key}`;
    if (Array.isArray(spec)) {
      if (spec.length === 0) throw new UserError(`scheduler pbt: '${at}' is an empty list; give the values it may take`);
      mutations[key] = { type: 'list', values: spec };
      continue;
    }
    if (isPlainObject(spec) && 'grid_search' in spec && Object.keys(spec).length === 1) {
      throw new UserError(`scheduler pbt: '${at}' cannot be a grid_search; give a list of values instead`);
    }
    const domain = randomDomain(spec, `scheduler pbt: ${at}`);
    if (domain) mutations[key] = { type: 'domain', ...domain };
    else if (isPlainObject(spec) && Object.keys(spec).length > 0) mutations[key] = { type: 'nested', mutations: parseMutations(spec, at) };
    else {
      throw new UserError(
        `scheduler pbt: '${at}' must be a list of values, a search space such as {"loguniform": [1e-5, 1e-2]}, or a dict of nested mutations; got ${show(spec)}`,
      );
    }
  }
  return mutations;
}

/** Tune's ints stay ints after x0.8/x1.2 (Python's type(config[key]) is int); in JSON an int is an integer drawn from an integer domain. */
function integerValued(mutation: Extract<Mutation, { type: 'domain' }>, value: unknown): boolean {
  if (!Number.isInteger(value)) return false;
  return mutation.kind === 'randint' || (mutation.kind === 'choice' && (mutation.spec as unknown[]).every((v) => Number.isInteger(v)));
}

/**
 * Tune's explore(): for each mutation, a list value is resampled with resample_probability (or
 * when the current value is not in the list), else moved to the neighbouring index, down or up
 * with equal odds and clamped at the ends (so an end value stays put half the time); a domain
 * value is resampled with resample_probability, else scaled by 1.2 or 0.8. The custom explore
 * function, if any, is applied last (to the top level only, as Tune).
 */
export function explore(
  config: Record<string, unknown>,
  mutations: Mutations,
  resampleProbability: number,
  rng: Random,
  customExploreFn: ExploreFn | null = null,
): Record<string, unknown> {
  const next = structuredClone(config);
  for (const [key, mutation] of Object.entries(mutations)) {
    const current = config[key];
    if (mutation.type === 'nested') {
      next[key] = explore(current as Record<string, unknown>, mutation.mutations, resampleProbability, rng);
    } else if (mutation.type === 'list') {
      const { values } = mutation;
      const index = values.findIndex((v) => isDeepStrictEqual(v, current));
      if (rng.uniform() < resampleProbability || index < 0) next[key] = structuredClone(values[rng.integer(values.length)]);
      else if (rng.uniform() > 0.5) next[key] = structuredClone(values[Math.max(0, index - 1)]);
      else next[key] = structuredClone(values[Math.min(values.length - 1, index + 1)]);
    } else {
      let value: number;
      if (rng.uniform() < resampleProbability) value = sampleDomain(mutation, rng) as number;
      else if (rng.uniform() > 0.5) value = (current as number) * 1.2;
      else value = (current as number) * 0.8;
      next[key] = integerValued(mutation, current) ? Math.trunc(value) : value;
    }
  }
  if (!customExploreFn) return next;
  const explored = customExploreFn(next);
  if (!isPlainObject(explored)) throw new Error(`custom_explore_fn returned ${show(explored)}; it must return the config`);
  return explored;
}

/**
 * Tune's _quantiles(): `ranked` sorted worst to best; each quantile holds ceil(n x fraction)
 * trials, at most floor(n / 2); fewer than two trials have none. As in Tune, a fraction of 0 leaves
 * the bottom empty and (Python's trials[-0:]) puts everyone in the top.
 */
export function quantiles<T>(ranked: readonly T[], fraction: number): { lower: T[]; upper: T[] } {
  if (ranked.length <= 1) return { lower: [], upper: [] };
  let size = Math.ceil(ranked.length * fraction);
  if (size > ranked.length / 2) size = Math.floor(ranked.length / 2);
  return { lower: ranked.slice(0, size), upper: size === 0 ? [...ranked] : ranked.slice(ranked.length - size) };
}

/** Tune's PBTTrialState, plus the checkpoint this trial was asked for and has not yet written. */
interface PBTTrialState {
  last_score: number | null;
  last_checkpoint: string | null;
  /** training_iteration of the result at which last_checkpoint was asked for. */
  last_checkpoint_iteration: number | null;
  awaiting_checkpoint: boolean;
  last_perturbation_time: number;
  last_train_time: number;
}

interface PBTState {
  trials: Record<string, PBTTrialState>;
  rng: RandomState;
  num_checkpoints: number;
  num_perturbations: number;
}

function mutationLeaves(mutations: Mutations, prefix: ConfigPath = []): ConfigPath[] {
  return Object.entries(mutations).flatMap(([key, m]) => (m.type === 'nested' ? mutationLeaves(m.mutations, [...prefix, key]) : [[...prefix, key]]));
}

function valueAt(config: Record<string, unknown>, at: ConfigPath): unknown {
  let node: unknown = config;
  for (const part of at) node = isPlainObject(node) ? node[part as string] : undefined;
  return node;
}

/** Column label of a mutated key: its last name (lr, fcnet_hiddens), as searched parameters are shown. */
function leafLabel(at: ConfigPath): string {
  return pathLabel(at.slice(-1));
}

export class PopulationBasedTraining implements Scheduler {
  readonly name = 'PBT';
  private trials: Record<string, PBTTrialState> = {};
  private rng: Random;
  private customExploreFn: ExploreFn | null = null;
  private numCheckpoints = 0;
  private numPerturbations = 0;

  constructor(readonly options: PBTOptions) {
    this.rng = new Random(options.seed);
  }

  /** Tune's on_trial_add, for the whole population before anything runs: checks every mutated key and time_attr, loads custom_explore_fn. */
  async setup(run: string, trials: TrialView[], resumed: boolean): Promise<void> {
    const { time_attr, metric, hyperparam_mutations } = this.options;
    const algorithm = isAlgorithm(run) ? getAlgorithm(run) : null;
    if (algorithm) {
      for (const [what, key] of [
        ['time_attr', time_attr],
        ['metric', metric],
      ] as const) {
        const dotted = key.replace(/\//g, '.');
        if (!algorithm.resultKeys.includes(dotted)) {
          throw new UserError(`scheduler pbt: ${what} '${key}' is not in ${run}'s results; did you mean '${closest(dotted, [...algorithm.resultKeys])}'? (e.g. training_iteration, timesteps_total, time_total_s)`);
        }
      }
    }
    const defaults = algorithm ? (algorithm.config.defaults as unknown as Record<string, unknown>) : null;
    for (const trial of trials) {
      this.trials[trial.id] ??= {
        last_score: null,
        last_checkpoint: null,
        last_checkpoint_iteration: null,
        awaiting_checkpoint: false,
        last_perturbation_time: 0,
        last_train_time: 0,
      };
      this.completeConfig(trial.config, defaults, hyperparam_mutations, [], !resumed);
      for (const leaf of mutationLeaves(hyperparam_mutations)) if (!(leafLabel(leaf) in trial.varied)) trial.varied[leafLabel(leaf)] = valueAt(trial.config, leaf);
    }
    if (this.options.custom_explore_fn) this.customExploreFn = await loadExploreFn(this.options.custom_explore_fn);
  }

  /**
   * A mutated key must be in the trial's config or (for a registered algorithm) among the trainer's keys; a trainer
   * key the experiment leaves out is drawn from its mutation, as Tune's fill_config does.
   */
  private completeConfig(config: Record<string, unknown>, defaults: Record<string, unknown> | null, mutations: Mutations, at: ConfigPath, fill: boolean): void {
    for (const [key, mutation] of Object.entries(mutations)) {
      const where = pathLabel([...at, key]);
      const known = defaults !== null && Object.hasOwn(defaults, key);
      if (!Object.hasOwn(config, key) && !known) {
        const candidates = [...new Set([...Object.keys(config), ...Object.keys(defaults ?? {})])];
        const hint = candidates.length > 0 ? `; did you mean '${closest(key, candidates)}'?` : '';
        throw new UserError(`scheduler pbt: hyperparam_mutations names '${where}', which the trial config does not have${hint}`);
      }
      if (mutation.type === 'nested') {
        const inner = config[key] ?? (known ? structuredClone(defaults[key]) : undefined);
        if (!isPlainObject(inner)) throw new UserError(`scheduler pbt: hyperparam_mutations.${where} is a dict of mutations but config '${where}' is ${show(inner)}, not a dict`);
        config[key] = inner;
        this.completeConfig(inner, known && isPlainObject(defaults[key]) ? defaults[key] : null, mutation.mutations, [...at, key], fill);
        continue;
      }
      if (!Object.hasOwn(config, key) && fill) config[key] = mutation.type === 'list' ? structuredClone(mutation.values[this.rng.integer(mutation.values.length)]) : sampleDomain(mutation, this.rng);
      const value = Object.hasOwn(config, key) ? config[key] : defaults?.[key];
      if (mutation.type === 'domain' && typeof value !== 'number') {
        throw new UserError(`scheduler pbt: '${where}' is perturbed by x0.8 / x1.2, so it must be a number, but the config has ${show(value)}; give a list of values instead`);
      }
    }
  }

  onResult(trialId: string, result: Record<string, unknown>, trials: readonly TrialView[] = []): Decision {
    const { time_attr, metric, mode, perturbation_interval, require_attrs } = this.options;
    const time = resultValue(result, time_attr);
    const value = resultValue(result, metric);
    for (const [what, key, v] of [
      ['time_attr', time_attr, time],
      ['metric', metric, value],
    ] as const) {
      if (typeof v === 'number') continue;
      const message = `PBT: the result has no ${what} '${key}'; report it from the trainable, or set "require_attrs": false in the scheduler`;
      if (require_attrs) throw new UserError(message);
      return { action: 'CONTINUE' };
    }
    const state = this.trials[trialId];
    if (!state || (time as number) - state.last_perturbation_time < perturbation_interval) return { action: 'CONTINUE' };

    state.last_score = (mode === 'max' ? 1 : -1) * (value as number);
    state.last_train_time = time as number;
    state.last_perturbation_time = time as number;
    const { lower, upper } = this.quantiles(trials);
    // _perturb_trial: the top saves a checkpoint (recorded when the thread has written it); others forget theirs.
    const top = upper.some((t) => t.id === trialId);
    state.last_checkpoint = null;
    state.awaiting_checkpoint = top;
    state.last_checkpoint_iteration = top ? (result.training_iteration as number) : null;
    if (top) this.numCheckpoints += 1;
    if (lower.some((t) => t.id === trialId)) {
      const donor = upper[this.rng.integer(upper.length)];
      const decision = this.exploit(trials.find((t) => t.id === trialId)!, donor, result);
      if (decision) return decision;
    }
    // Yield the CPUs to waiting trials (Tune returns PAUSE when any trial is PENDING or PAUSED); a
    // paused trial always saves, to go on from where it paused.
    const waiting = trials.some((t) => t.id !== trialId && (t.status === 'PENDING' || t.status === 'PAUSED'));
    return waiting ? { action: 'PAUSE', checkpoint: true } : { action: 'CONTINUE', checkpoint: top };
  }

  private exploit(trial: TrialView, donor: TrialView, result: Record<string, unknown>): Decision | null {
    const state = this.trials[trial.id];
    const donorState = this.trials[donor.id];
    if (!donorState.last_checkpoint) {
      logger.info(`[pbt]: no checkpoint for trial ${donor.id} yet; skip exploit for trial ${trial.id}`);
      return null;
    }
    const config = explore(donor.config, this.options.hyperparam_mutations, this.options.resample_probability, this.rng, this.customExploreFn);
    const leaves = mutationLeaves(this.options.hyperparam_mutations);
    logger.info(`[exploit] ${trial.id} (score ${state.last_score}) clones ${donor.id} (score ${donorState.last_score})`);
    this.numPerturbations += 1;
    state.last_perturbation_time = donorState.last_perturbation_time;
    state.last_train_time = donorState.last_train_time;
    return {
      action: 'PAUSE',
      checkpoint: false,
      config,
      varied: Object.fromEntries(leaves.map((leaf) => [leafLabel(leaf), valueAt(config, leaf)])),
      clone: {
        donor: donor.id,
        checkpoint: donorState.last_checkpoint,
        record: this.options.log_config
          ? {
              trial: trial.id,
              donor: donor.id,
              iteration: result.training_iteration ?? null,
              donor_iteration: donorState.last_checkpoint_iteration,
              old_config: trial.config,
              donor_config: donor.config,
              new_config: config,
            }
          : null,
      },
    };
  }

  /** Live trials with a score, worst first (a stable sort, so ties keep the trial order as Tune's). */
  private quantiles(trials: readonly TrialView[]): { lower: TrialView[]; upper: TrialView[] } {
    const ranked = trials
      .filter((t) => this.trials[t.id]?.last_score != null && t.status !== 'TERMINATED' && t.status !== 'ERROR')
      .sort((a, b) => this.trials[a.id].last_score! - this.trials[b.id].last_score!);
    return quantiles(ranked, this.options.quantile_fraction);
  }

  onCheckpoint(trialId: string, checkpoint: string): void {
    const state = this.trials[trialId];
    if (state?.awaiting_checkpoint) {
      state.last_checkpoint = checkpoint;
      state.awaiting_checkpoint = false;
    }
  }

  /** Tune's choose_trial_to_run: the waiting trial that has trained least (by time_attr) goes first. */
  order<T extends TrialView>(waiting: T[]): T[] {
    const trained = (t: T) => this.trials[t.id]?.last_train_time ?? 0;
    return [...waiting].sort((a, b) => trained(a) - trained(b));
  }

  summary(): string {
    return `PopulationBasedTraining: ${this.numCheckpoints} checkpoints, ${this.numPerturbations} perturbs`;
  }

  state(): PBTState {
    return { trials: this.trials, rng: this.rng.getState(), num_checkpoints: this.numCheckpoints, num_perturbations: this.numPerturbations };
  }

  load(state: unknown): void {
    if (!isPlainObject(state) || !isPlainObject(state.trials) || !isPlainObject(state.rng)) return;
    const saved = state as unknown as PBTState;
    this.trials = saved.trials;
    this.rng = Random.fromState(saved.rng);
    this.numCheckpoints = saved.num_checkpoints ?? 0;
    this.numPerturbations = saved.num_perturbations ?? 0;
  }
}

/** Imports the user's custom explore function (a module their own experiment file names). */
async function loadExploreFn(file: string): Promise<ExploreFn> {
  if (!existsSync(file)) throw new UserError(`scheduler pbt: custom_explore_fn module ${file} not found`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`scheduler pbt: custom_explore_fn module ${file} could not be loaded: ${errorMessage(error)}`);
  }
  const fn = module.default ?? module.explore;
  if (typeof fn !== 'function') throw new UserError(`scheduler pbt: ${file} exports no function; export default (config) => config`);
  return fn as ExploreFn;
}

function numberOption(spec: Record<string, unknown>, key: string, fallback: number, ok: (v: number) => boolean, rule: string): number {
  const value = spec[key] ?? fallback;
  if (typeof value !== 'number' || !ok(value)) throw new UserError(`scheduler pbt: '${key}' must be ${rule}, got ${show(value)}`);
  return value;
}

function booleanOption(spec: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = spec[key] ?? fallback;
  if (typeof value !== 'boolean') throw new UserError(`scheduler pbt: '${key}' must be true or false, got ${show(value)}`);
  return value;
}

/** The scheduler from an experiment's {"type": "pbt", ...}, with Tune's defaults; metric and mode default to the experiment's. */
export function makePBT(spec: Record<string, unknown>, metric: string, mode: 'max' | 'min', seed = 0): PopulationBasedTraining {
  for (const key of Object.keys(spec)) {
    if (!OPTION_KEYS.includes(key)) throw new UserError(`scheduler pbt: unknown key '${key}'; did you mean '${closest(key, OPTION_KEYS)}'?`);
  }
  if (spec.synch === true) throw new UserError('scheduler pbt: synchronous PBT ("synch": true) is not supported; remove it to use the asynchronous PBT (Tune\'s default)');
  const text = (key: string, fallback: string) => {
    const value = spec[key] ?? fallback;
    if (typeof value !== 'string' || value === '') throw new UserError(`scheduler pbt: '${key}' must be a result key such as "${fallback}", got ${show(value)}`);
    return value;
  };
  const pbtMode = spec.mode ?? mode;
  if (pbtMode !== 'max' && pbtMode !== 'min') throw new UserError(`scheduler pbt: 'mode' must be "max" or "min", got ${show(pbtMode)}`);
  const mutations = parseMutations(spec.hyperparam_mutations ?? {});
  const explorer = spec.custom_explore_fn ?? null;
  if (explorer !== null && !(typeof explorer === 'string' && /\.(c|m)?js$/.test(explorer))) {
    throw new UserError(`scheduler pbt: 'custom_explore_fn' must be the path of a JS module exporting f(config) -> config, got ${show(explorer)}`);
  }
  if (Object.keys(mutations).length === 0 && explorer === null) {
    throw new UserError('scheduler pbt: give at least one of hyperparam_mutations or custom_explore_fn');
  }
  return new PopulationBasedTraining({
    time_attr: text('time_attr', 'time_total_s'),
    metric: text('metric', metric),
    mode: pbtMode,
    perturbation_interval: numberOption(spec, 'perturbation_interval', 60, (v) => v > 0, 'a number > 0'),
    hyperparam_mutations: mutations,
    quantile_fraction: numberOption(spec, 'quantile_fraction', 0.25, (v) => v >= 0 && v <= 0.5, 'between 0 and 0.5'),
    resample_probability: numberOption(spec, 'resample_probability', 0.25, (v) => v >= 0 && v <= 1, 'between 0 and 1'),
    custom_explore_fn: explorer === null ? null : path.resolve(explorer),
    log_config: booleanOption(spec, 'log_config', true),
    require_attrs: booleanOption(spec, 'require_attrs', true),
    seed: numberOption(spec, 'seed', seed, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
  });
}
