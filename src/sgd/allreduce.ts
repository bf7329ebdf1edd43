// Gradient averaging for data-parallel SGD over SharedArrayBuffer memory (the DDP all-reduce,
// without messages): every worker writes its contribution into its own slot, a barrier, each
// worker sums one fixed chunk of every slot in rank order into the result, a barrier, and every
// worker reads the whole result. Each element is summed by one worker in one fixed order, so all
// workers read the same bits and replicas that apply it stay bit-identical.
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** Control words: barrier arrivals, barrier generation, the abort flag; then one sample count per worker. */
const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
const COUNTS = 3;
/** How long one wait sleeps before looking at the abort flag again (ms). */
const WAIT_SLICE_MS = 50;
/**
 * How long a worker polls at a barrier before it blocks (ms), when every worker has a core of its
 * own: a step's imbalance between workers is well under it. A blocked thread's wake-up cost this
 * project's 2-vCPU virtual machine ~150-400 us a barrier (see src/nn/replica_thread.ts), two
 * barriers a step: polling took 2 MNIST workers from 1.24-1.37x one worker to 1.60-1.69x.
 */
const SPIN_MS = 2;

/** What a worker passes to its peers' threads: plain SharedArrayBuffers. */
export interface AllReduceMemory {
  size: number;
  length: number;
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

/** Thrown in a worker waiting at a barrier when another worker gave up (see abort()). */
export class PeerAborted extends Error {
  override readonly name = 'PeerAborted';
  constructor() {
    super('another worker failed');
  }
}

export function allocateAllReduce(size: number, length: number): AllReduceMemory {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`all-reduce size must be a positive integer, got ${size}`);
  return {
    size,
    length,
    control: new SharedArrayBuffer(4 * (COUNTS + size)),
    // size slots and one result, each `length` float32s
    data: new SharedArrayBuffer(4 * length * (size + 1)),
  };
}

export class AllReduce {
  private readonly control: Int32Array;
  /** This worker's slot: write the contribution here (or pass it to sum()). */
  readonly slot: Float32Array;
  /** The reduced values; valid until this worker's next sum(). */
  readonly result: Float32Array;
  private readonly slots: Float32Array[];
  private readonly chunkStart: number;
  private readonly chunkEnd: number;
  /** This worker's chunk of the sums while they are taken (more than two workers). */
  private readonly sums: Float64Array;
  /** How long barrier() polls before it blocks: not at all when workers share cores (a poller takes a peer's core). */
  private readonly spinMs: number;

  constructor(
    readonly memory: AllReduceMemory,
    readonly rank: number,
  ) {
    const { size, length } = memory;
    if (!(Number.isInteger(rank) && rank >= 0 && rank < size)) throw new RangeError(`rank ${rank} is not in [0, ${size})`);
    this.control = new Int32Array(memory.control);
    this.slots = Array.from({ length: size }, (_, r) => new Float32Array(memory.data, 4 * length * r, length));
    this.slot = this.slots[rank];
    this.result = new Float32Array(memory.data, 4 * length * size, length);
    this.chunkStart = Math.floor((rank * length) / size);
    this.chunkEnd = Math.floor(((rank + 1) * length) / size);
    this.sums = new Float64Array(size > 2 ? this.chunkEnd - this.chunkStart : 0);
    this.spinMs = size <= os.availableParallelism() ? SPIN_MS : 0;
  }

  get size(): number {
    return this.memory.size;
  }

  /**
   * Sums every worker's slot element-wise (in rank order) into `result`, and every worker's
   * `count`; returns the total count. All workers must call it the same number of times.
   * between: what each worker does, with the total count, after every worker's contribution is in
   * and before any worker returns (rl sgd's kernel replicas: sum and step their chunk of the weights).
   */
  sum(count: number, contribution?: Float32Array, between?: (totalCount: number) => void): number {
    if (contribution) this.slot.set(contribution);
    Atomics.store(this.control, COUNTS + this.rank, count);
    this.barrier(); // every slot written
    const { slots, result, chunkStart, chunkEnd } = this;
    // in float64, rounded to float32 once; a loop per rank, several times faster than one over
    // ranks inside one over elements (one or two ranks need no float64 copy: the same bits)
    if (slots.length === 1) result.set(this.slot.subarray(chunkStart, chunkEnd), chunkStart);
    else if (slots.length === 2) {
      const [a, b] = slots;
      for (let i = chunkStart; i < chunkEnd; i++) result[i] = a[i] + b[i];
    } else {
      const sums = this.sums;
      sums.set(slots[0].subarray(chunkStart, chunkEnd));
      for (let r = 1; r < slots.length; r++) {
        const slot = slots[r].subarray(chunkStart, chunkEnd);
        for (let i = 0; i < sums.length; i++) sums[i] += slot[i];
      }
      result.set(sums, chunkStart);
    }
    let total = 0;
    for (let r = 0; r < this.size; r++) total += Atomics.load(this.control, COUNTS + r);
    between?.(total);
    this.barrier(); // every chunk reduced (and updated)
    return total;
  }

  /**
   * Replaces values, in place, by their element-wise mean over all workers (each worker's values
   * the same length as the all-reduce); every worker gets the same bits.
   */
  mean(values: Float32Array): void {
    this.sum(0, values);
    const { result, size } = this;
    for (let i = 0; i < values.length; i++) values[i] = result[i] / size;
  }

  /** Rank 0's values into every worker's `result` (the initial weights, a restored state). */
  broadcast(values?: Float32Array): Float32Array {
    if (this.rank === 0) {
      if (!values) throw new RangeError('rank 0 must give the values to broadcast');
      this.slot.set(values);
    } else this.slot.fill(0); // x + 0 === x: the sum is rank 0's values bit for bit
    this.sum(0);
    return this.result;
  }

  /** Waits until every worker arrived; throws PeerAborted once any worker called abort(). */
  barrier(): void {
    const c = this.control;
    if (Atomics.load(c, ABORTED)) throw new PeerAborted();
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.size - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    const spinFrom = performance.now();
    while (Atomics.load(c, GENERATION) === generation && performance.now() - spinFrom < this.spinMs) {
      if (Atomics.load(c, ABORTED)) throw new PeerAborted();
    }
    while (Atomics.load(c, GENERATION) === generation) {
      if (Atomics.load(c, ABORTED)) throw new PeerAborted();
      Atomics.wait(c, GENERATION, generation, WAIT_SLICE_MS);
    }
  }

  /** Tells every worker waiting (or about to wait) at a barrier to give up. */
  abort(): void {
    Atomics.store(this.control, ABORTED, 1);
    Atomics.notify(this.control, GENERATION);
  }
}

/** Clears an aborted all-reduce for the next epoch (call when no worker is inside sum()). */
export function resetAllReduce(memory: AllReduceMemory): void {
  const c = new Int32Array(memory.control);
  Atomics.store(c, ARRIVED, 0);
  Atomics.store(c, ABORTED, 0);
}
