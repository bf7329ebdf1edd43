import { describe, expect, test } from '@jest/globals';
import { checkStopCriteria, parseStopCriteria, parseStopFlag, stopReached, unreportedStopKey } from '../../src/config/index.js';
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

describe('checkStopCriteria: criteria that could never stop a run are refused', () => {
  const known = ['training_iteration', 'episode_reward_min', 'episode_reward_mean', 'timesteps_total', 'info.learner.kl', 'info.learner.entropy'];

  test('known keys pass, dotted or in Tune\'s slash form', () => {
    expect(() => checkStopCriteria({ training_iteration: 3, 'info.learner.kl': 0.1, 'info/learner/entropy': 0.5 }, known, '--stop')).not.toThrow();
  });

  test('an unknown key names the closest known key; a swapped pair of letters prefers the same length', () => {
    expect(messageOf(() => checkStopCriteria({ training_iteraton: 2 }, known, '--stop'))).toBe(
      "--stop: unknown stop key 'training_iteraton'; did you mean 'training_iteration'? (no result holds it, so it would never stop the run)",
    );
    expect(messageOf(() => checkStopCriteria({ episode_reward_maen: 2 }, known, 'x.yaml'))).toMatch(/^x\.yaml: unknown stop key 'episode_reward_maen'; did you mean 'episode_reward_mean'\?/);
    expect(messageOf(() => checkStopCriteria({ 'info/learner/k': 2 }, known, '--stop'))).toMatch(/did you mean 'info\.learner\.kl'\?/);
  });

  test('no criteria at all says what to give, in the form of where they came from', () => {
    expect(messageOf(() => checkStopCriteria({}, known, '--stop'))).toBe(
      `--stop: no stop criteria, so the run would never stop; give at least one, e.g. --stop '{"training_iteration": 20}'`,
    );
    expect(messageOf(() => checkStopCriteria({}, known, 'exp.yaml'))).toBe('exp.yaml: no stop criteria, so the run would never stop; give at least one, e.g. stop: {"training_iteration": 20}');
  });

  test('parseStopFlag: an empty value says what to give; JSON is parsed and flattened', () => {
    expect(messageOf(() => parseStopFlag('--stop', '  ', '/'))).toMatch(/^--stop: empty value; give stop criteria such as '\{"training_iteration": 20\}', or leave --stop out/);
    expect(parseStopFlag('--stop', '{"info": {"learner": {"kl": 1}}}', '/')).toEqual({ 'info.learner.kl': 1 });
  });

  test('unreportedStopKey checks a trainable\'s first result, as Ray Tune does', () => {
    const result = { training_iteration: 1, score: 0.5, info: { loss: 2 } };
    expect(unreportedStopKey({ score: 1, 'info.loss': 0 }, result)).toBeNull();
    expect(unreportedStopKey({ scor: 1 }, result)).toBe(
      "stop key 'scor' is not in the trainable's results, so it would never stop the trial; did you mean 'score'? (reported: training_iteration, score, info.loss)",
    );
  });
});
