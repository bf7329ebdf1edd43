// run: SGD in rl tune experiments: data-parallel rl sgd trials over a searched lr (Ray SGD's as_trainable).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot, rl, tuneExperiment } from '../helpers.js';
import { runTune, trialCpus } from '../../src/tune/runner.js';
import { readSGDCheckpoint } from '../../src/sgd/trainer.js';
import { replayExperiment } from '../../src/tune/pbt_replay.js';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'sgd');
const regression = path.join(fixtures, 'regression.js');

function sgdExperiment(config: Record<string, unknown>) {
  return tuneExperiment({ name: 'sgd', run: 'SGD', module: regression, config, stop: { training_iteration: 2 }, metric: 'val_loss', mode: 'min' });
}

describe('run: SGD', () => {
  test('a grid over lr runs data-parallel trials to the end, with rl sgd records and checkpoints', async () => {
    const exp = sgdExperiment({ lr: { grid_search: [0.001, 0.05] }, num_workers: 2, batch_size: 32 });
    const outcome = await runTune(exp, { cpus: 3 });
    expect(outcome.trials.map((t) => [t.id, t.status, t.iteration, t.cpus])).toEqual([
      ['SGD_regression_00000', 'TERMINATED', 2, 3],
      ['SGD_regression_00001', 'TERMINATED', 2, 3],
    ]);
    for (const trial of outcome.trials) {
      expect(trial.last_result).toMatchObject({ training_iteration: 2, epoch: 2, num_workers: 2, num_samples: 96, samples_total: 192, val_num_samples: 32 });
      expect(trial.last_result?.val_loss).toEqual(expect.any(Number));
      expect(readFileSync(path.join(trial.dir, 'result.json'), 'utf8').trim().split('\n')).toHaveLength(2);
      const checkpoint = await readSGDCheckpoint(trial.checkpoint!);
      expect([checkpoint.epoch, checkpoint.samplesTotal, checkpoint.config.lr]).toEqual([2, 192, trial.config.lr]);
    }
    // the lr reaches the module's optimizer: 50x the step size learns more in two epochs
    const [slow, fast] = outcome.trials.map((t) => t.last_result!.val_loss as number);
    expect(fast).toBeLessThan(slow);
    expect(outcome.best?.varied).toEqual({ lr: 0.05 });
  });

  test('an interrupted trial checkpoints; --resume continues it from the SGD checkpoint (weights, optimizer, counters)', async () => {
    const exp = { ...sgdExperiment({ lr: 0.01, num_workers: 2 }), stop: { training_iteration: 3 } };
    const controller = new AbortController();
    const first = await runTune(exp, { cpus: 3, signal: controller.signal, onEvent: (event) => event.type === 'result' && controller.abort() });
    // the interrupt reaches the trial during epoch 1's decision or epoch 2: it stops after that epoch and checkpoints it
    const [stopped] = first.trials;
    expect(stopped.status).toBe('PENDING');
    expect(stopped.iteration).toBeLessThan(3);
    expect((await readSGDCheckpoint(stopped.checkpoint!)).epoch).toBe(stopped.iteration);
    const reported: unknown[] = [];
    const resumed = await runTune(exp, { cpus: 3, resume: true, onEvent: (event) => event.type === 'result' && reported.push(event.trial.iteration) });
    expect(resumed.trials.map((t) => [t.status, t.iteration])).toEqual([['TERMINATED', 3]]);
    expect(reported).toEqual(stopped.iteration === 1 ? [2, 3] : [3]); // only the epochs not yet trained
    expect(resumed.trials[0].last_result).toMatchObject({ epoch: 3, samples_total: 288 });
    const lines = readFileSync(path.join(resumed.trials[0].dir, 'result.json'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).training_iteration)).toEqual([1, 2, 3]);
    // same seed, uninterrupted: the same model (the resumed trial went on from its weights and Adam moments)
    const straight = await runTune({ ...exp, local_dir: mkdtempSync(path.join(os.tmpdir(), 'rl-sgd-straight-')) }, { cpus: 3 });
    expect(resumed.trials[0].last_result!.val_loss).toBeCloseTo(straight.trials[0].last_result!.val_loss as number, 6);
  });

  test('PBT: a bottom trial goes on from a top trial\'s SGD checkpoint with a perturbed lr', async () => {
    const exp = {
      ...sgdExperiment({ lr: { grid_search: [0.0003, 0.001, 0.01, 0.05] } }),
      stop: { training_iteration: 6 },
      scheduler: { type: 'pbt', time_attr: 'training_iteration', perturbation_interval: 2, hyperparam_mutations: { lr: { uniform: [0.0003, 0.05] } }, seed: 3 },
      max_concurrent_trials: 1,
    };
    const outcome = await runTune(exp, { cpus: 2 });
    expect(outcome.trials.map((t) => [t.status, t.iteration])).toEqual(Array(4).fill(['TERMINATED', 6]));
    const exploited = outcome.trials.filter((t) => (t.perturbations ?? 0) > 0);
    expect(exploited.length).toBeGreaterThan(0);
    for (const trial of exploited) {
      // it continued from the donor's epoch (weights, optimizer, counters), not from scratch
      expect(trial.last_result).toMatchObject({ epoch: 6, samples_total: 6 * 96 });
      expect(existsSync(path.join(trial.dir, 'pbt_clones', '1'))).toBe(true);
      expect((await readSGDCheckpoint(trial.checkpoint!)).config.lr).toBe(trial.config.lr);
    }
    // rl tune --replay: one trial through the exploited one's schedule of configs ends with the same model
    const replayed = await runTune(replayExperiment(exploited[0].dir, exp), { cpus: 2 });
    expect(replayed.trials.map((t) => [t.status, t.iteration, t.last_result?.val_loss])).toEqual([['TERMINATED', 6, exploited[0].last_result!.val_loss]]);
  }, 180_000); // 5 trials one at a time, each exploit a new trial thread loading tfjs: under the 60 s default in CI, over it on a loaded machine

  test('a trial counts 1 + num_workers CPUs; one that can never fit is refused before anything starts', async () => {
    expect(trialCpus('SGD', {})).toBe(2);
    expect(trialCpus('SGD', { num_workers: 4 })).toBe(5);
    expect(() => trialCpus('SGD', { num_workers: 0 })).toThrow(/num_workers must be a positive integer/);
    const exp = sgdExperiment({ num_workers: 2 });
    await expect(runTune(exp, { cpus: 2 })).rejects.toThrow(/trial SGD_regression_00000 needs 3 CPUs \(1 for the trial \+ 1 per worker, num_workers\) but 2 are available: lower num_workers to 1/);
    expect(existsSync(path.join(exp.local_dir, 'sgd'))).toBe(false);
  });

  test('--resume refuses a training module that the experiment does not name', async () => {
    const exp = sgdExperiment({ lr: 0.01 });
    await runTune(exp, { cpus: 2 });
    const statePath = path.join(exp.local_dir, 'sgd', 'experiment_state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(state.module).toBe(regression);
    await expect(runTune(exp, { cpus: 2, resume: true })).resolves.toBeDefined();
    writeFileSync(statePath, JSON.stringify({ ...state, module: '/tmp/elsewhere/evil.js' }));
    await expect(runTune(exp, { cpus: 2, resume: true })).rejects.toThrow(/experiment_state\.json is damaged \(it names the training module \/tmp\/elsewhere\/evil\.js, which the experiment file does not\)/);
  });

  test('rl tune: a missing, unknown or incomplete module is one line and exit 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tune-sgd-'));
    const run = (fields: Record<string, unknown>) => {
      const file = path.join(dir, 'exp.json');
      writeFileSync(file, JSON.stringify({ name: 'e', run: 'SGD', local_dir: dir, stop: { training_iteration: 1 }, config: { lr: 0.01 }, ...fields }));
      const result = rl(['tune', file]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      return result.stderr;
    };
    expect(run({})).toMatch(/run SGD needs a 'module' key naming the rl sgd training module/);
    expect(run({ module: path.join(dir, 'nowhere.js') })).toMatch(/training module .*nowhere\.js not found/);
    expect(run({ module: path.join(fixtures, 'no-optimizer.js') })).toMatch(/no-optimizer\.js exports no 'optimizer' function/);
    expect(run({ module: regression, run: 'PPO', config: { env: 'CartPole-v1' } })).toMatch(/'module' names an rl sgd training module, for run: SGD only/);
    expect(existsSync(path.join(dir, 'e'))).toBe(false);
  });
});
