// Ray Serve's @serve.batch: concurrent requests to one version wait in a queue and are answered by
// one call, made when maxBatchSize items are queued or batchWaitMs after the first one (0: on the
// next turn of the event loop, so only requests that are already queued join).
import { UserError } from '../utils/errors.js';

export interface BatchSettings {
  /** Most items (observations, model input rows or request bodies) answered by one call. */
  maxBatchSize: number;
  /** How long the first queued item waits for others to join. */
  batchWaitMs: number;
}

export const DEFAULT_BATCH: BatchSettings = { maxBatchSize: 64, batchWaitMs: 0 };

/** `base` with the settings `override` gives, checked; `where` starts the message of a bad one. */
export function batchSettings(base: BatchSettings, override: Partial<BatchSettings> | undefined, where: string): BatchSettings {
  const maxBatchSize = override?.maxBatchSize ?? base.maxBatchSize;
  const batchWaitMs = override?.batchWaitMs ?? base.batchWaitMs;
  if (!(Number.isInteger(maxBatchSize) && maxBatchSize > 0)) throw new UserError(`${where}: max batch size must be a positive integer, got ${maxBatchSize}`);
  if (!(typeof batchWaitMs === 'number' && batchWaitMs >= 0 && Number.isFinite(batchWaitMs))) throw new UserError(`${where}: batch wait must be a finite number >= 0 ms, got ${batchWaitMs}`);
  return { maxBatchSize, batchWaitMs };
}

interface Queued<T, R> {
  item: T;
  resolve: (answer: R) => void;
  reject: (error: unknown) => void;
}

/** Queues items and answers them with `run(items)`, which returns one answer per item, in order. */
export class Batcher<T, R> {
  private queue: Queued<T, R>[] = [];
  private queuedSize = 0;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;

  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly settings: BatchSettings,
    /** How much of maxBatchSize an item takes (a request carrying 10 observations takes 10). */
    private readonly sizeOf: (item: T) => number = () => 1,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.queuedSize += this.sizeOf(item);
      if (this.queuedSize >= this.settings.maxBatchSize) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.settings.batchWaitMs > 0) this.timer = setTimeout(() => this.flush(), this.settings.batchWaitMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.queuedSize = 0;
    if (batch.length === 0) return;
    const answer = async () => {
      const answers = await this.run(batch.map((q) => q.item));
      if (!Array.isArray(answers) || answers.length !== batch.length) {
        throw new Error(`a batched call given ${batch.length} requests returned ${Array.isArray(answers) ? `${answers.length} answers` : typeof answers}; return an array with one answer per request, in order`);
      }
      batch.forEach((q, i) => q.resolve(answers[i]));
    };
    answer().catch((error: unknown) => {
      for (const q of batch) q.reject(error);
    });
  }
}
