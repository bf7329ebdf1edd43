// Trial schedulers, as Ray Tune's: FIFO (never stops early), ASHA (Li et al. 2018, "A System for
// Massively Parallel Hyperparameter Tuning"; Tune's AsyncHyperBandScheduler with one bracket) and
// the median stopping rule (Golovin et al. 2017, Google Vizier; Tune's MedianStoppingRule).
import { UserError } from '../utils/errors.js';
import { resultValue } from '../config/index.js';
import { makePBT } from './pbt.js';
import { makePBTReplay } from './pbt_replay.js';

/** What a scheduler sees of a trial (the runner's TrialRecord has these and more). */
export interface TrialView {
  id: string;
  status: 'PENDING' | 'RUNNING' | 'PAUSED' | 'TERMINATED' | 'ERROR';
  config: Record<string, unknown>;
  varied: Record<string, unknown>;
  dir: string;
}

/** A PBT exploit: the trial continues from a copy of the donor's checkpoint with a new config. */
export interface Clone {
  donor: string;
  /** The donor's checkpoint (manifest path) to copy. */
  checkpoint: string;
  /** The history line written to the trial's pbt_policy.jsonl (null: log_config is off). */
  record: Record<string, unknown> | null;
}

/**
 * CONTINUE (checkpoint: save one now, for PBT's top quantile), STOP, or PAUSE: the trial's thread
 * ends (saving a checkpoint first when `checkpoint`) and the trial waits as PAUSED until the runner
 * starts it again, with `config` when given and from `clone`'s checkpoint when given (PBT exploit).
 */
export type Decision =
  | { action: 'CONTINUE'; checkpoint?: boolean }
  | { action: 'STOP'; reason: string }
  | { action: 'PAUSE'; checkpoint: boolean; config?: Record<string, unknown>; varied?: Record<string, unknown>; clone?: Clone };

export interface Scheduler {
  readonly name: string;
  /** Decides after each result; `trials` is the whole population. Throwing fails the trial. */
  onResult(trialId: string, result: Record<string, unknown>, trials?: readonly TrialView[]): Decision;
  /** Scheduler state, saved in experiment_state.json so that a resumed experiment decides the same way. */
  state(): unknown;
  load(state: unknown): void;
  /** Checks (and may complete) the trials' configs before any starts, as Tune's on_trial_add; may load user modules. */
  setup?(run: string, trials: TrialView[], resumed: boolean): Promise<void>;
  /** A checkpoint the trial's thread wrote. */
  onCheckpoint?(trialId: string, checkpoint: string): void;
  /** The order in which waiting trials get free CPUs (Tune's choose_trial_to_run); default: trial order. */
  order?<T extends TrialView>(waiting: T[]): T[];
  /** One line for the end of the run, e.g. "PBT: 3 checkpoints, 2 perturbations". */
  summary?(): string;
}

const CONTINUE: Decision = { action: 'CONTINUE' };

