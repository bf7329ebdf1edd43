// Issue 16: `rl serve` serves any model or function: handler modules (functions, classes with
// reconfigure, batched handlers), TF.js LayersModel folders, shadow traffic and deployment files.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import { serve, VersionError, type Router } from '../../src/serve/router.js';
import { buildServer } from '../../src/serve/http.js';
import { readDeploymentFile } from '../../src/serve/deployment_file.js';
import { saveLayersModel } from '../../src/checkpoint/layers_io.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { UserError } from '../../src/utils/errors.js';
import { repoRoot, rl } from '../helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-serve-anything-'));

/** Writes a module into the test's folder and returns its path. */
function handlerModule(name: string, source: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

const echo = handlerModule('echo.mjs', `export default async (body) => ({ hello: body.name });\n`);
// Each call answers with its call number and how many requests it was given.
const batched = handlerModule(
  'batched.mjs',
  `let calls = 0;
export const batch = { maxBatchSize: 8, batchWaitMs: 60000 };
export default async (bodies) => {
  calls += 1;
  return bodies.map((body) => ({ doubled: body.x * 2, call: calls, size: bodies.length }));
};
`,
);
const greeter = handlerModule(
  'greeter.mjs',
  `let instances = 0;
export default class Greeter {
  constructor() { this.instance = ++instances; this.greeting = 'hello'; }
  reconfigure(config) { this.greeting = config.greeting; }
  async call(body) { return { text: this.greeting + ', ' + body.name, instance: this.instance }; }
}
`,
);
const flaky = handlerModule('flaky.mjs', `export default async (body) => { if (body.fail) throw new Error('cannot: ' + body.fail); return { ok: true }; };\n`);
const primary = handlerModule('primary.mjs', `export default async (body) => ({ from: 'primary', i: body.i });\n`);
// A canary that fails on every tenth request: its errors are measured, never answered.
const canary = handlerModule('canary.mjs', `export default async (body) => { if (body.i % 10 === 0) throw new Error('canary bug'); return { from: 'canary', i: body.i }; };\n`);

let modelDir: string;
let model: tf.LayersModel;
let router: Router;
let app: FastifyInstance;
let base: string;

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers });
  return { status: response.status, version: response.headers.get('x-rl-version'), body: (await response.json()) as Record<string, any> };
}

