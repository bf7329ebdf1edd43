// rl sgd on the command line: bad modules are one line and exit 2; a failing worker ends the run
// with one line and leaves only complete checkpoints; a run writes the table, result files and
// a checkpoint that --restore continues.
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, rl } from '../helpers.js';

const fixture = (name: string) => path.join(repoRoot, 'test', 'fixtures', 'sgd', name);
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'rl-sgd-cli-'));

function oneLineError(result: { code: number | null; stderr: string }): string {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('rl sgd', () => {
  test('a module missing a creator: one line naming the export, exit 2', () => {
    const line = oneLineError(rl(['sgd', fixture('no-optimizer.js')], {}, tmp()));
    expect(line).toMatch(/^rl: .*no-optimizer\.js exports no 'optimizer' function: an rl sgd module exports model\(config\), data\(config\), loss and optimizer\(config\)/);
  });

  test('a model and data whose shapes disagree: one line naming the export and both shapes, exit 2', () => {
    const inputs = oneLineError(rl(['sgd', fixture('shape-mismatch.js'), '--num-workers', '2'], {}, tmp()));
    expect(inputs).toMatch(/shape-mismatch\.js: data\(\)\.train x has shape \[96,4\] but model\(\) takes input shape \[null,5\]$/);
    const targets = oneLineError(rl(['sgd', fixture('target-mismatch.js')], {}, tmp()));
    expect(targets).toMatch(/target-mismatch\.js: data\(\)\.train y has shape \[8,3\] but model\(\) gives output shape \[null,1\]$/);
  });

  test('a worker that throws: one line naming it and the epoch, no half-written checkpoint, exit 2', () => {
    const dir = tmp();
    const config = JSON.stringify({ batch_size: 32, fail_at_epoch: 2, fail_on_worker: 1 });
    const result = rl(['sgd', fixture('regression.js'), '--num-workers', '2', '--epochs', '3', '--checkpoint-freq', '1', '--config', config, '--backend', 'cpu'], {}, dir);
    // after the start banner, the error is one line
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').slice(1)).toEqual(['rl: worker 1 failed in epoch 2: disk read failed in batch 3']);
    const root = path.join(dir, 'checkpoints');
    expect(readdirSync(root).filter((name) => name.startsWith('checkpoint_') || name.startsWith('.tmp'))).toEqual(['checkpoint_1']);
    expect(readFileSync(path.join(root, 'result.json'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  test('trains, prints a row per epoch, writes results and a checkpoint that --restore continues (on another engine too)', () => {
    const dir = tmp();
    const args = ['sgd', fixture('regression.js'), '--num-workers', '2', '--config', '{"batch_size": 16, "seed": 3}', '--backend', 'cpu'];
    const first = rl([...args, '--epochs', '2'], {}, dir);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^SGD on 2 workers, model \[null,4\] -> \[null,1\] \(97 parameters\) on the WebAssembly kernel, global batch 16, seed 3$/m);
    expect(first.stdout).toMatch(/epoch\s+train loss\s+val loss\s+val mae\s+samples\/s\s+time \(s\)/);
    expect(first.stdout.split('\n').filter((line) => /^\s+[12]\s/.test(line))).toHaveLength(2);
    expect(first.stdout).toContain('last checkpoint file: checkpoints/checkpoint_2/checkpoint-2');
    // resumed through tfjs (elu, which the kernel does not run): the kernel's checkpoint holds tfjs's optimizer state
    const resumed = rl(['sgd', fixture('regression.js'), '--restore', 'latest', '--epochs', '1', '--json', '--backend', 'cpu', '--config', '{"hidden_activation": "elu"}'], {}, dir);
    expect(resumed.code).toBe(0);
    const record = JSON.parse(resumed.stdout.trim()) as Record<string, number>;
    expect(record).toMatchObject({ epoch: 3, training_iteration: 3, num_workers: 2, num_samples: 96, samples_total: 288 });
    const results = readFileSync(path.join(dir, 'checkpoints', 'result.json'), 'utf8').trim().split('\n');
    expect(results.map((line) => (JSON.parse(line) as { epoch: number }).epoch)).toEqual([1, 2, 3]);
    expect(existsSync(path.join(dir, 'checkpoints', 'checkpoint_3', 'model', 'model.json'))).toBe(true);
    expect(readFileSync(path.join(dir, 'checkpoints', 'progress.csv'), 'utf8').split('\n')[0]).toContain('val_loss');
    // a model, not a policy: rl rollout points to rl serve
    const rollout = rl(['rollout', 'checkpoints/checkpoint_3', '--steps', '10'], {}, dir);
    expect([rollout.code, rollout.stderr.trim()]).toEqual([2, 'rl: checkpoints/checkpoint_3/checkpoint-3 was written by rl sgd: a model, not a policy with an env; serve it with rl serve checkpoints/checkpoint_3/model']);
  });
});
