// Experience replay for off-policy algorithms (DQN, SAC): a fixed-capacity ring buffer of
// transitions in preallocated typed arrays, sampled uniformly with replacement (RLlib 1.x's
// ReplayBuffer), and the proportional prioritized variant of Schaul et al. 2016 (RLlib 1.x's
// PrioritizedReplayBuffer): P(i) = p_i^alpha / sum_k p_k^alpha over sum and min segment trees,
// importance weights (N P(i))^-beta divided by the largest possible one, priorities |td| + eps.
import type { Random } from '../utils/random.js';

/** Transitions as rows, one per env step (n-step ones after postprocessing). */
export interface Transitions {
  count: number;
  obs: Float32Array;
  actions: Float32Array;
  /** The (n-step discounted) reward sum. */
  rewards: Float32Array;
  /** The observation whose value bootstraps the target. */
  nextObs: Float32Array;
  /** 1 when the episode terminated within the row's steps (no bootstrap); truncation is 0. */
  terminated: Float32Array;
  /** gamma^k for the k rewards summed: the factor on the bootstrapped value. */
  discounts: Float32Array;
}

/** A sampled minibatch: the rows, where they came from, and their importance weights. */
export interface ReplaySample extends Transitions {
  /** Buffer slots of the rows (update_priorities takes them back). */
  indices: Int32Array;
  /** Importance-sampling weights; all 1 for uniform replay. */
  weights: Float32Array;
}

export function allocateTransitions(count: number, observationSize: number, actionSize: number): Transitions {
  return {
    count,
    obs: new Float32Array(count * observationSize),
    actions: new Float32Array(count * actionSize),
    rewards: new Float32Array(count),
    nextObs: new Float32Array(count * observationSize),
    terminated: new Float32Array(count),
    discounts: new Float32Array(count),
  };
}

/** Copies row `from` of src into row `to` of dst. */
function copyRow(src: Transitions, from: number, dst: Transitions, to: number, O: number, A: number): void {
  for (let k = 0; k < O; k++) {
    dst.obs[to * O + k] = src.obs[from * O + k];
    dst.nextObs[to * O + k] = src.nextObs[from * O + k];
  }
  for (let k = 0; k < A; k++) dst.actions[to * A + k] = src.actions[from * A + k];
  dst.rewards[to] = src.rewards[from];
  dst.terminated[to] = src.terminated[from];
  dst.discounts[to] = src.discounts[from];
}

export class ReplayBuffer {
  /** The stored rows; slots [0, size) hold data. */
  protected readonly storage: Transitions;
  /** Where the next row goes: after `capacity` rows the oldest is overwritten. */
  protected nextIndex = 0;
  private stored = 0;
  /** Rows ever added (RLlib's num_added; learning_starts compares against it). */
  addedTotal = 0;

  constructor(
    readonly capacity: number,
    readonly observationSize: number,
    readonly actionSize: number,
    protected readonly rng: Random,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`replay buffer capacity must be a positive integer, got ${capacity}`);
    this.storage = allocateTransitions(capacity, observationSize, actionSize);
  }

  /** Rows held (at most capacity). */
  get size(): number {
    return this.stored;
  }

  /** Appends every row of batch, overwriting the oldest rows once full. */
  add(batch: Transitions): void {
    for (let r = 0; r < batch.count; r++) {
      const slot = this.nextIndex;
      copyRow(batch, r, this.storage, slot, this.observationSize, this.actionSize);
      this.onAdd(slot);
      this.nextIndex = (slot + 1) % this.capacity;
      this.stored = Math.min(this.stored + 1, this.capacity);
      this.addedTotal += 1;
    }
  }

  /** n rows drawn uniformly with replacement (weights 1). */
  sample(n: number): ReplaySample {
    this.checkSample(n);
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = this.rng.integer(this.stored);
    return this.gather(indices, new Float32Array(n).fill(1));
  }

  /** Hook for subclasses: slot was just written. */
  protected onAdd(_slot: number): void {}

  protected checkSample(n: number): void {
    if (this.stored === 0) throw new RangeError('cannot sample from an empty replay buffer');
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`sample size must be a positive integer, got ${n}`);
  }

  protected gather(indices: Int32Array, weights: Float32Array): ReplaySample {
    const n = indices.length;
    const out: ReplaySample = { ...allocateTransitions(n, this.observationSize, this.actionSize), indices, weights };
    for (let i = 0; i < n; i++) copyRow(this.storage, indices[i], out, i, this.observationSize, this.actionSize);
    return out;
  }
}

/** A complete binary tree over a power-of-two number of leaves, each node the sum (or min) of its children. */
class SegmentTree {
  readonly leaves: number;
  protected readonly nodes: Float64Array;

