// Gymnasium's two spaces the classic-control envs use: Discrete and Box.
import type { Random } from '../utils/random.js';

export interface SpaceJSON {
  type: 'Discrete' | 'Box';
  n?: number;
  start?: number;
  shape?: number[];
  dtype?: string;
  low?: (number | string)[];
  high?: (number | string)[];
}

export class Discrete {
  readonly type = 'Discrete' as const;
  readonly shape: number[] = [];

  constructor(readonly n: number, readonly start = 0) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete needs a positive integer n, got ${n}`);
  }

  /** Number of action values a policy outputs for this space (logits). */
  get flatSize(): number {
    return 1;
  }

  sample(rng: Random): number {
    return this.start + rng.integer(this.n);
  }

  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }

  toJSON(): SpaceJSON {
    return { type: 'Discrete', n: this.n, start: this.start };
  }
}

export class Box {
  readonly type = 'Box' as const;
  readonly dtype = 'float32';
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: number[];

  /** Bounds are stored as float32, as Gymnasium's Box(dtype=np.float32) stores them. */
  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape?: number[]) {
    const size =
      shape?.reduce((a, b) => a * b, 1) ??
      (typeof low === 'number' ? (typeof high === 'number' ? 1 : high.length) : low.length);
    this.shape = shape ?? [size];
    this.low = typeof low === 'number' ? new Float32Array(size).fill(low) : Float32Array.from(low);
    this.high = typeof high === 'number' ? new Float32Array(size).fill(high) : Float32Array.from(high);
    if (this.low.length !== size || this.high.length !== size) {
      throw new RangeError(`Box bounds do not match shape [${this.shape}]`);
    }
  }

  get size(): number {
    return this.low.length;
  }

  get flatSize(): number {
    return this.low.length;
  }

  /** Uniform inside finite bounds; normal where unbounded, as Gymnasium samples. */
  sample(rng: Random): Float32Array {
    const out = new Float32Array(this.size);
    for (let i = 0; i < out.length; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      if (Number.isFinite(lo) && Number.isFinite(hi)) out[i] = rng.uniform(lo, hi);
      else if (Number.isFinite(lo)) out[i] = lo - Math.log(1 - rng.uniform());
      else if (Number.isFinite(hi)) out[i] = hi + Math.log(1 - rng.uniform());
      else out[i] = rng.normal();
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumberArray(x) || x.length !== this.size) return false;
    for (let i = 0; i < this.size; i++) {
      const v = x[i];
      if (!(v >= this.low[i] && v <= this.high[i])) return false;
    }
    return true;
  }

  toString(): string {
    const fmt = (a: Float32Array) => {
      const values = Array.from(a, formatBound);
      return values.every((v) => v === values[0]) ? values[0] : `[${values.join(' ')}]`;
    };
    // the shape as Python prints a tuple: (2,) for one dimension, (2, 3) for more
    const shape = this.shape.length === 1 ? `${this.shape[0]},` : this.shape.join(', ');
    return `Box(${fmt(this.low)}, ${fmt(this.high)}, (${shape}), float32)`;
  }

  toJSON(): SpaceJSON {
    const enc = (v: number) => (Number.isFinite(v) ? v : v > 0 ? 'Infinity' : '-Infinity');
    return { type: 'Box', shape: this.shape, dtype: 'float32', low: Array.from(this.low, enc), high: Array.from(this.high, enc) };
  }
}

export type Space = Discrete | Box;

export function isNumberArray(x: unknown): x is ArrayLike<number> {
  return (
    (Array.isArray(x) && x.every((v) => typeof v === 'number')) ||
    (ArrayBuffer.isView(x) && !(x instanceof DataView))
  );
}

function formatBound(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(Number(v.toPrecision(6)));
}

export function spaceFromJSON(json: SpaceJSON): Space {
  if (json.type === 'Discrete') return new Discrete(json.n ?? 0, json.start ?? 0);
  const dec = (v: number | string) => (typeof v === 'number' ? v : Number(v));
  return new Box((json.low ?? []).map(dec), (json.high ?? []).map(dec), json.shape);
}
