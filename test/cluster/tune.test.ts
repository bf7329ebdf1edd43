// rl tune --address: trials as BullMQ jobs on two `rl worker` processes, one killed with SIGKILL
// mid-trial. Its trial continues on the other node from its last checkpoint (BullMQ's stalled-job
// recovery), counted as a failure; nothing that finished runs again; every result and checkpoint
// ends up in the driver's local_dir.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAddress } from '../../src/cluster/address.js';
import { RemoteTrialLauncher } from '../../src/cluster/remote_trials.js';
import { runTune, type TrialRecord } from '../../src/tune/runner.js';
import { readNodes } from '../../src/cluster/status.js';
import { clusterStatus } from '../../src/cli/cluster.js';
import { repoRoot, tuneExperiment } from '../helpers.js';
import { hasRedis, startRedis, startWorker, type TestRedis, type TestWorker } from './redis.js';

const trainables = path.join(repoRoot, 'test', 'fixtures', 'trainables');

if (hasRedis('rl tune --address')) {
  describe('rl tune on a cluster', () => {
    let redis: TestRedis;
    const workers: TestWorker[] = [];
    beforeAll(async () => {
      redis = await startRedis('tune-test-pw');
    });
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.kill()));
      await redis?.stop();
    });

    test('a node killed mid-trial: its trial continues elsewhere from its checkpoint, all 4 TERMINATED, none rerun', async () => {
      workers.push(...[0, 1].map(() => startWorker(redis.address, 1, ['--modules', trainables])));
      await Promise.all(workers.map((w) => w.ready));
      const counterDir = mkdtempSync(path.join(os.tmpdir(), 'rl-cluster-counts-'));
      const experiment = tuneExperiment({
        name: 'cluster-kill',
        run: path.join(trainables, 'slow_counter.js'),
        config: { id: { grid_search: [1, 2, 3, 4] }, sleep_ms: 200, counter_dir: counterDir },
        stop: { training_iteration: 12 },
        checkpoint_freq: 2,
        max_failures: 1,
      });
      const { launcher, cpus } = await RemoteTrialLauncher.open(parseAddress(redis.address));
      expect(cpus).toBe(2);
      let killed: { trial: string; node: string; atIteration: number } | null = null;
      let statusAtKill = '';
      const client = redis.client();
      const finishedBeforeKill: string[] = [];
      const outcome = await runTune(experiment, {
        launcher,
        cpus,
        onEvent: (event) => {
          const trial = event.trial;
          if (event.type === 'terminated' && killed === null) finishedBeforeKill.push(trial.id);
          // the first trial past its second checkpoint: kill -9 the node running it
          if (event.type === 'result' && killed === null && trial.iteration >= 5 && trial.node) {
            const victim = workers.find((w) => trial.node!.includes(`-${w.process.pid}-`))!;
            killed = { trial: trial.id, node: trial.node, atIteration: trial.iteration };
            void readNodes(client).then((nodes) => {
              statusAtKill = clusterStatus(nodes, 'test');
              void victim.kill('SIGKILL');
            });
          }
        },
      }).finally(() => {
        client.disconnect();
        return launcher.close();
      });

      expect(killed).not.toBeNull();
      const { trial: killedId, node: deadNode } = killed!;
      expect(outcome.trials.map((t) => t.status)).toEqual(['TERMINATED', 'TERMINATED', 'TERMINATED', 'TERMINATED']);
      const byId = new Map<string, TrialRecord>(outcome.trials.map((t) => [t.id, t]));
      const restarted = byId.get(killedId)!;
      expect(restarted.failures).toBe(1); // max_failures counts the node's death
      expect(restarted.node).not.toBe(deadNode);
      for (const trial of outcome.trials) {
        const runs = readFileSync(path.join(counterDir, `${String(trial.config.id)}.runs`), 'utf8');
        // the killed trial started once and continued once from a checkpoint of its own (2 or 4); every other trial ran once
        if (trial.id === killedId) expect(runs).toMatch(/^start\nfrom [24]\n$/);
        else expect(runs).toBe('start\n');
        expect(trial.failures).toBe(trial.id === killedId ? 1 : 0);
        // the driver's local_dir holds the results, one row per iteration, and the final checkpoint
        const rows = readFileSync(path.join(trial.dir, 'result.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { training_iteration: number; score: number });
        expect(rows.map((r) => r.training_iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        expect(rows.map((r) => r.score)).toEqual(rows.map((r) => Number(trial.config.id) * 100 + r.training_iteration));
        expect(trial.checkpoint).toBe(path.join(trial.dir, 'checkpoint_12', 'state.json'));
        expect(JSON.parse(readFileSync(trial.checkpoint!, 'utf8'))).toMatchObject({ iteration: 12, state: { i: 12 } });
      }
      expect(finishedBeforeKill).not.toContain(killedId);
      // rl status's picture as the node died: two nodes of one CPU, each running one trial, the victim's among them
      expect(statusAtKill).toContain('2 nodes, 2/2 CPUs in use');
      expect(statusAtKill).toMatch(new RegExp(`│ ${deadNode} +│ \\S+ +│ 1/1 +│ trial ${killedId} +│ \\d\\d:\\d\\d:\\d\\d +│ \\d+ s +│`));
    }, 240_000);
  });
}
