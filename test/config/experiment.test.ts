import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadExperimentFile } from '../../src/config/index.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { userErrorOf } from '../helpers.js';

const messageOf = (fn: () => unknown): string => userErrorOf(fn).message;

const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-config-experiment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}


// RLlib 1.x rllib/tuned_examples/ppo/cartpole-ppo.yaml, as written there
const RLLIB_CARTPOLE = `cartpole-ppo:
    env: CartPole-v0
    run: PPO
    stop:
        episode_reward_mean: 150
        timesteps_total: 100000
    config:
        # Works for both torch and tf.
        framework: tf
        gamma: 0.99
        lr: 0.0003
        num_workers: 1
        observation_filter: MeanStdFilter
        num_sgd_iter: 6
        vf_loss_coeff: 0.01
        model:
            fcnet_hiddens: [32]
            fcnet_activation: linear
            vf_share_layers: true
`;

describe('tuned-example form { name: { run, env, stop, config } }', () => {
  test("RLlib's cartpole-ppo.yaml loads, and its config resolves", () => {
    const file = write('cartpole-ppo.yaml', RLLIB_CARTPOLE);
    const experiment = loadExperimentFile(file);
    expect(experiment).toEqual({
      name: 'cartpole-ppo',
      run: 'PPO',
      env: 'CartPole-v0',
      stop: { episode_reward_mean: 150, timesteps_total: 100000 },
      config: {
        framework: 'tf',
        gamma: 0.99,
        lr: 0.0003,
        num_workers: 1,
        observation_filter: 'MeanStdFilter',
        num_sgd_iter: 6,
        vf_loss_coeff: 0.01,
        model: { fcnet_hiddens: [32], fcnet_activation: 'linear', vf_share_layers: true },
      },
      extra: {},
      source: file,
    });
    const config = resolvePPOConfig([{ source: experiment.source, config: experiment.config }, { source: 'experiment', config: { env: experiment.env } }]);
    expect(config).toMatchObject({ env: 'CartPole-v0', lr: 0.0003, num_sgd_iter: 6, model: { fcnet_hiddens: [32], vf_share_layers: true } });
  });

  test('the same experiment as JSON; optional keys are typed and other keys go to extra', () => {
    const file = write(
      'exp.json',
      JSON.stringify({
        'pong-ppo': {
          run: 'PPO',
          config: { env: 'CartPole-v1', lr: { grid_search: [0.01, 0.001] } },
          stop: { training_iteration: 10 },
          checkpoint_freq: 5,
          checkpoint_at_end: true,
          num_samples: 2,
          local_dir: '~/ray_results',
          keep_checkpoints_num: 3,
          resources_per_trial: { cpu: 1 },
        },
      }),
    );
    const experiment = loadExperimentFile(file);
    expect(experiment).toMatchObject({
      name: 'pong-ppo',
      run: 'PPO',
      env: 'CartPole-v1',
      stop: { training_iteration: 10 },
      checkpoint_freq: 5,
      checkpoint_at_end: true,
      num_samples: 2,
      local_dir: '~/ray_results',
      extra: { keep_checkpoints_num: 3, resources_per_trial: { cpu: 1 } },
    });
    // config is left as written (search spaces included, env not removed)
    expect(experiment.config).toEqual({ env: 'CartPole-v1', lr: { grid_search: [0.01, 0.001] } });
  });

  test('a top-level env wins over config.env; config keeps its own', () => {
    const experiment = loadExperimentFile(write('both.yml', 'e:\n  run: PPO\n  env: CartPole-v1\n  config:\n    env: Pendulum-v1\n'));
    expect(experiment.env).toBe('CartPole-v1');
    expect(experiment.config.env).toBe('Pendulum-v1');
  });

  test('no env anywhere gives null; missing stop and config give empty objects', () => {
    const experiment = loadExperimentFile(write('bare.yaml', 'bare:\n  run: PPO\n  stop:\n  config:\n'));
    expect(experiment).toMatchObject({ name: 'bare', env: null, stop: {}, config: {} });
    expect(experiment).not.toHaveProperty('checkpoint_freq');
  });
});

describe('flat form { name?, env?, run, stop?, config? }', () => {
  test('YAML with a name', () => {
    const experiment = loadExperimentFile(
      write('flat.yaml', 'name: my-run\nenv: CartPole-v1\nrun: PPO\nstop: {training_iteration: 3}\nconfig:\n  num_workers: 0\nrestore: null\n'),
    );
    expect(experiment).toEqual({
      name: 'my-run',
      run: 'PPO',
      env: 'CartPole-v1',
      stop: { training_iteration: 3 },
      config: { num_workers: 0 },
      extra: { restore: null },
      source: path.join(dir, 'flat.yaml'),
    });
  });

  test('JSON without a name is named after the file; env read from config', () => {
    const experiment = loadExperimentFile(write('cartpole-flat.json', '{"run": "PPO", "config": {"env": "CartPole-v1", "lr": 0.001}}'));
    expect(experiment).toMatchObject({ name: 'cartpole-flat', env: 'CartPole-v1', stop: {}, config: { env: 'CartPole-v1', lr: 0.001 } });
  });
});

