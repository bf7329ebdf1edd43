import { existsSync, mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { GifReader } from 'omggif';
import { rl } from '../helpers.js';
import { PPOTrainer, resolvePPOConfig, make } from '../../src/index.js';
import { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { replayPolicy } from '../../src/execution/policy_replay.js';

let project: string; // a folder with ./checkpoints holding checkpoint_1 and checkpoint_2
let pendulumCheckpoint: string;

const rlIn = (cwd: string, args: string[]) => rl(args, {}, cwd);

async function train(env: string, root: string, iterations: number, extra: Record<string, unknown> = {}) {
  const config = resolvePPOConfig([
    { source: 'test', config: { env, num_workers: 0, train_batch_size: 400, sgd_minibatch_size: 200, num_sgd_iter: 2, lr: 1e-3, model: { fcnet_hiddens: [16] }, seed: 2, ...extra } },
  ]);
  const trainer = await PPOTrainer.create(config, { backend: 'wasm' });
  let manifest = '';
  try {
    for (let i = 0; i < iterations; i++) {
      await trainer.train();
      manifest = await trainer.save(root);
    }
  } finally {
    await trainer.stop();
  }
  return manifest;
}

beforeAll(async () => {
  project = mkdtempSync(path.join(os.tmpdir(), 'rl-rollout-'));
  await train('CartPole-v1', path.join(project, 'checkpoints'), 2, { observation_filter: 'MeanStdFilter' });
  pendulumCheckpoint = await train('Pendulum-v1', path.join(project, 'pendulum'), 1);
});

describe('rl rollout', () => {
  test('accepts the manifest, its folder, a bare name in ./checkpoints and latest', () => {
    const forms = [
      [path.join(project, 'checkpoints', 'checkpoint_2', 'checkpoint-2'), 2],
      [path.join(project, 'checkpoints', 'checkpoint_1'), 1],
      ['checkpoint-1', 1],
      ['checkpoint_2', 2],
      ['latest', 2],
    ] as const;
    for (const [arg, iteration] of forms) {
      const { code, stderr } = rlIn(project, ['rollout', arg, '--episodes', '1', '--seed', '0']);
      expect({ arg, code }).toEqual({ arg, code: 0 });
      expect(stderr).toMatch(new RegExp(`iteration ${iteration},`));
    }
  });

  test('prints per-episode rewards and a summary; the rewards equal a direct evaluation', async () => {
    const { code, stdout } = rlIn(project, ['rollout', 'latest', '--steps', '300', '--seed', '5']);
    expect(code).toBe(0);
    const printed = [...stdout.matchAll(/^Episode #(\d+): reward: ([\d.-]+)$/gm)].map((m) => Number(m[2]));
    expect(printed.length).toBeGreaterThan(0);
    expect(stdout).toMatch(/episodes .* mean reward .* steps\/s/);
    // direct evaluation: same env seed, greedy actions from the plain forward pass, filter applied
    const policy = await CheckpointPolicy.load(path.join(project, 'checkpoints', 'checkpoint_2'));
    const env = make('CartPole-v1');
    let [obs] = env.reset({ seed: 5 });
    const rewards: number[] = [];
    const action = new Float32Array(1);
    let steps = 0;
    while (steps < 300) {
      let total = 0;
      for (;;) {
        policy.computeActions(Float32Array.from(obs), 1, false, null, action);
        const [next, r, terminated, truncated] = env.step(action[0]);
        total += r;
        steps += 1;
        obs = next;
        if (terminated || truncated) break;
      }
      rewards.push(total);
      [obs] = env.reset();
    }
    expect(printed).toEqual(rewards.map((r) => Number(r.toFixed(1))));
  });

  test('--out writes every step as JSON lines that add up to the episodes', () => {
    const out = path.join(project, 'steps.jsonl');
    const { code, stdout } = rlIn(project, ['rollout', 'latest', '--episodes', '2', '--seed', '1', '--out', out, '--json']);
    expect(code).toBe(0);
    const episodes = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const steps = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(steps.length).toBe(episodes[0].length + episodes[1].length);
    expect(Object.keys(steps[0]).sort()).toEqual(['action', 'episode', 'observation', 'reward', 't', 'terminated', 'truncated']);
    expect(steps[0].observation).toHaveLength(4);
    for (const e of episodes) {
      const mine = steps.filter((s) => s.episode === e.episode);
      expect(mine.reduce((sum, s) => sum + s.reward, 0)).toBe(e.reward);
      expect(mine[mine.length - 1].terminated || mine[mine.length - 1].truncated).toBe(true);
      expect(mine.map((s) => s.t)).toEqual(mine.map((_, i) => i));
    }
  });

  test('--video writes a GIF of 600x400 frames: one per step plus the first of each episode', () => {
    const gif = path.join(project, 'cartpole.gif');
    const { code, stdout } = rlIn(project, ['rollout', 'latest', '--episodes', '2', '--seed', '3', '--video', gif, '--json']);
    expect(code).toBe(0);
    const lengths = stdout.trim().split('\n').map((l) => JSON.parse(l).length);
    const reader = new GifReader(readFileSync(gif));
    expect([reader.width, reader.height]).toEqual([600, 400]);
    expect(reader.numFrames()).toBe(lengths[0] + lengths[1] + 2);
    expect(reader.frameInfo(0).delay).toBe(2); // 50 fps, in hundredths of a second
  });

  test('--render draws frames in the terminal', () => {
    const { code, stderr } = rlIn(project, ['rollout', 'latest', '--episodes', '1', '--seed', '3', '--render', '--fps', '0']);
    expect(code).toBe(0);
    const frames = stderr.split('\x1b[H').slice(1);
    expect(frames.length).toBeGreaterThan(5);
    expect(frames[1]).toMatch(/[█▀▄]/);
  });

  test('Box actions: a Pendulum checkpoint replays', () => {
    const { code, stdout } = rlIn(project, ['rollout', pendulumCheckpoint, '--episodes', '2', '--json', '--seed', '0']);
    expect(code).toBe(0);
    const episodes = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(episodes.map((e) => e.length)).toEqual([200, 200]);
    expect(episodes.every((e) => e.reward < 0)).toBe(true);
  });

  test('--config and --run are checked against the checkpoint', () => {
    const mismatch = rlIn(project, ['rollout', 'latest', '--config', '{"env": "CartPole-v1", "model": {"fcnet_hiddens": [40, 20]}}', '--run', 'PPO']);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr.trim()).toMatch(/^rl: --config model.fcnet_hiddens is \[40,20\] but checkpoints\/checkpoint_2\/checkpoint-2 was trained with \[16\]/);
    const ok = rlIn(project, ['rollout', 'latest', '--episodes', '1', '--config', '{"env": "CartPole-v1", "model": {"fcnet_hiddens": [16]}}', '--run', 'PPO']);
    expect(ok.code).toBe(0);
    expect(rlIn(project, ['rollout', 'latest', '--run', 'DQN']).stderr).toMatch(/--run DQN does not match/);
  });

  test('a missing checkpoint lists the ones nearby; damaged ones are refused and nothing is written', () => {
    const missing = rlIn(project, ['rollout', 'checkpoint-7']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/checkpoint_1, checkpoint_2|checkpoint_2, checkpoint_1/);

    const damaged = mkdtempSync(path.join(os.tmpdir(), 'rl-damaged-'));
    const copy = (name: string) => {
      const dir = path.join(damaged, name);
      cpSync(path.join(project, 'checkpoints', 'checkpoint_2'), dir, { recursive: true });
      return dir;
    };
    const truncated = copy('truncated');
    const weights = path.join(truncated, 'policy', 'weights.bin');
    writeFileSync(weights, readFileSync(weights).subarray(0, 10));
    const notJson = copy('notjson');
    writeFileSync(path.join(notJson, 'checkpoint-2'), '{ not json');
    const newer = copy('newer');
    const manifest = JSON.parse(readFileSync(path.join(newer, 'checkpoint-2'), 'utf8'));
    writeFileSync(path.join(newer, 'checkpoint-2'), JSON.stringify({ ...manifest, format_version: 99 }));
    const cases: [string, RegExp][] = [
      [truncated, /policy\/weights\.bin/],
      [notJson, /checkpoint-2.*(JSON|json)/],
      [newer, /format/],
    ];
    for (const [dir, message] of cases) {
      const out = path.join(damaged, `${path.basename(dir)}.jsonl`);
      const { code, stderr } = rlIn(project, ['rollout', dir, '--out', out]);
      expect({ dir, code }).toEqual({ dir, code: 2 });
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});

test('replayPolicy() as a library: greedy replays with the same seed are identical', async () => {
  const policy = await CheckpointPolicy.load(path.join(project, 'checkpoints', 'checkpoint_2', 'checkpoint-2'));
  const a = await replayPolicy(policy, { episodes: 3, seed: 9 });
  const b = await replayPolicy(policy, { episodes: 3, seed: 9 });
  expect(b.episodes).toEqual(a.episodes);
  const explored = await replayPolicy(policy, { episodes: 3, seed: 9, explore: true });
  expect(explored.episodes.length).toBe(3);
});
