import { expect, test } from '@jest/globals';
import { EpisodeHistory } from '../../src/metrics/episodes.js';

test('episode stats use this iteration, topped up from history to the smoothing window', () => {
  const history = new EpisodeHistory(3);
  expect(history.update([10, 20], [10, 20])).toMatchObject({ episode_reward_mean: 15, episodes_this_iter: 2 });
  // one new episode: topped up with the two previous ones
  expect(history.update([30], [30])).toMatchObject({ episode_reward_min: 10, episode_reward_mean: 20, episode_reward_max: 30 });
  // one more: window is the last three (20, 30, 40)
  expect(history.update([40], [40])).toMatchObject({ episode_reward_min: 20, episode_reward_mean: 30, episode_len_mean: 30 });
  // more than the window this iteration: all of them count, as in RLlib
  expect(history.update([1, 2, 3, 4], [1, 2, 3, 4])).toMatchObject({ episode_reward_mean: 2.5, episodes_this_iter: 4 });
  expect(Number.isNaN(new EpisodeHistory(5).update([], []).episode_reward_mean)).toBe(true);
});