describe('errors name the file and what to fix', () => {
  test('YAML syntax errors give the line', () => {
    const file = write('broken.yaml', 'exp:\n  run: PPO\n  stop: {training_iteration: 3\n  config: {}\n');
    expect(messageOf(() => loadExperimentFile(file))).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML: `));
  });

  test('JSON syntax errors give line:column', () => {
    const file = write('broken.json', '{\n  "exp": {\n    "run": "PPO",\n    "stop": {"training_iteration": 3,}\n  }\n}\n');
    expect(messageOf(() => loadExperimentFile(file))).toBe(`${file}:4:38: invalid JSON: Expected double-quoted property name`);
  });

  test('a missing file names its path', () => {
    const file = path.join(dir, 'missing.yaml');
    expect(messageOf(() => loadExperimentFile(file))).toMatch(new RegExp(`^file not found: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  test('a wrong extension', () => {
    expect(messageOf(() => loadExperimentFile(write('exp.toml', 'run = "PPO"')))).toMatch(/exp\.toml: an experiment file must end in \.yaml, \.yml or \.json$/);
  });

  test('no experiment, several experiments, an experiment without run', () => {
    expect(messageOf(() => loadExperimentFile(write('none.yaml', 'env: CartPole-v1\nconfig: {}\n')))).toMatch(
      /none\.yaml: no experiment found; expected \{ <name>: \{ run: PPO, .*\} \} or a top-level run key$/,
    );
    expect(messageOf(() => loadExperimentFile(write('two.yaml', 'a:\n  run: PPO\nb:\n  run: PPO\n')))).toMatch(
      /two\.yaml: holds 2 experiments \(a, b\); rl runs one experiment per file, so split them into separate files$/,
    );
    expect(messageOf(() => loadExperimentFile(write('norun.yaml', 'exp:\n  env: CartPole-v1\n')))).toMatch(/norun\.yaml: experiment 'exp' has no 'run' key; add run: PPO$/);
    expect(messageOf(() => loadExperimentFile(write('list.yaml', '- run: PPO\n')))).toMatch(/list\.yaml: expected \{ <name>: .*got \[\{"run":"PPO"\}\]$/);
    expect(messageOf(() => loadExperimentFile(write('side.yaml', 'exp:\n  run: PPO\nstop: {}\n')))).toMatch(
      /side\.yaml: unexpected top-level key\(s\) 'stop' next to experiment 'exp'; move them inside it$/,
    );
  });

  test('bad values name the key path inside the file', () => {
    expect(messageOf(() => loadExperimentFile(write('v1.yaml', 'exp:\n  run: 3\n')))).toMatch(/v1\.yaml: 'exp\.run' must be an algorithm name such as "PPO", got 3$/);
    expect(messageOf(() => loadExperimentFile(write('v2.yaml', 'run: PPO\nenv: [CartPole-v1]\n')))).toMatch(
      /v2\.yaml: 'env' must be an env id such as "CartPole-v1", got \["CartPole-v1"\]$/,
    );
    expect(messageOf(() => loadExperimentFile(write('v3.yaml', 'exp:\n  run: PPO\n  config: [1]\n')))).toMatch(/v3\.yaml: 'exp\.config' must be an object of config keys, got \[1\]$/);
    expect(messageOf(() => loadExperimentFile(write('v4.yaml', 'exp:\n  run: PPO\n  checkpoint_freq: -1\n')))).toMatch(
      /v4\.yaml: 'exp\.checkpoint_freq' must be a non-negative integer \(0: no periodic checkpoints\), got -1$/,
    );
    expect(messageOf(() => loadExperimentFile(write('v5.yaml', 'exp:\n  run: PPO\n  num_samples: 0\n')))).toMatch(/'exp\.num_samples' must be a positive integer, got 0$/);
    expect(messageOf(() => loadExperimentFile(write('v6.yaml', 'exp:\n  run: PPO\n  checkpoint_at_end: "yes"\n')))).toMatch(/'exp\.checkpoint_at_end' must be true or false, got "yes"$/);
    expect(messageOf(() => loadExperimentFile(write('v7.yaml', 'exp:\n  run: PPO\n  stop:\n    episode_reward_mean: high\n')))).toMatch(
      /v7\.yaml: stop criterion 'episode_reward_mean' must be a number .*got "high"$/,
    );
    expect(messageOf(() => loadExperimentFile(write('v8.yaml', 'name: 5\nrun: PPO\n')))).toMatch(/v8\.yaml: 'name' must be a non-empty string, got 5$/);
  });
});
