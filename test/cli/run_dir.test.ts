// Issue 9, items 10 and 11: runs in the same folder are kept apart, a live run's folder is not
// shared, a run killed during a save leaves nothing that outlives the next save, and result files
// hold one row per iteration after a restore.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { rl } from '../helpers.js';
import { LOCK_FILE } from '../../src/checkpoint/run_dir.js';
import { csvCells } from '../../src/metrics/result_writer.js';
import { cleanStaleTemporaries } from '../../src/checkpoint/save.js';

const small = JSON.stringify({ num_workers: 0, train_batch_size: 200, sgd_minibatch_size: 100, num_sgd_iter: 1, model: { fcnet_hiddens: [8] } });
const train = (cwd: string, iterations: number, extra: string[] = []) =>
  rl(['train', '--env', 'CartPole-v1', '--config', small, '--seed', '1', '--stop', JSON.stringify({ training_iteration: iterations }), '--checkpoint-freq', '1', ...extra], {}, cwd);
const iterations = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).training_iteration);
const csvIterations = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => Number(csvCells(l)[0]));

describe('the checkpoint folder of rl train', () => {
  test("a second run moves the first one's files aside: nothing overwritten, latest is the new run, pruning spares the old run", () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-two-runs-'));
    expect(train(cwd, 3).code).toBe(0);
    const second = train(cwd, 1, ['--keep-checkpoints-num', '1']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^checkpoints\/ held an earlier run: moved it to checkpoints\/run-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\/ \(nothing was overwritten\)$/m);
    const root = path.join(cwd, 'checkpoints');
    const aside = readdirSync(root).filter((n) => n.startsWith('run-'));
    expect(aside).toHaveLength(1);
    expect(readdirSync(path.join(root, aside[0])).sort()).toEqual(['checkpoint_1', 'checkpoint_2', 'checkpoint_3', 'params.json', 'progress.csv', 'result.json']);
    expect(iterations(path.join(root, aside[0], 'result.json'))).toEqual([1, 2, 3]);
    expect(readdirSync(root).filter((n) => n.startsWith('checkpoint_'))).toEqual(['checkpoint_1']);
    expect(iterations(path.join(root, 'result.json'))).toEqual([1]);
    expect(existsSync(path.join(root, LOCK_FILE))).toBe(false); // released at the end
    // the book's paths name the newest run; the old one replays from where it was moved
    expect(rl(['rollout', 'latest', '--episodes', '1'], {}, cwd).stderr).toMatch(/replayed checkpoints\/checkpoint_1\/checkpoint-1/);
    expect(rl(['rollout', `checkpoints/${aside[0]}/latest`, '--episodes', '1'], {}, cwd).stderr).toMatch(/iteration 3,/);
  });

  test("a folder a live run holds is refused with the fix; a dead run's lock is taken over", () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-locked-'));
    const root = path.join(cwd, 'checkpoints');
    mkdirSync(root);
    writeFileSync(path.join(root, LOCK_FILE), JSON.stringify({ pid: process.pid, hostname: os.hostname(), started_at: '2026-12-02T00:00:00.000Z' }));
    const refused = train(cwd, 1);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`rl: checkpoints/ is in use by another run (pid ${process.pid} on ${os.hostname()}, started 2026-12-02T00:00:00.000Z): give this run its own --checkpoint-dir`);
    expect(readdirSync(root)).toEqual([LOCK_FILE]);
    writeFileSync(path.join(root, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, hostname: os.hostname(), started_at: 'x' })); // no such process
    expect(train(cwd, 1).code).toBe(0);
  });

  test('--checkpoint-dir naming a file is one line', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-file-'));
    writeFileSync(path.join(cwd, 'notadir'), 'x');
    const result = train(cwd, 1, ['--checkpoint-dir', 'notadir']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('rl: checkpoint folder notadir is a file: name a folder with --checkpoint-dir');
  });

  test('after a kill during a save: restore runs the lost iteration once, results hold one row each, temporaries go', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-killed-'));
    expect(train(cwd, 3).code).toBe(0);
    const root = path.join(cwd, 'checkpoints');
    // What kill -9 in the middle of saving checkpoint_3 leaves: its temp dir, and the result row of iteration 3.
    renameSync(path.join(root, 'checkpoint_3'), path.join(root, '.tmp-checkpoint_3-4194999-AbC123'));
    mkdirSync(path.join(root, '.tmp-checkpoint_2-abcdef')); // an older rl's temp dir, without a pid
    writeFileSync(path.join(root, 'result.json'), `${readFileSync(path.join(root, 'result.json'), 'utf8')}{"training_iter`); // cut mid-line
    const resumed = rl(['train', '--restore', 'latest', '--stop', '{"training_iteration": 4}', '--checkpoint-freq', '1'], {}, cwd);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^\s+3\s/m);
    expect(iterations(path.join(root, 'result.json'))).toEqual([1, 2, 3, 4]);
    expect(csvIterations(path.join(root, 'progress.csv'))).toEqual([1, 2, 3, 4]);
    expect(readdirSync(root).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  test('cleaning after a killed save: a set-aside checkpoint whose replacement never arrived is put back; live temp dirs stay', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-aside-'));
    expect(train(cwd, 2).code).toBe(0);
    const root = path.join(cwd, 'checkpoints');
    renameSync(path.join(root, 'checkpoint_2'), path.join(root, '.tmp-checkpoint_2-old-4194999-0a1b2c3d'));
    mkdirSync(path.join(root, `.tmp-checkpoint_3-${process.ppid}-Zz9999`)); // a live process's save in progress
    mkdirSync(path.join(root, '.tmp-checkpoint_1-old-4194998-0a1b2c3d')); // an incomplete set-aside: no manifest
    await cleanStaleTemporaries(root);
    expect(readdirSync(root).filter((n) => n.startsWith('.tmp-') || n.startsWith('checkpoint_')).sort()).toEqual([
      `.tmp-checkpoint_3-${process.ppid}-Zz9999`,
      'checkpoint_1',
      'checkpoint_2',
    ]);
    expect(existsSync(path.join(root, 'checkpoint_2', 'checkpoint-2'))).toBe(true);
  });

  test('continuing from an earlier checkpoint of a run would replace later ones: refused with the fix', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'rl-branch-'));
    expect(train(cwd, 2).code).toBe(0);
    const result = rl(['train', '--restore', 'checkpoint-1', '--stop', '{"training_iteration": 3}'], {}, cwd);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'rl: checkpoints/ holds later checkpoints of this run (up to checkpoint_2); continuing from checkpoint_1 would replace them: restore the latest, or give --checkpoint-dir for the new branch',
    );
    const branched = rl(['train', '--restore', 'checkpoint-1', '--stop', '{"training_iteration": 2}', '--checkpoint-dir', 'branch'], {}, cwd);
    expect(branched.code).toBe(0);
    expect(iterations(path.join(cwd, 'branch', 'result.json'))).toEqual([2]);
  });
});

test('csvCells reads quoted cells with commas and doubled quotes', () => {
  expect(csvCells('1,"[1,2]","a ""b""",')).toEqual(['1', '[1,2]', 'a "b"', '']);
});
