// A rollout worker: steps a VectorEnv with the current policy (its algorithm's forward pass, one
// call a step for all its envs) and records a fragment of rollout_fragment_length steps per env
// (or whole episodes) with the generic columns (obs, actions, rewards, terminated, truncated,
// new_obs) and the columns the algorithm's policy adds, then runs the algorithm's postprocessing
// on each episode segment (RLlib's postprocess_trajectory). The algorithm is looked up by name in
// the registry, so the worker runs in any thread. All its state can be exported, so that a
// fragment comes out the same whichever thread runs it.
import { VectorEnv, type VectorEnvState } from '../envs/vector_env.js';
import { resolveEnv, type EnvKwargs } from '../envs/registry.js';
import { Discrete } from '../envs/spaces.js';
import type { ModelLayout } from '../nn/layout.js';
import { makeFilter, MeanStdFilter, type FilterState, type ObservationFilter, type RunningStatState } from '../policy/filter.js';
import { policyMaker } from '../algorithms/policies.js';
import type { AlgorithmPolicy } from '../algorithms/algorithm.js';
import { Random, type RandomState } from '../utils/random.js';
import { ACTIONS, NEW_OBS, OBS, REWARDS, TERMINATED, TRUNCATED, allocateBatch, concatBatches, type SampleBatch } from './sample_batch.js';
import { EnvActions } from './env_actions.js';
import { applyEpsilonGreedy, explorationProblem, randomActions, samplesFromPolicy, type Exploration } from './exploration.js';

export interface RolloutWorkerConfig {
  env: string;
  envConfig: EnvKwargs;
  numEnvs: number;
  fragmentLength: number;
  /** truncate_episodes: fragments of fragmentLength steps per env; complete_episodes: whole episodes, at least that many steps in all. */
  batchMode: 'truncate_episodes' | 'complete_episodes';
  horizon: number | null;
  clipActions: boolean;
  observationFilter: 'NoFilter' | 'MeanStdFilter';
  /** The registered algorithm whose policy acts, and its resolved config (JSON, as it crosses threads). */
  algorithm: string;
  policyConfig: Record<string, unknown>;
  seed: number;
  workerIndex: number;
}

/** An episode in progress, kept between fragments in complete_episodes mode: its rows so far, by column. */
export type PendingEpisode = Record<string, number[]>;

export interface WorkerState {
  env: VectorEnvState | null;
  rng: RandomState;
  started: boolean;
  pending: PendingEpisode[];
}

export interface EpisodeStats {
  returns: number[];
  lengths: number[];
}

export interface SampleResult {
  workerIndex: number;
  batch: SampleBatch;
  episodes: EpisodeStats;
  /** What the worker's filter saw during this fragment, for the driver to merge. */
  filterBuffer: RunningStatState | null;
  state: WorkerState;
}

/** Checkpoints written before the generic columns kept PPO's pending episodes as {obs, actions, logp, distInputs, vfPreds, rewards}. */
const OLD_PENDING_KEYS: Record<string, string> = { logp: 'action_logp', distInputs: 'action_dist_inputs', vfPreds: 'vf_preds' };

/** A pending episode in the current form (old PPO ones: renamed columns; new_obs and the end flags of its unfinished rows rebuilt). */
export function upgradePendingEpisode(episode: PendingEpisode, observationSize: number): PendingEpisode {
  if (Object.hasOwn(episode, NEW_OBS)) return episode;
  const out: PendingEpisode = {};
  for (const [key, values] of Object.entries(episode)) out[OLD_PENDING_KEYS[key] ?? key] = values;
  const rows = out[REWARDS]?.length ?? 0;
  // Within an unfinished episode every row's new_obs is the next row's obs; the last row's comes with the next step.
  out[NEW_OBS] = (out[OBS] ?? []).slice(observationSize);
  out[TERMINATED] = new Array<number>(rows).fill(0);
  out[TRUNCATED] = new Array<number>(rows).fill(0);
  return out;
}

export class RolloutWorker {
  readonly venv: VectorEnv;
  readonly policy: AlgorithmPolicy;
  /** Floats per row of each column this worker records. */
  readonly widths: Record<string, number>;
  private readonly envActions: EnvActions;
  private filter: ObservationFilter;
  private rng: Random;
  private started = false;
  private pending: PendingEpisode[];
  // per-step scratch, allocated once
  private readonly stepObs: Float32Array;
  private readonly stepNewObs: Float32Array;
  private readonly stepActions: Float32Array;
  private readonly stepExtras: Record<string, Float32Array>;
  private readonly stepEnvActions: Float32Array;
  /** One row, for complete_episodes to copy into its pending episodes. */
  private readonly stepRow: SampleBatch;
  private exploration: Exploration = { type: 'stochastic' };

