// The cluster's overheads, on one machine: a redis-server and two `rl worker` processes (each
// offering half the cores) against this process's threads. `npm run bench -- cluster`;
// CLUSTER_BENCH_SMOKE=1 shortens every part (a check that it runs, not figures).
//  - round trip of one tiny sampling task through Redis and BullMQ vs a piscina thread (median, p99 ms);
//  - the book's 20 sampling rounds (8 rollout workers x 500 steps, [40, 20]) on the 2 worker processes vs local threads;
//  - the book's 16-trial grid (configs/tune-cartpole-grid.json) on the 2 worker processes vs local threads.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseAddress } from '../src/cluster/address.js';
import { RemoteSampler } from '../src/cluster/remote_sampler.js';
import { RemoteTrialLauncher } from '../src/cluster/remote_trials.js';
import { ThreadPoolSampler, type Sampler, type WorkerBaseConfig } from '../src/execution/worker_pool.js';
import { RolloutWorker } from '../src/execution/rollout_worker.js';
import { initialWeights } from '../src/policy/model.js';
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import { Random } from '../src/utils/random.js';
import { loadTuneExperiment } from '../src/tune/experiment.js';
import { runTune } from '../src/tune/runner.js';
import { renderTable } from '../src/report/table.js';
import { median } from './stats.js';
import { redisServerPath, startRedis, startWorker } from '../test/cluster/processes.js';
import { existsSync } from 'node:fs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const smoke = process.env.CLUSTER_BENCH_SMOKE === '1';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function workerConfig(fragmentLength: number, hiddens: number[]): WorkerBaseConfig {
  return {
    env: 'CartPole-v1',
    envConfig: {},
    numEnvs: 1,
    fragmentLength,
    batchMode: 'truncate_episodes',
    horizon: null,
    clipActions: true,
    observationFilter: 'NoFilter',
    algorithm: 'PPO',
    policyConfig: resolvePPOConfig([{ source: 'bench', config: { env: 'CartPole-v1', model: { fcnet_hiddens: hiddens } } }]) as unknown as Record<string, unknown>,
    seed: 0,
  };
}

/** Seconds of each sample() call. */
async function timeRounds(sampler: Sampler, weights: Float32Array, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await sampler.sample(weights, null);
    times.push(performance.now() - start);
  }
  return times;
}

export async function benchCluster(): Promise<void> {
  if (!existsSync(redisServerPath)) {
    process.stdout.write(`cluster: skipped: no redis-server at ${redisServerPath} (apt-get install -y redis-server)\n`);
    return;
  }
  const redis = await startRedis();
  const perNode = Math.max(1, Math.floor(os.availableParallelism() / 2));
  const workers = [startWorker(redis.address, perNode), startWorker(redis.address, perNode)];
  const address = parseAddress(redis.address);
  try {
    await Promise.all(workers.map((w) => w.ready));
    const rows: string[][] = [];

    // one tiny task: what Redis and BullMQ add to a piscina call
    const tiny = workerConfig(1, [8]);
    const { layout: tinyLayout } = await RolloutWorker.create({ ...tiny, workerIndex: 0 });
    const tinyWeights = initialWeights(tinyLayout, new Random(0));
    const calls = smoke ? 20 : 300;
    for (const [label, sampler] of [
      ['one sampling task, local thread', new ThreadPoolSampler(1, tiny)],
      ['one sampling task, through Redis', await RemoteSampler.create(address, 1, tiny)],
    ] as const) {
      const times = (await timeRounds(sampler, tinyWeights, calls)).slice(5); // after warm-up
      rows.push([label, `${median(times).toFixed(2)} ms`, `${percentile(times, 99).toFixed(2)} ms`]);
      await sampler.close();
    }

    // the book's sampling rounds: 8 workers x 500 steps, [40, 20]
    const book = workerConfig(500, [40, 20]);
    const { layout } = await RolloutWorker.create({ ...book, workerIndex: 0 });
    const weights = initialWeights(layout, new Random(0));
    const rounds = smoke ? 2 : 20;
    for (const [label, sampler] of [
      [`book's ${rounds} sampling rounds (8 x 500 steps), local threads`, new ThreadPoolSampler(8, book)],
      [`book's ${rounds} sampling rounds (8 x 500 steps), 2 worker processes`, await RemoteSampler.create(address, 8, book)],
    ] as const) {
      await sampler.sample(weights, null); // warm-up: threads, weights cache
      const times = await timeRounds(sampler, weights, rounds);
      rows.push([label, `${(times.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s in all`, `${median(times).toFixed(1)} ms a round`]);
      await sampler.close();
    }

    // the 16-trial grid
    const experiment = loadTuneExperiment(path.join(root, 'configs', 'tune-cartpole-grid.json'));
    if (smoke) experiment.stop = { training_iteration: 1 };
    const localDir = mkdtempSync(path.join(os.tmpdir(), 'rl-bench-cluster-'));
    const local = await runTune({ ...experiment, name: 'threads', local_dir: localDir });
    rows.push([`${local.trials.length}-trial grid, this machine's threads`, `${local.wallTimeS.toFixed(1)} s`, '']);
    const cluster = await RemoteTrialLauncher.open(address);
    try {
      const remote = await runTune({ ...experiment, name: 'cluster', local_dir: localDir }, { launcher: cluster.launcher, cpus: cluster.cpus, maxTrialCpus: cluster.maxTrialCpus });
      rows.push([`${remote.trials.length}-trial grid, 2 worker processes`, `${remote.wallTimeS.toFixed(1)} s`, '']);
    } finally {
      await cluster.launcher.close();
    }
    process.stdout.write(`cluster (${smoke ? 'SMOKE RUN, not figures; ' : ''}2 rl worker processes of ${perNode} CPUs on this machine, Redis on loopback)\n`);
    process.stdout.write(`${renderTable(['', 'median / total', 'p99 / per round'], rows)}\n`);
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await redis.stop();
  }
}
