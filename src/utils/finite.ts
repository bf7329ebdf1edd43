// Finiteness checks for the hot paths (rollout steps, learner output): one tight loop over a
// typed array, no allocation.

/** The index of the first NaN or ±Infinity in values[start, end), or -1 when all are finite. */
export function firstNonFinite(values: ArrayLike<number>, start = 0, end = values.length): number {
  for (let i = start; i < end; i++) {
    const v = values[i];
    // v - v is 0 for every finite number and NaN for NaN and ±Infinity
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Whether a number survives being stored as float32 (1e39 is finite in float64 but not in float32). */
export function isFiniteFloat32(value: number): boolean {
  return Number.isFinite(Math.fround(value));
}
