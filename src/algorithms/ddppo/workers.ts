// The driver's side of DD-PPO's worker threads: long-lived node:worker_threads (stateful, sharing
// an all-reduce's memory: src/sgd's pattern, not a piscina pool of interchangeable threads). It is
// the Trainer's Sampler too, so the shared machinery counts episodes, merges the observation
// filter and saves the workers' env states as it does for PPO's rollout workers.
import { WorkerStates } from '../../execution/worker_states.js';
import type { Sampler, WorkerBaseConfig } from '../../execution/worker_pool.js';
import type { SampleResult, WorkerState } from '../../execution/rollout_worker.js';
import type { Exploration } from '../../execution/exploration.js';
import type { FilterState } from '../../policy/filter.js';
import { allocateAllReduce } from '../../sgd/allreduce.js';
import { RequestThread } from '../../sgd/request_thread.js';
import { UserError } from '../../utils/errors.js';
import type { PPOModelLayout } from '../ppo/model.js';
import type { DDPPOConfig } from './defaults.js';
import type { LearnReply, WorkerRequest } from './worker_thread.js';

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** One worker thread; worker 0 reports its SGD progress. */
type WorkerThread = RequestThread<Request, { done: number; total: number }>;

export interface WorkersSetup {
  rollout: WorkerBaseConfig;
  layout: PPOModelLayout;
  numActions: number;
  config: DDPPOConfig;
  weights: Float32Array;
}

export class DDPPOWorkers implements Sampler {
  private readonly states: WorkerStates;
  /** Whether the states go into the workers with their next fragment (a restored checkpoint's); each thread keeps its own otherwise. */
  private loadStates = false;
  private broken: string | null = null;

  private constructor(private readonly threads: WorkerThread[]) {
    this.states = new WorkerStates(threads.length);
  }

  get numWorkers(): number {
    return this.threads.length;
  }

  /** Starts config.num_workers threads, each with a rollout worker and a learner holding these weights. */
  static async start(setup: WorkersSetup): Promise<DDPPOWorkers> {
    const size = setup.config.num_workers;
    const memory = allocateAllReduce(size, setup.weights.length);
    const threads: WorkerThread[] = Array.from({ length: size }, () => new RequestThread(new URL('./worker_thread.js', import.meta.url)));
    for (const thread of threads) thread.memory = memory;
    const workers = new DDPPOWorkers(threads);
    try {
      await workers.all('starting', (rank) => ({
        op: 'init',
        rank,
        rollout: { ...setup.rollout, workerIndex: rank },
        layout: setup.layout,
        numActions: setup.numActions,
        config: setup.config,
        weights: setup.weights,
        memory,
      }));
    } catch (error) {
      await workers.close();
      throw error;
    }
    return workers;
  }

  /** One fragment from every worker, with its own weights (the same on all); the samples stay in the workers. */
  async sample(_weights: Float32Array, filter: FilterState | null, exploration: Exploration = { type: 'stochastic' }): Promise<SampleResult[]> {
    const load = this.loadStates;
    this.loadStates = false;
    const results = (await this.all('sampling', (rank) => ({ op: 'sample', filter, exploration, state: load ? this.states.of(rank) : null }))) as SampleResult[];
    this.states.record(results);
    return results;
  }

  /** Every worker trains on its samples (minibatch gradients all-reduced); worker 0 reports its weights and Adam state. */
  async learn(lr: number, entropyCoeff: number, shuffleSeeds: number[], onProgress: (done: number, total: number) => void): Promise<LearnReply[]> {
    this.threads[0].onProgress = ({ done, total }) => onProgress(done, total);
    try {
      return (await this.all('learning', (rank) => ({ op: 'learn', lr, entropyCoeff, shuffleSeed: shuffleSeeds[rank], reportState: rank === 0 }))) as LearnReply[];
    } finally {
      this.threads[0].onProgress = null;
    }
  }

  /** The same weights (and Adam state) into every worker: a restored checkpoint. */
  async load(weights: Float32Array, optimizer: Float32Array[]): Promise<void> {
    await this.all('restoring', () => ({ op: 'load', weights, optimizer }));
  }

  /** Every worker's weights (identical while the all-reduce works: tests check it). */
  async replicaWeights(): Promise<Float32Array[]> {
    return (await this.all('reading weights', () => ({ op: 'weights' }))) as Float32Array[];
  }

  getStates(): (WorkerState | null)[] {
    return this.states.all();
  }

  setStates(states: (WorkerState | null)[]): void {
    this.states.load(states);
    this.loadStates = true;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }

  /** A request to every worker, in rank order; the first real failure (not the peers it stopped) as one error, after which the workers refuse more. */
  private async all(what: string, make: (rank: number) => Request): Promise<unknown[]> {
    if (this.broken) throw new Error(`the DDPPO workers stopped after an error (${this.broken}); restore the last checkpoint`);
    const replies = await Promise.all(this.threads.map((thread, rank) => thread.call(make(rank))));
    const failed = replies.findIndex((reply) => 'error' in reply);
    if (failed >= 0) {
      const reply = replies[failed] as { error: string; user: boolean };
      const message = `DDPPO worker ${failed} failed in ${what}: ${reply.error}`;
      this.broken = message;
      throw reply.user ? new UserError(message) : new Error(message);
    }
    if (replies.some((reply) => 'peerAborted' in reply)) {
      this.broken = `${what}: a worker stopped waiting for its peers`;
      throw new Error(`DDPPO ${this.broken}, yet none reported an error`);
    }
    return replies.map((reply) => (reply as { ok: unknown }).ok);
  }
}
