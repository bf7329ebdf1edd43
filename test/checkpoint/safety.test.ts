// Issue 9: a checkpoint someone sent never runs code; a checkpoint edited or damaged is refused
// with one line and exit 2; output files never land in a checkpoint or replace a file silently.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot, rl } from '../helpers.js';
import { PPOTrainer, resolvePPOConfig } from '../../src/index.js';
import { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { manifestDigest } from '../../src/checkpoint/format.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { UserError } from '../../src/utils/errors.js';

let project: string; // ./checkpoints/checkpoint_1 of a CartPole run with a MeanStdFilter
let corridorCheckpoint: string;
const corridor = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'corridor.js');
const rlIn = (cwd: string, args: string[]) => rl(args, {}, cwd);

async function train(env: string, root: string, extra: Record<string, unknown> = {}): Promise<string> {
  const config = resolvePPOConfig([
    { source: 'test', config: { env, num_workers: 0, train_batch_size: 200, sgd_minibatch_size: 100, num_sgd_iter: 1, model: { fcnet_hiddens: [8] }, seed: 3, ...extra } },
  ]);
  const trainer = await PPOTrainer.create(config, { backend: 'wasm' });
  try {
    await trainer.train();
    return await trainer.save(root);
  } finally {
    await trainer.stop();
  }
}

/** A copy of the project's checkpoint_1 in a fresh folder, its manifest changed by `edit` (and re-hashed, as a forger would, unless rehash is false). */
function editedCopy(edit: (manifest: Record<string, any>) => void, rehash = true): { cwd: string; manifest: string } {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-edited-'));
  cpSync(path.join(project, 'checkpoints'), path.join(cwd, 'checkpoints'), { recursive: true });
  const manifest = path.join(cwd, 'checkpoints', 'checkpoint_1', 'checkpoint-1');
  const parsed = JSON.parse(readFileSync(manifest, 'utf8'));
  edit(parsed);
  if (rehash) parsed.manifest_sha256 = manifestDigest(parsed);
  writeFileSync(manifest, JSON.stringify(parsed, null, 2));
  return { cwd, manifest };
}

function expectOneLineExit2(result: { code: number | null; stderr: string }, message: RegExp): void {
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
}

beforeAll(async () => {
  project = mkdtempSync(path.join(os.tmpdir(), 'rl-safety-'));
  await train('CartPole-v1', path.join(project, 'checkpoints'), { observation_filter: 'MeanStdFilter' });
  corridorCheckpoint = await train(corridor, path.join(project, 'corridor'));
});

describe('loading a checkpoint never runs code from it', () => {
  const hostileModule = (cwd: string) => {
    const module = path.join(cwd, 'checkpoints', 'checkpoint_1', 'env.js');
    writeFileSync(
      module,
      `import fs from "node:fs"; fs.writeFileSync(${JSON.stringify(path.join(cwd, 'pwned.txt'))}, "ran");\n` +
        `export { CartPoleEnv as default } from ${JSON.stringify(path.join(repoRoot, 'dist', 'src', 'envs', 'classic_control', 'cartpole.js'))};\n`,
    );
  };

  test("the issue's exploit: an env module path put into the manifest is refused by rollout as an edit", () => {
    const { cwd } = editedCopy((m) => {
      m.env = './checkpoints/checkpoint_1/env.js';
      m.config.env = './checkpoints/checkpoint_1/env.js';
    }, false);
    hostileModule(cwd);
    expectOneLineExit2(rlIn(cwd, ['rollout', 'latest', '--episodes', '1']), /checkpoint-1 is damaged: its manifest was changed after it was written/);
    expect(existsSync(path.join(cwd, 'pwned.txt'))).toBe(false);
  });

  test('a forged manifest (hash recomputed) naming a module imports nothing: rollout, train --restore, serve and the library refuse', async () => {
    const { cwd, manifest } = editedCopy((m) => {
      m.env = './checkpoints/checkpoint_1/env.js';
      m.config.env = './checkpoints/checkpoint_1/env.js';
    });
    hostileModule(cwd);
    const refusal = /checkpoint-1 was trained on the custom env module env\.js; a checkpoint never runs code it names: pass --env/;
    expectOneLineExit2(rlIn(cwd, ['rollout', 'latest', '--episodes', '1']), refusal);
    expectOneLineExit2(rlIn(cwd, ['train', '--restore', 'latest', '--stop', '{"training_iteration": 2}']), refusal);
    expectOneLineExit2(rlIn(cwd, ['serve', manifest, '--port', '0']), refusal);
    await expect(CheckpointPolicy.load(manifest)).rejects.toThrow(refusal);
    await expect(PPOTrainer.restore(manifest)).rejects.toThrow(refusal);
    expect(existsSync(path.join(cwd, 'pwned.txt'))).toBe(false);
  });

  test('a custom-env checkpoint replays with the module the user names, and warns when it is another version', () => {
    const cwd = path.dirname(path.dirname(path.dirname(corridorCheckpoint)));
    expectOneLineExit2(rlIn(cwd, ['rollout', corridorCheckpoint, '--episodes', '1']), /trained on the custom env module corridor\.js; .*pass --env \.\/path\/to\/corridor\.js/);
    const ok = rlIn(cwd, ['rollout', corridorCheckpoint, '--episodes', '1', '--env', corridor]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).not.toMatch(/WARN/);
    const changed = path.join(cwd, 'corridor-v2.js');
    writeFileSync(changed, `${readFileSync(corridor, 'utf8')}\n// changed\n`);
    const warned = rlIn(cwd, ['rollout', corridorCheckpoint, '--episodes', '1', '--env', changed]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/WARN: .*corridor-v2\.js is not the corridor\.js that .* was trained with \(its sha256 differs\)/);
    expectOneLineExit2(rlIn(cwd, ['rollout', corridorCheckpoint, '--episodes', '1', '--env', 'CartPole-v1']), /custom env module corridor\.js, not the registered env CartPole-v1/);
  });
});

