// Several rl serve processes given one --address share their traffic splits through Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers.js';
import { hasRedis, startRedis, waitFor, type TestRedis } from './redis.js';

interface Served {
  child: ChildProcess;
  base: string;
  stderr(): string;
}

const PASSWORD = 'routes-test-pw';

/** An `rl serve` of deployment cp (versions v1 and v2 with the weights given) sharing routes through `address`. */
async function startServe(address: string, weights: [number, number], dir: string): Promise<Served> {
  const deployment = `cp=${path.join(dir, 'v1.mjs')}:${weights[0]},${path.join(dir, 'v2.mjs')}:${weights[1]}`;
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'serve', '--deployment', deployment, '--port', '0', '--address', address], { env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => resolve(d.toString().trim().split('\n')[0]));
    child.once('exit', (code) => reject(new Error(`rl serve exited with ${code}: ${stderr}`)));
  });
  return { child, base, stderr: () => stderr };
}

const routesOf = async (served: Served) => (await fetch(`${served.base}/-/routes`)).json() as Promise<Record<string, Record<string, number>>>;
const versionsAnswering = async (served: Served, n: number) => {
  const answers = await Promise.all(Array.from({ length: n }, () => fetch(`${served.base}/cp`, { method: 'POST', body: '{}' }).then((r) => r.json() as Promise<string>)));
  return new Set(answers);
};

if (hasRedis('rl serve --address')) {
  describe('rl serve --address: routes shared across processes', () => {
    let redis: TestRedis;
    const processes: Served[] = [];
    let dir: string;
    beforeAll(async () => {
      redis = await startRedis(PASSWORD);
      dir = mkdtempSync(path.join(os.tmpdir(), 'rl-shared-routes-'));
      for (const v of ['v1', 'v2']) writeFileSync(path.join(dir, `${v}.mjs`), `export default async () => '${v}';\n`);
    });
    afterAll(async () => {
      for (const p of processes) {
        p.child.kill('SIGTERM');
        await new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)));
      }
      await redis?.stop();
    });

    test('a second process adopts the stored split; PUT /-/routes on either changes both; a PUT without Redis is a 503 and changes nothing', async () => {
      const a = await startServe(redis.address, [1, 0], dir);
      processes.push(a);
      // b is started with another split: it adopts the one a stored
      const b = await startServe(redis.address, [0.5, 0.5], dir);
      processes.push(b);
      expect(await routesOf(b)).toEqual({ cp: { v1: 1, v2: 0 } });
      expect(b.stderr()).toContain(`serving cp at ${b.base}/cp: v1 (weight 1), v2 (weight 0)`);

      const put = await fetch(`${b.base}/-/routes/cp`, { method: 'PUT', body: JSON.stringify({ v2: 1 }) });
      expect(await put.json()).toEqual({ v1: 0, v2: 1 });
      await waitFor("a to apply b's split", async () => ((await routesOf(a)).cp.v2 === 1 ? true : undefined), 20_000);
      expect(await routesOf(a)).toEqual({ cp: { v1: 0, v2: 1 } });
      expect(await versionsAnswering(a, 30)).toEqual(new Set(['v2']));

      // and back, from a: b follows
      await fetch(`${a.base}/-/routes/cp`, { method: 'PUT', body: JSON.stringify({ v1: 3, v2: 1 }) });
      await waitFor("b to apply a's split", async () => ((await routesOf(b)).cp.v1 === 3 ? true : undefined), 20_000);
      // a third process started now adopts the latest split
      const c = await startServe(redis.address, [0, 1], dir);
      processes.push(c);
      expect(await routesOf(c)).toEqual({ cp: { v1: 3, v2: 1 } });

      // Redis gone: serving goes on with the split it has; a change is refused, not made here alone
      await redis.stop();
      const refused = await fetch(`${a.base}/-/routes/cp`, { method: 'PUT', body: JSON.stringify({ v1: 0, v2: 1 }) });
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: string }).error).toBe(`cannot share the new split: Redis at redis://:***@127.0.0.1:${redis.port} does not answer; nothing changed: retry once it is back`);
      expect(await routesOf(a)).toEqual({ cp: { v1: 3, v2: 1 } });
      expect(await versionsAnswering(a, 40)).toEqual(new Set(['v1', 'v2']));
      await waitFor('the lost-Redis warning', () => (a.stderr().includes('lost Redis') ? true : undefined), 20_000);
      expect(a.stderr().match(/lost Redis/g)).toHaveLength(1);
      expect(a.stderr()).toContain(`sharing the traffic splits with every rl serve given redis://:***@127.0.0.1:${redis.port}`);
      for (const p of processes) expect(p.stderr()).not.toContain(PASSWORD);
    }, 120_000);
  });
}
