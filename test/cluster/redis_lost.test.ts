// Redis lost mid-run: rl worker, rl tune --address and rl train --address each print one line
// naming the address (password masked), keep what finished and exit with code 3, without a stack
// trace or a hang; rl tune --resume then continues on a Redis that is back.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers.js';
import { hasRedis, startRedis, startWorker, waitFor, type TestRedis, type TestWorker } from './redis.js';

const PASSWORD = 'lost-test-pw';
const trainables = path.join(repoRoot, 'test', 'fixtures', 'trainables');

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startRl(args: string[]): Run {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

const lostLine = (redis: TestRedis, rest: string) => `rl: lost the cluster's Redis at redis://:***@127.0.0.1:${redis.port} (no answer for 5 s); ${rest}`;

/** The run's last line is `line`, nothing printed a stack trace or the password. */
function expectOneLine(output: string, line: string): void {
  expect(output.trim().split('\n').at(-1)).toBe(line);
  expect(output.match(/lost the cluster's Redis/g)).toHaveLength(1);
  expect(output).not.toMatch(/\n\s+at /);
  expect(output).not.toContain(PASSWORD);
}

if (hasRedis('Redis lost mid-run')) {
  describe('Redis lost mid-run', () => {
    const redises: TestRedis[] = [];
    const workers: TestWorker[] = [];
    const runs: Run[] = [];
    afterAll(async () => {
      for (const run of runs) run.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.kill()));
      await Promise.all(redises.map((r) => r.stop()));
    });
    const redisUp = async () => {
      const redis = await startRedis(PASSWORD);
      redises.push(redis);
      return redis;
    };
    const workerOn = async (redis: TestRedis, cpus: number) => {
      const worker = startWorker(redis.address, cpus, ['--modules', trainables]);
      workers.push(worker);
      await worker.ready;
      return worker;
    };

    test('rl worker: one line, exit code 3', async () => {
      const redis = await redisUp();
      const worker = await workerOn(redis, 1);
      await redis.stop();
      const code = await new Promise((resolve) => (worker.process.exitCode !== null ? resolve(worker.process.exitCode) : worker.process.once('exit', resolve)));
      expect(code).toBe(3);
      expectOneLine(worker.output(), lostLine(redis, 'this node stops: start rl worker again once Redis is back'));
    }, 60_000);

    test('rl tune --address: one line naming --resume, exit code 3; the state and checkpoints stay, and --resume on a Redis that is back finishes every trial', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-lost-tune-'));
      const experimentFile = path.join(dir, 'experiment.json');
      const counterDir = path.join(dir, 'counts');
      writeFileSync(
        experimentFile,
        JSON.stringify({ name: 'lost', run: path.join(trainables, 'slow_counter.js'), local_dir: dir, config: { id: { grid_search: [1, 2] }, sleep_ms: 150, counter_dir: counterDir }, stop: { training_iteration: 12 }, checkpoint_freq: 2 }),
      );
      mkdirSync(counterDir);
      const redis = await redisUp();
      await workerOn(redis, 2);
      const run = startRl(['tune', experimentFile, '--address', redis.address]);
      runs.push(run);
      const experimentDir = path.join(dir, 'lost');
      const trialDirs = () => (existsSync(experimentDir) ? readdirSync(experimentDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(experimentDir, e.name)) : []);
      await waitFor('a trial checkpoint', () => (trialDirs().some((d) => existsSync(path.join(d, 'checkpoint_2'))) ? true : undefined));
      await redis.stop();
      expect(await run.exited).toBe(3);
      expectOneLine(run.output(), lostLine(redis, `finished trials, results and checkpoints are kept in ${experimentDir}: continue with rl tune ${experimentFile} --resume once Redis is back`));
      expect(existsSync(path.join(experimentDir, 'experiment_state.json'))).toBe(true);

      const back = await redisUp();
      await workerOn(back, 2);
      const resumed = startRl(['tune', experimentFile, '--resume', '--address', back.address]);
      runs.push(resumed);
      expect(await resumed.exited).toBe(0);
      const state = JSON.parse(readFileSync(path.join(experimentDir, 'experiment_state.json'), 'utf8')) as { trials: { status: string; dir: string }[] };
      expect(state.trials.map((t) => t.status)).toEqual(['TERMINATED', 'TERMINATED']);
      for (const trial of state.trials) {
        const rows = readFileSync(path.join(trial.dir, 'result.json'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { training_iteration: number }).training_iteration);
        expect(rows).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      }
    }, 180_000);

    test('rl train --address: one line naming the checkpoints, exit code 3; the checkpoints stay', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-lost-train-'));
      const redis = await redisUp();
      await workerOn(redis, 2);
      const config = JSON.stringify({ num_workers: 2, train_batch_size: 400, sgd_minibatch_size: 200, num_sgd_iter: 1, model: { fcnet_hiddens: [8] }, seed: 1 });
      const run = startRl(['train', '--env', 'CartPole-v1', '--config', config, '--address', redis.address, '--checkpoint-dir', dir, '--checkpoint-freq', '1', '--stop', '{"training_iteration": 1000}']);
      runs.push(run);
      await waitFor('a checkpoint', () => (readdirSync(dir).some((name) => name.startsWith('checkpoint_')) ? true : undefined), 120_000);
      await redis.stop();
      expect(await run.exited).toBe(3);
      expectOneLine(run.output(), lostLine(redis, `the checkpoints saved so far are kept in ${path.relative(repoRoot, dir)}: continue from the last with rl train --restore once Redis is back`));
      expect(readdirSync(dir).filter((name) => name.startsWith('checkpoint_')).length).toBeGreaterThan(0);
    }, 180_000);
  });
}