async function put(url: string, body: unknown) {
  const response = await fetch(url, { method: 'PUT', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** A metric's value in Prometheus text, 0 if absent. */
async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/-/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

beforeAll(async () => {
  await initBackend();
  model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
  modelDir = path.join(dir, 'regressor');
  mkdirSync(modelDir);
  await saveLayersModel(model, modelDir);
  router = await serve({
    deployments: [
      { name: 'echo', versions: [{ module: echo }] },
      { name: 'batched', versions: [{ module: batched }] },
      { name: 'greet', versions: [{ module: greeter, userConfig: { greeting: 'hi' } }] },
      { name: 'flaky', versions: [{ module: flaky }] },
      { name: 'regressor', versions: [{ model: modelDir }] },
      { name: 'canaried', versions: [{ module: primary, weight: 1 }, { module: canary, weight: 0 }] },
    ],
    seed: 5,
  });
  app = buildServer(router);
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
  await router.close();
  model.dispose();
});

describe('handler modules', () => {
  test('a function of the body answers over HTTP and as a library, named after its file', async () => {
    expect(await post(`${base}/echo`, { name: 'Ada' })).toEqual({ status: 200, version: 'echo', body: { hello: 'Ada' } });
    expect(await router.handle('echo', { name: 'Grace' })).toEqual({ hello: 'Grace' });
  });

  test('a batched handler answers 8 concurrent requests with one call', async () => {
    const first = await Promise.all(Array.from({ length: 8 }, (_, x) => post(`${base}/batched`, { x })));
    expect(first.map((a) => a.body)).toEqual(Array.from({ length: 8 }, (_, x) => ({ doubled: 2 * x, call: 1, size: 8 })));
    const second = await Promise.all(Array.from({ length: 8 }, (_, x) => router.handle('batched', { x: x + 100 })));
    expect(second).toEqual(Array.from({ length: 8 }, (_, x) => ({ doubled: 2 * (x + 100), call: 2, size: 8 })));
  });

  test('a batched handler returning the wrong number of answers fails each request of that batch, saying so', async () => {
    const short = handlerModule('short.mjs', `export const batch = { maxBatchSize: 2, batchWaitMs: 60000 };\nexport default async (bodies) => [bodies.length];\n`);
    const shortRouter = await serve({ deployments: [{ name: 'short', versions: [{ module: short }] }] });
    const answers = await Promise.allSettled([shortRouter.handle('short', {}), shortRouter.handle('short', {})]);
    for (const answer of answers) {
      expect(answer.status).toBe('rejected');
      const error = (answer as PromiseRejectedResult).reason as VersionError;
      expect(error).toBeInstanceOf(VersionError);
      expect(error.message).toBe("version 'short' of deployment 'short' failed: a batched call given 2 requests returned 1 answers; return an array with one answer per request, in order");
    }
  });

  test('a class gets its user_config at start, and PUT /-/deployments reconfigures the same instance', async () => {
    expect((await post(`${base}/greet`, { name: 'Ada' })).body).toEqual({ text: 'hi, Ada', instance: 1 });
    const change = await put(`${base}/-/deployments/greet`, { user_config: { greeting: 'bonjour' } });
    expect(change).toEqual({ status: 200, body: { reconfigured: ['greeter'] } });
    expect((await post(`${base}/greet`, { name: 'Ada' })).body).toEqual({ text: 'bonjour, Ada', instance: 1 });
    const refused = await put(`${base}/-/deployments/echo`, { user_config: { greeting: 'x' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/no version of deployment 'echo' takes a user_config: only a module class with reconfigure/);
  });

  test('an error thrown by a handler is a 500 with {"error"} and a counted metric; the next request is answered', async () => {
    const errorsBefore = await metric('rl_serve_version_errors_total', 'deployment="flaky",version="flaky"');
    const failed = await post(`${base}/flaky`, { fail: 'no disk' });
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ error: "version 'flaky' of deployment 'flaky' failed: cannot: no disk" });
    expect(await metric('rl_serve_version_errors_total', 'deployment="flaky",version="flaky"')).toBe(errorsBefore + 1);
    expect(await metric('rl_serve_errors_total', 'deployment="flaky",status="500"')).toBeGreaterThanOrEqual(1);
    expect(await post(`${base}/flaky`, {})).toEqual({ status: 200, version: 'flaky', body: { ok: true } });
    expect(await metric('rl_serve_requests_total', 'deployment="flaky",version="flaky"')).toBe(1);
  });
});

describe('a TF.js LayersModel folder', () => {
  test('{"inputs"} answers {"outputs"} equal to model.predict, for concurrent requests of different sizes', async () => {
    const requests = [1, 3, 2, 4].map((rows, r) => Array.from({ length: rows }, (_, i) => [r, i, -0.5 * (r + i)]));
    const answers = await Promise.all(requests.map((inputs) => post(`${base}/regressor`, { inputs })));
    requests.forEach((inputs, r) => {
      const expected = tf.tidy(() => (model.predict(tf.tensor2d(inputs)) as tf.Tensor).arraySync() as number[][]);
      expect(answers[r].status).toBe(200);
      expect(answers[r].body.version).toBe('regressor');
      expect(answers[r].body.outputs).toHaveLength(inputs.length);
      answers[r].body.outputs.forEach((row: number[], i: number) => row.forEach((y, k) => expect(y).toBeCloseTo(expected[i][k], 5)));
    });
  });

  test('inputs of the wrong shape get a 400 naming the row', async () => {
    const bad = await post(`${base}/regressor`, { inputs: [[1, 2, 3], [1, 2]] });
    expect(bad).toEqual({ status: 400, version: null, body: { error: 'inputs[1] must be a list of 3, got 2 values' } });
    expect((await post(`${base}/regressor`, { rows: [] })).body.error).toMatch(/the body must be \{"inputs": \[row, \.\.\.\]\}, each row of shape \[3\]/);
  });
});

describe('shadow traffic', () => {
  test('at 0.5, about half of 400 requests are mirrored to the shadow; answers come only from the primary; its metrics count them', async () => {
    expect(await put(`${base}/-/shadow/canaried`, { canary: 1.5 })).toEqual({ status: 400, body: { error: "deployment 'canaried': the shadow fraction of 'canary' must be a number from 0 to 1, got 1.5" } });
    expect(await put(`${base}/-/shadow/canaried`, { canary: 0.5 })).toEqual({ status: 200, body: { canary: 0.5 } });
    expect(await (await fetch(`${base}/-/shadow`)).json()).toMatchObject({ canaried: { canary: 0.5 } });
    const answers = [];
    for (let start = 0; start < 400; start += 50) {
      answers.push(...(await Promise.all(Array.from({ length: 50 }, (_, k) => post(`${base}/canaried`, { i: start + k })))));
    }
    expect(answers.every((a) => a.status === 200 && a.version === 'primary' && a.body.from === 'primary')).toBe(true);
    await router.shadowsSettled();
    const answered = await metric('rl_serve_shadow_requests_total', 'deployment="canaried",version="canary"');
    const failed = await metric('rl_serve_shadow_errors_total', 'deployment="canaried",version="canary"');
    const mirrored = answered + failed;
    // Binomial(400, 0.5): mean 200, standard deviation 10; the seed fixes the draw, within 3 sd of the mean.
    expect(mirrored).toBeGreaterThanOrEqual(170);
    expect(mirrored).toBeLessThanOrEqual(230);
    // The canary fails on every tenth request: about a tenth of those mirrored, all counted.
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(mirrored / 5);
    expect(await metric('rl_serve_shadow_duration_seconds_count', 'deployment="canaried",version="canary"')).toBe(mirrored);
    // The shadow answered nobody: the request metrics count the primary only.
    expect(await metric('rl_serve_requests_total', 'deployment="canaried",version="canary"')).toBe(0);
    expect(await metric('rl_serve_requests_total', 'deployment="canaried",version="primary"')).toBe(400);
    expect(await put(`${base}/-/shadow/canaried`, {})).toEqual({ status: 200, body: {} });
  });
});

describe('deployment files', () => {
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  test('are read into serve() deployments, paths relative to the file', () => {
    const p = file(
      'serve.yaml',
      `deployments:
  - name: greet
    versions:
      - module: ./greeter.mjs
        user_config: { greeting: hey }
        weight: 3
      - module: batched.mjs
        batch: { max_batch_size: 4 }
    shadows: { batched: 0.25 }
`,
    );
    expect(readDeploymentFile(p)).toEqual([
      {
        name: 'greet',
        shadows: { batched: 0.25 },
        versions: [
          { module: greeter, userConfig: { greeting: 'hey' }, weight: 3, name: undefined, batch: undefined },
          { module: batched, batch: { maxBatchSize: 4, batchWaitMs: undefined }, name: undefined, weight: undefined, userConfig: undefined },
        ],
      },
    ]);
  });

  test('problems are one line naming the key or value', () => {
    const cases: [string, string][] = [
      ['deployments:\n  - name: a\n    versions:\n      - modul: ./echo.mjs\n', "unknown key 'deployments[0].versions[0].modul'; did you mean 'module'?"],
      ['deployment:\n  - name: a\n', "unknown key 'deployment'; did you mean 'deployments'?"],
      ['deployments:\n  - name: a\n    versions: [{ module: ./echo.mjs }]\n    shadow: { x: 0.5 }\n', "unknown key 'deployments[0].shadow'; did you mean 'shadows'?"],
      ['deployments:\n  - name: a\n    versions: [{ module: ./echo.mjs, batch: { max_batch: 2 } }]\n', "unknown key 'deployments[0].versions[0].batch.max_batch'; did you mean 'max_batch_size'?"],
      ['deployments:\n  - name: a\n    versions: [{ module: ./echo.mjs, weight: lots }]\n', 'deployments[0].versions[0].weight: expected number, received string'],
      ['deployments:\n  - name: a\n    versions: [{ module: ./echo.mjs, checkpoint: ./c }]\n', 'deployments[0].versions[0]: give one of checkpoint, model or module, not checkpoint and module'],
      ['deployments:\n  - name: a\n    versions: [{ checkpoint: ./c, user_config: {} }]\n', "deployments[0].versions[0]: 'user_config' is for module versions"],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const p = file(`bad-${i}.yaml`, text);
      let error: unknown;
      try {
        readDeploymentFile(p);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).not.toMatch(/\n/);
      expect((error as Error).message).toContain(`${p}: ${message}`);
    }
  });

  test('rl serve serve.yaml: an unknown key or a missing module is one line and exit code 2', () => {
    const unknownKey = file('typo.yaml', 'deployments:\n  - name: greet\n    versions:\n      - module: ./greeter.mjs\n        user_conifg: { greeting: hey }\n');
    const typo = rl(['serve', unknownKey, '--port', '0']);
    expect({ code: typo.code, stderr: typo.stderr }).toEqual({
      code: 2,
      stderr: `rl: ${unknownKey}: unknown key 'deployments[0].versions[0].user_conifg'; did you mean 'user_config'? (deployments[0].versions[0] takes checkpoint, model, module, name, weight, env, user_config, batch)\n`,
    });
    const missingModule = file('missing.yaml', 'deployments:\n  - name: greet\n    versions:\n      - module: ./nowhere.mjs\n');
    const missing = rl(['serve', missingModule, '--port', '0']);
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({ code: 2, stderr: `rl: deployment 'greet': module ${path.join(dir, 'nowhere.mjs')} not found\n` });
  });

  test('rl serve serve.yaml serves its modules with their user_config and shadows', async () => {
    const p = file('ok.yaml', 'deployments:\n  - name: greet\n    versions:\n      - module: ./greeter.mjs\n        user_config: { greeting: hey }\n      - module: ./echo.mjs\n        weight: 0\n    shadows: { echo: 1 }\n');
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'serve', p, '--port', '0']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => resolve(d.toString().trim()));
        child.on('exit', () => reject(new Error(`rl serve exited: ${stderr}`)));
      });
      expect((await post(`${address}/greet`, { name: 'Ada' })).body).toEqual({ text: 'hey, Ada', instance: 1 });
      expect(stderr).toContain(`serving greet at ${address}/greet: greeter (weight 1), echo (weight 0), echo (shadow, 1 of requests)`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
