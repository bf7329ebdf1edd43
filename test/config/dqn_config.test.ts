// DQN's config: RLlib 1.x's DEFAULT_CONFIG of dqn.py (over simple_q.py's), each key's rule as the
// one-line message names it, the unsupported features refused by name, and the epsilon schedule's
// edge (epsilon_timesteps 0).
import { describe, expect, test } from '@jest/globals';
import { DQN_CONFIG, DQN_DEFAULTS, DQN_DOCS, epsilonAt, resolveDQNConfig } from '../../src/algorithms/dqn/defaults.js';
import type { ConfigLayer } from '../../src/config/index.js';
import { userErrorOf } from '../helpers.js';

const one = (config: unknown, source = 'configs/dqn.json'): ConfigLayer[] => [{ source, config }];
const messageFor = (config: unknown, source = 'configs/dqn.json') => userErrorOf(() => resolveDQNConfig(one(config, source))).message;

describe('DQN defaults', () => {
  test("RLlib 1.x's DQN DEFAULT_CONFIG values", () => {
    // ray/rllib/agents/dqn/dqn.py and simple_q.py (1.x): the DQN-specific keys
    expect(DQN_DEFAULTS).toMatchObject({
      num_workers: 0,
      rollout_fragment_length: 4,
      train_batch_size: 32,
      lr: 5e-4,
      gamma: 0.99,
      num_atoms: 1,
      v_min: -10.0,
      v_max: 10.0,
      noisy: false,
      sigma0: 0.5,
      dueling: true,
      hiddens: [256],
      double_q: true,
      n_step: 1,
      target_network_update_freq: 500,
      buffer_size: 50000,
      prioritized_replay: true,
      prioritized_replay_alpha: 0.6,
      prioritized_replay_beta: 0.4,
      final_prioritized_replay_beta: 0.4,
      prioritized_replay_beta_annealing_timesteps: 20000,
      prioritized_replay_eps: 1e-6,
      training_intensity: null,
      learning_starts: 1000,
      timesteps_per_iteration: 1000,
      lr_schedule: null,
      adam_epsilon: 1e-8,
      grad_clip: 40,
      exploration_config: { type: 'EpsilonGreedy', initial_epsilon: 1.0, final_epsilon: 0.02, epsilon_timesteps: 10000 },
    });
    expect(resolveDQNConfig([])).toEqual(DQN_DEFAULTS);
    expect(DQN_CONFIG.algorithm).toBe('DQN');
  });

  test('every key has a one-line doc', () => {
    expect(Object.keys(DQN_DOCS).sort()).toEqual(Object.keys(DQN_DEFAULTS).sort());
    for (const [key, doc] of Object.entries(DQN_DOCS)) expect([key, /\S/.test(doc) && !doc.includes('\n')]).toEqual([key, true]);
  });
});

