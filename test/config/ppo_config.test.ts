import { describe, expect, test } from '@jest/globals';
import { PPO_DEFAULTS } from '../../src/algorithms/ppo/defaults.js';
import { deepMerge, type ConfigLayer } from '../../src/config/index.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { userErrorOf } from '../helpers.js';


const one = (config: unknown, source = 'configs/x.json'): ConfigLayer[] => [{ source, config }];
const messageFor = (config: unknown, source = 'configs/x.json') => userErrorOf(() => resolvePPOConfig(one(config, source))).message;

test("PPO_DEFAULTS are RLlib 1.x's ppo.DEFAULT_CONFIG", () => {
  // ray/rllib/agents/ppo/ppo.py (1.x)
  expect(PPO_DEFAULTS).toMatchObject({
    use_critic: true,
    use_gae: true,
    lambda: 1.0,
    kl_coeff: 0.2,
    rollout_fragment_length: 200,
    train_batch_size: 4000,
    sgd_minibatch_size: 128,
    shuffle_sequences: true,
    num_sgd_iter: 30,
    lr: 5e-5,
    lr_schedule: null,
    vf_loss_coeff: 1.0,
    entropy_coeff: 0.0,
    entropy_coeff_schedule: null,
    clip_param: 0.3,
    vf_clip_param: 10.0,
    grad_clip: null,
    kl_target: 0.01,
    batch_mode: 'truncate_episodes',
    observation_filter: 'NoFilter',
  });
});

describe('merging', () => {
  test('no layers gives the defaults, as a copy that does not share objects with PPO_DEFAULTS', () => {
    const config = resolvePPOConfig([]);
    expect(config).toEqual(PPO_DEFAULTS);
    config.model.fcnet_hiddens.push(7);
    config.env_config.x = 1;
    expect(PPO_DEFAULTS.model.fcnet_hiddens).toEqual([256, 256]);
    expect(PPO_DEFAULTS.env_config).toEqual({});
  });

  test('later layers win; model and env_config merge key by key; arrays replace', () => {
    const config = resolvePPOConfig([
      { source: 'configs/ppo.json', config: { lr: 1e-3, num_workers: 8, model: { fcnet_hiddens: [64, 64, 64], fcnet_activation: 'relu' }, env_config: { a: 1, nested: { x: 1, y: 2 } } } },
      { source: '--config', config: { lr: 3e-4, model: { fcnet_hiddens: [32] }, env_config: { b: 2, nested: { y: 3 } } } },
      { source: 'command line', config: { env: 'CartPole-v1', seed: 7 } },
    ]);
    expect(config.lr).toBe(3e-4);
    expect(config.num_workers).toBe(8);
    expect(config.env).toBe('CartPole-v1');
    expect(config.seed).toBe(7);
    expect(config.model).toEqual({ fcnet_hiddens: [32], fcnet_activation: 'relu', vf_share_layers: false, free_log_std: false });
    expect(config.env_config).toEqual({ a: 1, b: 2, nested: { x: 1, y: 3 } });
    expect(config.sgd_minibatch_size).toBe(PPO_DEFAULTS.sgd_minibatch_size);
  });

  test('undefined values and null/undefined layers leave keys alone', () => {
    const config = resolvePPOConfig([
      { source: 'a', config: { lr: 0.01 } },
      { source: 'b', config: null },
      { source: 'c', config: undefined },
      { source: 'command line', config: { lr: undefined, seed: undefined } },
    ]);
    expect(config.lr).toBe(0.01);
    expect(config.seed).toBeNull();
  });

  test('null replaces a value (e.g. a schedule set by an earlier layer)', () => {
    const config = resolvePPOConfig([
      { source: 'a', config: { lr_schedule: [[0, 0.001], [1000, 0.0001]], grad_clip: 40 } },
      { source: 'b', config: { lr_schedule: null, grad_clip: null } },
    ]);
    expect(config.lr_schedule).toBeNull();
    expect(config.grad_clip).toBeNull();
  });

  test('deepMerge does not mutate its inputs', () => {
    const base = { model: { a: 1 }, list: [1, 2] };
    const over = { model: { b: 2 }, list: [3] };
    expect(deepMerge(base, over)).toEqual({ model: { a: 1, b: 2 }, list: [3] });
    expect(base).toEqual({ model: { a: 1 }, list: [1, 2] });
    expect(over).toEqual({ model: { b: 2 }, list: [3] });
  });

  test("RLlib's framework, num_gpus and num_cpus_for_driver are accepted, and env may sit in config", () => {
    const config = resolvePPOConfig(one({ framework: 'torch', num_gpus: 0, num_cpus_for_driver: 1, env: 'CartPole-v1' }));
    expect(config).toMatchObject({ framework: 'torch', num_gpus: 0, num_cpus_for_driver: 1, env: 'CartPole-v1' });
    expect(messageFor({ num_gpus: 'one' })).toBe(`configs/x.json: 'num_gpus' must be a number >= 0, got "one"`);
  });

  test('a fully resolved config (as saved in a checkpoint) is accepted as a layer', () => {
    const saved = resolvePPOConfig(one({ env: 'CartPole-v1', lr: 0.002, lr_schedule: [[0, 0.002], [5000, 0.0005]] }));
    expect(resolvePPOConfig([{ source: 'checkpoint-3', config: saved }])).toEqual(saved);
  });
});

