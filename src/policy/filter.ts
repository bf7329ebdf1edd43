// Observation filters, as RLlib's NoFilter and MeanStdFilter: running mean and std (Welford),
// observations normalised to (x - mean) / (std + 1e-8) and clipped to [-10, 10].
// Workers update their own copy while sampling and send back what they saw since the last
// sync (the buffer); the driver merges the buffers and broadcasts the merged filter.

export interface RunningStatState {
  n: number;
  mean: number[];
  m2: number[];
}

export interface FilterState {
  type: 'MeanStdFilter';
  running: RunningStatState;
  buffer: RunningStatState;
}

const CLIP = 10;

function runningStatProblem(value: unknown, size: number, allowEmpty: boolean): string | null {
  const v = value as Partial<RunningStatState> | null;
  if (typeof v !== 'object' || v === null) return 'is not an object';
  if (!Number.isSafeInteger(v.n) || (v.n as number) < 0) return "has no valid count 'n'";
  for (const key of ['mean', 'm2'] as const) {
    const list = v[key];
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'number' && Number.isFinite(x))) return `has no list of finite numbers '${key}'`;
    if (list.length !== size && !(allowEmpty && list.length === 0)) return `'${key}' has ${list.length} values; observations have ${size}`;
  }
  return null;
}

/** A saved MeanStdFilter state checked for shape and size (null: no filter); the first problem as a message, or null. */
export function filterStateProblem(value: unknown, size: number): string | null {
  if (value === null) return null;
  const v = value as Partial<FilterState>;
  if (typeof v !== 'object' || v.type !== 'MeanStdFilter') return "is not a MeanStdFilter state ({type: 'MeanStdFilter', running, buffer})";
  const running = runningStatProblem(v.running, size, false);
  if (running) return `running ${running}`;
  const buffer = runningStatProblem(v.buffer, size, true);
  return buffer ? `buffer ${buffer}` : null;
}

export class RunningStat {
  n = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }

  push(x: ArrayLike<number>, offset: number): void {
    this.n += 1;
    for (let k = 0; k < this.size; k++) {
      const v = x[offset + k];
      const delta = v - this.mean[k];
      this.mean[k] += delta / this.n;
      this.m2[k] += delta * (v - this.mean[k]);
    }
  }

  /** RLlib's RunningStat.std: sqrt(M2 / (n - 1)) for n > 1, |mean| for n == 1. */
  std(k: number): number {
    if (this.n > 1) return Math.sqrt(this.m2[k] / (this.n - 1));
    return Math.abs(this.mean[k]);
  }

  /** Chan et al.'s parallel combination of two running statistics. */
  merge(other: RunningStat): void {
    if (other.n === 0) return;
    const n = this.n + other.n;
    for (let k = 0; k < this.size; k++) {
      const delta = other.mean[k] - this.mean[k];
      this.m2[k] += other.m2[k] + (delta * delta * this.n * other.n) / n;
      this.mean[k] += (delta * other.n) / n;
    }
    this.n = n;
  }

  copyFrom(other: RunningStat): void {
    this.n = other.n;
    this.mean.set(other.mean);
    this.m2.set(other.m2);
  }

  clear(): void {
    this.n = 0;
    this.mean.fill(0);
    this.m2.fill(0);
  }

  toJSON(): RunningStatState {
    return { n: this.n, mean: Array.from(this.mean), m2: Array.from(this.m2) };
  }

  static fromJSON(state: RunningStatState): RunningStat {
    const stat = new RunningStat(state.mean.length);
    stat.n = state.n;
    stat.mean.set(state.mean);
    stat.m2.set(state.m2);
    return stat;
  }
}

export interface ObservationFilter {
  /** Filters obs[offset..] into out[outOffset..]; update=false for bootstrap values and evaluation. */
  apply(obs: Float32Array, offset: number, out: Float32Array, outOffset: number, update: boolean): void;
}

export class NoFilter implements ObservationFilter {
  constructor(readonly size: number) {}
  apply(obs: Float32Array, offset: number, out: Float32Array, outOffset: number): void {
    for (let k = 0; k < this.size; k++) out[outOffset + k] = obs[offset + k];
  }
}

export class MeanStdFilter implements ObservationFilter {
  readonly running: RunningStat;
  readonly buffer: RunningStat;

  constructor(readonly size: number) {
    this.running = new RunningStat(size);
    this.buffer = new RunningStat(size);
  }

  apply(obs: Float32Array, offset: number, out: Float32Array, outOffset: number, update: boolean): void {
    if (update) {
      this.running.push(obs, offset);
      this.buffer.push(obs, offset);
    }
    for (let k = 0; k < this.size; k++) {
      const z = (obs[offset + k] - this.running.mean[k]) / (this.running.std(k) + 1e-8);
      out[outOffset + k] = z < -CLIP ? -CLIP : z > CLIP ? CLIP : z;
    }
  }

  state(): FilterState {
    return { type: 'MeanStdFilter', running: this.running.toJSON(), buffer: this.buffer.toJSON() };
  }

  static fromState(state: FilterState): MeanStdFilter {
    const filter = new MeanStdFilter(state.running.mean.length);
    filter.running.copyFrom(RunningStat.fromJSON(state.running));
    filter.buffer.copyFrom(RunningStat.fromJSON(state.buffer));
    return filter;
  }
}

export function makeFilter(kind: 'NoFilter' | 'MeanStdFilter', size: number): ObservationFilter {
  if (kind === 'NoFilter') return new NoFilter(size);
  return new MeanStdFilter(size);
}
