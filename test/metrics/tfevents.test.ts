import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { TFEventWriter, resultScalars } from '../../src/metrics/tfevents.js';
import { ResultWriter } from '../../src/metrics/result_writer.js';
import { crc32cBitwise, readEventFile } from '../tfrecord_reader.js';

const result = (iteration: number) => ({
  training_iteration: iteration,
  episode_reward_mean: 21.5 + iteration / 3,
  episode_reward_min: 9,
  timesteps_total: 400 * iteration,
  time_total_s: 1.25 * iteration,
  done: false,
  episode_len_mean: Number.NaN,
  custom_metrics: {},
  hist_stats: { episode_reward: [1, 2] },
  config: { lr: 5e-5 },
  info: { learner: { kl: 0.0123 / iteration, policy_loss: -0.04, cur_lr: 5e-5 }, num_steps_trained: 400 * iteration },
});

describe('TensorBoard event files', () => {
  test('the reference CRC32C gives the standard check value', () => {
    expect(crc32cBitwise(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  test('start with file_version brain.Event:2, then one Event a result with Ray\'s tags, steps and values', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tfevents-'));
    const writer = new TFEventWriter(dir, 1_700_000_000_500);
    writer.write(result(1), 1_700_000_001_000);
    writer.write(result(2), 1_700_000_002_000);
    expect(path.basename(writer.file)).toBe(`events.out.tfevents.1700000000.${os.hostname()}`);
    const events = readEventFile(readFileSync(writer.file));
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({ wallTime: 1_700_000_000.5, step: 0, fileVersion: 'brain.Event:2', scalars: {} });
    for (const i of [1, 2]) {
      const r = result(i);
      expect(events[i].wallTime).toBe(1_700_000_000 + i);
      expect(events[i].step).toBe(r.timesteps_total);
      // simple_value is a float32: compare with the value rounded to float32
      expect(events[i].scalars).toEqual({
        'ray/tune/episode_reward_mean': Math.fround(r.episode_reward_mean),
        'ray/tune/episode_reward_min': 9,
        'ray/tune/timesteps_total': r.timesteps_total,
        'ray/tune/done': 0,
        'ray/tune/info/learner/kl': Math.fround(r.info.learner.kl),
        'ray/tune/info/learner/policy_loss': Math.fround(-0.04),
        'ray/tune/info/learner/cur_lr': Math.fround(5e-5),
        'ray/tune/info/num_steps_trained': r.info.num_steps_trained,
      });
    }
  });

  test('without timesteps_total the step is the training iteration', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tfevents-'));
    const writer = new TFEventWriter(dir);
    writer.write({ training_iteration: 7, mean_loss: 0.5 });
    expect(readEventFile(readFileSync(writer.file))[1]).toMatchObject({ step: 7, scalars: { 'ray/tune/mean_loss': 0.5 } });
  });

  test('the reader catches a damaged byte (so the CRC checks above are real)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tfevents-'));
    const writer = new TFEventWriter(dir);
    writer.write(result(1));
    const bytes = readFileSync(writer.file);
    bytes[bytes.length - 10] ^= 1;
    writeFileSync(writer.file, bytes);
    expect(() => readEventFile(readFileSync(writer.file))).toThrow(/bad data CRC/);
  });

  test('ResultWriter writes an event file beside progress.csv, one Event a progress.csv row', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-results-'));
    const writer = new ResultWriter(dir);
    writer.start({}, null);
    for (const i of [1, 2, 3]) writer.write(result(i));
    const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files).toHaveLength(1);
    const rows = readFileSync(path.join(dir, 'progress.csv'), 'utf8').trim().split('\n').length - 1;
    const events = readEventFile(readFileSync(path.join(dir, files[0])));
    expect(events.slice(1).map((e) => e.step)).toEqual([400, 800, 1200]);
    expect(events.length - 1).toBe(rows);
  });

  test('the file name holds the start second zero-padded to 10 digits (TensorFlow\'s %010d)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tfevents-'));
    expect(path.basename(new TFEventWriter(dir, 42_999).file)).toBe(`events.out.tfevents.0000000042.${os.hostname()}`);
  });

  test('Ray\'s unlogged keys (config, pid, timestamp, time_total_s, training_iteration) are left out', () => {
    const { scalars } = resultScalars({ config: { lr: 1 }, pid: 123, timestamp: 1_700_000_000, time_total_s: 3, training_iteration: 2, hostname: 'h', reward: 1.5 });
    expect(scalars).toEqual({ 'ray/tune/reward': 1.5 });
  });

  test('the step is timesteps_total unless it is 0 or missing (Python\'s `or`), then the iteration, then 0', () => {
    expect(resultScalars({ timesteps_total: 0, training_iteration: 3 }).step).toBe(3);
    expect(resultScalars({ timesteps_total: 5, training_iteration: 3 }).step).toBe(5);
    expect(resultScalars({ timesteps_total: '7', training_iteration: 3 }).step).toBe(3);
    expect(resultScalars({ reward: 1 }).step).toBe(0);
  });

  test('booleans are logged as 0 and 1; strings (numeric ones too), null, arrays and NaN are not logged', () => {
    const result = { done: true, off: false, name: 'x', digits: '5', none: null, list: [1, 2], bad: Number.NaN };
    expect(resultScalars(result).scalars).toEqual({ 'ray/tune/done': 1, 'ray/tune/off': 0 });
  });
});
