// A rollout worker: steps a VectorEnv with the current policy (the kernel's forward pass, one call
// a step for all its envs),
// records a fragment of rollout_fragment_length steps per env, and computes GAE per episode
// segment at the fragment's end, bootstrapping with V(s) on truncation and at the cut
// (RLlib's truncate_episodes). All its state can be exported, so that a fragment comes out
// the same whichever thread runs it.
import { VectorEnv, type VectorEnvState } from '../envs/vector_env.js';
import { resolveEnv, type EnvKwargs } from '../envs/registry.js';
import { Box, Discrete } from '../envs/spaces.js';
import { ForwardPass, modelLayout, type ModelLayout, type ModelOptions } from '../policy/model.js';
import { distributionFor, type ActionDistribution } from '../policy/distributions.js';
import { makeFilter, MeanStdFilter, type FilterState, type ObservationFilter, type RunningStatState } from '../policy/filter.js';
import { computeAdvantages, type AdvantageOptions } from '../algorithms/ppo/postprocessing.js';
import { Random, type RandomState } from '../utils/random.js';
import { allocateBatch, concatBatches, type SampleBatch } from './sample_batch.js';

function emptyEpisode(): PendingEpisode {
  return { obs: [], actions: [], logp: [], distInputs: [], vfPreds: [], rewards: [] };
}

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
  model: ModelOptions;
  advantages: AdvantageOptions;
  seed: number;
  workerIndex: number;
}

/** An episode in progress, kept between fragments in complete_episodes mode. */
export interface PendingEpisode {
  obs: number[];
  actions: number[];
  logp: number[];
  distInputs: number[];
  vfPreds: number[];
  rewards: number[];
}

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

