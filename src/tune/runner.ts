// Runs an experiment as Ray Tune does: expand the search space into trials, run as many at once
// as the CPUs allow (each trial in its own worker thread), stop each by the stop criteria or the
// scheduler, retry failures from their last checkpoint, and keep experiment_state.json current so
// that an interrupted or killed experiment resumes without rerunning finished trials.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveConfig, resultValue, stopReached, unreportedStopKey } from '../config/index.js';
import { trainerCpus } from '../config/resources.js';
import { getAlgorithm, isAlgorithm } from '../algorithms/registry.js';
import { z } from 'zod';
import { UserError, errorMessage } from '../utils/errors.js';
import { displayPath } from '../checkpoint/format.js';
import { logger } from '../utils/log.js';
import type { BackendChoice } from '../utils/tensor_backend.js';
import { expandSearchSpace } from './search_space.js';
import { looksLikePath } from '../envs/registry.js';
import { makeScheduler, type Decision } from './schedulers.js';
import { cloneCheckpoint, recordChange } from './pbt_history.js';
import type { TuneExperiment } from './experiment.js';
import { SGD_RUN, sgdTrialCpus } from './sgd_trial.js';
import { loadTrainingModule } from '../sgd/module.js';
import type { RunnerMessage, TrialMessage, TrialTask } from './trial_thread.js';
import { threadLauncher, type TrialHandle, type TrialLauncher } from './trial_launcher.js';

/** PAUSED: stopped by the scheduler to be started again later (PBT), from its checkpoint. */
export type TrialStatus = 'PENDING' | 'RUNNING' | 'PAUSED' | 'TERMINATED' | 'ERROR';

export interface TrialRecord {
  id: string;
  config: Record<string, unknown>;
  varied: Record<string, unknown>;
  status: TrialStatus;
  cpus: number;
  iteration: number;
  time_total_s: number;
  last_result: Record<string, unknown> | null;
  checkpoint: string | null;
  failures: number;
  stop_reason: string | null;
  error_file: string | null;
  dir: string;
  /** The cluster node running (or last running) the trial, with --address. */
  node?: string;
  /** The searched (and PBT-mutated) values the trial started with, where a scheduler changes them. */
  initial_varied?: Record<string, unknown>;
  /** How many times a scheduler changed the trial's config (PBT exploits). */
  perturbations?: number;
}

export interface TuneEvent {
  type: 'start' | 'placed' | 'result' | 'terminated' | 'error' | 'retry' | 'paused' | 'exploit';
  trial: TrialRecord;
  message?: string;
}

export interface TuneOptions {
  resume?: boolean;
  maxConcurrent?: number;
  /** CPUs to schedule on (default: this machine's). */
  cpus?: number;
  /** The most CPUs one trial can have (one machine's; default: cpus). */
  maxTrialCpus?: number;
  /** Where trials run (default: worker threads of this process). */
  launcher?: TrialLauncher;
  backend?: BackendChoice;
  signal?: AbortSignal;
  onEvent?: (event: TuneEvent, trials: TrialRecord[]) => void;
}

export interface TuneOutcome {
  trials: TrialRecord[];
  best: TrialRecord | null;
  dir: string;
  interrupted: boolean;
  wallTimeS: number;
  /** The scheduler's account of itself, e.g. "PopulationBasedTraining: 6 checkpoints, 3 perturbs". */
  schedulerSummary: string | null;
}

interface ExperimentState {
  name: string;
  source: string;
  /** run SGD: the training module the trials were started with. */
  module?: string;
  trials: TrialRecord[];
  scheduler: unknown;
}

