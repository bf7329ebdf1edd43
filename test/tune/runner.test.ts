import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot, rl, tuneExperiment } from '../helpers.js';
import { readEventFile } from '../tfrecord_reader.js';
import { runTune, trialCpus } from '../../src/tune/runner.js';
import type { TuneExperiment } from '../../src/tune/experiment.js';

const trainable = path.join(repoRoot, 'test', 'fixtures', 'trainables', 'quadratic.js');

function experiment(overrides: Partial<TuneExperiment> & { config: Record<string, unknown> }): TuneExperiment {
  return tuneExperiment({ name: 'exp', run: trainable, ...overrides });
}

describe('runTune', () => {
  test('stop criteria end trials; results land in <local_dir>/<name>/<trial_id>/', async () => {
    const exp = experiment({ config: { x: { grid_search: [1, 3] } }, stop: { training_iteration: 3 } });
    const outcome = await runTune(exp, { cpus: 2 });
    expect(outcome.trials.map((t) => [t.status, t.iteration, t.stop_reason])).toEqual([
      ['TERMINATED', 3, 'training_iteration >= 3'],
      ['TERMINATED', 3, 'training_iteration >= 3'],
    ]);
    expect(outcome.best?.varied).toEqual({ x: 3 });
    const trialDir = path.join(exp.local_dir, 'exp', 'quadratic_00000');
    expect(readFileSync(path.join(trialDir, 'result.json'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(existsSync(path.join(trialDir, 'progress.csv'))).toBe(true);
    const eventFile = readdirSync(trialDir).find((f) => f.startsWith('events.out.tfevents.'));
    const events = readEventFile(readFileSync(path.join(trialDir, String(eventFile))));
    expect(events.slice(1).map((e) => [e.step, e.scalars['ray/tune/score']])).toEqual([1, 2, 3].map((i) => [i, Math.fround(-4 + 0.1 * i)]));
    expect(JSON.parse(readFileSync(path.join(trialDir, 'params.json'), 'utf8'))).toEqual({ x: 1 });
    const state = JSON.parse(readFileSync(path.join(exp.local_dir, 'exp', 'experiment_state.json'), 'utf8'));
    expect(state.trials.map((t: { status: string }) => t.status)).toEqual(['TERMINATED', 'TERMINATED']);
  });

  test('ASHA stops trials below the cutoff of their rung (one trial at a time, so the order is fixed)', async () => {
    const exp = experiment({
      config: { x: { grid_search: [3, 0, 2, 5] } },
      scheduler: { type: 'asha', grace_period: 1, reduction_factor: 2, max_t: 8 },
      max_concurrent_trials: 1,
    });
    const outcome = await runTune(exp, { cpus: 2 });
    // x=3 runs to max_t; x=0 is worst at rung 1; x=2 passes rung 1 (median of 0.1, -8.9) but not rung 2; x=5 fails rung 1
    expect(outcome.trials.map((t) => t.iteration)).toEqual([8, 1, 2, 1]);
    expect(outcome.trials.every((t) => t.status === 'TERMINATED')).toBe(true);
    expect(outcome.trials[1].stop_reason).toMatch(/^ASHA: score/);
  });

  test('a trial that throws is ERROR with its error file; the others go on; max_failures retries it', async () => {
    const exp = experiment({ config: { x: { grid_search: [1, 2, 3] }, fail_x: 2, iterations: 2 } });
    const outcome = await runTune(exp, { cpus: 2 });
    expect(outcome.trials.map((t) => t.status)).toEqual(['TERMINATED', 'ERROR', 'TERMINATED']);
    expect(readFileSync(outcome.trials[1].error_file!, 'utf8')).toMatch(/x = 2 fails on purpose/);

    const counter = mkdtempSync(path.join(os.tmpdir(), 'rl-count-'));
    const retried = await runTune(experiment({ config: { x: { grid_search: [2] }, fail_x: 2, counter_dir: counter }, max_failures: 2 }), { cpus: 2 });
    expect(retried.trials[0]).toMatchObject({ status: 'ERROR', failures: 3 });
    expect(readFileSync(path.join(counter, '2.runs'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  test('a stop key that the trainable\'s first result lacks errors the trial, naming the closest reported key (as Ray Tune)', async () => {
    const exp = experiment({ config: { x: 1, iterations: 50 }, stop: { scor: 1 } });
    const outcome = await runTune(exp, { cpus: 2 });
    expect(outcome.trials.map((t) => [t.status, t.iteration])).toEqual([['ERROR', 0]]);
    expect(readFileSync(outcome.trials[0].error_file!, 'utf8')).toMatch(/stop key 'scor' is not in the trainable's results, so it would never stop the trial; did you mean 'score'\?/);
  });

  test('CPUs are accounted as Tune does; a trial that can never fit is refused before anything starts', async () => {
    expect(trialCpus('PPO', { env: 'CartPole-v1', num_workers: 6 })).toBe(7);
    expect(trialCpus('PPO', { env: 'CartPole-v1', num_workers: 6, num_cpus_per_worker: 0 })).toBe(1);
    const exp = experiment({ run: 'PPO', config: { env: 'CartPole-v1', num_workers: 6 } });
    await expect(runTune(exp, { cpus: 2 })).rejects.toThrow(
      /trial PPO_CartPole-v1_00000 needs 7 CPUs .* but 2 are available: set "num_cpus_per_worker": 0 in config/,
    );
    expect(existsSync(path.join(exp.local_dir, 'exp'))).toBe(false);
  });
});

describe('rl tune', () => {
  test('prints the final table with the searched parameters and the best config', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tune-cli-'));
    const file = path.join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify({ run: trainable, metric: 'score', local_dir: dir, stop: { training_iteration: 2 }, config: { x: { grid_search: [1, 4] }, iterations: 5 }, parameter_columns: { x: 'the x' } }));
    const { code, stdout, stderr } = rl(['tune', file]);
    expect(code).toBe(0);
    // at start, the command that shows the trials' curves
    const hint = /^watch it live: rl dashboard (\S+)$/m.exec(stderr);
    expect(existsSync(path.join(String(hint?.[1]), 'experiment_state.json'))).toBe(true);
    expect(stdout).toMatch(/the x .* Iterations .* Total time \(s\) .* score/);
    expect(stdout).toMatch(/│\s+4 │\s+2 │.*-0\.80 \* │/);
    expect(stdout).toMatch(/Best config: \{"x":4,"iterations":5\}/);
    const again = rl(['tune', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds this experiment: add --resume/);
  });

  test('--resume after a killed run continues unfinished trials and reruns no finished one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tune-kill-'));
    const counter = mkdtempSync(path.join(os.tmpdir(), 'rl-tune-count-'));
    const file = path.join(dir, 'exp.yaml');
    writeFileSync(
      file,
      [
        'killed:',
        `  run: ${trainable}`,
        '  metric: score',
        `  local_dir: ${dir}`,
        '  max_concurrent_trials: 1',
        '  config:',
        '    x: {grid_search: [1, 2, 3]}',
        '    iterations: 4',
        '    sleep_ms: 150',
        `    counter_dir: ${counter}`,
        '',
      ].join('\n'),
    );
    const statePath = path.join(dir, 'killed', 'experiment_state.json');
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'tune', file], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        try {
          const state = JSON.parse(readFileSync(statePath, 'utf8'));
          // kill once trial 0 is done and trial 1's trainable has started
          if (state.trials[0].status === 'TERMINATED' && state.trials[1].status === 'RUNNING' && existsSync(path.join(counter, '2.runs'))) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        } catch {
          // not written yet
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the experiment finished before it could be killed'));
      });
    });
    const resumed = rl(['tune', file, '--resume']);
    expect(resumed.code).toBe(0);
    const runs = (x: number) => readFileSync(path.join(counter, `${x}.runs`), 'utf8').trim().split('\n').length;
    expect([runs(1), runs(2), runs(3)]).toEqual([1, 2, 1]);
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(state.trials.map((t: { status: string; iteration: number }) => [t.status, t.iteration])).toEqual([
      ['TERMINATED', 4],
      ['TERMINATED', 4],
      ['TERMINATED', 4],
    ]);
  });
});

test('an interrupt (Ctrl-C) checkpoints running PPO trials; --resume continues them from there', async () => {
  const exp = experiment({
    run: 'PPO',
    metric: 'episode_reward_mean',
    stop: { training_iteration: 4 },
    config: { env: 'CartPole-v1', num_workers: 0, train_batch_size: 200, sgd_minibatch_size: 100, num_sgd_iter: 1, model: { fcnet_hiddens: [{ grid_search: [4, 8] }] } },
  });
  const abort = new AbortController();
  const first = await runTune(exp, {
    cpus: 2,
    backend: 'wasm',
    signal: abort.signal,
    onEvent: (event) => {
      if (event.type === 'result' && event.trial.iteration >= 2) abort.abort();
    },
  });
  expect(first.interrupted).toBe(true);
  const paused = first.trials.filter((t) => t.status === 'PENDING');
  expect(paused.length).toBeGreaterThan(0);
  // a trial interrupted before its first result has nothing to checkpoint and restarts
  for (const t of paused) {
    if (t.iteration > 0) expect(t.checkpoint).toMatch(new RegExp(`checkpoint_${t.iteration}/checkpoint-${t.iteration}$`));
    else expect(t.checkpoint).toBeNull();
  }
  const iterationsAtPause = Object.fromEntries(paused.map((t) => [t.id, t.iteration]));
  const resumed = await runTune(exp, { cpus: 2, backend: 'wasm', resume: true });
  expect(resumed.trials.map((t) => [t.status, t.iteration])).toEqual([
    ['TERMINATED', 4],
    ['TERMINATED', 4],
  ]);
  // the curve went on from the checkpoint: result.json holds each iteration once
  for (const id of Object.keys(iterationsAtPause)) {
    const lines = readFileSync(path.join(exp.local_dir, 'exp', id, 'result.json'), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).training_iteration)).toEqual([1, 2, 3, 4]);
  }
});

