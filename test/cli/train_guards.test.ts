// Issue 9, items 3-6 and the low ones: runs that would never end, train on NaN, crash on a
// broken custom env or start more threads than can work are refused or stopped with one line
// and exit code 2, and what earlier iterations wrote stays intact.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot, rl } from '../helpers.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';

const faulty = path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'faulty.js');
const tiny = { num_workers: 0, train_batch_size: 100, rollout_fragment_length: 100, sgd_minibatch_size: 50, num_sgd_iter: 1, model: { fcnet_hiddens: [4] } };
/** Runs that must be refused at once; a run that never stops is killed after this long and fails. */
const QUICK_MS = 30_000;

const tmp = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

/** stderr without log lines (WARN: ...) and the run's start lines (header, dashboard hint): what is left must be the single error line. */
function errorLines(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .filter((l) => l !== '' && !/^(WARN|INFO|DEBUG):|^PPO on |^watch it live: /.test(l));
}

function expectOneLineExit2(run: { code: number | null; stderr: string }, message: RegExp): void {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(message) });
  expect(errorLines(run.stderr)).toHaveLength(1);
  expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('item 3: stop criteria that can never be met are refused before any training', () => {
  test.each([
    ['{"training_iteraton": 2}', /--stop: unknown stop key 'training_iteraton'; did you mean 'training_iteration'\?/],
    ['{"info": {"learner": {"kll": 0.01}}}', /--stop: unknown stop key 'info\.learner\.kll'; did you mean 'info\.learner\.kl'\?/],
    ['{}', /--stop: no stop criteria, so the run would never stop; give at least one, e.g. --stop '\{"training_iteration": 20\}'/],
    ['', /--stop: empty value; give stop criteria such as '\{"training_iteration": 20\}', or leave --stop out for the default of 20 iterations/],
  ])('--stop %j', (stop, message) => {
    const dir = tmp('rl-stop-');
    const run = rl(['train', '--env', 'CartPole-v1', '--config', JSON.stringify(tiny), '--stop', stop, '--checkpoint-dir', dir], {}, repoRoot, QUICK_MS);
    expectOneLineExit2(run, message);
    expect(readdirSync(dir)).toEqual([]); // nothing trained, nothing written
  });

  test('the nested and Tune slash forms of a known key are accepted', () => {
    const dir = tmp('rl-stop-ok-');
    const run = rl(['train', '--env', 'CartPole-v1', '--config', JSON.stringify(tiny), '--stop', '{"info/num_steps_sampled": 200, "info": {"learner": {"cur_lr": 1}}}', '--checkpoint-dir', dir], {}, repoRoot, QUICK_MS);
    expect(run.stderr).toMatch(/stopped: info\/num_steps_sampled >= 200/);
    expect(run.code).toBe(0);
  });

  test('-f: an unknown top-level key or stop key in the experiment file names the closest one', () => {
    const dir = tmp('rl-stopp-');
    const write = (name: string, lines: string[]) => {
      const file = path.join(dir, name);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    };
    const body = ['  env: CartPole-v1', '  run: PPO', '  config:', '    num_workers: 0', '    train_batch_size: 100', '    sgd_minibatch_size: 50'];
    const stopp = write('stopp.yaml', ['exp:', ...body, '  stopp:', '    training_iteration: 1']);
    expectOneLineExit2(rl(['train', '-f', stopp, '--checkpoint-dir', dir], {}, repoRoot, QUICK_MS), /stopp\.yaml: unknown experiment key 'stopp'; did you mean 'stop'\?/);
    const badKey = write('badkey.yaml', ['exp:', ...body, '  stop:', '    episode_reward_maen: 100']);
    expectOneLineExit2(rl(['train', '-f', badKey, '--checkpoint-dir', dir], {}, repoRoot, QUICK_MS), /badkey\.yaml: unknown stop key 'episode_reward_maen'; did you mean 'episode_reward_mean'\?/);
    expect(existsSync(path.join(dir, 'result.json'))).toBe(false);
  });

  test('rl tune checks a PPO experiment\'s stop keys, and refuses PPO trials nothing would stop', () => {
    const dir = tmp('rl-tune-stop-');
    const config = { env: 'CartPole-v1', ...tiny };
    const write = (name: string, spec: Record<string, unknown>) => {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify({ run: 'PPO', local_dir: dir, config, ...spec }));
      return file;
    };
    expectOneLineExit2(
      rl(['tune', write('typo.json', { stop: { episode_reward_meen: 100 } })], {}, repoRoot, QUICK_MS),
      /typo\.json: unknown stop key 'episode_reward_meen'; did you mean 'episode_reward_mean'\?/,
    );
    expectOneLineExit2(
      rl(['tune', write('none.json', {})], {}, repoRoot, QUICK_MS),
      /none\.json: no stop criteria, so PPO trials would never stop; add e\.g\. "stop": \{"training_iteration": 20\} \(or a scheduler with max_t\)/,
    );
    expectOneLineExit2(rl(['tune', write('stopp.json', { stopp: { training_iteration: 1 } })], {}, repoRoot, QUICK_MS), /unknown experiment key 'stopp'; did you mean 'stop'\?/);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.json'))).toEqual([]);
  });
});

