// The environment API, as Gymnasium's: reset({seed}) -> [obs, info];
// step(action) -> [obs, reward, terminated, truncated, info].
import type { Space } from './spaces.js';
import { Box, Discrete, isNumberArray } from './spaces.js';
import { Random, type RandomState } from '../utils/random.js';

export type Info = Record<string, unknown>;

/**
 * An env broke the API contract (a step() result of the wrong form, an observation of the wrong
 * length): the message says what it returned, e.g. "returned an observation of 1 value; its
 * observation_space has 2". VectorEnv adds the env's name.
 */
export class EnvContractError extends Error {
  override readonly name = 'EnvContractError';
}
export type Observation = ArrayLike<number> & Iterable<number>;
export type Action = number | ArrayLike<number>;
export type StepResult<O = Observation> = [obs: O, reward: number, terminated: boolean, truncated: boolean, info: Info];

export interface ResetOptions {
  seed?: number | null;
  options?: Record<string, unknown>;
}

export interface EnvMetadata {
  render_modes?: string[];
  render_fps?: number;
}

export interface Env<O extends Observation = Observation> {
  readonly observation_space: Space;
  readonly action_space: Space;
  readonly metadata?: EnvMetadata;
  reset(options?: ResetOptions): [O, Info];
  step(action: Action): StepResult<O>;
  close?(): void;
  /** The innermost env, below wrappers such as TimeLimit (Gymnasium's env.unwrapped). */
  readonly unwrapped?: Env;
}

/**
 * The allocation-free protocol VectorEnv steps: actions are read from a shared typed array
 * and observations written into one, so the hot path never allocates.
 */
export interface InPlaceEnv {
  readonly observation_space: Space;
  readonly action_space: Space;
  resetInPlace(seed: number | null | undefined, options?: Record<string, unknown>): void;
  /** Steps with the action at actions[offset] (Discrete) or actions[offset .. offset+dim) (Box); returns the reward. */
  stepInPlace(actions: ArrayLike<number>, offset: number): number;
  /** Whether the last stepInPlace reached a terminal state. */
  readonly lastTerminated: boolean;
  /** Whether the env itself cut the episode short (time limits are applied by the caller). */
  readonly lastTruncated?: boolean;
  writeObservation(out: Float32Array, offset: number): void;
}

/** Everything a classic-control env needs to continue an episode elsewhere (another worker thread). */
export interface EnvSnapshot {
  state: number[];
  rng: RandomState;
  hasState: boolean;
}

export function isInPlaceEnv(env: unknown): env is InPlaceEnv {
  const e = env as Partial<InPlaceEnv>;
  return typeof e?.stepInPlace === 'function' && typeof e.resetInPlace === 'function' && typeof e.writeObservation === 'function';
}

/** Throws a clear error for an action outside a Discrete space or of the wrong shape for a Box. */
export function checkAction(space: Space, action: unknown): void {
  if (space instanceof Discrete) {
    if (!space.contains(action)) {
      throw new RangeError(
        `invalid action ${formatAction(action)}: expected an integer in [${space.start}, ${space.start + space.n - 1}] for ${space}`,
      );
    }
    return;
  }
  if (space instanceof Box) {
    const values = typeof action === 'number' && space.size === 1 ? [action] : action;
    if (!isNumberArray(values) || values.length !== space.size) {
      throw new RangeError(`invalid action ${formatAction(action)}: expected ${space.size} number(s) for ${space}`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new RangeError(`invalid action ${formatAction(action)}: every value must be a finite number for ${space}`);
      }
    }
  }
}

function formatAction(action: unknown): string {
  // numbers as JavaScript writes them (JSON.stringify writes NaN and Infinity as null)
  if (typeof action === 'number') return String(action);
  if (ArrayBuffer.isView(action) || (Array.isArray(action) && action.every((v) => typeof v === 'number'))) {
    return `[${Array.from(action as unknown as ArrayLike<number>).join(', ')}]`;
  }
  try {
    return JSON.stringify(action) ?? String(action);
  } catch {
    return String(action);
  }
}

/**
 * Base of the classic-control envs: Gymnasium's reset/step on top of the in-place protocol.
 * `state` is the physical state (Gymnasium's env.unwrapped.state), readable and settable.
 */
export abstract class ClassicControlEnv implements Env<Float32Array>, InPlaceEnv {
  abstract readonly observation_space: Box;
  abstract readonly action_space: Space;
  abstract readonly metadata: EnvMetadata;
  protected abstract readonly stateArray: Float64Array;
  protected rng: Random = new Random();
  protected hasState = false;
  lastTerminated = false;
  readonly lastTruncated = false;

  get unwrapped(): this {
    return this;
  }

  get state(): Float64Array {
    return this.stateArray;
  }

  set state(values: ArrayLike<number>) {
    if (values.length !== this.stateArray.length) {
      throw new RangeError(`state needs ${this.stateArray.length} values, got ${values.length}`);
    }
    this.stateArray.set(values);
    this.hasState = true;
  }

  snapshot(): EnvSnapshot {
    return { state: Array.from(this.stateArray), rng: this.rng.getState(), hasState: this.hasState };
  }

  restore(snapshot: EnvSnapshot): void {
    this.stateArray.set(snapshot.state);
    this.rng = Random.fromState(snapshot.rng);
    this.hasState = snapshot.hasState;
    this.lastTerminated = false;
  }

  /** Draws the initial state from this.rng (Gymnasium's reset body). */
  protected abstract resetState(options?: Record<string, unknown>): void;
  abstract stepInPlace(actions: ArrayLike<number>, offset: number): number;
  abstract writeObservation(out: Float32Array, offset: number): void;

  resetInPlace(seed: number | null | undefined, options?: Record<string, unknown>): void {
    if (seed !== undefined && seed !== null) this.rng = new Random(seed);
    this.resetState(options);
    this.hasState = true;
    this.lastTerminated = false;
  }

  reset(options: ResetOptions = {}): [Float32Array, Info] {
    this.resetInPlace(options.seed, options.options);
    return [this.observation(), {}];
  }

  step(action: Action): StepResult<Float32Array> {
    checkAction(this.action_space, action);
    if (!this.hasState) throw new Error('call reset() before step()');
    const actions = typeof action === 'number' ? [action] : action;
    const reward = this.stepInPlace(actions, 0);
    return [this.observation(), reward, this.lastTerminated, false, {}];
  }

  observation(): Float32Array {
    const out = new Float32Array(this.observation_space.size);
    this.writeObservation(out, 0);
    return out;
  }

  close(): void {}
}

/** Reads Gymnasium's reset-bound options ({low, high}) with the env's defaults. */
export function resetBounds(options: Record<string, unknown> | undefined, low: number, high: number): [number, number] {
  const lo = options?.low ?? low;
  const hi = options?.high ?? high;
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(lo <= hi)) {
    throw new RangeError(`reset options low/high must be numbers with low <= high, got ${String(lo)}, ${String(hi)}`);
  }
  return [lo, hi];
}