describe('a checkpoint whose manifest disagrees with itself is refused by rollout and --restore alike', () => {
  const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['activation tanh -> relu', (m) => (m.config.model.fcnet_activation = 'relu'), /policy network's activations are \[tanh, linear\] but its config describes \[relu, linear\]/],
    ['lr: -1', (m) => (m.config.lr = -1), /lr/],
    ['an unknown key', (m) => (m.config.learning_rate = 0.1), /learning_rate/],
    ['a filter that is not one', (m) => (m.filter = { type: 'MeanStdFilter' }), /is damaged: its observation filter running is not an object/],
    ['a filter of the wrong size', (m) => (m.filter.running.mean = [0, 0]), /observation filter running 'mean' has 2 values; observations have 4/],
  ];
  for (const [what, edit, message] of cases) {
    test(what, () => {
      const { cwd } = editedCopy(edit);
      expectOneLineExit2(rlIn(cwd, ['rollout', 'latest', '--episodes', '1']), message);
      expectOneLineExit2(rlIn(cwd, ['train', '--restore', 'latest', '--stop', '{"training_iteration": 2}']), message);
    });
  }

  test('garbage trainer state is one line naming the key, not a TypeError', () => {
    for (const [edit, message] of [
      [(m: Record<string, any>) => (m.state = {}), /trainer state has no valid 'iteration'/],
      [(m: Record<string, any>) => (m.state.workers = 'x'), /trainer state has no valid 'workers'/],
      [(m: Record<string, any>) => (m.state.rng.generator = [1]), /trainer state has no valid 'rng.generator'/],
    ] as const) {
      const { cwd } = editedCopy(edit);
      expectOneLineExit2(rlIn(cwd, ['train', '--restore', 'latest', '--stop', '{"training_iteration": 2}']), message);
    }
  });
});

describe('rl rollout output files', () => {
  test('refuses to write into a checkpoint, even with --force; the checkpoint stays intact', async () => {
    const { cwd, manifest } = editedCopy(() => {});
    for (const flag of ['--out', '--video']) {
      for (const target of ['checkpoints/checkpoint_1/checkpoint-1', 'checkpoints/checkpoint_1/policy/weights.bin', 'checkpoints/checkpoint_1/new.jsonl']) {
        const result = rlIn(cwd, ['rollout', 'latest', '--episodes', '1', flag, target, '--force']);
        expectOneLineExit2(result, new RegExp(`${flag} ${target.replace(/\./g, '\\.')} is inside the checkpoint checkpoints/checkpoint_1: writing there would damage it`));
      }
    }
    await expect(loadCheckpoint(manifest)).resolves.toBeDefined();
    expect(existsSync(path.join(cwd, 'checkpoints', 'checkpoint_1', 'new.jsonl'))).toBe(false);
  });

  test('an existing file is replaced only with --force', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-out-'));
    const out = path.join(cwd, 'steps.jsonl');
    writeFileSync(out, 'keep me\n');
    expectOneLineExit2(rlIn(project, ['rollout', 'latest', '--episodes', '1', '--out', out]), /steps\.jsonl already exists: pass --force to replace it/);
    expect(readFileSync(out, 'utf8')).toBe('keep me\n');
    expect(rlIn(project, ['rollout', 'latest', '--episodes', '1', '--out', out, '--force']).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8').split('\n')[0])).toHaveProperty('action');
  });

  test('a missing folder or a directory is named before the replay, and nothing is left behind', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-out-'));
    expectOneLineExit2(rlIn(project, ['rollout', 'latest', '--out', '/nonexistent/d/x.jsonl']), /--out \/nonexistent\/d\/x\.jsonl: the folder \/nonexistent\/d does not exist/);
    expectOneLineExit2(rlIn(project, ['rollout', 'latest', '--video', '/nonexistent/d/x.gif']), /--video \/nonexistent\/d\/x\.gif: the folder \/nonexistent\/d does not exist/);
    const dir = path.join(cwd, 'dir');
    mkdirSync(dir);
    expectOneLineExit2(rlIn(project, ['rollout', 'latest', '--out', dir]), /is a directory: name a file in it/);
    expectOneLineExit2(rlIn(project, ['rollout', 'latest', '--video', dir]), /is a directory: name a file in it/);
    expect(readdirSync(cwd)).toEqual(['dir']);
    expect(readdirSync(dir)).toEqual([]);
  });
});

test('the errors a library caller gets are UserErrors too', async () => {
  const { manifest } = editedCopy((m) => (m.config.model.fcnet_activation = 'relu'));
  await expect(CheckpointPolicy.load(manifest)).rejects.toBeInstanceOf(UserError);
  await expect(PPOTrainer.restore(manifest)).rejects.toBeInstanceOf(UserError);
});