// The other faults (Infinity, a string reward, a reset() that fails...) are covered without a
// process each in test/envs/custom_env.test.ts; here, both sampling paths end to end.
describe('items 4 and 5: a custom env that returns garbage or throws', () => {
  /**
   * Trains the faulty env with checkpoints every iteration; the fault starts after 150 steps of
   * each env, so iteration 1 (100 steps) is good and iteration 2 hits it.
   */
  function trainFaulty(fault: string, numWorkers: number) {
    const dir = tmp(`rl-${fault}-`);
    const config = { ...tiny, num_workers: numWorkers, env_config: { fault, after: 150 } };
    const run = rl(['train', '--env', faulty, '--config', JSON.stringify(config), '--seed', '3', '--stop', '{"training_iteration": 4}', '--checkpoint-freq', '1', '--checkpoint-dir', dir], {}, repoRoot, 90_000);
    return { ...run, dir };
  }

  async function expectFirstIterationIntact(dir: string): Promise<void> {
    const rows = readFileSync(path.join(dir, 'result.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.training_iteration)).toEqual([1]);
    expect(readFileSync(path.join(dir, 'progress.csv'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readdirSync(dir).filter((f) => f.startsWith('checkpoint_'))).toEqual(['checkpoint_1']);
    expect((await loadCheckpoint(path.join(dir, 'checkpoint_1'))).manifest.iteration).toBe(1);
  }

  test.each([
    ['nan_obs', 0, /env test\/fixtures\/custom-envs\/faulty\.js returned a non-finite observation: value 1 of the observation is NaN at step \d+ of an episode \(env 0 of rollout worker 0\); make step\(\) and reset\(\) return finite numbers/],
    ['nan_reward', 1, /faulty\.js returned a non-finite reward: NaN at step \d+ of an episode/],
  ])('%s (num_workers %d) stops the run naming the value; iteration 1 and its checkpoint stay', async (fault, numWorkers, message) => {
    const { code, stderr, dir } = trainFaulty(fault, numWorkers);
    expectOneLineExit2({ code, stderr }, message);
    await expectFirstIterationIntact(dir);
  });

  test('finite rewards that overflow the learner stop the run before a checkpoint of non-finite weights is written', async () => {
    const { code, stderr, dir } = trainFaulty('huge_reward', 0);
    expectOneLineExit2({ code, stderr }, /iteration 2: the PPO learner's \S+ is (NaN|-?Infinity); nothing of this iteration was saved\. Lower lr, set grad_clip, or scale the env's rewards and observations/);
    await expectFirstIterationIntact(dir);
  });

  test.each([
    ['throw', 1, /env test\/fixtures\/custom-envs\/faulty\.js: step\(\) threw Error: the corridor collapsed \(env 0 of rollout worker 0, step \d+ of an episode\)/],
    ['short_obs', 1, /faulty\.js: step\(\) returned an observation of 1 value; its observation_space has 2/],
  ])('%s (num_workers %d) is one line naming the env and the problem; earlier results intact', async (fault, numWorkers, message) => {
    const { code, stderr, dir } = trainFaulty(fault, numWorkers);
    expectOneLineExit2({ code, stderr }, message);
    await expectFirstIterationIntact(dir);
  });
});

describe('item 6: rollout workers beyond the CPUs', () => {
  test('num_workers: 500 is refused before any thread starts, naming num_workers and the fix', () => {
    const dir = tmp('rl-500-');
    const run = rl(['train', '--env', 'CartPole-v1', '--config', '{"num_workers": 500}', '--stop', '{"training_iteration": 1}', '--checkpoint-dir', dir], {}, repoRoot, QUICK_MS);
    expectOneLineExit2(
      run,
      new RegExp(
        `num_workers 500 x num_cpus_per_worker 1 needs 500 CPUs but ${os.availableParallelism()} are available: lower num_workers to ${os.availableParallelism()} or less, or set "num_cpus_per_worker": 0 so that rollout workers share the CPUs`,
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('low items: one line and exit code 2 instead of "internal error"', () => {
  test('a single-value flag given twice', () => {
    expectOneLineExit2(rl(['train', '--config', '{}', '--config', '{}'], {}, repoRoot, QUICK_MS), /--config was given 2 times; give it once/);
    expectOneLineExit2(rl(['train', '--env', 'CartPole-v1', '--seed', '1', '--seed', '2'], {}, repoRoot, QUICK_MS), /--seed was given 2 times; give it once/);
    expectOneLineExit2(rl(['train', '-f', 'a.yaml', '--file', 'b.yaml'], {}, repoRoot, QUICK_MS), /--file was given 2 times; give it once/);
  });

  test('fcnet_hiddens too large to allocate names the key and the memory', () => {
    const run = rl(['train', '--env', 'CartPole-v1', '--config', '{"model": {"fcnet_hiddens": [100000, 100000]}}', '--stop', '{"training_iteration": 1}'], {}, repoRoot, QUICK_MS);
    expectOneLineExit2(run, /model\.fcnet_hiddens \[100000,100000\] makes networks of 20,00\d,\d{3},\d{3} weights \(74\.5 GiB as float32\), more than the 2 GiB limit; use smaller layers such as \[256, 256\]/);
  });

  test('a checkpoint folder under an existing file, or the default ./checkpoints being a file', () => {
    const dir = tmp('rl-ckfile-');
    const file = path.join(dir, 'notes.txt');
    writeFileSync(file, 'mine\n');
    // (the folder itself being a file is also tested in run_dir.test.ts)
    const run = rl(['train', '--env', 'CartPole-v1', '--config', JSON.stringify(tiny), '--stop', '{"training_iteration": 1}', '--checkpoint-dir', path.join(file, 'sub')], {}, repoRoot, QUICK_MS);
    expectOneLineExit2(run, /checkpoint folder \S*notes\.txt\/sub cannot be created: \S*notes\.txt is a file; name a folder with --checkpoint-dir/);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    // the default ./checkpoints too
    writeFileSync(path.join(dir, 'checkpoints'), 'also mine\n');
    const defaultRun = rl(['train', '--env', 'CartPole-v1', '--config', JSON.stringify(tiny), '--stop', '{"training_iteration": 1}'], {}, dir, QUICK_MS);
    expectOneLineExit2(defaultRun, /^rl: checkpoint folder checkpoints is a file: name a folder with --checkpoint-dir$/m);
  });

  test('rl tune --resume with a damaged experiment_state.json names the file and the fix', () => {
    const dir = tmp('rl-state-');
    const file = path.join(dir, 'exp.json');
    writeFileSync(file, JSON.stringify({ name: 'exp', run: path.join(repoRoot, 'test', 'fixtures', 'trainables', 'quadratic.js'), local_dir: dir, config: { x: 1, iterations: 1 } }));
    mkdirSync(path.join(dir, 'exp'));
    const state = path.join(dir, 'exp', 'experiment_state.json');
    for (const damaged of ['{"name": "exp", "trials": [', '{"name": "exp", "trials": [{"id": 3}]}', 'null']) {
      writeFileSync(state, damaged);
      expectOneLineExit2(rl(['tune', file, '--resume'], {}, repoRoot, QUICK_MS), /exp\/experiment_state\.json is damaged \(.+\): restore it from a backup, or move .*exp away and run without --resume to start over/);
    }
  });
});