describe('DQN value checks', () => {
  test.each([
    ['num_atoms', 0, 'a positive integer'],
    ['v_min', 'low', 'a number'],
    ['v_max', null, 'a number'],
    ['noisy', 1, 'true or false'],
    ['sigma0', -0.5, 'a number >= 0'],
    ['dueling', 'yes', 'true or false'],
    ['hiddens', [64, 0], 'a list of positive integers (hidden layer sizes, e.g. [256]; [] for none)'],
    ['hiddens', [1.5], 'a list of positive integers (hidden layer sizes, e.g. [256]; [] for none)'],
    ['double_q', 0, 'true or false'],
    ['n_step', 0, 'a positive integer'],
    ['target_network_update_freq', -1, 'a non-negative integer'],
    ['buffer_size', 0, 'a positive integer'],
    ['prioritized_replay', 'no', 'true or false'],
    ['prioritized_replay_alpha', -0.1, 'a number >= 0'],
    ['prioritized_replay_beta', -0.1, 'a number >= 0'],
    ['final_prioritized_replay_beta', -1, 'a number >= 0'],
    ['prioritized_replay_beta_annealing_timesteps', 1.5, 'a non-negative integer'],
    ['prioritized_replay_eps', 0, 'a number > 0'],
    ['training_intensity', 0, 'null or a number > 0'],
    ['learning_starts', -1, 'a non-negative integer'],
    ['timesteps_per_iteration', 0, 'a positive integer'],
    ['adam_epsilon', 0, 'a number > 0'],
    ['grad_clip', 0, 'null (no clipping) or a number > 0'],
  ])("'%s' = %j: must be %s", (key, value, rule) => {
    expect(messageFor({ [key]: value })).toBe(`configs/dqn.json: '${key}' must be ${rule}, got ${JSON.stringify(value)}`);
  });

  test('the values the rules allow at their edges are accepted', () => {
    const config = resolveDQNConfig(
      one({ hiddens: [], sigma0: 0, target_network_update_freq: 0, learning_starts: 0, prioritized_replay_alpha: 0, training_intensity: 0.5, grad_clip: null, v_min: -1.5 }),
    );
    expect(config).toMatchObject({ hiddens: [], sigma0: 0, target_network_update_freq: 0, training_intensity: 0.5, grad_clip: null, v_min: -1.5 });
  });

  test('exploration_config: its keys checked one by one, and only EpsilonGreedy', () => {
    const config = resolveDQNConfig(one({ exploration_config: { final_epsilon: 0.1 } }));
    expect(config.exploration_config).toEqual({ type: 'EpsilonGreedy', initial_epsilon: 1.0, final_epsilon: 0.1, epsilon_timesteps: 10000 });
    expect(messageFor({ exploration_config: { initial_epsilon: 1.5 } })).toBe("configs/dqn.json: 'exploration_config.initial_epsilon' must be a number in [0, 1], got 1.5");
    expect(messageFor({ exploration_config: { final_epsilon: -0.1 } })).toBe("configs/dqn.json: 'exploration_config.final_epsilon' must be a number in [0, 1], got -0.1");
    expect(messageFor({ exploration_config: { epsilon_timesteps: -5 } })).toBe("configs/dqn.json: 'exploration_config.epsilon_timesteps' must be a non-negative integer, got -5");
    expect(messageFor({ exploration_config: { type: 'SoftQ' } })).toMatch(/^configs\/dqn\.json: 'exploration_config\.type' must be .*EpsilonGreedy.*, got "SoftQ"$/);
    expect(messageFor({ exploration_config: { epsilon: 0.1 } })).toMatch(/^configs\/dqn\.json: unknown config key 'exploration_config\.epsilon'/);
    expect(messageFor({ exploration_config: 3 })).toMatch(/^configs\/dqn\.json: 'exploration_config' must be an object such as \{"type": "EpsilonGreedy", /);
  });

  test('distributional Q and noisy networks are refused, naming the key and the layer that set it', () => {
    expect(messageFor({ num_atoms: 51 }, '--config')).toBe('--config: num_atoms 51: distributional DQN is not supported; use num_atoms: 1');
    expect(messageFor({ noisy: true })).toBe('configs/dqn.json: noisy networks are not supported; use noisy: false');
    expect(resolveDQNConfig(one({ num_atoms: 1, noisy: false })).num_atoms).toBe(1);
  });
});

describe('epsilonAt', () => {
  test('epsilon_timesteps 0: final_epsilon from the start', () => {
    expect(epsilonAt({ type: 'EpsilonGreedy', initial_epsilon: 0.9, final_epsilon: 0.1, epsilon_timesteps: 0 }, 0)).toBeCloseTo(0.1, 12);
  });

  test('a rising schedule is linear too, and stays at final_epsilon after', () => {
    const c = { type: 'EpsilonGreedy' as const, initial_epsilon: 0.2, final_epsilon: 0.6, epsilon_timesteps: 400 };
    expect(epsilonAt(c, 100)).toBeCloseTo(0.3, 12);
    expect(epsilonAt(c, 400)).toBeCloseTo(0.6, 12);
    expect(epsilonAt(c, 4000)).toBeCloseTo(0.6, 12);
  });
});
