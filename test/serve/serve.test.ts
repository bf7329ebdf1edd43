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
import { UserError } from '../../src/utils/errors.js';
import { repoRoot, rl, userErrorOf } from '../helpers.js';

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
      ['PUT', '/-/routes/cartpole', { checkpoint_1: -1 }, {}, 400, /weight of 'checkpoint_1' must be a finite number >= 0, got -1/],
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

  test('/-/metrics stays bounded however many unknown deployment names are requested', async () => {
    const metrics = async () => (await fetch(`${base}/-/metrics`)).text();
    const series = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    const unknownErrors = (text: string) => Number(/rl_serve_errors_total\{deployment="-",status="404"\} (\d+)/.exec(text)?.[1] ?? 0);
    const sendUnknown = async (from: number, count: number) => {
      for (let batch = from; batch < from + count; batch += 50) {
        const names = Array.from({ length: Math.min(50, from + count - batch) }, (_, i) => `ghost-${batch + i}`);
        const statuses = await Promise.all(
          names.flatMap((name) => [
            post(`${base}/${name}`, { observation: [0, 0, 0, 0] }).then((r) => r.status),
            fetch(`${base}/-/routes/${name}`, { method: 'PUT', body: '{"checkpoint_1": 1}' }).then((r) => r.status),
          ]),
        );
        expect(statuses.every((status) => status === 404)).toBe(true);
      }
    };
    await sendUnknown(0, 20);
    const before = await metrics();
    await sendUnknown(20, 500);
    const after = await metrics();
    // Every unknown name is still counted, under the one label value '-'.
    expect(unknownErrors(after) - unknownErrors(before)).toBe(1000);
    expect(after).not.toMatch(/ghost-/);
    expect(series(after)).toBe(series(before));
    expect(after.length - before.length).toBeLessThan(10);
  });

  test('observations finite in JSON but beyond float32 get a 400 naming the value, never null actions', async () => {
    const one = await post(`${base}/cartpole`, { observation: [-1e39, 1e39, 0, 0] });
    expect(one.status).toBe(400);
    expect(one.body.error).toMatch(/observation 0 value 0 is -1e\+39, beyond the float32 range/);
    const many = await post(`${base}/cartpole`, { observations: [[0, 0, 0, 0], [0, 0, 1e39, 0]] });
    expect(many.status).toBe(400);
    expect(many.body.error).toMatch(/observation 1 value 2 is 1e\+39, beyond the float32 range/);
    // The largest float32 values are accepted and answered with a real action.
    const largest = await post(`${base}/cartpole`, { observation: [3.4e38, -3.4e38, 3.4e38, -3.4e38] });
    expect(largest.status).toBe(200);
    expect([0, 1]).toContain(largest.body.action);
  });

  test('weights that overflow (1e308 + 1e308, 1e400) get a 400 naming the problem and leave the split as it was', async () => {
    const routesBefore = await (await fetch(`${base}/-/routes`)).json();
    const put = async (body: string) => {
      const response = await fetch(`${base}/-/routes/cartpole`, { method: 'PUT', body });
      return { status: response.status, error: ((await response.json()) as { error: string }).error };
    };
    const overflow = await put('{"checkpoint_1": 1e308, "checkpoint_2": 1e308}');
    expect(overflow.status).toBe(400);
    expect(overflow.error).toMatch(/weights of deployment 'cartpole' sum to Infinity/);
    const huge = await put('{"checkpoint_1": 1e400}');
    expect(huge.status).toBe(400);
    expect(huge.error).toMatch(/weight of 'checkpoint_1' must be a finite number >= 0, got Infinity/);
    expect(huge.error).not.toMatch(/null/);
    expect(await (await fetch(`${base}/-/routes`)).json()).toEqual(routesBefore);
  });
});