  static async create(config: RolloutWorkerConfig): Promise<RolloutWorker> {
    await resolveEnv(config.env);
    return new RolloutWorker(config);
  }

  constructor(readonly config: RolloutWorkerConfig) {
    this.venv = new VectorEnv(config.env, config.numEnvs, {
      kwargs: config.envConfig,
      maxEpisodeSteps: config.horizon === null ? undefined : config.horizon,
      owner: `rollout worker ${config.workerIndex}`,
    });
    const n = config.numEnvs;
    const O = this.venv.observationSize;
    this.policy = policyMaker(config.algorithm)({ observationSize: O, actionSpace: this.venv.action_space, config: config.policyConfig as never, batch: n });
    const A = this.policy.actionSize;
    this.widths = { [OBS]: O, [ACTIONS]: A, [REWARDS]: 1, [TERMINATED]: 1, [TRUNCATED]: 1, [NEW_OBS]: O, ...this.policy.extraColumns };
    this.envActions = new EnvActions(this.venv.action_space, config.clipActions);
    this.filter = makeFilter(config.observationFilter, O);
    this.rng = new Random(config.seed * 7919 + 104729 * (config.workerIndex + 1));
    this.stepObs = new Float32Array(n * O);
    this.stepNewObs = new Float32Array(n * O);
    this.stepActions = new Float32Array(n * A);
    this.stepExtras = Object.fromEntries(Object.entries(this.policy.extraColumns).map(([name, width]) => [name, new Float32Array(n * width)]));
    this.stepEnvActions = new Float32Array(n * this.venv.actionSize);
    this.stepRow = allocateBatch(1, this.widths);
    this.pending = Array.from({ length: n }, () => this.emptyEpisode());
  }

  get layout(): ModelLayout {
    return this.policy.layout;
  }

  private emptyEpisode(): PendingEpisode {
    return Object.fromEntries(Object.keys(this.widths).map((name) => [name, []]));
  }

  getState(): WorkerState {
    return { env: this.venv.getState(), rng: this.rng.getState(), started: this.started, pending: this.pending };
  }

  setState(state: WorkerState): void {
    if (state.env) this.venv.setState(state.env);
    this.rng = Random.fromState(state.rng);
    this.started = state.started;
    this.pending = state.pending.map((episode) => upgradePendingEpisode(episode, this.venv.observationSize));
  }

  /** Collects one fragment with the given weights, filter and exploration (default: sampled from the policy). */
  sample(weights: Float32Array, filterState: FilterState | null, exploration: Exploration = { type: 'stochastic' }): SampleResult {
    const problem = explorationProblem(exploration, this.venv.action_space);
    if (problem) throw new RangeError(problem);
    this.exploration = exploration;
    this.policy.setWeights(weights);
    if (filterState) this.filter = MeanStdFilter.fromState({ ...filterState, buffer: { n: 0, mean: [], m2: [] } });
    if (this.filter instanceof MeanStdFilter) this.filter.buffer.clear();
    if (!this.started) {
      this.venv.reset(this.config.seed + this.config.workerIndex * this.config.numEnvs);
      this.venv.checkFinite(true);
      this.started = true;
    }
    const episodes: EpisodeStats = { returns: [], lengths: [] };
    const batch = this.config.batchMode === 'complete_episodes' ? this.sampleCompleteEpisodes(episodes) : this.sampleFragment(episodes);
    return {
      workerIndex: this.config.workerIndex,
      batch,
      episodes,
      filterBuffer: this.filter instanceof MeanStdFilter ? this.filter.buffer.toJSON() : null,
      state: this.getState(),
    };
  }

  /**
   * The per-step body: filter the observations (updating the filter), act, step the envs. After
   * it, stepObs holds the filtered observations acted on, stepActions the actions and stepExtras
   * the policy's columns; for each env whose episode ended, stepNewObs its filtered final
   * observation (the env itself has already reset). Returns nothing: read the venv's rewards and flags.
   */
  private step(episodes: EpisodeStats): void {
    const n = this.config.numEnvs;
    const venv = this.venv;
    const O = venv.observationSize;
    for (let i = 0; i < n; i++) this.filter.apply(venv.observations, i * O, this.stepObs, i * O, true);
    const exploration = this.exploration;
    this.policy.computeActions(this.stepObs, n, samplesFromPolicy(exploration), this.rng, this.stepActions, this.stepExtras);
    if (exploration.type === 'epsilon_greedy') applyEpsilonGreedy(this.stepActions, n, (venv.action_space as Discrete).n, exploration.epsilon, this.rng);
    else if (exploration.type === 'random') randomActions(venv.action_space, this.stepActions, n, this.rng);
    this.envActions.convert(this.stepActions, 0, this.stepEnvActions, 0, n);
    venv.step(this.stepEnvActions);
    venv.checkFinite();
    for (let i = 0; i < n; i++) {
      if (venv.terminated[i] === 1 || venv.truncated[i] === 1) {
        episodes.returns.push(venv.finishedReturns[i]);
        episodes.lengths.push(venv.finishedLengths[i]);
        this.filter.apply(venv.finalObservations, i * O, this.stepNewObs, i * O, false);
      }
    }
  }

