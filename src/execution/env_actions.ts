// Actions as the policy stores them -> actions as the env takes them (one place for it, used by
// rollout workers, `rl rollout` and `rl serve`): Box actions clipped to the space's bounds when
// clipping is on (RLlib's clip_actions), Discrete ones offset by the space's start.
import { Box, Discrete, type Space } from '../envs/spaces.js';

export class EnvActions {
  /** Floats per action (1 for Discrete). */
  readonly actionSize: number;
  private readonly low: Float32Array | null;
  private readonly high: Float32Array | null;
  private readonly start: number;

  constructor(space: Space, clip: boolean) {
    this.actionSize = space instanceof Box ? space.size : 1;
    this.low = space instanceof Box && clip ? space.low : null;
    this.high = space instanceof Box && clip ? space.high : null;
    this.start = space instanceof Discrete ? space.start : 0;
  }

  /** Converts `rows` actions from actions[from...] into out[to...]. */
  convert(actions: Float32Array, from: number, out: Float32Array, to: number, rows = 1): void {
    const A = this.actionSize;
    const { low, high, start } = this;
    for (let r = 0; r < rows; r++) {
      const i = from + r * A;
      const o = to + r * A;
      if (low && high) {
        for (let k = 0; k < A; k++) {
          const a = actions[i + k];
          out[o + k] = a < low[k] ? low[k] : a > high[k] ? high[k] : a;
        }
      } else if (start !== 0) {
        out[o] = actions[i] + start;
      } else {
        for (let k = 0; k < A; k++) out[o + k] = actions[i + k];
      }
    }
  }
}
