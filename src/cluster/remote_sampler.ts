// Rollout workers on the cluster's nodes: the same tasks ThreadPoolSampler gives its piscina
// threads (a rollout worker's config and state travel with each), queued as BullMQ jobs. The
// weights go to Redis once per round under a key the jobs name, not once per task. A node killed
// mid-fragment loses its job's lock; BullMQ puts the job back and another node samples the
// fragment again from the same state, so the round comes out the same.
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ClusterAddress } from './address.js';
import { redisClient } from './connection.js';
import { decode, encode, encodeText } from './codec.js';
import { SAMPLE_QUEUE } from './keys.js';
import { REPLY_TTL_S, type SampleJob } from './sample_job.js';
import type { Sampler, WorkerBaseConfig } from '../execution/worker_pool.js';
import type { SampleResult, WorkerState } from '../execution/rollout_worker.js';
import type { SampleReply, SampleTask } from '../execution/worker_thread.js';
import type { FilterState } from '../policy/filter.js';
import type { Exploration } from '../execution/exploration.js';
import { WorkerStates } from '../execution/worker_states.js';
import { UserError } from '../utils/errors.js';

/** A crash of the node's thread (not a node's death, which BullMQ's stalled check handles) is retried this many times in all. */
const ATTEMPTS = 3;

export class RemoteSampler implements Sampler {
  private readonly key = randomUUID();
  private readonly states: WorkerStates;
  private round = 0;

  private constructor(
    readonly numWorkers: number,
    private readonly config: WorkerBaseConfig,
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly eventsConnection: Redis,
  ) {
    this.states = new WorkerStates(numWorkers);
  }

  static async create(address: ClusterAddress, numWorkers: number, config: WorkerBaseConfig): Promise<RemoteSampler> {
    const redis = redisClient(address);
    const eventsConnection = redisClient(address);
    const events = new QueueEvents(SAMPLE_QUEUE, { connection: eventsConnection });
    await events.waitUntilReady();
    const queue = new Queue(SAMPLE_QUEUE, { connection: redis });
    // a lost connection is reported once, by watchRedis
    queue.on('error', () => {});
    events.on('error', () => {});
    return new RemoteSampler(numWorkers, config, redis, queue, events, eventsConnection);
  }

  private weightsKey(round: number): string {
    return `rl:sampler:${this.key}:weights:${round}`;
  }

  async sample(weights: Float32Array, filter: FilterState | null, exploration: Exploration = { type: 'stochastic' }): Promise<SampleResult[]> {
    const round = ++this.round;
    await this.redis.multi().set(this.weightsKey(round), encode(weights), 'EX', REPLY_TTL_S).del(this.weightsKey(round - 1)).exec();
    const results = await Promise.all(Array.from({ length: this.numWorkers }, (_, workerIndex) => this.sampleOne(round, workerIndex, filter, exploration)));
    this.states.record(results);
    return results;
  }

  private async sampleOne(round: number, workerIndex: number, filter: FilterState | null, exploration: Exploration): Promise<SampleResult> {
    const task: Omit<SampleTask, 'weights'> = { key: this.key, config: { ...this.config, workerIndex }, filter, exploration, state: this.states.of(workerIndex) };
    const jobId = `${this.key}.${round}.${workerIndex}`;
    const data: SampleJob = { label: `worker ${workerIndex} round ${round}`, task: encodeText(task), weightsKey: this.weightsKey(round), replyKey: `rl:sampler:${jobId}:reply` };
    // Finished jobs are kept a while, not removed at once: waitUntilFinished polls the job once after
    // subscribing, and a job already removed then reads as "Missing key" (a failure).
    const keep = { age: REPLY_TTL_S };
    const job = await this.queue.add('sample', data, { jobId, attempts: ATTEMPTS, removeOnComplete: keep, removeOnFail: keep });
    await job.waitUntilFinished(this.events);
    const bytes = await this.redis.getBuffer(data.replyKey);
    await this.redis.del(data.replyKey);
    if (!bytes) throw new Error(`the reply of rollout worker ${workerIndex} is gone from Redis`);
    const reply = decode<SampleReply>(bytes);
    if ('userError' in reply) throw new UserError(reply.userError);
    return reply;
  }

  getStates(): (WorkerState | null)[] {
    return this.states.all();
  }
  setStates(states: (WorkerState | null)[]): void {
    this.states.load(states);
  }
  async close(): Promise<void> {
    await this.redis.del(this.weightsKey(this.round));
    await Promise.all([this.queue.close(), this.events.close()]);
    this.redis.disconnect();
    this.eventsConnection.disconnect(); // BullMQ leaves connections it was given open
  }
}
