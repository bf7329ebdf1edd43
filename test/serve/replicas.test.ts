import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { PPOTrainer, resolvePPOConfig, Random } from '../../src/index.js';
import { serve, type Router } from '../../src/serve/router.js';
import { buildServer } from '../../src/serve/http.js';
import { ReplicaPool } from '../../src/serve/replica_pool.js';
import { DEFAULT_BATCH } from '../../src/serve/batcher.js';
import { readDeploymentFile } from '../../src/serve/deployment_file.js';
import { UserError } from '../../src/utils/errors.js';
import { repoRoot } from '../helpers.js';
import { waitFor } from '../cluster/processes.js';

let root: string;
let checkpoint: string;
/** Doubles x and says which thread answered, after `sleep` ms; {crash: 'exit'} ends its thread, {crash: 'throw'} throws where nothing catches it. */
let handler: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'rl-replicas-'));
  const config = resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', num_workers: 0, train_batch_size: 200, sgd_minibatch_size: 100, num_sgd_iter: 1, model: { fcnet_hiddens: [8] }, observation_filter: 'MeanStdFilter', seed: 5 } }]);
  const trainer = await PPOTrainer.create(config, { backend: 'wasm' });
  await trainer.train();
  checkpoint = await trainer.save(root);
  await trainer.stop();
  handler = path.join(root, 'handler.mjs');
  writeFileSync(
    handler,
    [
      "import { threadId } from 'node:worker_threads';",
      'export default async (body) => {',
      '  if (body.sleep) await new Promise((r) => setTimeout(r, body.sleep));',
      "  if (body.crash === 'exit') process.exit(3);",
      "  if (body.crash === 'throw') await new Promise(() => setImmediate(() => { throw new Error('boom'); }));",
      '  return { doubled: body.x * 2, thread: threadId };',
      '};',
      '',
    ].join('\n'),
  );
});

async function handleAll(router: Router, deployment: string, bodies: unknown[]) {
  return Promise.all(bodies.map((body) => router.handle(deployment, body)));
}

