// SGDTrainer: Ray SGD's TorchTrainer/TFTrainer for TF.js (Ray 1.x ray.util.sgd). numWorkers
// worker threads each hold a replica of the module's model and a shard of its data; train() runs
// one epoch on all of them with gradients averaged by an all-reduce over shared memory, and
// returns the stats over all workers (num_samples summed), as Ray's train() does.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadCheckpoint } from '../checkpoint/index.js';
import { displayPath } from '../checkpoint/format.js';
import { UserError } from '../utils/errors.js';
import { logger } from '../utils/log.js';
import { entropySeed } from '../utils/random.js';
import type { BackendChoice } from '../utils/tensor_backend.js';
import { allocateAllReduce, resetAllReduce, type AllReduceMemory } from './allreduce.js';
import { allocateSharedKernel } from './shared_kernel.js';
import { RequestThread } from './request_thread.js';
import { loadTrainingModule, moduleRecord, type SGDConfig, type TrainingCreators } from './module.js';
import type { PassSums, ReplicaInfo } from './replica.js';
import type { ReplicaReply, ReplicaRequest } from './replica_ops.js';
import type { Replica } from './replica.js';

/** Ray SGD's default batch size when the config sets none. */
export const DEFAULT_BATCH_SIZE = 32;

export interface SGDTrainerOptions {
  /** Path of the training module (imported in every worker thread). */
  module?: string;
  /** The creators themselves: functions cannot cross to worker threads, so only with numWorkers 1 (run in this thread). */
  creators?: TrainingCreators;
  numWorkers?: number;
  /** Passed to every creator; batch_size is the global batch, split across workers. */
  config?: SGDConfig;
  /** Seeds the shuffling of whole data sets (default: config.seed, else drawn). */
  seed?: number;
  backend?: BackendChoice;
  /** Called on every step of an epoch (worker 0's count; steps is null for iterables). */
  onProgress?: (step: number, steps: number | null) => void;
}

export interface TrainStats {
  epoch: number;
  train_loss: number;
  num_samples: number;
  batch_count: number;
  samples_per_s: number;
  time_this_iter_s: number;
}

export type ValidationStats = { val_loss: number; val_num_samples: number } & Record<`val_${string}`, number>;

type Request = ReplicaRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface ReplicaHandle {
  readonly rank: number;
  call(request: Request): Promise<ReplicaReply>;
  close(): Promise<void>;
}

class ThreadReplica extends RequestThread<Request, { step: number; steps: number | null }> implements ReplicaHandle {
  constructor(
    readonly rank: number,
    onProgress?: (step: number, steps: number | null) => void,
  ) {
    super(new URL('./worker_thread.js', import.meta.url), { reportsProgress: onProgress !== undefined });
    if (onProgress) this.onProgress = ({ step, steps }) => onProgress(step, steps);
  }
}

class LocalReplica implements ReplicaHandle {
  readonly rank = 0;
  private readonly state: { replica: Replica | null } = { replica: null };
  constructor(private readonly onProgress?: (step: number, steps: number | null) => void) {}
  async call(request: Request): Promise<ReplicaReply> {
    // Imported on first use: replica_ops loads tfjs, which `rl` commands other than sgd never need.
    const { runReplicaOp } = await import('./replica_ops.js');
    return runReplicaOp(this.state, { ...request, id: 0 } as ReplicaRequest, this.onProgress);
  }
  async close(): Promise<void> {}
}

export class SGDTrainer {
  epoch = 0;
  samplesTotal = 0;
  timeTotal = 0;
  private broken: string | null = null;

  private constructor(
    private readonly replicas: ReplicaHandle[],
    private readonly memory: AllReduceMemory,
    readonly info: ReplicaInfo,
    readonly config: SGDConfig & { batch_size: number },
    readonly numWorkers: number,
    readonly seed: number,
    /** The module's path (null for in-thread creators). */
    readonly modulePath: string | null,
  ) {}

