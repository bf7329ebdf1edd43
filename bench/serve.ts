// rl serve throughput: requests per second and p50/p99 latency at 1, 16 and 64 concurrent
// connections, driven by autocannon in a separate process on loopback, for the [40, 20] CartPole
// policy, the same policy on 2 replicas (--num-replicas 2: two worker threads answer), a trivial
// handler module (the cost of routing and HTTP alone) and the same handler batched.
// SERVE_BENCH_SECONDS=1 makes a smoke run.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PPOTrainer } from '../src/algorithms/ppo/trainer.js';
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import { serve } from '../src/serve/router.js';
import { buildServer } from '../src/serve/http.js';
import { renderTable } from '../src/report/table.js';

const run = promisify(execFile);
const DURATION_S = Number(process.env.SERVE_BENCH_SECONDS ?? 8);
const VERSIONS = [
  ['cartpole', '[40, 20] policy'],
  ['cartpole-x2', '[40, 20] policy, --num-replicas 2'],
  ['handler', 'handler module'],
  ['batched', 'batched handler'],
];

export async function benchServe(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-bench-serve-'));
  const config = resolvePPOConfig([{ source: 'bench', config: { env: 'CartPole-v1', num_workers: 0, train_batch_size: 400, sgd_minibatch_size: 200, num_sgd_iter: 1, model: { fcnet_hiddens: [40, 20] }, seed: 1 } }]);
  const trainer = await PPOTrainer.create(config);
  await trainer.train();
  const checkpoint = await trainer.save(dir);
  await trainer.stop();
  const handler = path.join(dir, 'handler.mjs');
  writeFileSync(handler, 'export default async (body) => ({ sum: body.observation.reduce((a, b) => a + b, 0) });\n');
  const batched = path.join(dir, 'batched.mjs');
  writeFileSync(batched, 'export const batch = { maxBatchSize: 64, batchWaitMs: 0 };\nexport default async (bodies) => bodies.map((body) => ({ sum: body.observation.reduce((a, b) => a + b, 0) }));\n');
  const router = await serve({
    deployments: [
      { name: 'cartpole', versions: [{ checkpoint }] },
      { name: 'cartpole-x2', versions: [{ checkpoint }], numReplicas: 2 },
      { name: 'handler', versions: [{ module: handler }] },
      { name: 'batched', versions: [{ module: batched }] },
    ],
  });
  const app = buildServer(router);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const autocannon = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');
  const rows: string[][] = [];
  try {
    for (const [deployment, what] of VERSIONS) {
      for (const connections of [1, 16, 64]) {
        const { stdout } = await run(process.execPath, [
          autocannon, '--json', '-c', String(connections), '-d', String(DURATION_S), '-m', 'POST',
          '-H', 'content-type=application/json', '-b', JSON.stringify({ observation: [0.01, -0.02, 0.03, 0.04] }), `${address}/${deployment}`,
        ], { maxBuffer: 64 * 1024 * 1024 });
        const r = JSON.parse(stdout) as { requests: { average: number; p50: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
        rows.push([what, String(connections), Math.round(r.requests.average).toLocaleString('en-US'), `${r.latency.p50} ms`, `${r.latency.p99} ms`, String(r.non2xx + r.errors)]);
      }
    }
  } finally {
    await app.close();
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`rl serve, CartPole observations, autocannon ${DURATION_S} s per row, loopback (autocannon reports the mean over 1-second samples)\n`);
  process.stdout.write(`${renderTable(['version', 'connections', 'requests/s', 'p50 latency', 'p99 latency', 'errors'], rows, ['left', 'right', 'right', 'right', 'right', 'right'])}\n`);
}
