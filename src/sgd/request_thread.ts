// A long-lived, stateful worker thread answering one request at a time, replies matched by id
// (rl sgd's replicas, DD-PPO's workers). A thread that crashes or exits answers every pending
// request with an error and aborts the all-reduce its peers may be waiting in.
import { Worker } from 'node:worker_threads';
import { AllReduce, type AllReduceMemory } from './allreduce.js';

/** Errors come back as values (a thrown error loses its class between threads); peerAborted: a peer failed first. */
export type ThreadReply = { id: number; ok: unknown } | { id: number; error: string; user: boolean; stack?: string } | { id: number; peerAborted: true };

export class RequestThread<Request extends object, Progress = never> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (reply: ThreadReply) => void>();
  private nextId = 0;
  private exited: string | null = null;
  /** The all-reduce this thread's peers wait in, aborted if the thread dies. */
  memory: AllReduceMemory | null = null;
  /** Called with what the thread posts as { progress }. */
  onProgress: ((progress: Progress) => void) | null = null;

  constructor(url: URL, workerData?: unknown) {
    this.worker = new Worker(url, { workerData });
    this.worker.on('message', (message: ThreadReply | { progress: Progress }) => {
      if ('progress' in message) return this.onProgress?.(message.progress);
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
    const fail = (why: string) => {
      this.exited ??= why;
      if (this.memory) new AllReduce(this.memory, 0).abort(); // peers waiting at a barrier for this thread give up
      for (const [id, resolve] of this.pending) resolve({ id, error: `its thread ${why}`, user: false });
      this.pending.clear();
    };
    this.worker.on('error', (error) => fail(`crashed (${error.message})`));
    this.worker.on('exit', (code) => fail(`exited with code ${code}`));
  }

  call(request: Request): Promise<ThreadReply> {
    const id = this.nextId++;
    if (this.exited) return Promise.resolve({ id, error: `its thread ${this.exited}`, user: false });
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...request, id });
    });
  }

  async close(): Promise<void> {
    this.exited ??= 'was shut down';
    await this.worker.terminate();
  }
}
