import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ResultWriter, csvCells, flattenResult } from '../../src/metrics/result_writer.js';

/** A run folder whose parent does not exist yet (the writer creates both). */
const tempDir = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'rl-results-')), 'experiment', 'run');
const read = (file: string) => readFileSync(file, 'utf8');

describe('flattenResult', () => {
  test('joins nested keys with / (as Tune progress.csv); arrays and null stay values', () => {
    const flat = flattenResult({ a: 1, info: { learner: { kl: 0.5, cur_lr: 1e-3 }, n: 2 }, hist: [1, 2], none: null });
    expect(flat).toEqual({ a: 1, 'info/learner/kl': 0.5, 'info/learner/cur_lr': 1e-3, 'info/n': 2, hist: [1, 2], none: null });
    expect(Object.keys(flat)).toEqual(['a', 'info/learner/kl', 'info/learner/cur_lr', 'info/n', 'hist', 'none']);
  });

  test('a prefix goes in front of every key', () => {
    expect(flattenResult({ x: { y: 1 } }, 'config')).toEqual({ 'config/x/y': 1 });
  });
});

describe('ResultWriter', () => {
  test('params.json, one JSON line per result, progress.csv with the first result’s columns', () => {
    const dir = tempDir();
    const writer = new ResultWriter(dir);
    expect([writer.resultPath, writer.progressPath, writer.paramsPath]).toEqual(['result.json', 'progress.csv', 'params.json'].map((f) => path.join(dir, f)));
    writer.start({ lr: 0.01, model: { fcnet_hiddens: [8] } }, null);
    expect(read(writer.paramsPath)).toBe('{\n  "lr": 0.01,\n  "model": {\n    "fcnet_hiddens": [\n      8\n    ]\n  }\n}\n');
    writer.write({ training_iteration: 1, info: { kl: 0.5 }, note: 'a,b' });
    writer.write({ training_iteration: 2, extra: 7, note: 'say "hi"\nbye' });
    expect(read(writer.resultPath)).toBe(
      '{"training_iteration":1,"info":{"kl":0.5},"note":"a,b"}\n{"training_iteration":2,"extra":7,"note":"say \\"hi\\"\\nbye"}\n',
    );
    // columns fixed by the first record: a missing value is an empty cell, an extra key is left out;
    // cells with commas, quotes or newlines are quoted (RFC 4180)
    expect(read(writer.progressPath)).toBe('training_iteration,info/kl,note\n1,0.5,"a,b"\n2,,"say ""hi""\nbye"\n');
  });

  test('array and null cells: arrays as JSON (quoted, they hold commas), null and undefined empty', () => {
    const writer = new ResultWriter(tempDir());
    writer.start({}, null);
    writer.write({ hist: [1, 2], one: [3], none: null, gone: undefined });
    expect(read(writer.progressPath)).toBe('hist,one,none,gone\n"[1,2]",[3],,\n');
  });

  test('a fresh start truncates earlier results', () => {
    const dir = tempDir();
    const first = new ResultWriter(dir);
    first.start({}, null);
    first.write({ a: 1 });
    const second = new ResultWriter(dir);
    second.start({ b: 2 }, null);
    expect(read(second.resultPath)).toBe('');
    expect(read(second.progressPath)).toBe('');
    second.write({ c: 3 });
    expect(read(second.progressPath)).toBe('c\n3\n');
  });

  test('resuming keeps the rows up to the iteration it continues from and the CSV header, and appends under the same columns', () => {
    const dir = tempDir();
    const first = new ResultWriter(dir);
    first.start({}, null);
    first.write({ training_iteration: 1, b: 2 });
    first.write({ training_iteration: 2, b: 3 });
    const resumed = new ResultWriter(dir);
    resumed.start({ resumed: true }, 1);
    resumed.write({ b: 4, training_iteration: 2, c: 5 });
    expect(read(resumed.progressPath)).toBe('training_iteration,b\n1,2\n2,4\n');
    expect(read(resumed.resultPath)).toBe('{"training_iteration":1,"b":2}\n{"b":4,"training_iteration":2,"c":5}\n');
    expect(JSON.parse(read(resumed.paramsPath))).toEqual({ resumed: true });
  });

  test('resuming without a progress.csv, or with an empty one, starts the CSV with a header', () => {
    const dir = tempDir();
    const writer = new ResultWriter(dir);
    writer.start({}, 0);
    writer.write({ training_iteration: 1 });
    expect(read(writer.progressPath)).toBe('training_iteration\n1\n');
    writeFileSync(writer.progressPath, '');
    const again = new ResultWriter(dir);
    again.start({}, 1);
    again.write({ training_iteration: 2 });
    expect(read(again.progressPath)).toBe('training_iteration\n2\n');
    expect(read(again.resultPath)).toBe('{"training_iteration":1}\n{"training_iteration":2}\n');
  });

  test('resuming drops rows cut short by a kill, even of an iteration it keeps, and rows of later iterations', () => {
    const dir = tempDir();
    const first = new ResultWriter(dir);
    first.start({}, null);
    for (const i of [1, 2, 4]) first.write({ training_iteration: i, note: `a,${i}` });
    // the kill cut iteration 3's lines short (checkpoint 3 was saved first)
    writeFileSync(first.progressPath, `${read(first.progressPath)}3`);
    writeFileSync(first.resultPath, `${read(first.resultPath)}{"training_iteration":3,"no`);
    const resumed = new ResultWriter(dir);
    resumed.start({}, 3);
    expect(read(resumed.progressPath)).toBe('training_iteration,note\n1,"a,1"\n2,"a,2"\n');
    expect(read(resumed.resultPath)).toBe('{"training_iteration":1,"note":"a,1"}\n{"training_iteration":2,"note":"a,2"}\n');
    expect(existsSync(`${resumed.progressPath}.tmp`) || existsSync(`${resumed.resultPath}.tmp`)).toBe(false);
  });

  test('resuming a progress.csv without a training_iteration column keeps only its header', () => {
    const dir = tempDir();
    const first = new ResultWriter(dir);
    first.start({}, null);
    first.write({ b: 1 });
    first.write({ b: 2 });
    const resumed = new ResultWriter(dir);
    resumed.start({}, 5);
    expect(read(resumed.progressPath)).toBe('b\n');
  });

  test('resuming finds training_iteration in any column, and a one-column progress.csv stays without blank rows', () => {
    const dir = tempDir();
    const first = new ResultWriter(dir);
    first.start({}, null);
    for (const i of [1, 2]) first.write({ reward: 10 * i, training_iteration: i });
    new ResultWriter(dir).start({}, 1);
    expect(read(first.progressPath)).toBe('reward,training_iteration\n10,1\n');
    const other = tempDir();
    const single = new ResultWriter(other);
    single.start({}, null);
    for (const i of [1, 2]) single.write({ training_iteration: i });
    new ResultWriter(other).start({}, 1);
    expect(read(single.progressPath)).toBe('training_iteration\n1\n');
  });

  test('resuming without result.json keeps the CSV rows and starts result.json empty', () => {
    const dir = tempDir();
    const first = new ResultWriter(dir);
    first.start({}, null);
    first.write({ training_iteration: 1 });
    rmSync(first.resultPath);
    const resumed = new ResultWriter(dir);
    resumed.start({}, 1);
    expect(read(resumed.resultPath)).toBe('');
    expect(read(resumed.progressPath)).toBe('training_iteration\n1\n');
  });
});

describe('csvCells', () => {
  test('reads the cells csvCell writes: plain, empty, quoted with commas, doubled quotes and newlines', () => {
    expect(csvCells('1,,"a,b","say ""hi""\nbye",x')).toEqual(['1', '', 'a,b', 'say "hi"\nbye', 'x']);
    expect(csvCells('')).toEqual(['']);
    expect(csvCells('a,')).toEqual(['a', '']);
    expect(csvCells('"",b')).toEqual(['', 'b']);
    expect(csvCells(',b')).toEqual(['', 'b']);
    expect(csvCells('1,"a,b')).toEqual(['1', 'a,b']); // a quoted cell cut short reads to the end of the line
  });
});
