// `rl worker`: one machine of the cluster. It announces itself in Redis (a heartbeat key that
// expires when the node dies: id, host, CPUs and what it runs since when, for `rl status`) and
// takes jobs from the BullMQ queues: Tune trials (each in a worker thread) and rollout fragments
// (on a piscina pool of its CPUs' threads). A node killed mid-job loses its BullMQ lock; another
// node's stalled-job check puts the job back in the queue and it runs elsewhere.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ClusterAddress } from './address.js';
import { isConnectionError, redisClient } from './connection.js';
import { nodeKey, SAMPLE_QUEUE, TRIAL_QUEUE } from './keys.js';
import { runTrialJob, type TrialJob } from './trial_job.js';
import { createSampleProcessor } from './sample_job.js';
import { logger } from '../utils/log.js';
import { errorMessage } from '../utils/errors.js';

/** What a node says of itself in Redis. */
export interface NodeInfo {
  id: string;
  host: string;
  pid: number;
  cpus: number;
  started: number;
  /** What runs now: one entry per trial or fragment, with the CPUs it holds and since when (ms since epoch). */
  running: { task: string; cpus: number; since: number }[];
}

/** How long a job's lock lasts without renewal: a killed node's jobs run elsewhere this long after (plus the stalled check). */
export const LOCK_DURATION_MS = 10_000;
const STALLED_INTERVAL_MS = 5_000;
/** Failures are counted by the driver (a trial's max_failures), not by BullMQ. */
const MAX_STALLED_COUNT = 1_000;
const HEARTBEAT_MS = 2_000;
export const HEARTBEAT_TTL_S = 10;

export interface ClusterNode {
  readonly info: NodeInfo;
  close(): Promise<void>;
}

/** modules: folders whose JS modules (function trainables, env modules) the node may import. */
export async function startNode(address: ClusterAddress, cpus: number, modules: string[] = []): Promise<ClusterNode> {
  const info: NodeInfo = { id: `${os.hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`, host: os.hostname(), pid: process.pid, cpus, started: Date.now(), running: [] };
  const commands = redisClient(address);
  const heartbeat = () => commands.set(nodeKey(info.id), JSON.stringify(info), 'EX', HEARTBEAT_TTL_S);
  await heartbeat();
  const timer = setInterval(() => void heartbeat().catch((error) => logger.warn(`heartbeat: ${errorMessage(error)}`)), HEARTBEAT_MS);

  const usedCpus = () => info.running.reduce((n, r) => n + r.cpus, 0);
  const track = async <T>(task: string, taskCpus: number, work: () => Promise<T>): Promise<T> => {
    const entry = { task, cpus: taskCpus, since: Date.now() };
    info.running.push(entry);
    void heartbeat().catch(() => {});
    try {
      return await work();
    } finally {
      info.running.splice(info.running.indexOf(entry), 1);
      void heartbeat().catch(() => {});
    }
  };

  const blockingPool: Redis[] = [];
  // BullMQ leaves connections it was given open: close() disconnects them
  const trialConnection = redisClient(address);
  const sampleConnection = redisClient(address);
  const workerOptions = { lockDuration: LOCK_DURATION_MS, stalledInterval: STALLED_INTERVAL_MS, maxStalledCount: MAX_STALLED_COUNT, concurrency: cpus };
  const trials = new Worker(
    TRIAL_QUEUE,
    async (job: Job<TrialJob>, token?: string) => {
      // A trial that does not fit in the CPUs left goes back to the queue for a second, for a node that has them.
      if (usedCpus() + job.data.cpus > cpus) {
        await job.moveToDelayed(Date.now() + 1000, token);
        throw new DelayedError();
      }
      const blocking = blockingPool.pop() ?? redisClient(address);
      try {
        return await track(`trial ${job.data.task.id}`, job.data.cpus, () => runTrialJob(job.data, { id: info.id, modules }, commands, blocking));
      } finally {
        blockingPool.push(blocking);
      }
    },
    { connection: trialConnection, ...workerOptions },
  );
  const sampler = createSampleProcessor(address, cpus, { id: info.id, modules });
  const samples = new Worker(SAMPLE_QUEUE, (job: Job) => track(`sample ${String(job.data.label ?? job.id)}`, 1, () => sampler.process(job)), {
    connection: sampleConnection,
    ...workerOptions,
  });
  for (const worker of [trials, samples]) worker.on('error', (error) => isConnectionError(error) || logger.warn(`${worker.name}: ${errorMessage(error)}`));

  return {
    info,
    close: async () => {
      clearInterval(timer);
      await Promise.all([trials.close(), samples.close()]);
      await sampler.close();
      await commands.del(nodeKey(info.id));
      for (const client of [commands, trialConnection, sampleConnection, ...blockingPool]) client.disconnect();
    },
  };
}
