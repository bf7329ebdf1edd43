// N copies of one env stepped together, for the rollout hot path: actions are read from and
// observations written to preallocated typed arrays, finished envs reset themselves, and a
// step allocates nothing (for envs that implement the in-place protocol, as the classic-control
// envs do; other envs are adapted through their step() API).
//
// Autoreset is "same step" (as RLlib's vector env and Gymnasium's SAME_STEP mode): when env i
// finishes, finalObservations row i holds its last observation (needed to bootstrap on
// truncation) and observations row i already holds the first observation of the next episode.
import { Box, Discrete, type Space } from './spaces.js';
import { ClassicControlEnv, EnvContractError, checkAction, isInPlaceEnv, type Env, type EnvSnapshot, type InPlaceEnv } from './env.js';
import { envDisplayName, envSpec, makeUnwrapped, type EnvKwargs } from './registry.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { firstNonFinite, isFiniteFloat32 } from '../utils/finite.js';
import { show } from '../config/util.js';

export interface VectorEnvOptions {
  /** Env constructor arguments. */
  kwargs?: EnvKwargs;
  /** Overrides the id's time limit (null: none). */
  maxEpisodeSteps?: number | null;
  /** Who steps these envs, for error messages: "rollout worker 1". */
  owner?: string;
}

/** The state of every env and running episode; null when an env cannot be snapshotted (custom envs). */
export interface VectorEnvState {
  envs: EnvSnapshot[];
  episodeReturns: number[];
  episodeLengths: number[];
}

export class VectorEnv {
  readonly envs: InPlaceEnv[];
  readonly observation_space: Box;
  readonly action_space: Space;
  /** Floats per observation and per action (1 for Discrete). */
  readonly observationSize: number;
  readonly actionSize: number;
  readonly maxEpisodeSteps: number | null;

  readonly observations: Float32Array;
  readonly finalObservations: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** Return and length of the episode in progress in each env. */
  readonly episodeReturns: Float64Array;
  readonly episodeLengths: Int32Array;
  /** Return and length of the episode that ended in this step (valid where terminated or truncated). */
  readonly finishedReturns: Float64Array;
  readonly finishedLengths: Int32Array;

  private readonly discreteN: number;
  private readonly discreteStart: number;
  /** A user's env module: what it throws or returns wrong is the user's to fix (exit 2), not a bug of ours. */
  private readonly custom: boolean;
  private readonly owner: string | undefined;

  constructor(
    readonly id: string,
    readonly numEnvs: number,
    options: VectorEnvOptions = {},
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`numEnvs must be a positive integer, got ${numEnvs}`);
    const spec = envSpec(id);
    this.custom = spec.modulePath !== undefined;
    this.owner = options.owner;
    this.maxEpisodeSteps = options.maxEpisodeSteps === undefined ? spec.maxEpisodeSteps : options.maxEpisodeSteps;
    this.envs = Array.from({ length: numEnvs }, () => {
      const env = makeUnwrapped(id, options.kwargs);
      return isInPlaceEnv(env) ? env : new StepApiAdapter(env);
    });
    const first = this.envs[0];
    if (!(first.observation_space instanceof Box)) throw new TypeError(`${id}: VectorEnv needs a Box observation space`);
    this.observation_space = first.observation_space;
    this.action_space = first.action_space;
    this.observationSize = first.observation_space.size;
    this.actionSize = first.action_space instanceof Discrete ? 1 : first.action_space.size;
    this.discreteN = first.action_space instanceof Discrete ? first.action_space.n : 0;
    this.discreteStart = first.action_space instanceof Discrete ? first.action_space.start : 0;

