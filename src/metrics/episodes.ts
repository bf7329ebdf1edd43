// Episode statistics as RLlib 1.x reports them: the episodes finished this iteration, topped
// up with the most recent earlier ones to metrics_smoothing_episodes when there were fewer.

export interface EpisodeSummary {
  episode_reward_min: number;
  episode_reward_mean: number;
  episode_reward_max: number;
  episode_len_mean: number;
  episodes_this_iter: number;
}

export class EpisodeHistory {
  private returns: number[] = [];
  private lengths: number[] = [];

  constructor(readonly smoothing: number) {}

  /** Adds this iteration's episodes and summarises them (NaN when no episode has ever finished). */
  update(returns: number[], lengths: number[]): EpisodeSummary {
    const missing = this.smoothing - returns.length;
    const windowReturns = missing > 0 ? [...this.returns.slice(Math.max(0, this.returns.length - missing)), ...returns] : returns;
    const windowLengths = missing > 0 ? [...this.lengths.slice(Math.max(0, this.lengths.length - missing)), ...lengths] : lengths;
    this.returns = [...this.returns, ...returns].slice(-this.smoothing);
    this.lengths = [...this.lengths, ...lengths].slice(-this.smoothing);
    const mean = (v: number[]) => (v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
    return {
      episode_reward_min: windowReturns.length > 0 ? Math.min(...windowReturns) : NaN,
      episode_reward_mean: mean(windowReturns),
      episode_reward_max: windowReturns.length > 0 ? Math.max(...windowReturns) : NaN,
      episode_len_mean: mean(windowLengths),
      episodes_this_iter: returns.length,
    };
  }

  toJSON(): { returns: number[]; lengths: number[] } {
    return { returns: this.returns, lengths: this.lengths };
  }

  static fromJSON(smoothing: number, state: { returns: number[]; lengths: number[] }): EpisodeHistory {
    const history = new EpisodeHistory(smoothing);
    history.returns = state.returns.slice(-smoothing);
    history.lengths = state.lengths.slice(-smoothing);
    return history;
  }
}