describe('unknown keys', () => {
  test('a misspelt key names the source and suggests the closest key', () => {
    expect(messageFor({ sgd_minibatch_sise: 128 })).toBe("configs/x.json: unknown config key 'sgd_minibatch_sise'; did you mean 'sgd_minibatch_size'?");
    expect(messageFor({ NUM_WORKERS: 2 }, '--config')).toBe("--config: unknown config key 'NUM_WORKERS'; did you mean 'num_workers'?");
  });

  test('a misspelt model key is reported with its path', () => {
    expect(messageFor({ model: { fcnet_hiden: [64] } })).toBe("configs/x.json: unknown config key 'model.fcnet_hiden'; did you mean 'model.fcnet_hiddens'?");
  });

  test('a model key at the top level (old RLlib style) points into model', () => {
    expect(messageFor({ vf_share_layers: true })).toBe("configs/x.json: unknown config key 'vf_share_layers'; did you mean 'model.vf_share_layers'?");
    expect(messageFor({ model: { lr: 1 } })).toBe("configs/x.json: unknown config key 'model.lr'; did you mean 'lr' (a top-level key, outside model)?");
  });

  test('with nothing close, the message lists the valid keys instead of a wild guess', () => {
    const message = messageFor({ banana: 1 });
    expect(message).toMatch(/^configs\/x\.json: unknown config key 'banana'; the PPO config keys are env, env_config, num_workers, .*framework, .*grad_clip$/);
    expect(message).not.toContain('did you mean');
    expect(messageFor({ model: { xyzzy: 1 } })).toBe(
      "configs/x.json: unknown config key 'model.xyzzy'; the model keys are fcnet_hiddens, fcnet_activation, vf_share_layers, free_log_std",
    );
  });

  test('keys inherited from Object.prototype are unknown keys, not accepted', () => {
    expect(messageFor(JSON.parse('{"constructor": 1}'))).toMatch(/unknown config key 'constructor'/);
    expect(messageFor(JSON.parse('{"__proto__": {"lr": 1}}'))).toMatch(/unknown config key '__proto__'/);
  });

  test('an error names the layer that holds the mistake, not the last layer', () => {
    const error = userErrorOf(() =>
      resolvePPOConfig([
        { source: 'configs/good.json', config: { lr: 0.001 } },
        { source: 'configs/bad.json', config: { lrr: 0.001 } },
        { source: 'command line', config: { seed: 1 } },
      ]),
    );
    expect(error.message).toBe("configs/bad.json: unknown config key 'lrr'; did you mean 'lr'?");
    expect(error.exitCode).toBe(2);
  });
});

