import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot, rl } from '../helpers.js';
import { readEventFile } from '../tfrecord_reader.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';

const small = JSON.stringify({
  num_workers: 2,
  train_batch_size: 400,
  rollout_fragment_length: 100,
  sgd_minibatch_size: 100,
  num_sgd_iter: 2,
  model: { fcnet_hiddens: [8] },
});

describe('rl train', () => {
  test('prints the reward table, writes results and a checkpoint, and names it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-train-'));
    const { code, stdout, stderr } = rl(['train', '--env', 'CartPole-v1', '--config', small, '--seed', '1', '--stop', '{"training_iteration": 2}', '--checkpoint-dir', dir]);
    expect(stderr).toMatch(/PPO on CartPole-v1: 2 rollout workers/);
    expect(stderr).toContain(`watch it live: rl dashboard ${dir}\n`);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/iter\s+min\s+mean\s+max/);
    expect(lines[2]).toMatch(/^\s+1\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\s+400\s/);
    expect(lines[3]).toMatch(/^\s+2\s.*\s800\s/);
    expect(lines[4]).toBe(`last checkpoint file: ${path.relative(repoRoot, path.join(dir, 'checkpoint_2', 'checkpoint-2'))}`);
    const results = readFileSync(path.join(dir, 'result.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => r.training_iteration)).toEqual([1, 2]);
    expect(readFileSync(path.join(dir, 'progress.csv'), 'utf8').split('\n')[0]).toMatch(/^training_iteration,episode_reward_min,.*info\/learner\/kl/);
    expect(JSON.parse(readFileSync(path.join(dir, 'params.json'), 'utf8'))).toMatchObject({ env: 'CartPole-v1', num_workers: 2, seed: 1 });
    const eventFiles = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(eventFiles).toHaveLength(1);
    const events = readEventFile(readFileSync(path.join(dir, eventFiles[0])));
    expect(events.slice(1).map((e) => [e.step, e.scalars['ray/tune/episode_reward_mean']])).toEqual(results.map((r) => [r.timesteps_total, Math.fround(r.episode_reward_mean)]));
    expect(events[2].scalars['ray/tune/info/learner/kl']).toBe(Math.fround(results[1].info.learner.kl));
    const checkpoint = await loadCheckpoint(path.join(dir, 'checkpoint_2', 'checkpoint-2'));
    expect(checkpoint.manifest).toMatchObject({ algorithm: 'PPO', env: 'CartPole-v1', iteration: 2, timesteps_total: 800 });

    // --run naming another algorithm than the checkpoint's: one line, exit 2, nothing written
    const mismatched = rl(['train', '--run', 'DQN', '--restore', path.join(dir, 'latest'), '--stop', '{"training_iteration": 3}']);
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr.trim().split("\n")).toEqual([expect.stringMatching(/trained with PPO, not DQN: drop --run /)]);
    expect(existsSync(path.join(dir, 'checkpoint_3'))).toBe(false);

    // --restore <dir>/latest continues the curve and writes beside the checkpoint it came from
    const resumed = rl(['train', '--restore', path.join(dir, 'latest'), '--stop', '{"training_iteration": 3}']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^\s+3\s.*\s1200\s/m);
    expect(existsSync(path.join(dir, 'checkpoint_3', 'checkpoint-3'))).toBe(true);
    expect(readFileSync(path.join(dir, 'result.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).training_iteration)).toEqual([1, 2, 3]);
  });

  test('--json prints one result record per iteration; same seed, same records', () => {
    const run = () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-json-'));
      const { stdout } = rl(['train', '--env', 'CartPole-v1', '--config', small, '--seed', '4', '--stop', '{"timesteps_total": 800}', '--json', '--checkpoint-dir', dir]);
      return stdout.trim().split('\n').map((l) => {
        const r = JSON.parse(l);
        return [r.training_iteration, r.episode_reward_mean, r.info.learner.kl];
      });
    };
    const a = run();
    expect(a.map((r) => r[0])).toEqual([1, 2]);
    expect(run()).toEqual(a);
  });

  test('bad input is one line and exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--env', 'CartPol-v1'], /unknown env id 'CartPol-v1': did you mean 'CartPole-v1'/],
      [['train', '--env', 'CartPole-v1', '--config', '{"num_sgd_itr": 3}'], /unknown config key 'num_sgd_itr'; did you mean 'num_sgd_iter'/],
      [['train', '--env', 'CartPole-v1', '--config', '{"lr": '], /--config: invalid inline JSON at column 7/],
      [['train', '--env', 'CartPole-v1', '--stop', '{"training_iteration": "ten"}'], /--stop: stop criterion 'training_iteration' must be a number/],
      [['train', '--restore', 'checkpoint-99'], /no checkpoint/],
      [['train'], /no env given/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = rl(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr.trim().split('\n').filter((l) => !l.startsWith('WARN'))).toHaveLength(1);
      expect(stderr).toMatch(message);
    }
  });

  test('Ctrl-C stops after the iteration in progress and checkpoints it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-sigint-'));
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'train', '--env', 'CartPole-v1', '--config', small, '--seed', '2', '--stop', '{"training_iteration": 1000}', '--checkpoint-dir', dir], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!signalled && /\n\s+2\s/.test(stdout)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const last = stdout.match(/last checkpoint file: .*checkpoint_(\d+)\/checkpoint-(\d+)/);
    expect(last).not.toBeNull();
    const iteration = Number(last![1]);
    expect(iteration).toBeGreaterThanOrEqual(2);
    expect(iteration).toBeLessThan(10);
    const results = readFileSync(path.join(dir, 'result.json'), 'utf8').trim().split('\n');
    expect(results).toHaveLength(iteration);
    expect(existsSync(path.join(dir, `checkpoint_${iteration}`, `checkpoint-${iteration}`))).toBe(true);
    expect((await loadCheckpoint(path.join(dir, `checkpoint_${iteration}`))).manifest.iteration).toBe(iteration);
  });
});