  constructor(
    capacity: number,
    private readonly combine: (a: number, b: number) => number,
    private readonly neutral: number,
  ) {
    let leaves = 1;
    while (leaves < capacity) leaves *= 2;
    this.leaves = leaves;
    this.nodes = new Float64Array(2 * leaves).fill(neutral);
  }

  set(index: number, value: number): void {
    let node = index + this.leaves;
    this.nodes[node] = value;
    for (node >>= 1; node >= 1; node >>= 1) this.nodes[node] = this.combine(this.nodes[2 * node], this.nodes[2 * node + 1]);
  }

  get(index: number): number {
    return this.nodes[index + this.leaves];
  }

  /** The reduction over all leaves. */
  total(): number {
    return this.nodes[1];
  }
}

class SumTree extends SegmentTree {
  constructor(capacity: number) {
    super(capacity, (a, b) => a + b, 0);
  }

  /** The smallest leaf i with sum(leaves[0..i]) > mass (mass in [0, total)). */
  findPrefixSum(mass: number): number {
    let node = 1;
    while (node < this.leaves) {
      const left = 2 * node;
      if (this.nodes[left] > mass) node = left;
      else {
        mass -= this.nodes[left];
        node = left + 1;
      }
    }
    return node - this.leaves;
  }
}

export interface PrioritizedReplayOptions {
  /** How much prioritization is used (0: uniform). RLlib's prioritized_replay_alpha. */
  alpha: number;
  /** Importance-sampling correction exponent (1: full). RLlib's prioritized_replay_beta. */
  beta: number;
  /** Added to |td_error| so that no transition gets probability 0. RLlib's prioritized_replay_eps. */
  eps: number;
}

export class PrioritizedReplayBuffer extends ReplayBuffer {
  private readonly sums: SumTree;
  private readonly mins: SegmentTree;
  /** The largest priority seen: new rows get it, so each is replayed at least about once (Schaul et al.). */
  private maxPriority = 1;

  constructor(
    capacity: number,
    observationSize: number,
    actionSize: number,
    rng: Random,
    readonly options: PrioritizedReplayOptions,
  ) {
    super(capacity, observationSize, actionSize, rng);
    if (!(options.alpha >= 0)) throw new RangeError(`prioritized_replay_alpha must be >= 0, got ${options.alpha}`);
    this.sums = new SumTree(capacity);
    this.mins = new SegmentTree(capacity, Math.min, Infinity);
  }

  protected override onAdd(slot: number): void {
    this.setPriority(slot, this.maxPriority);
  }

  /**
   * n rows drawn with probability p_i^alpha / sum p^alpha (with replacement, a uniform mass per
   * draw as RLlib 1.x does), weighted (N P(i))^-beta / max_j (N P(j))^-beta.
   */
  override sample(n: number, beta = this.options.beta): ReplaySample {
    this.checkSample(n);
    const total = this.sums.total();
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      // float rounding can leave the mass at the total: clamp to the last stored row
      indices[i] = Math.min(this.sums.findPrefixSum(this.rng.uniform() * total), this.size - 1);
    }
    const N = this.size;
    const maxWeight = (N * (this.mins.total() / total)) ** -beta;
    const weights = new Float32Array(n);
    for (let i = 0; i < n; i++) weights[i] = (N * (this.sums.get(indices[i]) / total)) ** -beta / maxWeight;
    return this.gather(indices, weights);
  }

  /** New priorities |td_error| + eps for the sampled slots (RLlib's update_priorities). */
  updatePriorities(indices: Int32Array, tdErrors: ArrayLike<number>): void {
    if (indices.length !== tdErrors.length) throw new RangeError(`${indices.length} indices but ${tdErrors.length} TD errors`);
    for (let i = 0; i < indices.length; i++) {
      const slot = indices[i];
      if (!(slot >= 0 && slot < this.size)) throw new RangeError(`slot ${slot} is outside the ${this.size} stored rows`);
      const priority = Math.abs(tdErrors[i]) + this.options.eps;
      if (!Number.isFinite(priority)) throw new RangeError(`TD error ${tdErrors[i]} for slot ${slot} is not finite`);
      this.setPriority(slot, priority);
      this.maxPriority = Math.max(this.maxPriority, priority);
    }
  }

  /** p_i^alpha of a slot (for tests and stats). */
  priorityWeight(slot: number): number {
    return this.sums.get(slot);
  }

  private setPriority(slot: number, priority: number): void {
    const p = priority ** this.options.alpha;
    this.sums.set(slot, p);
    this.mins.set(slot, p);
  }
}