const nullableString = z.string().nullable();
const stateSchema = z.object({
  name: z.string(),
  source: z.string(),
  module: z.string().optional(),
  trials: z.array(
    z.object({
      id: z.string(),
      config: z.record(z.string(), z.unknown()),
      varied: z.record(z.string(), z.unknown()),
      status: z.enum(['PENDING', 'RUNNING', 'PAUSED', 'TERMINATED', 'ERROR']),
      cpus: z.number().nonnegative(),
      iteration: z.int().nonnegative(),
      time_total_s: z.number(),
      last_result: z.record(z.string(), z.unknown()).nullable(),
      checkpoint: nullableString,
      failures: z.int().nonnegative(),
      stop_reason: nullableString,
      error_file: nullableString,
      dir: z.string(),
      node: z.string().optional(),
      initial_varied: z.record(z.string(), z.unknown()).optional(),
      perturbations: z.int().nonnegative().optional(),
    }),
  ),
  scheduler: z.unknown(),
});

function damagedState(statePath: string, dir: string, reason: string): UserError {
  return new UserError(`${displayPath(statePath)} is damaged (${reason}): restore it from a backup, or move ${displayPath(dir)} away and run without --resume to start over`);
}

/** experiment_state.json as --resume reads it; anything unreadable is one line naming the file and the way out. */
function readExperimentState(statePath: string, dir: string, experimentModules: Set<string>): ExperimentState {
  // experimentModules: the env modules the experiment's config names, and its SGD training module
  const damaged = (reason: string) => damagedState(statePath, dir, reason);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (error) {
    throw damaged(errorMessage(error).replace(/\s*[\r\n]+\s*/g, ' '));
  }
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw damaged(`${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return checkedAgainstExperiment(parsed.data, statePath, dir, experimentModules);
}

/** Every string in `value` (searched into objects and arrays) that names a JS module: what the user's own experiment names. */
function moduleStrings(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string' && looksLikePath(value)) out.add(path.resolve(value));
  else if (Array.isArray(value)) for (const v of value) moduleStrings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) moduleStrings(v, out);
  return out;
}

/**
 * experiment_state.json is data: resuming never loads a module or writes a folder that the user's
 * own experiment file does not name. A trial's env module must appear in the experiment's config
 * (an absolute path, as trials record it, or relative to the working directory), and its folder
 * must lie inside the experiment's.
 */
function checkedAgainstExperiment(state: ExperimentState, statePath: string, dir: string, named: Set<string>): ExperimentState {
  if (state.module !== undefined && !named.has(path.resolve(state.module))) {
    throw damagedState(statePath, dir, `it names the training module ${state.module}, which the experiment file does not`);
  }
  for (const trial of state.trials) {
    const env = trial.config.env;
    if (typeof env === 'string' && looksLikePath(env) && !named.has(path.resolve(env))) {
      throw damagedState(statePath, dir, `trial ${trial.id} names the env module ${env}, which the experiment file does not`);
    }
    const trialDir = path.resolve(trial.dir);
    if (path.dirname(trialDir) !== path.resolve(dir)) throw damagedState(statePath, dir, `trial ${trial.id}'s folder ${trial.dir} is not in the experiment's folder`);
  }
  return state;
}

/** CPUs a trial holds, as Tune accounts them: the trainer's plus its rollout workers'. */
export function trialCpus(run: string, config: Record<string, unknown>): number {
  if (run === SGD_RUN) return sgdTrialCpus(config);
  if (!isAlgorithm(run)) return 1;
  return trainerCpus(resolveConfig(getAlgorithm(run).config, [{ source: 'trial', config }]));
}

function writeJSONAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

function trialName(experiment: TuneExperiment, config: Record<string, unknown>, index: number): string {
  const { run } = experiment;
  const base = run === SGD_RUN ? `SGD_${path.basename(experiment.module ?? 'module').replace(/\.(c|m)?js$/, '')}` : isAlgorithm(run) ? `${run}_${String(config.env ?? 'env').replace(/[^A-Za-z0-9_.-]/g, '_')}` : path.basename(run).replace(/\.(c|m)?js$/, '');
  return `${base}_${String(index).padStart(5, '0')}`;
}

export function bestTrial(trials: TrialRecord[], metric: string, mode: 'max' | 'min'): TrialRecord | null {
  let best: TrialRecord | null = null;
  let bestValue = NaN;
  for (const trial of trials) {
    const value = trial.last_result ? resultValue(trial.last_result, metric) : undefined;
    if (typeof value !== 'number' || Number.isNaN(value)) continue;
    if (best === null || (mode === 'max' ? value > bestValue : value < bestValue)) {
      best = trial;
      bestValue = value;
    }
  }
  return best;
}

export async function runTune(experiment: TuneExperiment, options: TuneOptions = {}): Promise<TuneOutcome> {
  const start = performance.now();
  const dir = path.resolve(experiment.local_dir, experiment.name);
  const statePath = path.join(dir, 'experiment_state.json');
  const cpus = options.cpus ?? os.availableParallelism();
  const maxConcurrent = options.maxConcurrent ?? experiment.max_concurrent_trials ?? Infinity;
  const scheduler = makeScheduler(experiment.scheduler, experiment.metric, experiment.mode, experiment.seed);

  let trials: TrialRecord[];
  if (options.resume) {
    if (!existsSync(statePath)) throw new UserError(`nothing to resume: ${path.relative(process.cwd(), statePath) || statePath} does not exist; run without --resume`);
    const named = moduleStrings(experiment.config);
    if (experiment.module !== undefined) named.add(experiment.module);
    const state = readExperimentState(statePath, dir, named);
    trials = state.trials.map((t) => (t.status === 'RUNNING' ? { ...t, status: 'PENDING' } : t));
    try {
      scheduler.load(state.scheduler);
    } catch (error) {
      throw damagedState(statePath, dir, `scheduler: ${errorMessage(error)}`);
    }
  } else {
    if (existsSync(statePath)) {
      throw new UserError(
        `${path.relative(process.cwd(), dir) || dir} already holds this experiment: add --resume to continue it, or give it another name (or local_dir)`,
      );
    }
    trials = expandSearchSpace(experiment.config, experiment.num_samples, experiment.seed).map((variant, index) => {
      const config = (isAlgorithm(experiment.run) || experiment.run === SGD_RUN) && variant.config.seed === undefined ? { ...variant.config, seed: experiment.seed * 1000 + index } : variant.config;
      const id = trialName(experiment, config, index);
      return {
        id,
        config,
        varied: variant.varied,
        status: 'PENDING' as const,
        cpus: trialCpus(experiment.run, config),
        iteration: 0,
        time_total_s: 0,
        last_result: null,
        checkpoint: null,
        failures: 0,
        stop_reason: null,
        error_file: null,
        dir: path.join(dir, id),
      };
    });
  }
  await scheduler.setup?.(experiment.run, trials, options.resume === true);
  if (!options.resume && scheduler.setup) for (const trial of trials) trial.initial_varied = { ...trial.varied };
  const maxTrialCpus = options.maxTrialCpus ?? cpus;
  const tooBig = trials.find((t) => t.cpus > maxTrialCpus);
  if (tooBig) {
    throw new UserError(
      experiment.run === SGD_RUN
        ? `trial ${tooBig.id} needs ${tooBig.cpus} CPUs (1 for the trial + 1 per worker, num_workers) but ${maxTrialCpus} are available${options.maxTrialCpus !== undefined ? ' on one node' : ''}: lower num_workers to ${maxTrialCpus - 1} or less`
        : `trial ${tooBig.id} needs ${tooBig.cpus} CPUs (1 for the trainer + num_workers x num_cpus_per_worker) but ${maxTrialCpus} are available${options.maxTrialCpus !== undefined ? ' on one node' : ''}: ` +
            'set "num_cpus_per_worker": 0 in config so that rollout workers share the trainer\'s CPU, or lower num_workers',
    );
  }
  // The training module the experiment names is checked here (its exports), so that a bad one is one line, not N failed trials.
  if (experiment.run === SGD_RUN && experiment.module === undefined) throw new UserError('run SGD needs module: the path of an rl sgd training module');
  if (experiment.module !== undefined) await loadTrainingModule(experiment.module);
  mkdirSync(dir, { recursive: true });
  const save = () =>
    writeJSONAtomic(statePath, { name: experiment.name, source: experiment.source, ...(experiment.module !== undefined ? { module: experiment.module } : {}), trials, scheduler: scheduler.state() } satisfies ExperimentState);
  save();

  const running = new Map<string, TrialHandle>();
  const launcher = options.launcher ?? threadLauncher;
  let interrupted = false;
  const emit = (event: TuneEvent) => options.onEvent?.(event, trials);

  await new Promise<void>((resolve) => {
    const interrupt = () => {
      interrupted = true;
      for (const handle of running.values()) handle.send({ type: 'interrupt' } satisfies RunnerMessage);
      if (running.size === 0) resolve();
    };
    options.signal?.addEventListener('abort', interrupt, { once: true });

    const finish = (trial: TrialRecord, status: TrialStatus) => {
      trial.status = status;
      running.delete(trial.id);
      save();
      schedule();
    };

    /** Carries out a scheduler's PAUSE: the new config and, for a PBT exploit, the donor's checkpoint and the history line. */
    const applyPause = (trial: TrialRecord, decision: Extract<Decision, { action: 'PAUSE' }>) => {
      const { clone } = decision;
      if (clone) {
        const donor = trials.find((t) => t.id === clone.donor)!;
        trial.checkpoint = cloneCheckpoint(clone.checkpoint, trial.dir, (trial.perturbations ?? 0) + 1);
        if (clone.record) recordChange(trial.dir, donor.dir, clone.record);
      }
      if (decision.config) trial.perturbations = (trial.perturbations ?? 0) + 1;
      if (decision.config) trial.config = decision.config;
      Object.assign(trial.varied, decision.varied ?? {});
    };

    const launch = (trial: TrialRecord) => {
      mkdirSync(trial.dir, { recursive: true });
      const task: TrialTask = {
        id: trial.id,
        run: experiment.run,
        module: experiment.module,
        config: trial.config,
        dir: trial.dir,
        restore: trial.checkpoint,
        checkpointFreq: experiment.checkpoint_freq,
        checkpointAtEnd: experiment.checkpoint_at_end,
        keepCheckpointsNum: experiment.keep_checkpoints_num,
        backend: options.backend ?? 'auto',
      };
      let settled = false;
      let pausing = false;
      /** Set once the trial is to continue from a donor's checkpoint: a late checkpoint of its own (an interrupt racing the decision) must not replace it. */
      let cloned = false;
      const fail = (message: string, stack?: string) => {
        if (settled) return;
        settled = true;
        trial.failures += 1;
        const errorFile = path.join(trial.dir, 'error.txt');
        writeFileSync(errorFile, `${stack ?? message}\n`, { flag: 'a' });
        trial.error_file = errorFile;
        handle.stop();
        if (trial.failures <= experiment.max_failures && !interrupted) {
          emit({ type: 'retry', trial, message });
          trial.status = 'PENDING';
          running.delete(trial.id);
          save();
          schedule();
        } else {
          emit({ type: 'error', trial, message });
          finish(trial, 'ERROR');
        }
      };
      const onMessage = (message: TrialMessage) => {
        if (settled) return;
        if (message.type === 'result') {
          const result = message.result;
          const unreported = trial.last_result === null ? unreportedStopKey(experiment.stop, result) : null;
          if (unreported) {
            fail(unreported);
            return;
          }
          trial.last_result = result;
          trial.iteration = typeof result.training_iteration === 'number' ? result.training_iteration : trial.iteration + 1;
          trial.time_total_s = typeof result.time_total_s === 'number' ? result.time_total_s : trial.time_total_s;
          const reached = stopReached(experiment.stop, result);
          let decision: Decision | null = null;
          if (!reached) {
            try {
              decision = scheduler.onResult(trial.id, result, trials);
            } catch (error) {
              trial.failures = experiment.max_failures; // the scheduler refuses this trial's results: no retry
              fail(errorMessage(error));
              return;
            }
          }
          const stop = reached !== null || decision?.action === 'STOP' || decision?.action === 'PAUSE';
          if (reached !== null || decision?.action === 'STOP') trial.stop_reason = reached ?? (decision?.action === 'STOP' ? decision.reason : null);
          if (decision?.action === 'PAUSE') {
            pausing = true;
            try {
              applyPause(trial, decision);
              cloned = decision.clone !== undefined;
            } catch (error) {
              // e.g. keep_checkpoints_num pruned the donor's checkpoint: no exploit, the trial just pauses
              logger.warn(`${trial.id} could not clone ${decision.clone?.donor}'s checkpoint (${errorMessage(error)}); it goes on with its own`);
              decision = { action: 'PAUSE', checkpoint: true };
            }
          }
          const checkpoint = decision?.action === 'PAUSE' || decision?.action === 'CONTINUE' ? decision.checkpoint : undefined;
          handle.send({ type: 'decision', stop, checkpoint } satisfies RunnerMessage);
          save();
          emit({ type: 'result', trial });
          if (decision?.action === 'PAUSE' && decision.config) emit({ type: 'exploit', trial, message: decision.clone ? `cloned ${decision.clone.donor}` : 'next config of the schedule' });
        } else if (message.type === 'checkpoint') {
          if (cloned) return;
          trial.checkpoint = message.path;
          scheduler.onCheckpoint?.(trial.id, message.path);
          save();
        } else if (message.type === 'done') {
          settled = true;
          handle.stop();
          if (pausing) {
            trial.status = 'PAUSED';
            running.delete(trial.id);
            save();
            emit({ type: 'paused', trial });
            schedule();
            return;
          }
          if (message.interrupted && !trial.stop_reason) {
            trial.status = 'PENDING';
            running.delete(trial.id);
            save();
            if (running.size === 0) resolve();
            return;
          }
          trial.stop_reason ??= 'the trainable returned';
          emit({ type: 'terminated', trial });
          finish(trial, 'TERMINATED');
        } else if (message.type === 'error') {
          fail(message.message, message.stack);
        }
      };
      /** On a cluster: a restart after the trial's node died counts as one of its failures (max_failures). */
      const onPlaced = (node: string, restarted: boolean) => {
        if (settled) return;
        trial.node = node;
        if (restarted) {
          trial.failures += 1;
          const message = `its node died; continuing on ${node} from ${trial.checkpoint ?? 'the start'}`;
          trial.error_file = path.join(trial.dir, 'error.txt');
          writeFileSync(trial.error_file, `${message}\n`, { flag: 'a' });
          if (trial.failures > experiment.max_failures || interrupted) {
            settled = true;
            handle.stop();
            emit({ type: 'error', trial, message: `its node died (failure ${trial.failures}, max_failures ${experiment.max_failures})` });
            finish(trial, 'ERROR');
            return;
          }
          emit({ type: 'retry', trial, message: 'its node died' });
        }
        save();
        emit({ type: 'placed', trial });
      };
      trial.status = 'RUNNING';
      save();
      // launchers call back asynchronously, once handle is set
      const handle: TrialHandle = launcher.launch(task, trial.cpus, {
        message: onMessage,
        crashed: (message, stack) => {
          if (!settled) fail(message, stack);
        },
        placed: onPlaced,
      });
      running.set(trial.id, handle);
      emit({ type: 'start', trial });
    };

    const schedule = () => {
      if (interrupted) {
        if (running.size === 0) resolve();
        return;
      }
      let used = trials.filter((t) => t.status === 'RUNNING').reduce((n, t) => n + t.cpus, 0);
      const waiting = trials.filter((t) => (t.status === 'PENDING' || t.status === 'PAUSED') && !running.has(t.id));
      for (const trial of scheduler.order?.(waiting) ?? waiting) {
        if (running.size >= maxConcurrent || used + trial.cpus > cpus) break;
        used += trial.cpus;
        launch(trial);
      }
      if (running.size === 0) resolve();
    };
    if (options.signal?.aborted) interrupt();
    else schedule();
  });
  save();
  return {
    trials,
    best: bestTrial(trials.filter((t) => t.status === 'TERMINATED'), experiment.metric, experiment.mode),
    dir,
    interrupted,
    wallTimeS: (performance.now() - start) / 1000,
    schedulerSummary: scheduler.summary?.() ?? null,
  };
}