describe('value checks', () => {
  test('wrong type names the source, key, expectation and the value as JSON', () => {
    expect(messageFor({ num_workers: 'eight' }, '--config')).toBe(`--config: 'num_workers' must be a non-negative integer, got "eight"`);
    expect(messageFor({ num_workers: -1 })).toBe(`configs/x.json: 'num_workers' must be a non-negative integer, got -1`);
    expect(messageFor({ num_workers: 1.5 })).toBe(`configs/x.json: 'num_workers' must be a non-negative integer, got 1.5`);
    expect(resolvePPOConfig(one({ num_workers: 0 })).num_workers).toBe(0);
  });

  test.each(['rollout_fragment_length', 'train_batch_size', 'sgd_minibatch_size', 'num_sgd_iter', 'num_envs_per_worker'])(
    '%s must be a positive integer',
    (key) => {
      expect(messageFor({ [key]: 0 })).toBe(`configs/x.json: '${key}' must be a positive integer, got 0`);
      expect(messageFor({ [key]: 2.5 })).toBe(`configs/x.json: '${key}' must be a positive integer, got 2.5`);
      expect(messageFor({ [key]: '64' })).toBe(`configs/x.json: '${key}' must be a positive integer, got "64"`);
      expect(resolvePPOConfig(one({ sgd_minibatch_size: 1, [key]: 1 }))[key as 'num_sgd_iter']).toBe(1);
    },
  );

  test('gamma and lambda lie in [0, 1]', () => {
    expect(messageFor({ gamma: 1.01 })).toBe("configs/x.json: 'gamma' must be a number in [0, 1], got 1.01");
    expect(messageFor({ lambda: -0.1 })).toBe("configs/x.json: 'lambda' must be a number in [0, 1], got -0.1");
    expect(resolvePPOConfig(one({ gamma: 1, lambda: 0 }))).toMatchObject({ gamma: 1, lambda: 0 });
  });

  test('lr > 0; grad_clip null or > 0', () => {
    expect(messageFor({ lr: 0 })).toBe("configs/x.json: 'lr' must be a number > 0, got 0");
    expect(messageFor({ lr: '1e-4' })).toBe(`configs/x.json: 'lr' must be a number > 0, got "1e-4"`);
    expect(messageFor({ grad_clip: 0 })).toBe("configs/x.json: 'grad_clip' must be null (no clipping) or a number > 0, got 0");
    expect(resolvePPOConfig(one({ grad_clip: 0.5 })).grad_clip).toBe(0.5);
  });

  test('seed is null or a safe integer', () => {
    expect(messageFor({ seed: 1.5 })).toBe("configs/x.json: 'seed' must be null or an integer, got 1.5");
    expect(messageFor({ seed: 2 ** 60 })).toMatch(/^configs\/x\.json: 'seed' must be null or an integer, got 1152921504606847000$/);
    expect(resolvePPOConfig(one({ seed: -3 })).seed).toBe(-3);
  });

  test('fcnet_hiddens is an array of positive integers, possibly empty', () => {
    expect(messageFor({ model: { fcnet_hiddens: [64, 0] } })).toBe(
      "configs/x.json: 'model.fcnet_hiddens' must be a list of positive integers (hidden layer sizes, e.g. [256, 256]; [] for none), got [64,0]",
    );
    expect(messageFor({ model: { fcnet_hiddens: 64 } })).toMatch(/'model\.fcnet_hiddens' must be a list of positive integers .*got 64$/);
    expect(resolvePPOConfig(one({ model: { fcnet_hiddens: [] } })).model.fcnet_hiddens).toEqual([]);
    expect(messageFor({ model: [64] })).toMatch(/^configs\/x\.json: 'model' must be an object such as \{"fcnet_hiddens".*got \[64\]$/);
  });

  test('enumerations list the allowed values', () => {
    expect(messageFor({ batch_mode: 'complete' })).toBe(
      `configs/x.json: 'batch_mode' must be one of 'truncate_episodes', 'complete_episodes', got "complete"`,
    );
    expect(messageFor({ observation_filter: 'MeanStd' })).toBe(`configs/x.json: 'observation_filter' must be one of 'NoFilter', 'MeanStdFilter', got "MeanStd"`);
    expect(messageFor({ model: { fcnet_activation: 'swish' } })).toBe(
      `configs/x.json: 'model.fcnet_activation' must be one of 'tanh', 'relu', 'linear', got "swish"`,
    );
    expect(messageFor({ log_level: 'warn' })).toBe(`configs/x.json: 'log_level' must be one of 'DEBUG', 'INFO', 'WARN', 'ERROR', got "warn"`);
  });

  test('booleans, env and env_config', () => {
    expect(messageFor({ shuffle_sequences: 'yes' })).toBe(`configs/x.json: 'shuffle_sequences' must be true or false, got "yes"`);
    expect(messageFor({ env: 3 })).toBe(`configs/x.json: 'env' must be an env id such as "CartPole-v1" or null, got 3`);
    expect(messageFor({ env_config: [1] })).toBe(`configs/x.json: 'env_config' must be an object (passed to the env), got [1]`);
  });

  test('schedules are lists of [timestep, value] pairs with increasing timesteps', () => {
    const schedule: [number, number][] = [[0, 0.001], [10000, 0.0001], [20000, 0]];
    expect(resolvePPOConfig(one({ lr_schedule: schedule, entropy_coeff_schedule: [[0, 0.01], [5000, 0]] }))).toMatchObject({
      lr_schedule: schedule,
      entropy_coeff_schedule: [[0, 0.01], [5000, 0]],
    });
    const expected = (value: string, key = 'lr_schedule') =>
      `configs/x.json: '${key}' must be null or a list of [timestep, value] pairs with increasing timesteps, e.g. [[0, 0.001], [1000000, 0.0001]], got ${value}`;
    expect(messageFor({ lr_schedule: [[100, 0.1], [50, 0.01]] })).toBe(expected('[[100,0.1],[50,0.01]]'));
    expect(messageFor({ lr_schedule: [[0, 0.1], [0, 0.01]] })).toBe(expected('[[0,0.1],[0,0.01]]'));
    expect(messageFor({ lr_schedule: [[0, 0.1, 3]] })).toBe(expected('[[0,0.1,3]]'));
    expect(messageFor({ lr_schedule: [0, 0.1] })).toBe(expected('[0,0.1]'));
    expect(messageFor({ entropy_coeff_schedule: { 0: 0.1 } })).toBe(expected('{"0":0.1}', 'entropy_coeff_schedule'));
  });

  test('a config that is not an object', () => {
    expect(messageFor([1, 2], '--config')).toBe('--config: the config must be an object of PPO config keys such as {"lr": 0.0001}, got [1,2]');
    expect(messageFor('lr=1', '--config')).toBe('--config: the config must be an object of PPO config keys such as {"lr": 0.0001}, got "lr=1"');
  });

  test('long values are shortened so the message stays short', () => {
    const message = messageFor({ model: { fcnet_hiddens: Array.from({ length: 100 }, () => -1) } });
    expect(message.length).toBeLessThan(250);
    expect(message).toMatch(/got \[-1,-1,.*\.\.\.$/);
  });
});

describe('sgd_minibatch_size <= train_batch_size', () => {
  test('checked on the merged config and blamed on the layer that set the later of the two', () => {
    expect(messageFor({ sgd_minibatch_size: 500, train_batch_size: 400 })).toBe(
      'configs/x.json: sgd_minibatch_size (500) must be <= train_batch_size (400); lower sgd_minibatch_size or raise train_batch_size',
    );
    const error = userErrorOf(() =>
      resolvePPOConfig([
        { source: 'configs/x.json', config: { sgd_minibatch_size: 500 } },
        { source: '--config', config: { train_batch_size: 400 } },
      ]),
    );
    expect(error.message).toMatch(/^--config: sgd_minibatch_size \(500\) must be <= train_batch_size \(400\)/);
    expect(messageFor({ sgd_minibatch_size: 5000 })).toMatch(/^configs\/x\.json: sgd_minibatch_size \(5000\) must be <= train_batch_size \(4000\)/);
  });

  test('a later layer can repair it', () => {
    const config = resolvePPOConfig([
      { source: 'a', config: { sgd_minibatch_size: 500, train_batch_size: 400 } },
      { source: 'b', config: { train_batch_size: 500 } },
    ]);
    expect(config.sgd_minibatch_size).toBe(500);
    expect(config.train_batch_size).toBe(500);
  });
});