  static async create(options: SGDTrainerOptions): Promise<SGDTrainer> {
    const numWorkers = options.numWorkers ?? 1;
    if (!(Number.isInteger(numWorkers) && numWorkers >= 1)) throw new UserError(`numWorkers must be a positive integer, got ${numWorkers}`);
    if (numWorkers > os.availableParallelism()) logger.warn(`${numWorkers} workers on ${os.availableParallelism()} CPU cores: they share the cores, so an epoch is no faster than with ${os.availableParallelism()}`);
    const config = { ...(options.config ?? {}) };
    const batchSize = config.batch_size ?? DEFAULT_BATCH_SIZE;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new UserError(`batch_size must be a positive integer (the global batch, split across workers), got ${JSON.stringify(config.batch_size)}`);
    config.batch_size = batchSize;
    const seed = options.seed ?? (typeof config.seed === 'number' ? config.seed : entropySeed());
    let module: string | TrainingCreators;
    if (options.module !== undefined) {
      module = (await loadTrainingModule(options.module)).file; // checks its exports before starting threads
    } else if (options.creators) {
      if (numWorkers !== 1) throw new UserError('creators are functions, which cannot cross to worker threads: put them in a module and pass module: its path');
      module = options.creators;
    } else throw new UserError('SGDTrainer.create needs module (a path) or creators');

    const replicas: ReplicaHandle[] =
      typeof module === 'string'
        ? Array.from({ length: numWorkers }, (_, rank) => new ThreadReplica(rank, rank === 0 ? options.onProgress : undefined))
        : [new LocalReplica(options.onProgress)];
    const closeAll = () => Promise.all(replicas.map((r) => r.close()));
    try {
      const infos = (await collect(
        replicas,
        (rank) => ({ op: 'create', init: { module, config, batchSize, seed, rank, size: numWorkers, backend: options.backend ?? 'auto' } }),
        'starting',
      )) as ReplicaInfo[];
      const { parameters, kernelRegionBytes } = infos[0];
      // on the kernel the gradients are summed in the shared kernel memory: the all-reduce only counts rows
      const memory = allocateAllReduce(numWorkers, kernelRegionBytes === null ? parameters : 0);
      const shared = kernelRegionBytes === null ? null : allocateSharedKernel(parameters, kernelRegionBytes, numWorkers);
      for (const r of replicas) if (r instanceof ThreadReplica) r.memory = memory;
      await collect(replicas, () => ({ op: 'attach', memory, shared }), 'starting');
      await collect(replicas, () => ({ op: 'syncWeights' }), 'starting');
      return new SGDTrainer(replicas, memory, infos[0], config as SGDConfig & { batch_size: number }, numWorkers, seed, typeof module === 'string' ? module : null);
    } catch (error) {
      await closeAll();
      throw error;
    }
  }

  /** One epoch on every worker; the loss is the mean over all examples trained on. */
  async train(): Promise<TrainStats> {
    this.refuseIfBroken();
    const start = performance.now();
    const epoch = this.epoch + 1;
    const sums = await this.run(() => ({ op: 'train', epoch }), `epoch ${epoch}`);
    const total = sumPasses(sums as PassSums[]);
    const seconds = (performance.now() - start) / 1000;
    this.epoch = epoch;
    this.samplesTotal += total.rows;
    this.timeTotal += seconds;
    return {
      epoch,
      train_loss: total.rows > 0 ? total.lossSum / total.rows : NaN,
      num_samples: total.rows,
      batch_count: (sums as PassSums[])[0].steps,
      samples_per_s: total.rows / seconds,
      time_this_iter_s: seconds,
    };
  }

  /** Loss and metrics over the validation set, each worker on its part; null when data() gave none. */
  async validate(): Promise<ValidationStats | null> {
    this.refuseIfBroken();
    const parts = (await this.run(() => ({ op: 'validate' }), 'validation')) as (PassSums | null)[];
    if (parts[0] === null) return null;
    const total = sumPasses(parts as PassSums[]);
    const stats: Record<string, number> = { val_loss: total.lossSum / total.rows, val_num_samples: total.rows };
    this.info.metricNames.forEach((name, i) => (stats[`val_${name}`] = total.metricSums[i] / total.rows));
    return stats as ValidationStats;
  }

  /** Every replica's weights, flattened (they are identical: tests check it). */
  async replicaWeights(): Promise<Float32Array[]> {
    return (await collect(this.replicas, () => ({ op: 'weights' }), 'reading weights')) as Float32Array[];
  }

  /**
   * Writes <root>/checkpoint_<epoch>/checkpoint-<epoch> atomically (temp dir, then rename): the model
   * in the LayersModel format and the optimizer's state. Returns the manifest's path.
   */
  async save(root: string, metrics: Record<string, unknown> = {}): Promise<string> {
    this.refuseIfBroken();
    const manifest = {
      algorithm: 'SGD',
      env: this.modulePath ? displayPath(this.modulePath) : 'creators',
      env_module: null,
      config: { ...this.config, num_workers: this.numWorkers },
      iteration: this.epoch,
      timesteps_total: this.samplesTotal,
      time_total_s: this.timeTotal,
      metrics,
      filter: null,
      state: { epoch: this.epoch, samples_total: this.samplesTotal, time_total_s: this.timeTotal, seed: this.seed, module: this.modulePath ? moduleRecord(this.modulePath) : null },
    };
    const [path] = (await collect([this.replicas[0]], () => ({ op: 'save', request: { root, epoch: this.epoch, manifest } }), 'saving')) as string[];
    return path;
  }

