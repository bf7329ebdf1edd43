// A batch of experience as typed arrays (one row per env step), as RLlib's SampleBatch:
// filtered observations, actions as sampled (before clipping to the action space),
// their log-probabilities, the distribution inputs and value predictions at sampling time,
// and the advantages and value targets computed at the fragment's end.

export interface SampleBatch {
  count: number;
  observationSize: number;
  actionSize: number;
  distInputSize: number;
  obs: Float32Array;
  actions: Float32Array;
  logp: Float32Array;
  distInputs: Float32Array;
  vfPreds: Float32Array;
  rewards: Float32Array;
  advantages: Float32Array;
  valueTargets: Float32Array;
}

export function allocateBatch(count: number, observationSize: number, actionSize: number, distInputSize: number): SampleBatch {
  return {
    count,
    observationSize,
    actionSize,
    distInputSize,
    obs: new Float32Array(count * observationSize),
    actions: new Float32Array(count * actionSize),
    logp: new Float32Array(count),
    distInputs: new Float32Array(count * distInputSize),
    vfPreds: new Float32Array(count),
    rewards: new Float32Array(count),
    advantages: new Float32Array(count),
    valueTargets: new Float32Array(count),
  };
}

/** Concatenates batches in the order given (which fixes the result whatever order they arrived in). */
export function concatBatches(batches: SampleBatch[]): SampleBatch {
  if (batches.length === 0) throw new RangeError('no sample batches to concatenate');
  const { observationSize, actionSize, distInputSize } = batches[0];
  const total = batches.reduce((sum, b) => sum + b.count, 0);
  const out = allocateBatch(total, observationSize, actionSize, distInputSize);
  let row = 0;
  for (const b of batches) {
    out.obs.set(b.obs, row * observationSize);
    out.actions.set(b.actions, row * actionSize);
    out.logp.set(b.logp, row);
    out.distInputs.set(b.distInputs, row * distInputSize);
    out.vfPreds.set(b.vfPreds, row);
    out.rewards.set(b.rewards, row);
    out.advantages.set(b.advantages, row);
    out.valueTargets.set(b.valueTargets, row);
    row += b.count;
  }
  return out;
}

/** The typed arrays of a batch, for transferring between threads without copying. */
export function batchTransferList(batch: SampleBatch): ArrayBuffer[] {
  return [batch.obs, batch.actions, batch.logp, batch.distInputs, batch.vfPreds, batch.rewards, batch.advantages, batch.valueTargets].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
