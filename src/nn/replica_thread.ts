// A replica's work handed to a worker thread and back with Atomics on a SharedArrayBuffer: a few
// microseconds each way, where a postMessage round trip costs more than a small minibatch step.
// The main thread writes the arguments and bumps REQUEST; the thread runs the work, writes the
// results and sets DONE to the same number. Between requests the thread polls REQUEST for up to
// SPIN_MS, then blocks in Atomics.wait (announced in SLEEPING, so that only then does the caller pay
// for an Atomics.notify), so it costs nothing while the main thread samples. Polling, not blocking,
// between minibatch steps: on this project's 2-vCPU virtual machine a notify that wakes a blocked
// thread cost ~190 us and the woken thread started ~400 us late, about a third of a [256, 256]
// minibatch step; the caller likewise polls DONE for its answer. Until the thread reports READY,
// or after it failed, the caller runs the work itself (the results are the same: only the timing differs).
// On a loaded machine a woken thread may wait milliseconds for a core; when the caller waited
// longer for the thread than its own share took (doing both shares itself would have been
// faster), it does the work itself for the next 1, 2, 4 ... 64 requests before trying again.
import { performance } from 'node:perf_hooks';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { logger } from '../utils/log.js';

const REQUEST = 0;
const DONE = 1;
const READY = 2;
const FAILED = 3;
const STOP = 4;
const SLEEPING = 5;
/** How long the thread polls for the next request before it blocks (a minibatch step's gap is well under it). */
const SPIN_MS = 5;
/** How long the caller polls for an answer before it blocks. */
const WAIT_SPIN_MS = 50;

export interface ReplicaChannel {
  control: SharedArrayBuffer;
  /** Float64 arguments of a request, then its results. */
  slots: SharedArrayBuffer;
  /** Set by ReplicaThread: the thread's end of a port for what does not fit in slots (post() and receive()). */
  port?: MessagePort;
}

export function replicaChannel(slots: number): ReplicaChannel {
  return { control: new SharedArrayBuffer((SLEEPING + 1) * 4), slots: new SharedArrayBuffer(slots * 8) };
}

/** The main thread's side: a worker running `module` with workerData { channel, ...data }. */
export class ReplicaThread {
  readonly slots: Float64Array;
  private readonly control: Int32Array;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private sequence = 0;
  private pending = false;
  /** Requests the thread did (not the ones the caller redid after a failure). */
  completed = 0;
  /** Why the thread failed (its error's message), once the caller knows it did; said once as a warning. */
  failure: string | null = null;
  private startedAt = 0;
  /** Requests left to do without the thread, and how many to skip after the next slow one. */
  private skip = 0;
  private backoff = 1;

  constructor(module: URL, channel: ReplicaChannel, data: Record<string, unknown>) {
    this.control = new Int32Array(channel.control);
    this.slots = new Float64Array(channel.slots);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(module, { workerData: { ...data, channel: { ...channel, port: port2 } }, transferList: [port2] });
    this.worker.unref(); // never keeps the process alive
    this.worker.on('error', (error) => {
      Atomics.store(this.control, FAILED, 1);
      this.fail(error.message);
    });
  }

  /** Whether the thread started and has not failed. */
  get ready(): boolean {
    return Atomics.load(this.control, READY) === 1 && !this.failed;
  }

  /** Whether the thread failed: a request's work threw, or the worker died (its module did not load). */
  get failed(): boolean {
    return Atomics.load(this.control, FAILED) !== 0;
  }

  /** Whether to send the next request to the thread (ready, and not backing off after a slow one); counts down the back-off. */
  take(): boolean {
    if (!this.ready) return false;
    if (this.skip > 0) {
      this.skip -= 1;
      return false;
    }
    return true;
  }

  /**
   * Queues a message (such as a SharedArrayBuffer the next requests use) for the thread's
   * receive(); post it before the start() of the request that reads it.
   */
  post(message: unknown): void {
    this.port.postMessage(message);
  }

  /** Sends the request in slots (call only when ready). */
  start(): void {
    this.sequence += 1;
    this.pending = true;
    this.startedAt = performance.now();
    Atomics.store(this.control, REQUEST, this.sequence);
    // Seq-cst with the thread's store of SLEEPING and load of REQUEST: one of the two sees the other.
    if (Atomics.load(this.control, SLEEPING) === 1) Atomics.notify(this.control, REQUEST);
  }

  /** Waits for the request; true when the thread did it (results in slots), false when it failed. */
  finish(): boolean {
    if (!this.pending) throw new Error('finish() without start()');
    this.pending = false;
    const waitFrom = performance.now();
    while (Atomics.load(this.control, DONE) !== this.sequence && performance.now() - waitFrom < WAIT_SPIN_MS);
    while (Atomics.load(this.control, DONE) !== this.sequence) Atomics.wait(this.control, DONE, this.sequence - 1);
    const waited = performance.now() - waitFrom;
    if (waited > waitFrom - this.startedAt) {
      this.skip = this.backoff;
      this.backoff = Math.min(64, 2 * this.backoff);
    } else this.backoff = 1;
    if (this.failed) {
      // the thread posted why before it set FAILED, and a posted message is on this port at once
      const posted = receiveMessageOnPort(this.port)?.message as { failure?: string } | undefined;
      this.fail(posted?.failure ?? 'it gave no reason');
      return false;
    }
    this.completed += 1;
    return true;
  }

  private fail(why: string): void {
    if (this.failure !== null) return;
    this.failure = why;
    logger.warn(`a learner thread failed (${why}); the calling thread does its work from now on: the same results, more slowly`);
  }

  /** Ends the thread's loop and the thread. */
  stop(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.store(this.control, REQUEST, this.sequence + 1);
    Atomics.notify(this.control, REQUEST);
    this.port.close();
    void this.worker.terminate();
  }
}

/**
 * The worker's side: runs work() for each request until stopped; a throw marks the thread failed.
 * work's receive() returns the next message the caller post()ed (queued before the request started).
 */
export function serveReplica(channel: ReplicaChannel, work: (slots: Float64Array, receive: () => unknown) => void): void {
  const control = new Int32Array(channel.control);
  const slots = new Float64Array(channel.slots);
  const port = channel.port;
  const receive = (): unknown => {
    // postMessage queues on the receiving port at once, so a message posted before the request is there
    const received = port ? receiveMessageOnPort(port) : undefined;
    if (!received) throw new Error('receive(): no message was posted before this request');
    return received.message;
  };
  let seen = Atomics.load(control, REQUEST);
  Atomics.store(control, READY, 1);
  for (;;) {
    const idleFrom = performance.now();
    while (Atomics.load(control, REQUEST) === seen && performance.now() - idleFrom < SPIN_MS);
    if (Atomics.load(control, REQUEST) === seen) {
      Atomics.store(control, SLEEPING, 1);
      Atomics.wait(control, REQUEST, seen); // returns at once if a request came after SLEEPING was set
      Atomics.store(control, SLEEPING, 0);
    }
    const request = Atomics.load(control, REQUEST);
    if (Atomics.load(control, STOP) === 1) return;
    if (request === seen) continue;
    seen = request;
    try {
      work(slots, receive);
    } catch (error) {
      port?.postMessage({ failure: error instanceof Error ? error.message : String(error) });
      Atomics.store(control, FAILED, 1);
    }
    Atomics.store(control, DONE, seen);
    Atomics.notify(control, DONE);
  }
}
