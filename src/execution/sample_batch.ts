// A batch of experience as typed arrays (one row per env step), as RLlib's SampleBatch: named
// columns of float32, each with a fixed number of floats per row. Every batch a rollout worker
// makes has the generic columns below; an algorithm's policy adds its own (PPO: action_logp,
// action_dist_inputs, vf_preds, then advantages and value_targets in its postprocessing).

/** The columns every sampled batch has (RLlib's names). */
export const OBS = 'obs';
/** Actions as sampled (before clipping to a Box space; Discrete ones without the space's start). */
export const ACTIONS = 'actions';
export const REWARDS = 'rewards';
/** 1 where the episode ended in a terminal state (no bootstrapping), else 0. */
export const TERMINATED = 'terminated';
/** 1 where the episode was cut by a time limit (bootstrap from new_obs), else 0. */
export const TRUNCATED = 'truncated';
/** The (filtered) observation after the step: the episode's final one where it ended, never the reset one. */
export const NEW_OBS = 'new_obs';

export interface SampleBatch {
  count: number;
  /** Floats per row, by column name. */
  widths: Record<string, number>;
  /** count x width floats per column, row-major. */
  columns: Record<string, Float32Array>;
}

/** An empty batch of `count` rows with these columns (name -> floats per row). */
export function allocateBatch(count: number, widths: Record<string, number>): SampleBatch {
  const columns: Record<string, Float32Array> = {};
  for (const [name, width] of Object.entries(widths)) columns[name] = new Float32Array(count * width);
  return { count, widths: { ...widths }, columns };
}

/** A column of a batch; a RangeError naming the columns there are when it has none of that name. */
export function column(batch: SampleBatch, name: string): Float32Array {
  const values = Object.hasOwn(batch.columns, name) ? batch.columns[name] : undefined;
  if (!values) throw new RangeError(`the sample batch has no column '${name}'; it has ${Object.keys(batch.columns).join(', ')}`);
  return values;
}

/** Adds a column of zeros (an algorithm's postprocessing output) and returns it. */
export function addColumn(batch: SampleBatch, name: string, width = 1): Float32Array {
  const values = new Float32Array(batch.count * width);
  batch.widths[name] = width;
  batch.columns[name] = values;
  return values;
}

/** Concatenates batches in the order given (which fixes the result whatever order they arrived in). */
export function concatBatches(batches: SampleBatch[]): SampleBatch {
  if (batches.length === 0) throw new RangeError('no sample batches to concatenate');
  const { widths } = batches[0];
  const total = batches.reduce((sum, b) => sum + b.count, 0);
  const out = allocateBatch(total, widths);
  let row = 0;
  for (const b of batches) {
    for (const [name, width] of Object.entries(widths)) {
      if (b.widths[name] !== width) throw new RangeError(`sample batches differ in column '${name}'`);
      out.columns[name].set(b.columns[name], row * width);
    }
    row += b.count;
  }
  return out;
}

/** Rows [start, end) as a new batch (copies). */
export function sliceBatch(batch: SampleBatch, start: number, end: number): SampleBatch {
  const out = allocateBatch(end - start, batch.widths);
  for (const [name, width] of Object.entries(batch.widths)) out.columns[name].set(batch.columns[name].subarray(start * width, end * width));
  return out;
}
