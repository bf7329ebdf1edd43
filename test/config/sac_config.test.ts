// SAC's config: RLlib 1.x's SAC DEFAULT_CONFIG (sac.py), the messages of its own keys' rules, the
// nested networks checked key by key, the two RLlib features refused by name, and "auto" target entropy.
import { describe, expect, test } from '@jest/globals';
import { SAC_CONFIG, SAC_DEFAULTS, resolveSACConfig, resolveTargetEntropy } from '../../src/algorithms/sac/defaults.js';
import { Box, Discrete, type Space } from '../../src/envs/spaces.js';
import type { ConfigLayer } from '../../src/config/index.js';
import { userErrorOf } from '../helpers.js';

const one = (config: unknown, source = 'configs/sac.yaml'): ConfigLayer[] => [{ source, config }];
const messageFor = (config: unknown) => userErrorOf(() => resolveSACConfig(one(config))).message;

describe('SAC defaults', () => {
  test("RLlib 1.x's SAC DEFAULT_CONFIG values", () => {
    // ray/rllib/agents/sac/sac.py (1.x)
    expect(SAC_DEFAULTS).toMatchObject({
      twin_q: true,
      Q_model: { fcnet_hiddens: [256, 256], fcnet_activation: 'relu' },
      policy_model: { fcnet_hiddens: [256, 256], fcnet_activation: 'relu' },
      tau: 5e-3,
      initial_alpha: 1.0,
      target_entropy: 'auto',
      n_step: 1,
      no_done_at_end: false,
      prioritized_replay: false,
      buffer_size: 1_000_000,
      learning_starts: 1500,
      timesteps_per_iteration: 100,
      target_network_update_freq: 0,
      train_batch_size: 256,
      rollout_fragment_length: 1,
      normalize_actions: true,
    });
    expect(resolveSACConfig([])).toEqual(SAC_DEFAULTS);
  });
});

describe('SAC config messages', () => {
  test.each([
    ['Q_model', 3, 'an object such as {"fcnet_hiddens": [256, 256], "fcnet_activation": "relu"}'],
    ['policy_model', 'big', 'an object such as {"fcnet_hiddens": [256, 256], "fcnet_activation": "relu"}'],
    ['target_entropy', 'high', '"auto" or a number'],
    ['grad_clip', 0, 'null (no clipping) or a number > 0'],
    ['prioritized_replay_alpha', -1, 'a number >= 0'],
    ['prioritized_replay_beta', -0.5, 'a number >= 0'],
  ])("'%s' = %j: must be %s", (key, value, rule) => {
    expect(messageFor({ [key]: value })).toBe(`configs/sac.yaml: '${key}' must be ${rule}, got ${JSON.stringify(value)}`);
  });

  test("the networks' keys are checked one by one, with their path, and misspelt ones named", () => {
    expect(messageFor({ Q_model: { fcnet_hiddens: [64, -1] } })).toMatch(/^configs\/sac\.yaml: 'Q_model\.fcnet_hiddens' must be /);
    expect(messageFor({ policy_model: { fcnet_activation: 'gelu' } })).toMatch(/^configs\/sac\.yaml: 'policy_model\.fcnet_activation' must be /);
    expect(messageFor({ Q_model: { fcnet_hidens: [64] } })).toContain("'Q_model.fcnet_hidens'");
    // a nested key left out keeps its default
    expect(resolveSACConfig(one({ Q_model: { fcnet_hiddens: [64] } })).Q_model).toEqual({ fcnet_hiddens: [64], fcnet_activation: 'relu' });
  });

  test('normalize_actions false and soft_horizon true are refused by name, blaming the layer that set them', () => {
    expect(messageFor({ normalize_actions: false })).toBe(
      'configs/sac.yaml: normalize_actions false (an unsquashed Gaussian) is not supported; use normalize_actions: true',
    );
    expect(messageFor({ soft_horizon: true })).toBe('configs/sac.yaml: soft_horizon true is not supported; use soft_horizon: false');
  });

  test('a layer that is not an object names SAC config keys', () => {
    expect(messageFor(7)).toContain('SAC config keys');
    expect(SAC_CONFIG.algorithm).toBe('SAC');
  });
});

describe('resolveTargetEntropy', () => {
  test('a number is kept; "auto" is -|A| for a Box, 0.98 log(n) for Discrete(n); other spaces are refused', () => {
    expect(resolveTargetEntropy(-3, new Discrete(4))).toBe(-3);
    expect(resolveTargetEntropy('auto', new Box(-1, 1, [3]))).toBe(-3);
    expect(resolveTargetEntropy('auto', new Discrete(4))).toBeCloseTo(0.98 * Math.log(4), 12);
    expect(() => resolveTargetEntropy('auto', { kind: 'MultiBinary' } as unknown as Space)).toThrow('SAC supports Box and Discrete action spaces');
  });
});