test('--resume reads experiment_state.json as data: an env module or trial folder the experiment does not name is refused', async () => {
  const exp = experiment({ config: { x: 1, env: './my-env.js', iterations: 2 }, stop: { training_iteration: 2 } });
  await runTune(exp, { cpus: 1 });
  const statePath = path.join(exp.local_dir, 'exp', 'experiment_state.json');
  const original = readFileSync(statePath, 'utf8');
  // The experiment's own env module (relative to the working directory, as trials record it) resumes.
  await expect(runTune(exp, { cpus: 1, resume: true })).resolves.toBeDefined();
  const edit = (change: (state: { trials: { config: Record<string, unknown>; dir: string; status: string }[] }) => void) => {
    const state = JSON.parse(original);
    change(state);
    writeFileSync(statePath, JSON.stringify(state));
  };
  edit((state) => {
    state.trials[0].config.env = '/tmp/elsewhere/evil.js';
    state.trials[0].status = 'PENDING';
  });
  await expect(runTune(exp, { cpus: 1, resume: true })).rejects.toThrow(/experiment_state\.json is damaged \(trial quadratic_00000 names the env module \/tmp\/elsewhere\/evil\.js, which the experiment file does not\)/);
  edit((state) => (state.trials[0].dir = '/tmp'));
  await expect(runTune(exp, { cpus: 1, resume: true })).rejects.toThrow(/trial quadratic_00000's folder \/tmp is not in the experiment's folder/);
});
