// Sampling for DQN: steps a VectorEnv with epsilon-greedy actions over the online Q-values and
// returns each round (rollout_fragment_length steps per env) as n-step transitions: each env's
// rows are one trajectory piece per episode, cut where an episode terminated or was truncated
// and at the round's end (RLlib's truncate_episodes), then rewritten by adjustNStep.
import { VectorEnv } from '../../envs/vector_env.js';
import type { EnvKwargs } from '../../envs/registry.js';
import { Random, type RandomState } from '../../utils/random.js';
import { allocateTransitions, type Transitions } from '../../execution/replay_buffer.js';
import type { ModelLayout } from '../../policy/model.js';
import { QNetwork } from './q_network.js';
import { epsilonGreedy } from './exploration.js';
import { adjustNStep } from './postprocessing.js';

export interface DQNSamplerConfig {
  env: string;
  envConfig: EnvKwargs;
  numEnvs: number;
  fragmentLength: number;
  horizon: number | null;
  nStep: number;
  gamma: number;
  seed: number;
}

export interface SampledRound {
  transitions: Transitions;
  returns: number[];
  lengths: number[];
}

export class DQNSampler {
  readonly venv: VectorEnv;
  private readonly q: QNetwork;
  private rng: Random;
  private started = false;
  private readonly actions: Float32Array;

  constructor(
    readonly config: DQNSamplerConfig,
    layout: ModelLayout,
  ) {
    this.venv = new VectorEnv(config.env, config.numEnvs, { kwargs: config.envConfig, maxEpisodeSteps: config.horizon === null ? undefined : config.horizon });
    this.q = new QNetwork(layout, config.numEnvs);
    this.rng = new Random(config.seed * 7919 + 104729);
    this.actions = new Float32Array(config.numEnvs);
  }

  getState(): { rng: RandomState; env: ReturnType<VectorEnv['getState']>; started: boolean } {
    return { rng: this.rng.getState(), env: this.venv.getState(), started: this.started };
  }

  /** One round with the given online weights; epsilonAt(t) for the t-th step of the run (t from timestep). */
  sample(weights: Float32Array, timestep: number, epsilonAt: (t: number) => number): SampledRound {
    this.q.params.set(weights);
    const venv = this.venv;
    const { numEnvs, fragmentLength: T, nStep, gamma } = this.config;
    if (!this.started) {
      venv.reset(this.config.seed);
      venv.checkFinite(true);
      this.started = true;
    }
    const O = venv.observationSize;
    const out = allocateTransitions(numEnvs * T, O, 1);
    const returns: number[] = [];
    const lengths: number[] = [];
    const pieceStart = new Int32Array(numEnvs);
    for (let t = 0; t < T; t++) {
      const q = this.q.forward(venv.observations, numEnvs);
      epsilonGreedy(q, numEnvs, this.q.numActions, epsilonAt(timestep + t * numEnvs), this.rng, this.actions);
      for (let i = 0; i < numEnvs; i++) {
        const row = i * T + t; // env-major: each env's rows are contiguous
        out.obs.set(venv.observations.subarray(i * O, (i + 1) * O), row * O);
        out.actions[row] = this.actions[i];
      }
      venv.step(this.actions);
      venv.checkFinite();
      for (let i = 0; i < numEnvs; i++) {
        const row = i * T + t;
        out.rewards[row] = venv.rewards[i];
        const done = venv.terminated[i] === 1 || venv.truncated[i] === 1;
        // on truncation the next observation is the episode's last one, not the reset's first
        out.nextObs.set((done ? venv.finalObservations : venv.observations).subarray(i * O, (i + 1) * O), row * O);
        out.terminated[row] = venv.terminated[i];
        if (done) {
          returns.push(venv.finishedReturns[i]);
          lengths.push(venv.finishedLengths[i]);
          adjustNStep(out, i * T + pieceStart[i], row + 1, nStep, gamma, O);
          pieceStart[i] = t + 1;
        }
      }
    }
    for (let i = 0; i < numEnvs; i++) if (pieceStart[i] < T) adjustNStep(out, i * T + pieceStart[i], i * T + T, nStep, gamma, O);
    return { transitions: out, returns, lengths };
  }

  close(): void {
    this.venv.close();
  }
}
