import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot, rl, tuneExperiment } from '../helpers.js';
import { runTune, type TrialRecord } from '../../src/tune/runner.js';
import { finalTable } from '../../src/tune/report.js';
import { readHistory, replayPolicy } from '../../src/tune/pbt_history.js';
import type { TuneExperiment } from '../../src/tune/experiment.js';

const toy = path.join(repoRoot, 'test', 'fixtures', 'trainables', 'pbt_toy.js');
/** These tests start many trial threads and CLI processes: room for a loaded machine (not a timing assertion). */
const SLOW = 180_000;

function experiment(overrides: Partial<TuneExperiment> = {}): TuneExperiment {
  return tuneExperiment({
    name: 'pbt',
    run: toy,
    // w grows by lr each iteration: the higher lr, the better the trial
    config: { lr: { grid_search: [0.1, 0.2, 0.3, 0.4] } },
    stop: { training_iteration: 6 },
    scheduler: { type: 'pbt', time_attr: 'training_iteration', perturbation_interval: 2, hyperparam_mutations: { lr: { uniform: [0.1, 0.5] } }, seed: 3 },
    max_concurrent_trials: 1,
    ...overrides,
  });
}

interface ToyResult {
  training_iteration: number;
  score: number;
  lr_used: number;
}

const results = (trial: TrialRecord): ToyResult[] =>
  readFileSync(path.join(trial.dir, 'result.json'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ToyResult);

describe('PBT in rl tune', () => {
  test('four trials, one at a time: the bottom trial clones the top one\'s state and goes on with the perturbed config', async () => {
    const exp = experiment();
    const outcome = await runTune(exp, { cpus: 4 });
    expect(outcome.trials.map((t) => [t.status, t.iteration])).toEqual(Array(4).fill(['TERMINATED', 6]));
    expect(outcome.schedulerSummary).toMatch(/^PopulationBasedTraining: \d+ checkpoints, [1-9]\d* perturbs$/);

    const exploited = outcome.trials.filter((t) => (t.perturbations ?? 0) > 0);
    expect(exploited.length).toBeGreaterThan(0);
    for (const trial of exploited) {
      const history = readHistory(path.join(trial.dir, 'pbt_policy.jsonl'));
      const change = history.at(-1)!;
      expect(change.trial).toBe(trial.id);
      const donor = outcome.trials.find((t) => t.id === change.donor)!;
      const lr = change.new_config.lr as number;
      // the donor's state at its checkpoint: its score at donor_iteration (with the donor's lr then)
      const donorScores = results(donor)
        .filter((r) => r.training_iteration === change.donor_iteration && r.lr_used === change.donor_config.lr)
        .map((r) => r.score);
      expect(donorScores.length).toBeGreaterThan(0);
      // after the exploit the trial goes on from the donor's iteration and state, with the new lr
      const next = results(trial).find((r) => r.training_iteration === change.donor_iteration + 1 && r.lr_used === lr)!;
      expect(donorScores.map((score) => score + lr)).toContain(next.score);
      // explore: x0.8 or x1.2 of the donor's lr, or a fresh draw from uniform(0.1, 0.5)
      const donorLr = change.donor_config.lr as number;
      expect(lr === donorLr * 0.8 || lr === donorLr * 1.2 || (lr >= 0.1 && lr < 0.5)).toBe(true);
      expect(trial.config).toEqual(change.new_config);
      expect(trial.varied).toEqual({ lr });
      expect(trial.initial_varied).toEqual({ lr: [0.1, 0.2, 0.3, 0.4][Number(trial.id.slice(-5))] });
    }
    const global = readFileSync(path.join(outcome.dir, 'pbt_global.jsonl'), 'utf8').trim().split('\n');
    expect(global).toHaveLength(exploited.reduce((n, t) => n + t.perturbations!, 0));

    const table = finalTable(outcome.trials, 'score', {}, outcome.best);
    for (const trial of exploited) expect(table).toContain(`${String(Number((trial.config.lr as number).toPrecision(4)))} †`);
    expect(table).toMatch(/† changed during training \(.*1x.*\); each trial's changes are in its pbt_policy.jsonl/);
  }, SLOW);

  test('interrupted right after an exploit, --resume finishes the population from the clone and the scheduler\'s state', async () => {
    const exp = experiment({ config: { lr: { grid_search: [0.1, 0.4] } }, stop: { training_iteration: 8 } });
    const abort = new AbortController();
    const first = await runTune(exp, {
      cpus: 4,
      signal: abort.signal,
      onEvent: (event) => {
        if (event.type === 'exploit') abort.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    const cloned = first.trials.find((t) => (t.perturbations ?? 0) > 0)!;
    expect(cloned.status).toBe('PAUSED');
    expect(cloned.checkpoint).toContain(path.join(cloned.id, 'pbt_clones', '1'));
    const perturbsBefore = Number(/(\d+) perturbs/.exec(first.schedulerSummary!)![1]);

    const second = await runTune(exp, { cpus: 4, resume: true });
    expect(second.trials.map((t) => [t.status, t.iteration])).toEqual(Array(2).fill(['TERMINATED', 8]));
    expect(Number(/(\d+) perturbs/.exec(second.schedulerSummary!)![1])).toBeGreaterThanOrEqual(perturbsBefore);
    // the resumed clone started from the donor's state with the new config
    const change = readHistory(path.join(cloned.dir, 'pbt_policy.jsonl'))[0];
    const after = results(second.trials.find((t) => t.id === cloned.id)!).find((r) => r.training_iteration === change.donor_iteration + 1 && r.lr_used === change.new_config.lr);
    expect(after).toBeDefined();
  }, SLOW);

  test('rl tune --replay trains one trial through the configs its lineage had, changing at the recorded iterations', async () => {
    const exp = experiment({ config: { lr: { grid_search: [0.1, 0.4] } } });
    const outcome = await runTune(exp, { cpus: 4 });
    const trial = outcome.trials.find((t) => (t.perturbations ?? 0) > 0)!;
    const { initial, changes } = replayPolicy(readHistory(path.join(trial.dir, 'pbt_policy.jsonl')));
    expect(changes.length).toBeGreaterThan(0);
    const file = path.join(exp.local_dir, 'replay.json');
    writeFileSync(file, JSON.stringify({ name: 'pbt', run: toy, metric: 'score', local_dir: exp.local_dir, stop: { training_iteration: 6 }, config: {} }));

    const { code, stdout, stderr } = rl(['tune', file, '--replay', trial.dir]);
    expect(stderr).toContain(`PopulationBasedTraining replay: ${changes.length} of ${changes.length} config changes applied`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/lr/);
    const replayed = readFileSync(path.join(exp.local_dir, `replay_${trial.id}`, 'pbt_toy_00000', 'result.json'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ToyResult);
    expect(replayed.map((r) => r.training_iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    // lr as the schedule says: the lineage's first config, then each new config after its iteration
    const expected = [1, 2, 3, 4, 5, 6].map((i) => {
      let lr = initial!.lr;
      for (const change of changes) if (i > change.iteration) lr = change.config.lr;
      return lr;
    });
    expect(replayed.map((r) => r.lr_used)).toEqual(expected);
    // seeded and deterministic, the replay ends where the PBT trial did
    expect(replayed.at(-1)!.score).toBe(results(trial).at(-1)!.score);

    const bare = rl(['tune']);
    expect(bare.code).toBe(2);
    expect(bare.stderr.trim()).toBe('rl: rl tune needs an experiment file (rl tune <experiment>) or --replay <trial folder>');
    const again = rl(['tune', '--replay', path.join(exp.local_dir, 'nowhere')]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/^rl: --replay .*nowhere: no such trial folder or pbt_policy.jsonl$/);
  }, SLOW);

  test('a trainable whose results lack time_attr fails with the reason in error.txt (require_attrs)', async () => {
    const exp = experiment({ config: { lr: { grid_search: [0.1, 0.4] } }, scheduler: { type: 'pbt', time_attr: 'epoch', hyperparam_mutations: { lr: [0.1, 0.4] } } });
    const outcome = await runTune(exp, { cpus: 2 });
    expect(outcome.trials.map((t) => [t.status, t.iteration])).toEqual([
      ['ERROR', 1],
      ['ERROR', 1],
    ]);
    expect(readFileSync(outcome.trials[0].error_file!, 'utf8')).toMatch(/PBT: the result has no time_attr 'epoch'; report it from the trainable, or set "require_attrs": false/);
  }, SLOW);

  test('bad input is refused before any trial starts: a mutated key the config lacks, a time_attr PPO does not report', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-pbt-bad-'));
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { run: 'PPO', env: 'CartPole-v1', config: { num_workers: 0 }, scheduler: { type: 'pbt', time_attr: 'training_iteration', hyperparam_mutations: { lrr: { loguniform: [1e-5, 1e-2] } } } },
        /^rl: scheduler pbt: hyperparam_mutations names 'lrr', which the trial config does not have; did you mean 'lr'\?$/,
      ],
      [
        { run: 'PPO', env: 'CartPole-v1', config: { num_workers: 0 }, scheduler: { type: 'pbt', time_attr: 'timesteps', hyperparam_mutations: { lr: [1e-3, 1e-4] } } },
        /^rl: scheduler pbt: time_attr 'timesteps' is not in PPO's results; did you mean 'timesteps_total'\?/,
      ],
      [{ run: toy, metric: 'score', config: { lr: 0.1 }, scheduler: { type: 'pbt', hyperparam_mutations: { gamma: [0.9, 0.99] } } }, /names 'gamma', which the trial config does not have/],
    ];
    cases.forEach(([spec, message], i) => {
      const file = path.join(dir, `bad${i}.json`);
      writeFileSync(file, JSON.stringify({ name: `bad${i}`, local_dir: dir, stop: { training_iteration: 1 }, ...spec }));
      const { code, stderr } = rl(['tune', file]);
      expect(code).toBe(2);
      expect(stderr.trim()).toMatch(message);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(path.join(dir, `bad${i}`))).toBe(false);
    });
  }, SLOW);
});