    this.observations = new Float32Array(numEnvs * this.observationSize);
    this.finalObservations = new Float32Array(numEnvs * this.observationSize);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeReturns = new Float64Array(numEnvs);
    this.episodeLengths = new Int32Array(numEnvs);
    this.finishedReturns = new Float64Array(numEnvs);
    this.finishedLengths = new Int32Array(numEnvs);
  }

  /** Resets every env; env i gets seed + i, as Gymnasium's vector envs seed. */
  reset(seed?: number | null): Float32Array {
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      try {
        env.resetInPlace(seed === undefined || seed === null ? seed : seed + i);
        env.writeObservation(this.observations, i * this.observationSize);
      } catch (error) {
        throw this.envFailure('reset()', i, error);
      }
    }
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.episodeReturns.fill(0);
    this.episodeLengths.fill(0);
    return this.observations;
  }

  /**
   * Steps env i with actions[i] (Discrete) or actions[i*actionSize ...] (Box). Afterwards
   * rewards, terminated, truncated and observations describe the step; see the class comment.
   */
  step(actions: ArrayLike<number>): void {
    const { numEnvs, observationSize, actionSize, maxEpisodeSteps } = this;
    if (actions.length < numEnvs * actionSize) {
      throw new RangeError(`VectorEnv.step needs ${numEnvs * actionSize} action values, got ${actions.length}`);
    }
    for (let i = 0; i < numEnvs; i++) {
      const offset = i * actionSize;
      if (this.discreteN > 0) {
        const a = actions[offset];
        if (!(a >= this.discreteStart && a < this.discreteStart + this.discreteN && Math.floor(a) === a)) {
          checkAction(this.action_space, a);
        }
      } else {
        for (let k = 0; k < actionSize; k++) {
          if (!Number.isFinite(actions[offset + k])) checkAction(this.action_space, Array.from(actions).slice(offset, offset + actionSize));
        }
      }
      const env = this.envs[i];
      let reward: number;
      try {
        reward = env.stepInPlace(actions, offset);
      } catch (error) {
        throw this.envFailure('step()', i, error);
      }
      const length = this.episodeLengths[i] + 1;
      const episodeReturn = this.episodeReturns[i] + reward;
      const terminated = env.lastTerminated;
      const truncated = (maxEpisodeSteps !== null && length >= maxEpisodeSteps) || env.lastTruncated === true;
      this.rewards[i] = reward;
      this.terminated[i] = terminated ? 1 : 0;
      this.truncated[i] = truncated ? 1 : 0;
      const row = i * observationSize;
      let call = 'step()';
      try {
        if (terminated || truncated) {
          env.writeObservation(this.finalObservations, row);
          this.finishedReturns[i] = episodeReturn;
          this.finishedLengths[i] = length;
          call = 'reset()';
          env.resetInPlace(undefined);
          this.episodeReturns[i] = 0;
          this.episodeLengths[i] = 0;
        } else {
          this.episodeReturns[i] = episodeReturn;
          this.episodeLengths[i] = length;
        }
        env.writeObservation(this.observations, row);
      } catch (error) {
        throw this.envFailure(call, i, error, length);
      }
    }
  }

  /**
   * Throws a UserError naming the first NaN or ±Infinity (as float32, the batches' type) among
   * the observations and rewards of the last step (or reset): a policy trained on them is garbage.
   * One pass over the typed arrays; call it once per step.
   */
  checkFinite(afterReset = false): void {
    const O = this.observationSize;
    for (let i = 0; i < this.numEnvs; i++) {
      const done = !afterReset && (this.terminated[i] === 1 || this.truncated[i] === 1);
      const step = done ? this.finishedLengths[i] : this.episodeLengths[i];
      if (!afterReset && !isFiniteFloat32(this.rewards[i])) {
        const value = this.rewards[i];
        throw this.nonFinite('reward', `${value}${Number.isFinite(value) ? ' (too large for float32)' : ''} at step ${step} of an episode`, i);
      }
      if (done) {
        const bad = firstNonFinite(this.finalObservations, i * O, (i + 1) * O);
        if (bad >= 0) throw this.nonFinite('observation', `value ${bad - i * O} of the observation is ${this.finalObservations[bad]} at step ${step} of an episode`, i);
      }
      const bad = firstNonFinite(this.observations, i * O, (i + 1) * O);
      if (bad >= 0) {
        const when = afterReset || done ? 'from reset()' : `at step ${step} of an episode`;
        throw this.nonFinite('observation', `value ${bad - i * O} of the observation is ${this.observations[bad]} ${when}`, i);
      }
    }
  }

  /** "env 0 of rollout worker 1", or "env 0". */
  private where(index: number): string {
    return `env ${index}${this.owner ? ` of ${this.owner}` : ''}`;
  }

  private nonFinite(what: 'observation' | 'reward', detail: string, index: number): UserError {
    return new UserError(
      `env ${envDisplayName(this.id)} returned a non-finite ${what}: ${detail} (${this.where(index)}); make step() and reset() return finite numbers`,
    );
  }

  /**
   * What a custom env's reset() or step() threw, or returned in the wrong form, as one line naming
   * the env; an error inside a built-in env is a bug of ours and keeps its stack.
   */
  private envFailure(call: string, index: number, error: unknown, step = this.episodeLengths[index] + 1): unknown {
    if (error instanceof UserError || !this.custom) return error;
    const what = error instanceof EnvContractError ? error.message : `threw ${error instanceof Error ? `${error.name}: ` : ''}${errorMessage(error)}`;
    const when = call === 'reset()' ? '' : `, step ${step} of an episode`;
    return new UserError(`env ${envDisplayName(this.id)}: ${call} ${what} (${this.where(index)}${when})`.replace(/\s*[\r\n]+\s*/g, ' '));
  }

  /** A snapshot to continue from in another VectorEnv of the same id (null if an env cannot be snapshotted). */
  getState(): VectorEnvState | null {
    if (!this.envs.every((env) => env instanceof ClassicControlEnv)) return null;
    return {
      envs: this.envs.map((env) => (env as ClassicControlEnv).snapshot()),
      episodeReturns: Array.from(this.episodeReturns),
      episodeLengths: Array.from(this.episodeLengths),
    };
  }

  setState(state: VectorEnvState): void {
    state.envs.forEach((snapshot, i) => {
      const env = this.envs[i] as ClassicControlEnv;
      env.restore(snapshot);
      env.writeObservation(this.observations, i * this.observationSize);
    });
    this.episodeReturns.set(state.episodeReturns);
    this.episodeLengths.set(state.episodeLengths);
  }

  close(): void {
    for (const env of this.envs) (env as { close?: () => void }).close?.();
  }
}