  private ended(i: number): boolean {
    return this.venv.terminated[i] === 1 || this.venv.truncated[i] === 1;
  }

  /** truncate_episodes: fragmentLength steps per env, env-major (each env's steps contiguous), cut episodes bootstrapped from new_obs. */
  private sampleFragment(episodes: EpisodeStats): SampleBatch {
    const { numEnvs: n, fragmentLength: T } = this.config;
    const venv = this.venv;
    const O = venv.observationSize;
    const batch = allocateBatch(n * T, this.widths);
    const newObs = batch.columns[NEW_OBS];
    const segments: [number, number][] = [];
    const segmentStart = new Int32Array(n);
    /** Per env, the row whose new_obs is the next step's observation (-1: none). */
    const awaiting = new Int32Array(n).fill(-1);
    for (let t = 0; t < T; t++) {
      this.step(episodes);
      for (let i = 0; i < n; i++) {
        const row = i * T + t;
        if (awaiting[i] >= 0) newObs.set(this.stepObs.subarray(i * O, (i + 1) * O), awaiting[i] * O);
        this.recordRow(batch, row, i);
        if (this.ended(i)) {
          newObs.set(this.stepNewObs.subarray(i * O, (i + 1) * O), row * O);
          segments.push([i * T + segmentStart[i], row + 1]);
          segmentStart[i] = t + 1;
          awaiting[i] = -1;
        } else {
          awaiting[i] = row;
        }
      }
    }
    // The fragment cut: each unfinished segment's last new_obs is the observation the envs are at now.
    for (let i = 0; i < n; i++) {
      if (awaiting[i] >= 0) this.filter.apply(venv.observations, i * O, newObs, awaiting[i] * O, false);
      if (segmentStart[i] < T) segments.push([i * T + segmentStart[i], i * T + T]);
    }
    this.policy.postprocess?.(batch, segments);
    return batch;
  }

  /** Row `row` of a batch from env i's step: everything but new_obs. */
  private recordRow(batch: SampleBatch, row: number, i: number): void {
    const venv = this.venv;
    const { columns, widths } = batch;
    const O = widths[OBS];
    const A = widths[ACTIONS];
    columns[OBS].set(this.stepObs.subarray(i * O, (i + 1) * O), row * O);
    columns[ACTIONS].set(this.stepActions.subarray(i * A, (i + 1) * A), row * A);
    columns[REWARDS][row] = venv.rewards[i];
    columns[TERMINATED][row] = venv.terminated[i];
    columns[TRUNCATED][row] = venv.truncated[i];
    for (const [name, values] of Object.entries(this.stepExtras)) {
      const w = widths[name];
      columns[name].set(values.subarray(i * w, (i + 1) * w), row * w);
    }
  }

  /**
   * complete_episodes: steps until episodes totalling at least fragmentLength x numEnvs steps have
   * ended; episodes still running are kept for the next call (RLlib's complete_episodes).
   */
  private sampleCompleteEpisodes(episodes: EpisodeStats): SampleBatch {
    const { numEnvs: n, fragmentLength } = this.config;
    const O = this.venv.observationSize;
    const finished: SampleBatch[] = [];
    const push = (list: number[], values: Float32Array, from: number, width: number) => {
      for (let k = 0; k < width; k++) list.push(values[from + k]);
    };
    let count = 0;
    while (count < fragmentLength * n) {
      this.step(episodes);
      for (let i = 0; i < n; i++) {
        const episode = this.pending[i];
        if (episode[NEW_OBS].length < episode[OBS].length) push(episode[NEW_OBS], this.stepObs, i * O, O);
        this.recordRow(this.stepRow, 0, i);
        for (const name of Object.keys(this.widths)) if (name !== NEW_OBS) push(episode[name], this.stepRow.columns[name], 0, this.widths[name]);
        if (this.ended(i)) {
          push(episode[NEW_OBS], this.stepNewObs, i * O, O);
          const rows = episode[REWARDS].length;
          const batch = allocateBatch(rows, this.widths);
          for (const name of Object.keys(this.widths)) batch.columns[name].set(episode[name]);
          this.policy.postprocess?.(batch, [[0, rows]]);
          finished.push(batch);
          count += rows;
          this.pending[i] = this.emptyEpisode();
        }
      }
    }
    return concatBatches(finished);
  }
}
