// A node's side of rollout sampling: a job is a piscina task of src/execution's worker pool (the
// rollout worker's config and state travel with it), run on this node's threads. The weights are
// not in the job: the driver stores them once per iteration under a key the job names, and each
// node fetches them once and keeps the latest few.
import { Piscina } from 'piscina';
import type { Job } from 'bullmq';
import type { ClusterAddress } from './address.js';
import { redisClient } from './connection.js';
import { modulesOf, refusedModule } from './modules.js';
import { decode, decodeText, encode } from './codec.js';

/** A sampling job's data: the pool's task without its weights (encoded), where the weights are, and where the reply goes. */
export interface SampleJob {
  label: string;
  task: string;
  weightsKey: string;
  /** The reply (a SampleReply, encoded) is stored here rather than as the job's return value, which BullMQ copies into its event stream. */
  replyKey: string;
}

export const REPLY_TTL_S = 600;

const WEIGHTS_KEPT = 4;

export function createSampleProcessor(address: ClusterAddress, threads: number, node: { id: string; modules: string[] }) {
  const redis = redisClient(address);
  let pool: Piscina | null = null;
  const weights = new Map<string, Promise<unknown>>();
  const weightsFor = (key: string): Promise<unknown> => {
    let found = weights.get(key);
    if (!found) {
      found = redis.getBuffer(key).then((bytes) => {
        if (!bytes) throw new Error(`weights ${key} are gone from Redis (the driver stopped?)`);
        return decode(bytes);
      });
      found.catch(() => weights.delete(key));
      weights.set(key, found);
      while (weights.size > WEIGHTS_KEPT) weights.delete(weights.keys().next().value!);
    }
    return found;
  };
  return {
    async process(job: Job<SampleJob>): Promise<'ok'> {
      const task = decodeText<{ config: Record<string, unknown>; weights?: unknown }>(job.data.task);
      const refused = refusedModule(modulesOf(null, task.config), node.modules, node.id);
      let reply: unknown = { userError: refused };
      if (!refused) {
        pool ??= new Piscina({ filename: new URL('../execution/worker_thread.js', import.meta.url).href, minThreads: 1, maxThreads: threads, idleTimeout: 60_000 });
        task.weights = await weightsFor(job.data.weightsKey);
        reply = await pool.run(task);
      }
      await redis.set(job.data.replyKey, encode(reply), 'EX', REPLY_TTL_S);
      return 'ok';
    },
    async close(): Promise<void> {
      await pool?.destroy();
      redis.disconnect();
    },
  };
}
