// Ray Serve's num_replicas: a version served by N worker threads (replica_thread.ts), each of which
// loads the version itself, so serving uses N cores. Requests wait in the pool's queue; a replica
// takes the next batch from it when it has answered its last one (one batch in flight per
// replica, as Ray Serve's replicas take max_concurrent_queries), and an idle replica gets its
// share of what is queued, so N replicas split a burst. A replica that dies (process.exit, an
// uncaught error in its thread) is started again: the requests it was answering fail with a
// VersionError (500) naming the crash; those still queued go to the other replicas.
import { Worker } from 'node:worker_threads';
import { UserError, errorMessage } from '../utils/errors.js';
import { logger } from '../utils/log.js';
import type { BatchSettings } from './batcher.js';
import { RequestError } from './errors.js';
import type { LoadedVersion, ServedVersion, VersionKind, VersionSpec } from './version.js';

/** What a replica thread is started with. */
export interface ReplicaSetup {
  spec: VersionSpec;
  deployment: string;
  defaults: BatchSettings;
  seed: number;
}

export type ItemResult = { value: unknown } | { error: string; status?: number };

export type ReplicaRequest = { type: 'batch'; id: number; bodies: unknown[] } | { type: 'reconfigure'; id: number; userConfig: unknown };

export type ReplicaReply =
  | { type: 'ready'; name: string; kind: VersionKind; observationSize?: number; source: string; reconfigurable: boolean }
  | { type: 'failed'; message: string; userError: boolean }
  | { type: 'answers'; id: number; results: ItemResult[] }
  | { type: 'reconfigured'; id: number; error?: string };

type Ready = Extract<ReplicaReply, { type: 'ready' }>;

interface Queued {
  body: unknown;
  resolve: (answer: unknown) => void;
  reject: (error: unknown) => void;
}

interface Replica {
  index: number;
  worker: Worker;
  /** What ended its thread, if it threw. */
  error?: unknown;
  /** The batch it is answering, if any. */
  inFlight: { id: number; items: Queued[] } | null;
  /** reconfigure() calls it has not answered. */
  reconfiguring: Map<number, { resolve: () => void; reject: (error: unknown) => void }>;
}

