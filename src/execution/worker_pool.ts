// Where fragments come from: in the main thread (num_workers 0) or from a piscina pool of
// worker threads, one fragment per rollout worker per round.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Piscina } from 'piscina';
import { RolloutWorker, type RolloutWorkerConfig, type SampleResult, type WorkerState } from './rollout_worker.js';
import type { FilterState } from '../policy/filter.js';
import type { Exploration } from './exploration.js';
import type { ClusterAddress } from '../cluster/address.js';
import { logger } from '../utils/log.js';
import { UserError, errorMessage } from '../utils/errors.js';
import type { SampleReply, SampleTask } from './worker_thread.js';
import { WorkerStates } from './worker_states.js';

export type WorkerBaseConfig = Omit<RolloutWorkerConfig, 'workerIndex'>;

export interface Sampler {
  readonly numWorkers: number;
  /** One fragment from every rollout worker, ordered by worker index. */
  sample(weights: Float32Array, filter: FilterState | null, exploration?: Exploration): Promise<SampleResult[]>;
  getStates(): (WorkerState | null)[];
  setStates(states: (WorkerState | null)[]): void;
  close(): Promise<void>;
}

export class LocalSampler implements Sampler {
  readonly numWorkers = 1;
  private constructor(private readonly worker: RolloutWorker) {}

  static async create(config: WorkerBaseConfig): Promise<LocalSampler> {
    return new LocalSampler(await RolloutWorker.create({ ...config, workerIndex: 0 }));
  }

  async sample(weights: Float32Array, filter: FilterState | null, exploration?: Exploration): Promise<SampleResult[]> {
    return [this.worker.sample(weights, filter, exploration)];
  }
  getStates(): (WorkerState | null)[] {
    return [this.worker.getState()];
  }
  setStates(states: (WorkerState | null)[]): void {
    if (states[0]) this.worker.setState(states[0]);
  }
  async close(): Promise<void> {}
}

const MAX_ATTEMPTS = 3;

export class ThreadPoolSampler implements Sampler {
  private readonly pool: Piscina;
  private readonly key = randomUUID();
  private readonly states: WorkerStates;

  constructor(
    readonly numWorkers: number,
    private readonly config: WorkerBaseConfig,
  ) {
    // Threads, not rollout workers: a task carries its worker's state, so num_workers 8 on a
    // 2-core machine runs 8 workers' fragments on 2 threads with the same results, without
    // starting (and holding the memory of) 6 threads that would only take turns on the cores.
    const threads = Math.min(numWorkers, os.availableParallelism());
    this.pool = new Piscina({
      filename: new URL('./worker_thread.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
    });
    this.states = new WorkerStates(numWorkers);
  }

  async sample(weights: Float32Array, filter: FilterState | null, exploration: Exploration = { type: 'stochastic' }): Promise<SampleResult[]> {
    const results = await Promise.all(
      Array.from({ length: this.numWorkers }, (_, workerIndex) => this.sampleOne(workerIndex, weights, filter, exploration)),
    );
    this.states.record(results);
    return results;
  }

  /**
   * A thread that dies is replaced by piscina; its fragment is sampled again from the same state.
   * A user error reported by the worker is thrown here as a UserError, never retried.
   */
  private async sampleOne(workerIndex: number, weights: Float32Array, filter: FilterState | null, exploration: Exploration): Promise<SampleResult> {
    const reply = await this.runWithRetries(workerIndex, weights, filter, exploration);
    if ('userError' in reply) throw new UserError(reply.userError);
    return reply;
  }

  private async runWithRetries(workerIndex: number, weights: Float32Array, filter: FilterState | null, exploration: Exploration): Promise<SampleReply> {
    const task: SampleTask = {
      key: this.key,
      config: { ...this.config, workerIndex },
      weights, // piscina posts a structured clone of the task: the thread never shares the caller's array
      filter,
      exploration,
      state: this.states.of(workerIndex),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.run(task)) as SampleReply;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS) throw error;
        logger.warn(`rollout worker ${workerIndex} crashed (${errorMessage(error)}); replaced it and sampling its fragment again`);
      }
    }
  }

  getStates(): (WorkerState | null)[] {
    return this.states.all();
  }
  setStates(states: (WorkerState | null)[]): void {
    this.states.load(states);
  }
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** address: the rollout workers' tasks go to the nodes of that cluster (src/cluster), the same tasks as the threads'. */
export async function createSampler(numWorkers: number, config: WorkerBaseConfig, address?: ClusterAddress | null): Promise<Sampler> {
  if (numWorkers === 0) return LocalSampler.create(config);
  // Fail fast in this thread on a bad env id or module, before starting threads.
  await RolloutWorker.create({ ...config, workerIndex: 0 });
  if (address) return (await import('../cluster/remote_sampler.js')).RemoteSampler.create(address, numWorkers, config);
  return new ThreadPoolSampler(numWorkers, config);
}
