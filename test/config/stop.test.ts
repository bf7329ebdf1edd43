import { describe, expect, test } from '@jest/globals';
import { parseStopCriteria, stopReached } from '../../src/config/index.js';
import { userErrorOf } from '../helpers.js';

const messageOf = (fn: () => unknown): string => userErrorOf(fn).message;


describe('parseStopCriteria', () => {
  test('an object of result key -> number, dotted keys kept', () => {
    expect(parseStopCriteria({ training_iteration: 20, episode_reward_mean: 195.5, 'info.learner.kl': 0.001 }, '--stop')).toEqual({
      training_iteration: 20,
      episode_reward_mean: 195.5,
      'info.learner.kl': 0.001,
    });
    expect(parseStopCriteria({}, '--stop')).toEqual({});
  });

  test('nested objects are flattened to dotted keys', () => {
    expect(parseStopCriteria({ info: { learner: { kl: 0.001 } }, timesteps_total: 1e5 }, 'x.yaml')).toEqual({ 'info.learner.kl': 0.001, timesteps_total: 100000 });
  });

  test('a non-number value names the source and the key', () => {
    expect(messageOf(() => parseStopCriteria({ episode_reward_mean: '195' }, '--stop'))).toBe(
      `--stop: stop criterion 'episode_reward_mean' must be a number (the run stops when the result reaches it), got "195"`,
    );
    expect(messageOf(() => parseStopCriteria({ info: { learner: { kl: null } } }, 'exp.yaml'))).toBe(
      `exp.yaml: stop criterion 'info.learner.kl' must be a number (the run stops when the result reaches it), got null`,
    );
    expect(messageOf(() => parseStopCriteria({ training_iteration: [20] }, '--stop'))).toMatch(/'training_iteration' must be a number .*got \[20\]$/);
    expect(messageOf(() => parseStopCriteria({ training_iteration: Number.NaN }, '--stop'))).toMatch(/got NaN$/);
  });

  test('a non-object names the source and shows the expected form', () => {
    const expected = (got: string) =>
      `--stop: stop criteria must be an object of result key -> number such as {"training_iteration": 20, "episode_reward_mean": 195}, got ${got}`;
    expect(messageOf(() => parseStopCriteria(20, '--stop'))).toBe(expected('20'));
    expect(messageOf(() => parseStopCriteria([{ training_iteration: 20 }], '--stop'))).toBe(expected('[{"training_iteration":20}]'));
    expect(messageOf(() => parseStopCriteria(null, '--stop'))).toBe(expected('null'));
  });
});

describe('stopReached', () => {
  const result = {
    training_iteration: 5,
    timesteps_total: 20000,
    episode_reward_mean: 150.25,
    time_total_s: 12.5,
    info: { learner: { kl: 0.004, policy_loss: -0.01 } },
  };

  test('result[key] >= threshold meets a criterion; equality counts', () => {
    expect(stopReached({ training_iteration: 5 }, result)).toBe('training_iteration >= 5');
    expect(stopReached({ training_iteration: 6 }, result)).toBeNull();
    expect(stopReached({ time_total_s: 12.5 }, result)).toBe('time_total_s >= 12.5');
    expect(stopReached({ episode_reward_mean: 150.26 }, result)).toBeNull();
  });

  test('criteria are OR-ed, and the first one met (in the order written) is returned', () => {
    expect(stopReached({ training_iteration: 100, episode_reward_mean: 150, timesteps_total: 10000 }, result)).toBe('episode_reward_mean >= 150');
    expect(stopReached({ timesteps_total: 10000, episode_reward_mean: 150 }, result)).toBe('timesteps_total >= 10000');
    expect(stopReached({ training_iteration: 100, timesteps_total: 1e6 }, result)).toBeNull();
    expect(stopReached({}, result)).toBeNull();
  });

  test('dotted keys read nested values', () => {
    expect(stopReached({ 'info.learner.kl': 0.004 }, result)).toBe('info.learner.kl >= 0.004');
    expect(stopReached({ 'info.learner.kl': 0.005 }, result)).toBeNull();
    expect(stopReached({ 'info.learner.policy_loss': -0.02 }, result)).toBe('info.learner.policy_loss >= -0.02');
    // a literal dotted key in a flat result is read as such
    expect(stopReached({ 'custom.metric': 1 }, { 'custom.metric': 2 })).toBe('custom.metric >= 1');
  });

  test('a key missing from the result, or holding a non-number, is not met', () => {
    expect(stopReached({ episode_reward_max: -1e9 }, result)).toBeNull();
    expect(stopReached({ 'info.learner.missing': 0 }, result)).toBeNull();
    expect(stopReached({ 'training_iteration.x': 0 }, result)).toBeNull();
    expect(stopReached({ info: 0 }, result)).toBeNull();
    expect(stopReached({ episode_reward_mean: 0 }, { episode_reward_mean: Number.NaN })).toBeNull();
    expect(stopReached({ episode_reward_mean: 0 }, { episode_reward_mean: '10' })).toBeNull();
  });

  test('parsed criteria round-trip into stopReached', () => {
    const criteria = parseStopCriteria({ info: { learner: { kl: 0.003 } } }, '--stop');
    expect(stopReached(criteria, result)).toBe('info.learner.kl >= 0.003');
  });
});