test('rl train -f runs an RLlib tuned-example YAML file with its stop criteria', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-yaml-'));
  const file = path.join(dir, 'exp.yaml');
  writeFileSync(
    file,
    ['tiny-cartpole:', '  env: CartPole-v1', '  run: PPO', '  stop:', '    timesteps_total: 600', '  config:', '    num_workers: 0', '    train_batch_size: 300', '    sgd_minibatch_size: 100', '    num_sgd_iter: 1', '    model:', '      fcnet_hiddens: [8]', ''].join('\n'),
  );
  const { code, stdout, stderr } = rl(['train', '-f', file, '--seed', '1', '--checkpoint-dir', dir]);
  expect(stderr).toMatch(/stopped: timesteps_total >= 600/);
  expect(code).toBe(0);
  expect(stdout).toMatch(/last checkpoint file: .*checkpoint_2\/checkpoint-2/);
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, 'x:\n  run: PPO\n  config:\n    lr: [\n');
  const failed = rl(['train', '-f', bad]);
  expect(failed.code).toBe(2);
  expect(failed.stderr).toMatch(/bad\.yaml/);
});

test('--checkpoint-freq with --keep-checkpoints-num keeps the newest checkpoints only', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-keep-'));
  const tiny = JSON.stringify({ num_workers: 0, train_batch_size: 200, sgd_minibatch_size: 100, num_sgd_iter: 1, model: { fcnet_hiddens: [4] } });
  const { code } = rl(['train', '--env', 'CartPole-v1', '--config', tiny, '--stop', '{"training_iteration": 4}', '--checkpoint-freq', '1', '--keep-checkpoints-num', '2', '--checkpoint-dir', dir]);
  expect(code).toBe(0);
  expect(readdirSync(dir).filter((f) => f.startsWith('checkpoint_')).sort()).toEqual(['checkpoint_3', 'checkpoint_4']);
});
