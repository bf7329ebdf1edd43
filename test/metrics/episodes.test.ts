import { expect, test } from '@jest/globals';
import { EpisodeHistory } from '../../src/metrics/episodes.js';

test('episode stats use this iteration, topped up from history to the smoothing window', () => {
  const history = new EpisodeHistory(3);
  expect(history.update([10, 20], [10, 20])).toEqual({ episode_reward_min: 10, episode_reward_mean: 15, episode_reward_max: 20, episode_len_mean: 15, episodes_this_iter: 2 });
  // one new episode: topped up with the two previous ones
  expect(history.update([30], [30])).toMatchObject({ episode_reward_min: 10, episode_reward_mean: 20, episode_reward_max: 30 });
  // one more: window is the last three (20, 30, 40)
  expect(history.update([40], [40])).toMatchObject({ episode_reward_min: 20, episode_reward_mean: 30, episode_len_mean: 30 });
  // more than the window this iteration: all of them count, as in RLlib
  expect(history.update([1, 2, 3, 4], [1, 2, 3, 4])).toMatchObject({ episode_reward_mean: 2.5, episodes_this_iter: 4 });
  expect(Number.isNaN(new EpisodeHistory(5).update([], []).episode_reward_mean)).toBe(true);
});

test('no episode ever finished: every statistic is NaN (RLlib reports nan), episodes_this_iter 0', () => {
  const summary = new EpisodeHistory(5).update([], []);
  expect(summary.episodes_this_iter).toBe(0);
  for (const key of ['episode_reward_min', 'episode_reward_mean', 'episode_reward_max', 'episode_len_mean'] as const) {
    expect(Number.isNaN(summary[key])).toBe(true);
  }
});

test('an iteration without episodes reports the last window; lengths and returns are windowed alike', () => {
  const history = new EpisodeHistory(2);
  history.update([1, 2, 3], [10, 20, 30]);
  expect(history.update([], [])).toEqual({
    episode_reward_min: 2,
    episode_reward_mean: 2.5,
    episode_reward_max: 3,
    episode_len_mean: 25,
    episodes_this_iter: 0,
  });
  // exactly a window of new episodes: none of the old ones
  expect(history.update([-4, 6], [4, 6])).toEqual({ episode_reward_min: -4, episode_reward_mean: 1, episode_reward_max: 6, episode_len_mean: 5, episodes_this_iter: 2 });
});

test('the history round-trips through toJSON / fromJSON, cut to the smoothing window', () => {
  const history = new EpisodeHistory(3);
  history.update([1, 2, 3, 4], [5, 6, 7, 8]);
  expect(history.toJSON()).toEqual({ returns: [2, 3, 4], lengths: [6, 7, 8] });
  const restored = EpisodeHistory.fromJSON(2, history.toJSON());
  expect(restored.smoothing).toBe(2);
  expect(restored.toJSON()).toEqual({ returns: [3, 4], lengths: [7, 8] });
  expect(restored.update([10], [20])).toMatchObject({ episode_reward_mean: 7, episode_len_mean: 14 });
});