/** Lets an env that only has Gymnasium's reset/step API take part in a VectorEnv. */
class StepApiAdapter implements InPlaceEnv {
  lastTerminated = false;
  lastTruncated = false;
  private observation: ArrayLike<number> = [];
  private readonly actionBuffer: Float32Array | null;

  constructor(private readonly env: Env) {
    this.actionBuffer = env.action_space instanceof Box ? new Float32Array(env.action_space.size) : null;
  }
  get observation_space() {
    return this.env.observation_space;
  }
  get action_space() {
    return this.env.action_space;
  }
  resetInPlace(seed: number | null | undefined, options?: Record<string, unknown>): void {
    const result: unknown = this.env.reset({ seed, options });
    if (!Array.isArray(result)) throw new EnvContractError(`returned ${show(result)}; it must return [observation, info]`);
    this.observation = checkedObservation(result[0], (this.env.observation_space as Box).size);
    this.lastTerminated = false;
    this.lastTruncated = false;
  }
  stepInPlace(actions: ArrayLike<number>, offset: number): number {
    let action: number | Float32Array = actions[offset];
    if (this.actionBuffer) {
      for (let k = 0; k < this.actionBuffer.length; k++) this.actionBuffer[k] = actions[offset + k];
      action = this.actionBuffer;
    }
    const result: unknown = this.env.step(action);
    if (!Array.isArray(result) || result.length < 4) {
      throw new EnvContractError(`returned ${show(result)}; it must return [observation, reward, terminated, truncated, info]`);
    }
    const [obs, reward, terminated, truncated] = result as [unknown, unknown, unknown, unknown];
    if (typeof reward !== 'number') throw new EnvContractError(`returned the reward ${show(reward)}; it must be a number`);
    this.observation = checkedObservation(obs, (this.env.observation_space as Box).size);
    this.lastTerminated = Boolean(terminated);
    this.lastTruncated = Boolean(truncated);
    return reward;
  }
  writeObservation(out: Float32Array, offset: number): void {
    const size = (this.env.observation_space as Box).size;
    for (let k = 0; k < size; k++) out[offset + k] = this.observation[k];
  }
  close(): void {
    this.env.close?.();
  }
}

function checkedObservation(obs: unknown, size: number): ArrayLike<number> {
  const length = (obs as { length?: unknown } | null | undefined)?.length;
  if (typeof length !== 'number' || typeof obs === 'string') {
    throw new EnvContractError(`returned the observation ${show(obs)}; it must be an array of ${size} numbers`);
  }
  if (length !== size) throw new EnvContractError(`returned an observation of ${length} value${length === 1 ? '' : 's'}; its observation_space has ${size}`);
  return obs as ArrayLike<number>;
}
