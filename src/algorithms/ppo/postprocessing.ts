// Advantage estimation for one trajectory segment, as RLlib's compute_advantages.
// GAE (Schulman et al. 2016, eq. 16): delta_t = r_t + gamma V(s_{t+1}) - V(s_t),
// A_t = sum_l (gamma lambda)^l delta_{t+l}; value target = A_t + V(s_t).
// lastValue is V of the state after the segment: 0 when the episode terminated,
// V(s) when it was truncated or cut at the fragment end (bootstrapping).

export interface AdvantageOptions {
  gamma: number;
  lambda: number;
  useGae: boolean;
  useCritic: boolean;
}

/** Fills advantages[start..end) and valueTargets[start..end) from rewards and vfPreds over the same range. */
export function computeAdvantages(
  rewards: ArrayLike<number>,
  vfPreds: ArrayLike<number>,
  lastValue: number,
  options: AdvantageOptions,
  advantages: Float32Array,
  valueTargets: Float32Array,
  start = 0,
  end = rewards.length,
): void {
  const { gamma, lambda, useGae, useCritic } = options;
  if (useGae) {
    if (!useCritic) throw new RangeError('use_gae requires use_critic (as in RLlib)');
    let gae = 0;
    let nextValue = lastValue;
    for (let t = end - 1; t >= start; t--) {
      const delta = rewards[t] + gamma * nextValue - vfPreds[t];
      gae = delta + gamma * lambda * gae;
      advantages[t] = gae;
      valueTargets[t] = gae + vfPreds[t];
      nextValue = vfPreds[t];
    }
    return;
  }
  // Monte-Carlo returns bootstrapped with lastValue.
  let ret = lastValue;
  for (let t = end - 1; t >= start; t--) {
    ret = rewards[t] + gamma * ret;
    advantages[t] = useCritic ? ret - vfPreds[t] : ret;
    valueTargets[t] = useCritic ? ret : 0;
  }
}

/** Standardises in place: (x - mean) / max(std, 1e-4), as RLlib standardizes advantages per batch. */
export function standardize(values: Float32Array): void {
  const n = values.length;
  if (n === 0) return;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (values[i] - mean) ** 2;
  const std = Math.max(Math.sqrt(variance / n), 1e-4);
  for (let i = 0; i < n; i++) values[i] = (values[i] - mean) / std;
}
