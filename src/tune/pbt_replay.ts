// Tune's PopulationBasedTrainingReplay: PBT finds a schedule of configs rather than one config;
// this trains a single trial through the schedule one PBT trial followed (its pbt_policy.jsonl):
// it starts from the lineage's first config and, at each recorded iteration, saves a checkpoint
// and continues from it with the next config.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { looksLikePath } from '../envs/registry.js';
import { isPlainObject, show } from '../config/util.js';
import { UserError } from '../utils/errors.js';
import { HISTORY_FILE, readHistory, replayPolicy } from './pbt_history.js';
import type { Decision, Scheduler, TrialView } from './schedulers.js';
import type { TuneExperiment } from './experiment.js';

export interface ReplayChange {
  iteration: number;
  config: Record<string, unknown>;
}

export class PopulationBasedTrainingReplay implements Scheduler {
  readonly name = 'PBTReplay';
  private next = 0;

  /** `columns`: the config keys the schedule changes, shown in the tables. */
  constructor(
    readonly changes: ReplayChange[],
    readonly columns: string[],
  ) {}

  async setup(_run: string, trials: TrialView[]): Promise<void> {
    if (trials.length !== 1) throw new UserError(`a PBT replay trains one trial, but the experiment makes ${trials.length}; set num_samples to 1 and search nothing`);
    for (const key of this.columns) trials[0].varied[key] = trials[0].config[key];
  }

  onResult(_trialId: string, result: Record<string, unknown>): Decision {
    const step = result.training_iteration;
    const change = this.changes[this.next];
    if (typeof step !== 'number' || !change || step < change.iteration) return { action: 'CONTINUE' };
    this.next += 1;
    return { action: 'PAUSE', checkpoint: true, config: change.config, varied: Object.fromEntries(this.columns.map((key) => [key, change.config[key]])) };
  }

  summary(): string {
    return `PopulationBasedTraining replay: ${this.next} of ${this.changes.length} config changes applied`;
  }

  state(): unknown {
    return { next: this.next };
  }

  load(state: unknown): void {
    if (isPlainObject(state) && typeof state.next === 'number') this.next = state.next;
  }
}

export function makePBTReplay(spec: Record<string, unknown>): PopulationBasedTrainingReplay {
  const changes = spec.changes;
  const valid = Array.isArray(changes) && changes.every((c) => isPlainObject(c) && typeof c.iteration === 'number' && isPlainObject(c.config));
  if (!valid) throw new UserError(`scheduler pbt_replay: 'changes' must be a list of {"iteration", "config"}, got ${show(changes)}; run rl tune --replay <trial folder> instead`);
  const columns = Array.isArray(spec.columns) ? spec.columns.filter((c): c is string => typeof c === 'string') : [];
  return new PopulationBasedTrainingReplay(changes as ReplayChange[], columns);
}

/** The last training_iteration in a trial's result.json, or null. */
function lastIteration(trialDir: string): number | null {
  const file = path.join(trialDir, 'result.json');
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  try {
    const last = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    return typeof last.training_iteration === 'number' ? last.training_iteration : null;
  } catch {
    return null;
  }
}

/**
 * The experiment that replays one PBT trial, from its folder or its pbt_policy.jsonl. The
 * schedule comes from the history (data only); what to run comes from the user's own experiment
 * file when one is given (its run, stop, local_dir, metric and env), else PPO, stopping at the
 * iteration the original trial reached. A history never makes rl load code: an env module path
 * in it must be named by the experiment file too.
 */
export function replayExperiment(target: string, experiment: TuneExperiment | null): TuneExperiment {
  if (!existsSync(target)) throw new UserError(`--replay ${target}: no such trial folder or ${HISTORY_FILE}`);
  const isDir = statSync(target).isDirectory();
  const trialDir = path.resolve(isDir ? target : path.dirname(target));
  const log = isDir ? path.join(trialDir, HISTORY_FILE) : path.resolve(target);
  let initial: Record<string, unknown> | null;
  let changes: ReplayChange[];
  if (existsSync(log)) ({ initial, changes } = replayPolicy(readHistory(log)));
  else {
    // A trial PBT never changed: its own config all along.
    const params = path.join(trialDir, 'params.json');
    if (!existsSync(params)) throw new UserError(`--replay ${target}: found neither ${HISTORY_FILE} nor params.json; give a trial folder of a PBT experiment`);
    initial = JSON.parse(readFileSync(params, 'utf8')) as Record<string, unknown>;
    changes = [];
  }
  if (!initial) throw new UserError(`--replay ${target}: ${log} is empty`);
  const config = structuredClone(initial);
  const ownEnv = experiment?.config.env;
  if (typeof ownEnv === 'string') {
    config.env = ownEnv;
    for (const change of changes) change.config.env = ownEnv;
  }
  const envs = [config.env, ...changes.map((c) => c.config.env)];
  if (envs.some((env) => typeof env === 'string' && looksLikePath(env)) && typeof ownEnv !== 'string') {
    throw new UserError(`--replay ${target}: the history names an env module (${String(config.env)}); pass your experiment file that names it too (rl tune <experiment> --replay ...)`);
  }
  const stopAt = lastIteration(trialDir);
  const stop = experiment?.stop ?? (stopAt !== null ? { training_iteration: stopAt } : null);
  if (!stop) throw new UserError(`--replay ${target}: cannot tell how long to train (no result.json beside it); pass the experiment file for its stop criteria`);
  const columns = Object.keys(config).filter((key) => changes.some((c) => !isDeepStrictEqual(c.config[key], config[key])));
  const trialId = path.basename(trialDir);
  return {
    name: `replay_${trialId}`,
    run: experiment?.run ?? 'PPO',
    ...(experiment?.module !== undefined ? { module: experiment.module } : {}),
    config,
    stop,
    num_samples: 1,
    metric: experiment?.metric ?? 'episode_reward_mean',
    mode: experiment?.mode ?? 'max',
    local_dir: experiment?.local_dir ?? path.dirname(path.dirname(trialDir)),
    scheduler: { type: 'pbt_replay', changes, columns },
    max_concurrent_trials: 1,
    checkpoint_freq: 0,
    checkpoint_at_end: experiment?.checkpoint_at_end ?? true,
    keep_checkpoints_num: experiment?.keep_checkpoints_num ?? null,
    max_failures: experiment?.max_failures ?? 0,
    parameter_columns: experiment?.parameter_columns ?? {},
    seed: experiment?.seed ?? 0,
    source: log,
  };
}