export class RolloutWorker {
  readonly venv: VectorEnv;
  readonly layout: ModelLayout;
  readonly distribution: ActionDistribution;
  private readonly forward: ForwardPass;
  private filter: ObservationFilter;
  private rng: Random;
  private started = false;
  private pending: PendingEpisode[];
  // per-step scratch, allocated once
  private readonly stepObs: Float32Array;
  private readonly stepDistInputs: Float32Array;
  private readonly stepValues: Float32Array;
  private readonly envActions: Float32Array;
  private readonly singleObs: Float32Array;
  private readonly singleValue = new Float32Array(1);
  private readonly actionLow: Float32Array | null;
  private readonly actionHigh: Float32Array | null;
  private readonly actionStart: number;

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
    const obsSize = this.venv.observationSize;
    this.layout = modelLayout(obsSize, this.venv.action_space, config.model);
    this.distribution = distributionFor(this.venv.action_space);
    this.forward = new ForwardPass(this.layout, new Float32Array(this.layout.totalSize), config.numEnvs);
    this.filter = makeFilter(config.observationFilter, obsSize);
    this.rng = new Random(config.seed * 7919 + 104729 * (config.workerIndex + 1));
    this.stepObs = new Float32Array(config.numEnvs * obsSize);
    this.stepDistInputs = new Float32Array(config.numEnvs * this.layout.policyOutputs);
    this.stepValues = new Float32Array(config.numEnvs);
    this.envActions = new Float32Array(config.numEnvs * this.venv.actionSize);
    this.singleObs = new Float32Array(obsSize);
    const space = this.venv.action_space;
    this.actionLow = space instanceof Box && config.clipActions ? space.low : null;
    this.actionHigh = space instanceof Box && config.clipActions ? space.high : null;
    this.actionStart = space instanceof Discrete ? space.start : 0;
    this.pending = Array.from({ length: config.numEnvs }, emptyEpisode);
  }

  getState(): WorkerState {
    return { env: this.venv.getState(), rng: this.rng.getState(), started: this.started, pending: this.pending };
  }

  setState(state: WorkerState): void {
    if (state.env) this.venv.setState(state.env);
    this.rng = Random.fromState(state.rng);
    this.started = state.started;
    this.pending = state.pending;
  }

  /** Collects one fragment with the given weights and filter. */
  sample(weights: Float32Array, filterState: FilterState | null): SampleResult {
    this.forward.setWeights(weights);
    if (filterState) this.filter = MeanStdFilter.fromState({ ...filterState, buffer: { n: 0, mean: [], m2: [] } });
    if (this.filter instanceof MeanStdFilter) this.filter.buffer.clear();
    if (!this.started) {
      this.venv.reset(this.config.seed + this.config.workerIndex * this.config.numEnvs);
      this.venv.checkFinite(true);
      this.started = true;
    }
    if (this.config.batchMode === 'complete_episodes') return this.sampleCompleteEpisodes();
    const { numEnvs, fragmentLength: T } = this.config;
    const venv = this.venv;
    const O = venv.observationSize;
    const A = this.distribution.actionSize;
    const P = this.layout.policyOutputs;
    const batch = allocateBatch(numEnvs * T, O, A, P);
    const episodes: EpisodeStats = { returns: [], lengths: [] };
    const segmentStart = new Int32Array(numEnvs);

    for (let t = 0; t < T; t++) {
      for (let i = 0; i < numEnvs; i++) this.filter.apply(venv.observations, i * O, this.stepObs, i * O, true);
      this.forward.policyAndValue(this.stepObs, numEnvs, this.stepDistInputs, this.stepValues);
      for (let i = 0; i < numEnvs; i++) {
        const row = i * T + t; // env-major: each env's fragment is contiguous
        batch.obs.set(this.stepObs.subarray(i * O, (i + 1) * O), row * O);
        batch.distInputs.set(this.stepDistInputs.subarray(i * P, (i + 1) * P), row * P);
        batch.vfPreds[row] = this.stepValues[i];
        batch.logp[row] = this.distribution.sample(this.stepDistInputs, i * P, this.rng, batch.actions, row * A);
        this.toEnvAction(batch.actions, row * A, i * A);
      }
      venv.step(this.envActions);
      venv.checkFinite();
      for (let i = 0; i < numEnvs; i++) {
        const row = i * T + t;
        batch.rewards[row] = venv.rewards[i];
        const terminated = venv.terminated[i] === 1;
        if (terminated || venv.truncated[i] === 1) {
          episodes.returns.push(venv.finishedReturns[i]);
          episodes.lengths.push(venv.finishedLengths[i]);
          const lastValue = terminated ? 0 : this.valueOf(venv.finalObservations, i * O);
          this.finishSegment(batch, i * T + segmentStart[i], row + 1, lastValue);
          segmentStart[i] = t + 1;
        }
      }
    }
    // The fragment cut: bootstrap each unfinished segment with V(s) of the next observation.
    for (let i = 0; i < numEnvs; i++) {
      if (segmentStart[i] < T) this.finishSegment(batch, i * T + segmentStart[i], i * T + T, this.valueOf(venv.observations, i * O));
    }
    return {
      workerIndex: this.config.workerIndex,
      batch,
      episodes,
      filterBuffer: this.filter instanceof MeanStdFilter ? this.filter.buffer.toJSON() : null,
      state: this.getState(),
    };
  }

  /**
   * complete_episodes: steps until episodes totalling at least fragmentLength x numEnvs steps have
   * ended; episodes still running are kept for the next call (RLlib's complete_episodes).
   */
  private sampleCompleteEpisodes(): SampleResult {
    const { numEnvs, fragmentLength } = this.config;
    const venv = this.venv;
    const O = venv.observationSize;
    const A = this.distribution.actionSize;
    const P = this.layout.policyOutputs;
    const finished: SampleBatch[] = [];
    const episodes: EpisodeStats = { returns: [], lengths: [] };
    const stepActions = new Float32Array(numEnvs * A);
    let count = 0;
    while (count < fragmentLength * numEnvs) {
      for (let i = 0; i < numEnvs; i++) this.filter.apply(venv.observations, i * O, this.stepObs, i * O, true);
      this.forward.policyAndValue(this.stepObs, numEnvs, this.stepDistInputs, this.stepValues);
      for (let i = 0; i < numEnvs; i++) {
        const episode = this.pending[i];
        for (let k = 0; k < O; k++) episode.obs.push(this.stepObs[i * O + k]);
        for (let k = 0; k < P; k++) episode.distInputs.push(this.stepDistInputs[i * P + k]);
        episode.vfPreds.push(this.stepValues[i]);
        episode.logp.push(this.distribution.sample(this.stepDistInputs, i * P, this.rng, stepActions, i * A));
        for (let k = 0; k < A; k++) episode.actions.push(stepActions[i * A + k]);
        this.toEnvAction(stepActions, i * A, i * A);
      }
      venv.step(this.envActions);
      venv.checkFinite();
      for (let i = 0; i < numEnvs; i++) {
        const episode = this.pending[i];
        episode.rewards.push(venv.rewards[i]);
        const terminated = venv.terminated[i] === 1;
        if (terminated || venv.truncated[i] === 1) {
          episodes.returns.push(venv.finishedReturns[i]);
          episodes.lengths.push(venv.finishedLengths[i]);
          const lastValue = terminated ? 0 : this.valueOf(venv.finalObservations, i * O);
          const n = episode.rewards.length;
          const batch = allocateBatch(n, O, A, P);
          batch.obs.set(episode.obs);
          batch.actions.set(episode.actions);
          batch.logp.set(episode.logp);
          batch.distInputs.set(episode.distInputs);
          batch.vfPreds.set(episode.vfPreds);
          batch.rewards.set(episode.rewards);
          this.finishSegment(batch, 0, n, lastValue);
          finished.push(batch);
          count += n;
          this.pending[i] = emptyEpisode();
        }
      }
    }
    return {
      workerIndex: this.config.workerIndex,
      batch: concatBatches(finished),
      episodes,
      filterBuffer: this.filter instanceof MeanStdFilter ? this.filter.buffer.toJSON() : null,
      state: this.getState(),
    };
  }

  private toEnvAction(actions: Float32Array, from: number, to: number): void {
    const A = this.distribution.actionSize;
    if (this.actionLow && this.actionHigh) {
      for (let k = 0; k < A; k++) {
        const a = actions[from + k];
        this.envActions[to + k] = a < this.actionLow[k] ? this.actionLow[k] : a > this.actionHigh[k] ? this.actionHigh[k] : a;
      }
    } else if (this.actionStart !== 0) {
      this.envActions[to] = actions[from] + this.actionStart;
    } else {
      for (let k = 0; k < A; k++) this.envActions[to + k] = actions[from + k];
    }
  }

  private valueOf(observations: Float32Array, offset: number): number {
    this.filter.apply(observations, offset, this.singleObs, 0, false);
    this.forward.value(this.singleObs, 1, this.singleValue);
    return this.singleValue[0];
  }

  private finishSegment(batch: SampleBatch, start: number, end: number, lastValue: number): void {
    computeAdvantages(batch.rewards, batch.vfPreds, lastValue, this.config.advantages, batch.advantages, batch.valueTargets, start, end);
  }
}

