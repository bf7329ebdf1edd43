// rl worker registers a node (heartbeat key with its CPUs and running tasks); rl status prints it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rl } from '../helpers.js';
import { hasRedis, startRedis, startWorker, waitFor, type TestRedis, type TestWorker } from './redis.js';

if (hasRedis('rl status')) {
  describe('rl worker and rl status', () => {
    let redis: TestRedis;
    let worker: TestWorker;
    beforeAll(async () => {
      redis = await startRedis('status-test-pw');
    });
    afterAll(async () => {
      await worker?.kill();
      await redis?.stop();
    });

    test('a node joins with its CPUs, shows in rl status (password masked), and leaves on Ctrl-C', async () => {
      worker = startWorker(redis.address, 3);
      await worker.ready;
      expect(worker.output()).toMatch(/^node \S+ with 3 CPUs joined redis:\/\/:\*\*\*@127\.0\.0\.1:\d+; Ctrl-C to leave\n$/);
      const status = rl(['status'], { RL_ADDRESS: redis.address });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`Cluster redis://:***@127.0.0.1:${redis.port}: 1 node, 0/3 CPUs in use`);
      expect(status.stdout).toMatch(new RegExp(`│ \\S+-${worker.process.pid}-[0-9a-f]{4} +│ \\S+ +│ 0/3 +│ idle `));
      expect(status.stdout + status.stderr + worker.output()).not.toContain('status-test-pw');
      const json = rl(['status', '--json', '--address', redis.address]);
      const nodes = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { pid: number; cpus: number; running: unknown[] });
      expect(nodes).toEqual([expect.objectContaining({ pid: worker.process.pid, cpus: 3, running: [] })]);

      worker.process.kill('SIGINT');
      await waitFor('the worker to exit', () => (worker.process.exitCode !== null ? true : undefined));
      expect(worker.process.exitCode).toBe(0);
      const after = rl(['status', '--address', redis.address]);
      expect(after.stdout).toContain('0 nodes, 0/0 CPUs in use\nno rl worker has joined');
    }, 180_000);
  });
}
