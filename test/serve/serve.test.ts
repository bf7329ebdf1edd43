import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { PPOTrainer, resolvePPOConfig, Random } from '../../src/index.js';
import { serve, type Router } from '../../src/serve/router.js';
import { buildServer } from '../../src/serve/http.js';
import { CheckpointPolicy } from '../../src/policy/checkpoint_policy.js';
import { repoRoot, rl } from '../helpers.js';

let v1: string;
let v2: string;
let router: Router;
let app: FastifyInstance;
let base: string;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rl-serve-'));
  const config = resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', num_workers: 0, train_batch_size: 400, sgd_minibatch_size: 200, num_sgd_iter: 2, lr: 1e-2, model: { fcnet_hiddens: [8] }, observation_filter: 'MeanStdFilter', seed: 4 } }]);
  const trainer = await PPOTrainer.create(config, { backend: 'wasm' });
  await trainer.train();
  v1 = await trainer.save(root);
  await trainer.train();
  v2 = await trainer.save(root);
  await trainer.stop();
  router = await serve({ deployments: [{ name: 'cartpole', versions: [{ checkpoint: v1, weight: 0.9 }, { checkpoint: v2, weight: 0.1 }] }], seed: 1 });
  app = buildServer(router, { bodyLimit: 4096 });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
});

