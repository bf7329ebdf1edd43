// An rl tune experiment: tune.run's arguments, read from an experiment file (YAML or JSON; the
// flat form or RLlib's tuned-example form `name: {env, run, stop, config, num_samples}`).
import path from 'node:path';
import { checkExperimentKeys, checkStopCriteria, closestKey, loadExperimentFile } from '../config/index.js';
import { algorithmNames, getAlgorithm, isAlgorithm } from '../algorithms/registry.js';
import { UserError } from '../utils/errors.js';
import { SGD_RUN } from './sgd_trial.js';
import { ASHAScheduler, makeScheduler } from './schedulers.js';

export interface TuneExperiment {
  name: string;
  /** A registered algorithm ('PPO'), 'SGD' (data-parallel training of `module`), or the absolute path of a module exporting a trainable function. */
  run: string;
  /** run SGD: the absolute path of the rl sgd training module the experiment file names (its `module:` key). */
  module?: string;
  config: Record<string, unknown>;
  stop: Record<string, number>;
  num_samples: number;
  metric: string;
  mode: 'max' | 'min';
  local_dir: string;
  scheduler: unknown;
  max_concurrent_trials: number | null;
  checkpoint_freq: number;
  checkpoint_at_end: boolean;
  keep_checkpoints_num: number | null;
  max_failures: number;
  /** Column labels for searched parameters, by path (model.fcnet_hiddens[0]) or short label (fcnet_hiddens[0]). */
  parameter_columns: Record<string, string>;
  /** Seeds the random search spaces (the trials' own seeds are in config). */
  seed: number;
  source: string;
}

/** Top-level experiment keys that only rl tune reads (rl train accepts and ignores them). */
export const TUNE_KEYS = ['module', 'metric', 'mode', 'scheduler', 'max_concurrent_trials', 'max_failures', 'keep_checkpoints_num', 'parameter_columns', 'seed'];

function intAt(file: string, key: string, value: unknown, min: number): number {
  if (!(Number.isInteger(value) && (value as number) >= min)) throw new UserError(`${file}: '${key}' must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value as number;
}

export function loadTuneExperiment(file: string): TuneExperiment {
  const experiment = loadExperimentFile(file);
  const extra = experiment.extra;
  checkExperimentKeys(experiment, TUNE_KEYS);
  const sgd = experiment.run === SGD_RUN;
  // An SGD trial is judged by its validation loss (lower is better) unless the experiment says otherwise.
  const mode = extra.mode ?? (sgd && extra.metric === undefined ? 'min' : 'max');
  if (mode !== 'max' && mode !== 'min') throw new UserError(`${file}: 'mode' must be "max" or "min", got ${JSON.stringify(mode)}`);
  if (extra.metric !== undefined && typeof extra.metric !== 'string') throw new UserError(`${file}: 'metric' must be a result key such as "episode_reward_mean"`);
  const metric = (extra.metric as string | undefined) ?? (sgd ? 'val_loss' : 'episode_reward_mean');
  const module = sgd ? sgdModule(file, extra.module) : undefined;
  if (!sgd && extra.module !== undefined) throw new UserError(`${file}: 'module' names an rl sgd training module, for run: SGD only (run ${experiment.run} takes none); remove it or set run: SGD`);
  if (sgd && Object.keys(experiment.stop).length === 0 && !(makeScheduler(extra.scheduler, metric, mode) instanceof ASHAScheduler)) {
    throw new UserError(`${file}: no stop criteria, so SGD trials would never stop; add e.g. "stop": {"training_iteration": 5} (epochs)`);
  }
  if (isAlgorithm(experiment.run)) {
    // An algorithm's trial ends only by its stop criteria or a scheduler with max_t (function trainables end by returning).
    const { resultKeys } = getAlgorithm(experiment.run);
    if (!resultKeys.includes(metric.replace(/\//g, '.'))) {
      throw new UserError(`${file}: unknown metric '${metric}'; did you mean '${closestKey(metric.replace(/\//g, '.'), resultKeys)}'? (trials are compared by it)`);
    }
    if (Object.keys(experiment.stop).length > 0) checkStopCriteria(experiment.stop, resultKeys, file);
    else if (!(makeScheduler(extra.scheduler, metric, mode) instanceof ASHAScheduler)) {
      throw new UserError(`${file}: no stop criteria, so ${experiment.run} trials would never stop; add e.g. "stop": {"training_iteration": 20} (or a scheduler with max_t)`);
    }
  }
  const columns = extra.parameter_columns ?? {};
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns) || !Object.values(columns).every((v) => typeof v === 'string')) {
    throw new UserError(`${file}: 'parameter_columns' must map parameter paths to column labels, e.g. {"model.fcnet_hiddens[0]": "layer1"}`);
  }
  const run = isAlgorithm(experiment.run) || sgd ? experiment.run : /\.(c|m)?js$/.test(experiment.run) ? path.resolve(experiment.run) : null;
  if (!run) throw new UserError(`${file}: run ${experiment.run} is not available; use one of ${algorithmNames().join(', ')}, SGD (with a module: key) or a path to a JS module exporting a trainable function`);
  const config = { ...experiment.config };
  if (experiment.env) config.env = experiment.env;
  return {
    name: experiment.name,
    run,
    ...(module !== undefined ? { module } : {}),
    config,
    stop: experiment.stop,
    num_samples: experiment.num_samples ?? 1,
    metric,
    mode,
    local_dir: experiment.local_dir ?? 'ray_results',
    scheduler: extra.scheduler ?? null,
    max_concurrent_trials: extra.max_concurrent_trials === undefined ? null : intAt(file, 'max_concurrent_trials', extra.max_concurrent_trials, 1),
    checkpoint_freq: experiment.checkpoint_freq ?? 0,
    checkpoint_at_end: experiment.checkpoint_at_end ?? true,
    keep_checkpoints_num: extra.keep_checkpoints_num === undefined ? null : intAt(file, 'keep_checkpoints_num', extra.keep_checkpoints_num, 1),
    max_failures: extra.max_failures === undefined ? 0 : intAt(file, 'max_failures', extra.max_failures, 0),
    parameter_columns: columns as Record<string, string>,
    seed: extra.seed === undefined ? 0 : intAt(file, 'seed', extra.seed, 0),
    source: file,
  };
}

/** run SGD's `module:` key: the training module, relative to the working directory (as run: paths are). */
function sgdModule(file: string, given: unknown): string {
  if (given === undefined) throw new UserError(`${file}: run SGD needs a 'module' key naming the rl sgd training module, e.g. "module": "examples/sgd/mnist-mlp.js"`);
  if (typeof given !== 'string' || !/\.(c|m)?js$/.test(given)) throw new UserError(`${file}: 'module' must be the path of a JS training module (.js, .mjs or .cjs), got ${JSON.stringify(given)}`);
  return path.resolve(given);
}