  /** Weights, optimizer state and counters from a checkpoint save() wrote. */
  async load(checkpoint: string): Promise<void> {
    const state = await readSGDCheckpoint(checkpoint);
    if (this.modulePath && state.module && state.module.sha256 !== moduleRecord(this.modulePath).sha256) {
      logger.warn(`${displayPath(this.modulePath)} is not the module ${state.source} was trained with (${state.module.name} had other contents)`);
    }
    await this.run(() => ({ op: 'load', manifestPath: state.manifestPath }), 'loading');
    this.epoch = state.epoch;
    this.samplesTotal = state.samplesTotal;
    this.timeTotal = state.timeTotal;
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.close()));
  }

  /** A request to every worker; a worker's failure stops its peers and is thrown as one error. */
  private async run(make: () => Request, what: string): Promise<unknown[]> {
    try {
      return await collect(this.replicas, make, what);
    } catch (error) {
      resetAllReduce(this.memory); // the survivors left their barriers: the next request starts clean
      if (!(error instanceof UserError)) this.broken = (error as Error).message;
      throw error;
    }
  }

  private refuseIfBroken(): void {
    if (this.broken) throw new Error(`this trainer lost a worker (${this.broken}); create a new one`);
  }
}

/** Sends each replica its request, waits for all, and throws the first real failure (not the peers it stopped). */
async function collect(replicas: ReplicaHandle[], make: (rank: number) => Request, what: string): Promise<unknown[]> {
  const replies = await Promise.all(replicas.map((r) => r.call(make(r.rank))));
  const failed = replies.findIndex((reply) => 'error' in reply);
  if (failed >= 0) {
    const reply = replies[failed] as { error: string; user: boolean };
    // every worker checks the module alike: a problem found on starting is the module's, not a worker's
    const message = what === 'starting' ? reply.error : `${replicas.length > 1 ? `worker ${failed} failed in ${what}` : `${what} failed`}: ${reply.error}`;
    throw reply.user ? new UserError(message) : new Error(message);
  }
  if (replies.some((reply) => 'peerAborted' in reply)) throw new Error(`${what}: a worker stopped waiting for its peers, yet none reported an error`);
  return replies.map((reply) => (reply as { ok: unknown }).ok);
}

function sumPasses(parts: PassSums[]): PassSums {
  return parts.reduce(
    (a, b) => ({ rows: a.rows + b.rows, steps: Math.max(a.steps, b.steps), lossSum: a.lossSum + b.lossSum, metricSums: b.metricSums.map((v, i) => (a.metricSums[i] ?? 0) + v) }),
    { rows: 0, steps: 0, lossSum: 0, metricSums: [] },
  );
}

export interface SGDCheckpointState {
  manifestPath: string;
  source: string;
  config: SGDConfig;
  epoch: number;
  samplesTotal: number;
  timeTotal: number;
  seed: number;
  module: { name: string; sha256: string } | null;
}

/** Reads and checks an SGD checkpoint's manifest (never imports anything it names). */
export async function readSGDCheckpoint(checkpoint: string): Promise<SGDCheckpointState> {
  const loaded = await loadCheckpoint(checkpoint);
  const source = displayPath(loaded.manifestPath);
  const { manifest } = loaded;
  if (manifest.algorithm !== 'SGD') throw new UserError(`${source} was written by rl train (${manifest.algorithm}), not rl sgd`);
  const s = manifest.state as Record<string, unknown>;
  const count = (key: string) => {
    const v = s[key];
    if (typeof v !== 'number' || !(v >= 0)) throw new UserError(`${source} is damaged: its state has no valid '${key}'`);
    return v;
  };
  const module = s.module as SGDCheckpointState['module'];
  return {
    manifestPath: loaded.manifestPath,
    source,
    config: manifest.config as SGDConfig,
    epoch: count('epoch'),
    samplesTotal: count('samples_total'),
    timeTotal: count('time_total_s'),
    seed: count('seed'),
    module: module && typeof module.sha256 === 'string' ? module : null,
  };
}
