import type { Action, Env, Info, Observation, ResetOptions, StepResult } from './env.js';

/**
 * Gymnasium's TimeLimit: truncated becomes true on step max_episode_steps exactly, and can be
 * true on the same step as terminated. `state` is forwarded to the wrapped env when it has one.
 */
export class TimeLimit<O extends Observation = Observation> implements Env<O> {
  private elapsedSteps = 0;

  constructor(
    readonly env: Env<O>,
    readonly maxEpisodeSteps: number,
  ) {}

  get observation_space() {
    return this.env.observation_space;
  }
  get action_space() {
    return this.env.action_space;
  }
  get metadata() {
    return this.env.metadata;
  }
  get unwrapped(): Env {
    return this.env.unwrapped ?? this.env;
  }
  get state(): ArrayLike<number> | undefined {
    return (this.unwrapped as { state?: ArrayLike<number> }).state;
  }
  set state(values: ArrayLike<number> | undefined) {
    (this.unwrapped as { state?: ArrayLike<number> }).state = values;
  }
  get elapsed(): number {
    return this.elapsedSteps;
  }

  reset(options?: ResetOptions): [O, Info] {
    this.elapsedSteps = 0;
    return this.env.reset(options);
  }

  step(action: Action): StepResult<O> {
    const result = this.env.step(action);
    this.elapsedSteps += 1;
    if (this.elapsedSteps >= this.maxEpisodeSteps) result[3] = true;
    return result;
  }

  close(): void {
    this.env.close?.();
  }
}
