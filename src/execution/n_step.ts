// n-step transitions (DQN, SAC), as RLlib 1.x's _adjust_nstep rewrites one trajectory piece (one episode's
// rows of a sampled fragment, in time order): row i sums the rewards of rows i..i+k-1 discounted
// (r_i + gamma r_{i+1} + ... + gamma^(k-1) r_{i+k-1}) and bootstraps from the next observation
// of row i+k-1, with k = n_step, or fewer where the piece ends first. Terminated is that of row
// i+k-1; a truncated episode or a fragment cut leaves it 0, so the target still bootstraps.
// Unlike RLlib 1.x, which discounts the bootstrap by gamma^n_step even where k < n_step, the
// row's discount is gamma^k: the value k steps ahead is discounted k times.
import type { Transitions } from './replay_buffer.js';
import { ACTIONS, NEW_OBS, OBS, REWARDS, TERMINATED, addColumn, column, type SampleBatch } from './sample_batch.js';

/** The sample-batch column n-step postprocessing adds: each row's bootstrap discount gamma^k. */
export const DISCOUNTS = 'discounts';

/**
 * Rewrites rows [start, end) of t (one-step transitions of one trajectory piece) in place into
 * n-step transitions, setting their discounts.
 */
export function adjustNStep(t: Pick<Transitions, 'rewards' | 'nextObs' | 'terminated' | 'discounts'>, start: number, end: number, nStep: number, gamma: number, observationSize: number): void {
  const O = observationSize;
  // ascending: row i reads only rows > i, which are still one-step
  for (let i = start; i < end; i++) {
    const k = Math.min(nStep, end - i);
    let sum = t.rewards[i];
    for (let j = 1; j < k; j++) sum += gamma ** j * t.rewards[i + j];
    t.rewards[i] = sum;
    const last = i + k - 1;
    if (last !== i) {
      for (let d = 0; d < O; d++) t.nextObs[i * O + d] = t.nextObs[last * O + d];
      t.terminated[i] = t.terminated[last];
    }
    t.discounts[i] = gamma ** k;
  }
}

/**
 * RLlib's postprocess_nstep on a sampled batch: each segment (one episode's rows of the fragment)
 * becomes n-step transitions and the discounts column is added. clearTerminated is SAC's
 * no_done_at_end: RLlib's sampler then never reports done, so every row bootstraps.
 */
export function postprocessNStep(batch: SampleBatch, segments: [number, number][], nStep: number, gamma: number, clearTerminated = false): void {
  const transitions = transitionsOf(batch, addColumn(batch, DISCOUNTS));
  if (clearTerminated) transitions.terminated.fill(0);
  for (const [start, end] of segments) adjustNStep(transitions, start, end, nStep, gamma, batch.widths[OBS]);
}

/** The replay buffer's view of a postprocessed batch (its columns, not copies). */
export function transitionsOf(batch: SampleBatch, discounts = column(batch, DISCOUNTS)): Transitions {
  return {
    count: batch.count,
    obs: column(batch, OBS),
    actions: column(batch, ACTIONS),
    rewards: column(batch, REWARDS),
    nextObs: column(batch, NEW_OBS),
    terminated: column(batch, TERMINATED),
    discounts,
  };
}