/** numpy.nanpercentile with linear interpolation. */
export function percentile(values: number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

function numberAt(result: Record<string, unknown>, key: string): number {
  const value = resultValue(result, key);
  return typeof value === 'number' ? value : NaN;
}

export class FIFOScheduler implements Scheduler {
  readonly name = 'FIFO';
  onResult(): Decision {
    return CONTINUE;
  }
  state(): unknown {
    return null;
  }
  load(): void {}
}

export interface ASHAOptions {
  time_attr: string;
  metric: string;
  mode: 'max' | 'min';
  max_t: number;
  grace_period: number;
  reduction_factor: number;
}

export class ASHAScheduler implements Scheduler {
  readonly name = 'ASHA';
  readonly milestones: number[];
  /** Per rung (milestone): the metric each trial had when it reached it. */
  private rungs: Record<string, number>[];

  constructor(readonly options: ASHAOptions) {
    const { grace_period, reduction_factor, max_t } = options;
    if (!(grace_period > 0 && reduction_factor > 1 && max_t >= grace_period)) {
      throw new UserError('scheduler asha needs grace_period > 0, reduction_factor > 1 and max_t >= grace_period');
    }
    const milestones: number[] = [];
    for (let t = grace_period; t < max_t; t *= reduction_factor) milestones.push(t);
    this.milestones = milestones;
    this.rungs = milestones.map(() => ({}));
  }

  onResult(trialId: string, result: Record<string, unknown>): Decision {
    const { time_attr, metric, mode, max_t, reduction_factor } = this.options;
    const t = numberAt(result, time_attr);
    const sign = mode === 'max' ? 1 : -1;
    const value = sign * numberAt(result, metric);
    if (t >= max_t) return { action: 'STOP', reason: `${time_attr} reached max_t ${max_t}` };
    // As Tune: the highest rung this trial has reached and not yet been recorded at decides.
    for (let k = this.milestones.length - 1; k >= 0; k--) {
      const milestone = this.milestones[k];
      const recorded = this.rungs[k];
      if (t < milestone || trialId in recorded) continue;
      const others = Object.values(recorded);
      const cutoff = others.length > 0 ? percentile(others, (1 - 1 / reduction_factor) * 100) : null;
      recorded[trialId] = value;
      if (cutoff !== null && value < cutoff) {
        return { action: 'STOP', reason: `ASHA: ${metric} ${sign * value} below the rung-${milestone} cutoff ${sign * cutoff}` };
      }
      break;
    }
    return CONTINUE;
  }

  state(): unknown {
    return this.rungs;
  }
  load(state: unknown): void {
    if (Array.isArray(state) && state.length === this.rungs.length) this.rungs = state as Record<string, number>[];
  }
}

export interface MedianStoppingOptions {
  time_attr: string;
  metric: string;
  mode: 'max' | 'min';
  grace_period: number;
  min_samples_required: number;
}

export class MedianStoppingRule implements Scheduler {
  readonly name = 'MedianStopping';
  /** Per trial: [time, metric] of every result. */
  private history: Record<string, [number, number][]> = {};

  constructor(readonly options: MedianStoppingOptions) {}

  onResult(trialId: string, result: Record<string, unknown>): Decision {
    const { time_attr, metric, mode, grace_period, min_samples_required } = this.options;
    const sign = mode === 'max' ? 1 : -1;
    const t = numberAt(result, time_attr);
    const value = sign * numberAt(result, metric);
    (this.history[trialId] ??= []).push([t, value]);
    if (t < grace_period) return CONTINUE;
    // Other trials' running means up to the same time; stop when this trial's best is below their median.
    const means = Object.entries(this.history)
      .filter(([id]) => id !== trialId)
      .map(([, points]) => points.filter(([pt]) => pt <= t).map(([, v]) => v))
      .filter((values) => values.length > 0)
      .map((values) => values.reduce((a, b) => a + b, 0) / values.length);
    if (means.length < min_samples_required) return CONTINUE;
    const median = percentile(means, 50);
    const best = Math.max(...this.history[trialId].map(([, v]) => v));
    return best < median ? { action: 'STOP', reason: `median stopping: best ${metric} ${sign * best} below the median ${sign * median}` } : CONTINUE;
  }

  state(): unknown {
    return this.history;
  }
  load(state: unknown): void {
    if (state && typeof state === 'object') this.history = state as Record<string, [number, number][]>;
  }
}

export function makeScheduler(spec: unknown, metric: string, mode: 'max' | 'min', seed = 0): Scheduler {
  if (spec === undefined || spec === null || spec === 'fifo' || spec === 'FIFO') return new FIFOScheduler();
  const options = (typeof spec === 'string' ? { type: spec } : spec) as Record<string, unknown>;
  const type = String(options.type ?? '').toLowerCase();
  const num = (key: string, fallback: number) => {
    const v = options[key] ?? fallback;
    if (typeof v !== 'number') throw new UserError(`scheduler ${type}: '${key}' must be a number`);
    return v;
  };
  const time_attr = typeof options.time_attr === 'string' ? options.time_attr : 'training_iteration';
  if (type === 'asha' || type === 'async_hyperband') {
    return new ASHAScheduler({ time_attr, metric, mode, max_t: num('max_t', 100), grace_period: num('grace_period', 1), reduction_factor: num('reduction_factor', 4) });
  }
  if (type === 'median_stopping' || type === 'median') {
    return new MedianStoppingRule({ time_attr, metric, mode, grace_period: num('grace_period', 5), min_samples_required: num('min_samples_required', 3) });
  }
  if (type === 'fifo') return new FIFOScheduler();
  if (type === 'pbt' || type === 'population_based_training') return makePBT(options, metric, mode, seed);
  if (type === 'pbt_replay') return makePBTReplay(options);
  throw new UserError(`unknown scheduler '${String(options.type)}': use "fifo", {"type": "asha", ...}, {"type": "median_stopping", ...} or {"type": "pbt", ...}`);
}
