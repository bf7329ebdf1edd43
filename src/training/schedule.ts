import type { Schedule } from '../config/common.js';

/** RLlib's PiecewiseSchedule with linear interpolation; the last value holds after the last point. */
export function scheduleValue(schedule: Schedule | null, t: number, fallback: number): number {
  if (!schedule || schedule.length === 0) return fallback;
  if (t <= schedule[0][0]) return schedule[0][1];
  for (let i = 1; i < schedule.length; i++) {
    const [t1, v1] = schedule[i];
    if (t < t1) {
      const [t0, v0] = schedule[i - 1];
      return v0 + ((t - t0) / (t1 - t0)) * (v1 - v0);
    }
  }
  return schedule[schedule.length - 1][1];
}