describe('rl serve --num-replicas', () => {
  test('two replicas answer a checkpoint exactly as one thread does, and both take work', async () => {
    const router = await serve({
      deployments: [
        { name: 'one', versions: [{ checkpoint }] },
        { name: 'two', versions: [{ checkpoint }], numReplicas: 2 },
        { name: 'handler', versions: [{ module: handler }], numReplicas: 2 },
      ],
    });
    try {
      const rng = new Random(8);
      const bodies = Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? { observations: [0, 1, 2].map(() => [0, 0, 0, 0].map(() => rng.normal(0, 1))) } : { observation: [0, 0, 0, 0].map(() => rng.normal(0, 1)) }));
      const [inProcess, replicated] = [await handleAll(router, 'one', bodies), await handleAll(router, 'two', bodies)];
      expect(replicated.map((a) => ({ ...(a as object), version: undefined }))).toEqual(inProcess.map((a) => ({ ...(a as object), version: undefined })));
      // the policy is not constant: the comparison above compares something
      expect(new Set(inProcess.map((a) => JSON.stringify((a as { action?: number }).action))).size).toBeGreaterThan(1);

      const answers = (await handleAll(router, 'handler', Array.from({ length: 100 }, (_, x) => ({ x })))) as { doubled: number; thread: number }[];
      expect(answers.map((a) => a.doubled)).toEqual(Array.from({ length: 100 }, (_, x) => 2 * x));
      expect(new Set(answers.map((a) => a.thread)).size).toBe(2);
      // light traffic, one request at a time, also reaches both
      const oneByOne: number[] = [];
      for (let x = 0; x < 4; x++) oneByOne.push(((await router.handle('handler', { x })) as { thread: number }).thread);
      expect(new Set(oneByOne).size).toBe(2);
    } finally {
      await router.close();
    }
  });

  test.each(['exit', 'throw'])('a replica that dies (%s) fails only its in-flight request; queued ones go to the other; the pool is two again', async (crash) => {
    const { served } = await ReplicaPool.start({ spec: { module: handler }, deployment: 'handler', defaults: DEFAULT_BATCH, seed: 0 }, 2);
    const pool = served as ReplicaPool;
    try {
      const before = (await Promise.all([0, 1].map((x) => pool.handle({ x })))) as { thread: number }[];
      // the crashing request is handed to a replica alone (on the next turn), a slow one to the other: the requests after them wait in the pool's queue
      const crashed = pool.handle({ crash, sleep: 100 }).then(
        () => 'answered',
        (error: unknown) => (error as Error).message,
      );
      await new Promise((r) => setImmediate(r));
      const slow = pool.handle({ x: -1, sleep: 300 });
      await new Promise((r) => setImmediate(r));
      const others = await Promise.all(
        Array.from({ length: 60 }, (_, x) =>
          pool.handle({ x }).then(
            (answer) => (answer as { doubled: number }).doubled,
            (error: unknown) => (error as Error).message,
          ),
        ),
      );
      expect(others).toEqual(Array.from({ length: 60 }, (_, x) => 2 * x));
      expect(((await slow) as { doubled: number }).doubled).toBe(-2);
      expect(await crashed).toMatch(/^its replica [01] stopped \(exit code [13]\) while answering this request; the replica is being restarted$/);
      await waitFor('the replica to be restarted', () => (pool.status().ready === 2 ? true : undefined), 30_000);
      expect(pool.status()).toEqual({ replicas: 2, ready: 2, restarts: 1 });
      const after = (await Promise.all(Array.from({ length: 20 }, (_, x) => pool.handle({ x })))) as { thread: number }[];
      const threads = new Set(after.map((a) => a.thread));
      expect(threads.size).toBe(2);
      // one of the two is a new thread
      expect([...threads].filter((t) => !before.some((b) => b.thread === t))).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  test('over HTTP, a request in flight on a crashed replica is a 500 naming the version and the crash', async () => {
    const router = await serve({ deployments: [{ name: 'h', versions: [{ module: handler, name: 'v1' }] }], numReplicas: 2 });
    const app = buildServer(router);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const response = await fetch(`${base}/h`, { method: 'POST', body: JSON.stringify({ crash: 'exit' }) });
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: string }).error).toMatch(/^version 'v1' of deployment 'h' failed: its replica [01] stopped \(exit code 3\) while answering this request/);
      const ok = await fetch(`${base}/h`, { method: 'POST', body: JSON.stringify({ x: 4 }) });
      expect(((await ok.json()) as { doubled: number }).doubled).toBe(8);
    } finally {
      await app.close();
      await router.close();
    }
  });

  test('a user_config reaches every replica, and a replica started again after a crash gets the latest', async () => {
    const greeter = path.join(root, 'greeter.mjs');
    writeFileSync(
      greeter,
      [
        "import { threadId } from 'node:worker_threads';",
        'export default class Greeter {',
        "  reconfigure(config) { this.greeting = config.greeting; }",
        "  async call(body) { if (body.crash) process.exit(4); return { greeting: this.greeting, thread: threadId }; }",
        '}',
        '',
      ].join('\n'),
    );
    const router = await serve({ deployments: [{ name: 'g', versions: [{ module: greeter, userConfig: { greeting: 'hello' } }], numReplicas: 2 }] });
    try {
      const greetings = async () => (await handleAll(router, 'g', Array.from({ length: 20 }, () => ({})))) as { greeting: string; thread: number }[];
      const first = await greetings();
      expect(new Set(first.map((a) => a.greeting))).toEqual(new Set(['hello']));
      expect(new Set(first.map((a) => a.thread)).size).toBe(2);
      expect(await router.reconfigure('g', { greeting: 'hi' })).toEqual(['greeter']);
      expect(new Set((await greetings()).map((a) => a.greeting))).toEqual(new Set(['hi']));
      await expect(router.handle('g', { crash: true })).rejects.toThrow(/stopped \(exit code 4\)/);
      const again = await waitFor('both replicas to answer again', async () => {
        const answers = await greetings();
        return new Set(answers.map((a) => a.thread)).size === 2 ? answers : undefined;
      });
      expect(new Set(again.map((a) => a.greeting))).toEqual(new Set(['hi']));
    } finally {
      await router.close();
    }
  });

  test('a version that cannot load in its replicas is one UserError, and no thread is left running', async () => {
    const error = await serve({ deployments: [{ name: 'x', versions: [{ module: path.join(root, 'missing.mjs') }] }], numReplicas: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`deployment 'x': module ${path.join(root, 'missing.mjs')} not found`);
    const bad = await serve({ deployments: [{ name: 'x', versions: [{ module: handler }], numReplicas: 0 }] }).catch((e: unknown) => e);
    expect((bad as Error).message).toBe(`deployment 'x': the number of replicas must be a positive integer, got 0`);
  });

  test("a deployment file's num_replicas reaches serve()", () => {
    const file = path.join(root, 'serve.yaml');
    writeFileSync(file, 'deployments:\n  - name: h\n    num_replicas: 3\n    versions:\n      - module: handler.mjs\n');
    expect(readDeploymentFile(file)[0]).toMatchObject({ name: 'h', numReplicas: 3, versions: [{ module: handler }] });
  });

  test('rl serve --num-replicas 2 answers from two threads', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'serve', handler, '--name', 'h', '--num-replicas', '2', '--port', '0']);
    try {
      const address = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim())));
      const answers = await Promise.all(Array.from({ length: 40 }, (_, x) => fetch(`${address}/h`, { method: 'POST', body: JSON.stringify({ x }) }).then((r) => r.json() as Promise<{ doubled: number; thread: number }>)));
      expect(answers.map((a) => a.doubled)).toEqual(Array.from({ length: 40 }, (_, x) => 2 * x));
      expect(new Set(answers.map((a) => a.thread)).size).toBe(2);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