/** Replica seeds differ (each explores with its own stream); replica 0 has the version's own seed. */
const REPLICA_SEED_STRIDE = 1_000_003;
/** A replica that dies before it is ready is started again after this, doubled each time, up to RESTART_MAX_MS. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 10_000;

export class ReplicaPool implements ServedVersion {
  readonly kind: VersionKind;
  reconfigure?: (userConfig: unknown) => Promise<void>;
  private readonly replicas: (Replica | null)[];
  private queue: Queued[] = [];
  private nextId = 1;
  private drainScheduled = false;
  private closed = false;
  private restarts = 0;
  /** Where drain() starts looking, so that light traffic reaches every replica in turn. */
  private nextReplica = 0;
  private failedStarts = 0;
  /** The last user_config given, passed to replicas started later. */
  private spec: VersionSpec;

  private constructor(
    private readonly setup: ReplicaSetup,
    private readonly size: number,
    first: Ready,
    /** `version 'x' of deployment 'y'`, for messages. */
    private readonly where: string,
  ) {
    this.kind = first.kind;
    this.spec = setup.spec;
    this.replicas = Array.from({ length: size }, () => null);
    if (first.reconfigurable) this.reconfigure = (userConfig) => this.reconfigureAll(userConfig);
  }

  /** Starts `size` replicas and resolves once all have loaded the version; a load that fails rejects (a UserError when the spec is at fault). */
  static async start(setup: ReplicaSetup, size: number): Promise<LoadedVersion> {
    const workers = Array.from({ length: size }, (_, index) => startThread(setup, index));
    const settled = await Promise.allSettled(workers.map(({ ready }) => ready));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
      throw failed.reason;
    }
    const first = (settled[0] as PromiseFulfilledResult<Ready>).value;
    const pool = new ReplicaPool(setup, size, first, `version '${first.name}' of deployment '${setup.deployment}'`);
    workers.forEach(({ worker }, index) => pool.adopt(worker, index));
    return { name: setup.spec.name ?? first.name, served: pool, observationSize: first.observationSize, source: first.source };
  }

  handle(body: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`${this.where} is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ body, resolve, reject });
      // On the next turn, so that the requests that arrive together are shared out together.
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        setImmediate(() => {
          this.drainScheduled = false;
          this.drain();
        });
      }
    });
  }

  handleBatch(bodies: unknown[]): Promise<unknown[]> {
    return Promise.all(bodies.map((body) => this.handle(body)));
  }

  /** How many replicas are answering, and how many were started again after dying. */
  status(): { replicas: number; ready: number; restarts: number } {
    return { replicas: this.size, ready: this.replicas.filter((r) => r !== null).length, restarts: this.restarts };
  }

  async close(): Promise<void> {
    this.closed = true;
    const gone = new Error(`${this.where} is closed`);
    for (const q of this.queue.splice(0)) q.reject(gone);
    await Promise.all(this.replicas.map((r) => r?.worker.terminate()));
  }

  private adopt(worker: Worker, index: number): void {
    const replica: Replica = { index, worker, inFlight: null, reconfiguring: new Map() };
    this.replicas[index] = replica;
    worker.on('message', (reply: ReplicaReply) => this.onReply(replica, reply));
    worker.on('error', (error) => (replica.error ??= error));
    worker.on('exit', (code) => this.onExit(replica, code));
    // A thread that ended between its 'ready' and now (threadId is -1 once it has exited) missed the listener above.
    if (worker.threadId === -1) this.onExit(replica, worker.threadId);
    else this.drain();
  }

  private onReply(replica: Replica, reply: ReplicaReply): void {
    if (reply.type === 'answers' && replica.inFlight?.id === reply.id) {
      const { items } = replica.inFlight;
      replica.inFlight = null;
      reply.results.forEach((result, i) => {
        if ('value' in result) items[i].resolve(result.value);
        else items[i].reject(result.status !== undefined ? new RequestError(result.status, result.error) : new Error(result.error));
      });
      this.drain();
    } else if (reply.type === 'reconfigured') {
      const waiting = replica.reconfiguring.get(reply.id);
      replica.reconfiguring.delete(reply.id);
      if (reply.error === undefined) waiting?.resolve();
      else waiting?.reject(new Error(reply.error));
    }
  }

  private onExit(replica: Replica, code: number): void {
    if (this.replicas[replica.index] !== replica) return;
    this.replicas[replica.index] = null;
    if (this.closed) return;
    const crash = new Error(`its replica ${replica.index} stopped (exit code ${code}) while answering this request; the replica is being restarted`);
    for (const item of replica.inFlight?.items ?? []) item.reject(crash);
    for (const waiting of replica.reconfiguring.values()) waiting.reject(crash);
    logger.warn(`${this.where}: replica ${replica.index} stopped (exit code ${code}${replica.error !== undefined ? `: ${errorMessage(replica.error)}` : ''}); starting it again`);
    this.restarts++;
    this.restart(replica.index);
    this.drain();
  }

  private restart(index: number): void {
    const delay = this.failedStarts === 0 ? 0 : Math.min(RESTART_FIRST_MS * 2 ** (this.failedStarts - 1), RESTART_MAX_MS);
    setTimeout(() => {
      if (this.closed) return;
      const { worker, ready } = startThread({ ...this.setup, spec: this.spec }, index);
      ready.then(
        () => {
          this.failedStarts = 0;
          if (this.closed) void worker.terminate();
          else this.adopt(worker, index);
        },
        (error: unknown) => {
          this.failedStarts++;
          logger.warn(`${this.where}: replica ${index} could not start again (${errorMessage(error)}); retrying`);
          void worker.terminate();
          if (!this.closed) this.restart(index);
        },
      );
    }, delay);
  }

  /** Hands queued requests to idle replicas, each its share (at most the batch size), in turn from the one after the last used. */
  private drain(): void {
    const after = (r: Replica) => (r.index - this.nextReplica + this.size) % this.size;
    const idle = this.replicas.filter((r): r is Replica => r !== null && r.inFlight === null).sort((a, b) => after(a) - after(b));
    for (let i = 0; i < idle.length && this.queue.length > 0; i++) {
      const share = Math.min(this.setup.defaults.maxBatchSize, Math.ceil(this.queue.length / (idle.length - i)));
      const items = this.queue.splice(0, share);
      const replica = idle[i];
      replica.inFlight = { id: this.nextId++, items };
      replica.worker.postMessage({ type: 'batch', id: replica.inFlight.id, bodies: items.map((q) => q.body) } satisfies ReplicaRequest);
      this.nextReplica = (replica.index + 1) % this.size;
    }
  }

  private async reconfigureAll(userConfig: unknown): Promise<void> {
    const live = this.replicas.filter((r): r is Replica => r !== null);
    await Promise.all(
      live.map(
        (replica) =>
          new Promise<void>((resolve, reject) => {
            const id = this.nextId++;
            replica.reconfiguring.set(id, { resolve, reject });
            replica.worker.postMessage({ type: 'reconfigure', id, userConfig } satisfies ReplicaRequest);
          }),
      ),
    );
    this.spec = { ...this.spec, userConfig } as VersionSpec;
  }
}

/** A replica thread and a promise of its 'ready' message (rejected with its load error, or if it exits first). */
function startThread(setup: ReplicaSetup, index: number): { worker: Worker; ready: Promise<Ready> } {
  const worker = new Worker(new URL('./replica_thread.js', import.meta.url), {
    workerData: { ...setup, seed: setup.seed + REPLICA_SEED_STRIDE * index } satisfies ReplicaSetup,
  });
  const ready = new Promise<Ready>((resolve, reject) => {
    const onMessage = (reply: ReplicaReply) => {
      if (reply.type === 'ready') resolve(reply);
      else if (reply.type === 'failed') reject(reply.userError ? new UserError(reply.message) : new Error(reply.message));
      else return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      worker.off('error', onError);
    };
    let firstError: unknown = null;
    const onError = (error: unknown) => (firstError ??= error);
    const onExit = (code: number) => reject(new Error(`replica ${index} of deployment '${setup.deployment}' stopped while loading (exit code ${code}${firstError ? `: ${errorMessage(firstError)}` : ''})`));
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.on('error', onError);
  });
  return { worker, ready };
}