describe('rl serve over HTTP', () => {
  test('predictions equal the rollout forward pass, singly and in a list', async () => {
    const policy = await CheckpointPolicy.load(v2);
    const rng = new Random(3);
    const observations = Array.from({ length: 20 }, () => [0, 0, 0, 0].map(() => rng.normal(0, 0.5)));
    const expected = new Float32Array(20);
    policy.computeActions(Float32Array.from(observations.flat()), 20, false, null, expected);
    const one = await post(`${base}/cartpole`, { observation: observations[0] }, { 'x-rl-version': 'checkpoint_2' });
    expect(one).toEqual({ status: 200, body: { action: expected[0], version: 'checkpoint_2' } });
    const many = await post(`${base}/cartpole`, { observations }, { 'x-rl-version': 'checkpoint_2' });
    expect(many.body).toEqual({ actions: Array.from(expected), version: 'checkpoint_2' });
    // curl -d sends a form content type: the body is still read as JSON
    const form = await post(`${base}/cartpole`, JSON.stringify({ observation: observations[0] }), { 'content-type': 'application/x-www-form-urlencoded', 'x-rl-version': 'checkpoint_2' });
    expect(form.body.action).toBe(expected[0]);
    const explored = await post(`${base}/cartpole`, { observation: observations[0], explore: true });
    expect([0, 1]).toContain(explored.body.action);
  });

  test('the split sends traffic within a few percent of the weights over 2,000 requests', async () => {
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => post(`${base}/cartpole`, { observation: [0, 0, 0, 0] })));
      for (const a of answers) counts[a.body.version as string] = (counts[a.body.version as string] ?? 0) + 1;
    }
    expect(counts.checkpoint_1 + counts.checkpoint_2).toBe(2000);
    expect(Math.abs(counts.checkpoint_1 / 2000 - 0.9)).toBeLessThan(0.03);
  });

  test('a route change under concurrent load drops nothing and takes effect', async () => {
    const load = Promise.all(Array.from({ length: 600 }, (_, i) => new Promise((r) => setTimeout(r, i % 30)).then(() => post(`${base}/cartpole`, { observation: [0.1, 0, 0, 0] }))));
    await new Promise((r) => setTimeout(r, 10));
    const change = await fetch(`${base}/-/routes/cartpole`, { method: 'PUT', body: JSON.stringify({ checkpoint_2: 1 }) });
    expect(await change.json()).toEqual({ checkpoint_1: 0, checkpoint_2: 1 });
    const answers = await load;
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const after = await Promise.all(Array.from({ length: 50 }, () => post(`${base}/cartpole`, { observation: [0, 0, 0, 0] })));
    expect(after.every((a) => a.body.version === 'checkpoint_2')).toBe(true);
    expect(await (await fetch(`${base}/-/routes`)).json()).toEqual({ cartpole: { checkpoint_1: 0, checkpoint_2: 1 } });
    await fetch(`${base}/-/routes/cartpole`, { method: 'PUT', body: JSON.stringify({ checkpoint_1: 0.9, checkpoint_2: 0.1 }) });
  });

  test('bad input gets a JSON error naming the problem, and the server keeps serving', async () => {
    const cases: [string, string, string | unknown, Record<string, string>, number, RegExp][] = [
      ['POST', '/cartpole', '{"observation": [1, 2', {}, 400, /not valid JSON/],
      ['POST', '/cartpole', { observation: [1, 2, 3] }, {}, 400, /observation 0 has 3 values; deployment 'cartpole' takes 4/],
      ['POST', '/cartpole', { observation: [1, 'NaN', 3, 4] }, {}, 400, /value 1 must be a finite number, got "NaN"/],
      ['POST', '/cartpole', { observation: [1, null, 3, 4] }, {}, 400, /must be a finite number, got null/],
      ['POST', '/cartpole', { obs: [1, 2, 3, 4] }, {}, 400, /needs "observation"/],
      ['POST', '/cartpole', { observation: Array(3000).fill(0) }, {}, 413, /larger than the limit of 4096 bytes/],
      ['POST', '/pendulum', { observation: [1, 2, 3, 4] }, {}, 404, /no deployment 'pendulum'; serving cartpole/],
      ['POST', '/cartpole', { observation: [1, 2, 3, 4] }, { 'x-rl-version': 'v9' }, 404, /has no version 'v9'; it has checkpoint_1, checkpoint_2/],
      ['PUT', '/-/routes/cartpole', { checkpoint_1: 0, checkpoint_2: 0 }, {}, 400, /sum to a positive number/],
      ['PUT', '/-/routes/cartpole', { checkpoint_1: -1 }, {}, 400, /must be a number >= 0/],
      ['PUT', '/-/routes/cartpole', { v9: 1 }, {}, 404, /has no version 'v9'/],
      ['GET', '/nowhere', undefined, {}, 404, /no route GET \/nowhere/],
    ];
    for (const [method, url, body, headers, status, message] of cases) {
      const response = await fetch(`${base}${url}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
      const json = (await response.json()) as { error: string };
      expect({ url, body, status: response.status }).toEqual({ url, body, status });
      expect(json.error).toMatch(message);
    }
    expect((await post(`${base}/cartpole`, { observation: [0, 0, 0, 0] })).status).toBe(200);
    expect(await (await fetch(`${base}/-/healthz`)).json()).toEqual({ status: 'ok', deployments: ['cartpole'] });
  });

  test('/-/metrics counts what was sent, in Prometheus text format', async () => {
    const count = async () => {
      const text = await (await fetch(`${base}/-/metrics`)).text();
      const value = (version: string) => Number(new RegExp(`rl_serve_requests_total\\{deployment="cartpole",version="${version}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      return { text, total: value('checkpoint_1') + value('checkpoint_2') };
    };
    const before = await count();
    await Promise.all(Array.from({ length: 25 }, () => post(`${base}/cartpole`, { observation: [0, 0, 0, 0] })));
    await post(`${base}/cartpole`, { observation: [0] });
    const after = await count();
    expect(after.total - before.total).toBe(25);
    expect(after.text).toMatch(/rl_serve_errors_total\{deployment="cartpole",status="400"\} \d+/);
    expect(after.text).toMatch(/rl_serve_request_duration_seconds_bucket\{le="0.01",deployment="cartpole",version="checkpoint_\d"\} \d+/);
  });
});

test('as a library: predict() without HTTP', async () => {
  const embedded = await serve({ deployments: [{ name: 'cp', versions: [{ checkpoint: v1 }] }] });
  const { action, version } = await embedded.predict('cp', [0.01, -0.02, 0.03, 0.04]);
  expect([0, 1]).toContain(action);
  expect(version).toBe('checkpoint_1');
  await expect(embedded.predict('cp', [1, 2])).rejects.toThrow(/takes 4/);
});

describe('rl serve command', () => {
  test('a port in use is one clear line and exit code 2', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const { code, stderr } = rl(['serve', v1, '--port', String(port)]);
    blocker.close();
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(`rl: port ${port} is in use on 127.0.0.1: pass --port with a free port (or stop what is listening there)`);
  });

  test('SIGTERM lets in-flight requests finish', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'serve', '--deployment', `cp=${v1}`, '--port', '0', '--batch-wait-ms', '400']);
    const address = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim())));
    const inFlight = post(`${address}/cp`, { observation: [0, 0, 0, 0] });
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });
});