describe('the routes API with an admin token', () => {
  const token = 'correct-horse-battery-staple';
  let guarded: FastifyInstance;
  let guardedBase: string;

  beforeAll(async () => {
    const guardedRouter = await serve({ deployments: [{ name: 'cartpole', versions: [{ checkpoint: v1, weight: 0.9 }, { checkpoint: v2, weight: 0.1 }] }], adminToken: token });
    guarded = buildServer(guardedRouter);
    guardedBase = await guarded.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await guarded.close();
  });

  test('PUT /-/routes needs "Authorization: Bearer <token>"; reads and predictions stay open', async () => {
    const put = async (headers: Record<string, string>, deployment = 'cartpole') => {
      const response = await fetch(`${guardedBase}/-/routes/${deployment}`, { method: 'PUT', body: '{"checkpoint_2": 1}', headers });
      return { status: response.status, authenticate: response.headers.get('www-authenticate'), body: (await response.json()) as Record<string, unknown> };
    };
    const wrong: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${token}x` }, { authorization: token }, { authorization: `Basic ${token}` }];
    for (const headers of wrong) {
      const refused = await put(headers);
      expect({ headers, status: refused.status, authenticate: refused.authenticate }).toEqual({ headers, status: 401, authenticate: 'Bearer' });
      expect(refused.body.error).toMatch(/PUT \/-\/routes needs the admin token: send the header 'Authorization: Bearer <token>'/);
    }
    // Unknown deployments are refused for want of a token too (no probing of names).
    expect((await put({}, 'nope')).status).toBe(401);
    // So are the other writes: shadow traffic and user_config.
    for (const [url, body] of [['/-/shadow/cartpole', '{"checkpoint_2": 1}'], ['/-/deployments/cartpole', '{"user_config": {}}']]) {
      const response = await fetch(`${guardedBase}${url}`, { method: 'PUT', body });
      expect({ url, status: response.status }).toEqual({ url, status: 401 });
      expect(((await response.json()) as { error: string }).error).toBe(`PUT ${url.slice(0, url.lastIndexOf('/'))} needs the admin token: send the header 'Authorization: Bearer <token>'`);
    }
    expect(await (await fetch(`${guardedBase}/-/shadow`)).json()).toEqual({ cartpole: {} });
    expect(await (await fetch(`${guardedBase}/-/routes`)).json()).toEqual({ cartpole: { checkpoint_1: 0.9, checkpoint_2: 0.1 } });
    expect((await post(`${guardedBase}/cartpole`, { observation: [0, 0, 0, 0] })).status).toBe(200);
    const accepted = await put({ authorization: `Bearer ${token}` });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ checkpoint_1: 0, checkpoint_2: 1 });
    expect((await put({ authorization: `bearer ${token}` })).status).toBe(200);
  });

  test('an empty or multi-line token is refused at start-up', async () => {
    for (const adminToken of ['', 'two\nlines', 'has space']) {
      await expect(serve({ deployments: [{ name: 'cp', versions: [{ checkpoint: v1 }] }], adminToken })).rejects.toThrow(/admin token must be/);
    }
  });
});

test('as a library: predict() without HTTP', async () => {
  const embedded = await serve({ deployments: [{ name: 'cp', versions: [{ checkpoint: v1 }] }] });
  const { action, version } = await embedded.predict('cp', [0.01, -0.02, 0.03, 0.04]);
  expect([0, 1]).toContain(action);
  expect(version).toBe('checkpoint_1');
  await expect(embedded.predict('cp', [1, 2])).rejects.toThrow(/takes 4/);
});

test('as a library: weights that are not finite or overflow their sum are refused', async () => {
  for (const weights of [[1e308, 1e308], [Number('1e400'), 1], [NaN, 1]]) {
    const error = await serve({ deployments: [{ name: 'cp', versions: [{ checkpoint: v1, weight: weights[0] }, { checkpoint: v2, weight: weights[1] }] }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/deployment 'cp'.*(sum to Infinity|must be a finite number >= 0, got (Infinity|NaN))/);
  }
});

test('as a library: a body limit that is not a positive integer is refused', async () => {
  for (const bodyLimit of [-1, 0, 1.5, NaN]) {
    expect(userErrorOf(() => buildServer(router, { bodyLimit })).message).toBe(`body limit must be a positive integer number of bytes, got ${bodyLimit}`);
  }
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

  test('SIGTERM lets in-flight requests finish; on 127.0.0.1 there is no warning', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'serve', '--deployment', `cp=${v1}`, '--port', '0', '--batch-wait-ms', '400']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const address = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim())));
    const inFlight = post(`${address}/cp`, { observation: [0, 0, 0, 0] });
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stderr).not.toMatch(/WARN/);
  });

  test('--body-limit that is not a positive integer is one line and exit code 2', () => {
    for (const [value, shown] of [['-1', '-1'], ['abc', 'NaN']]) {
      const { code, stderr } = rl(['serve', v1, '--body-limit', value, '--port', '0']);
      expect({ value, code, stderr: stderr.trim() }).toEqual({ value, code: 2, stderr: `rl: --body-limit must be a positive integer, got ${shown}` });
    }
  });

  test('--host 0.0.0.0 prints the addresses it listens on and warns that /-/routes is open unless a token is set', async () => {
    const start = (env: Record<string, string>) => {
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'RL_SERVE_ADMIN_TOKEN'));
      const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'serve', '--deployment', `cp=${v1}`, '--port', '0', '--host', '0.0.0.0'], { env: { ...inherited, ...env } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Resolves with [] if the server exits without printing its addresses.
      const urls = new Promise<string[]>((resolve) => {
        child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim().split('\n')));
        child.on('exit', () => resolve([]));
      });
      const exited = new Promise<string>((resolve) => child.on('exit', () => resolve(stderr)));
      return { child, urls, exited };
    };
    const open = start({});
    const guarded = start({ RL_SERVE_ADMIN_TOKEN: 'from-the-environment' });
    let port = '';
    try {
      const [openUrls, guardedUrls] = await Promise.all([open.urls, guarded.urls]);
      port = new URL(openUrls[0]).port;
      const interfaces = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []).filter((a) => a.family === 'IPv4');
      expect(openUrls.sort()).toEqual(interfaces.map((a) => `http://${a.address}:${port}`).sort());
      expect(openUrls.join()).not.toMatch(/0\.0\.0\.0/);
      const reachable = openUrls.find((u) => u.startsWith('http://127.0.0.1:'))!;
      const putOpen = await fetch(`${reachable}/-/routes/cp`, { method: 'PUT', body: '{"checkpoint_1": 1}' });
      expect(putOpen.status).toBe(200);
      const guardedLocal = guardedUrls.find((u) => u.startsWith('http://127.0.0.1:'))!;
      const putGuarded = await fetch(`${guardedLocal}/-/routes/cp`, { method: 'PUT', body: '{"checkpoint_1": 1}' });
      expect(putGuarded.status).toBe(401);
    } finally {
      open.child.kill('SIGTERM');
      guarded.child.kill('SIGTERM');
    }
    const [openStderr, guardedStderr] = await Promise.all([open.exited, guarded.exited]);
    const warnings = (text: string) => text.split('\n').filter((line) => line.startsWith('WARN'));
    expect(warnings(openStderr)).toEqual([
      `WARN: listening on 0.0.0.0, beyond this machine: anyone who can reach port ${port} can change the traffic split, shadow traffic and user_config with PUT /-/routes, /-/shadow and /-/deployments; set RL_SERVE_ADMIN_TOKEN (or --admin-token) to require a token`,
    ]);
    expect(warnings(guardedStderr)).toEqual([]);
  });
});
