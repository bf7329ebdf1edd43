// DQN's TD target and loss, as RLlib 1.x's dqn_tf_policy.py QLoss computes them with num_atoms 1
// (Mnih et al. 2015; double Q of van Hasselt et al. 2016):
//   target = r + discount (1 - terminated) Q_target(s', a*),
//     a* = argmax_a Q_online(s', a) with double_q, argmax_a Q_target(s', a) without
//   td_error = Q(s, a) - target;  loss = mean(w huber(td_error)), huber with delta 1
// r is the n-step reward sum and discount gamma^k for the k rewards it sums (postprocessing.ts);
// only termination zeroes the bootstrap, never truncation. The gradient w.r.t. Q(s, .) follows
// tfjs's at the Huber kink (the linear branch from |x| >= delta).
import { argmaxRows } from './q_network.js';

export interface TdTargetRows {
  rewards: Float32Array;
  terminated: Float32Array;
  discounts: Float32Array;
}

/**
 * TD targets of n rows from the target network's Q(s', .) and, for double Q, the online
 * network's Q(s', .) (null: the target network picks its own max). `actions` is scratch for a*.
 */
export function tdTargets(rows: TdTargetRows, n: number, numActions: number, targetNextQ: Float32Array, onlineNextQ: Float32Array | null, bestActions: Int32Array, out: Float32Array): Float32Array {
  argmaxRows(onlineNextQ ?? targetNextQ, n, numActions, bestActions);
  for (let i = 0; i < n; i++) {
    const bootstrap = targetNextQ[i * numActions + bestActions[i]];
    out[i] = rows.rewards[i] + rows.discounts[i] * (1 - rows.terminated[i]) * bootstrap;
  }
  return out;
}

/** RLlib's learner stats of a Q update (info/learner/default_policy/learner_stats). */
export interface QLossStats {
  /** mean(w huber(td_error)). */
  loss: number;
  /** mean, min and max of Q(s, a) over the rows. */
  mean_q: number;
  min_q: number;
  max_q: number;
  /** mean(td_error), signed. */
  mean_td_error: number;
}

/**
 * The loss over n rows of q (rows x numActions) for the taken actions; writes its gradient
 * w.r.t. q into dQ (every entry) and each row's TD error into tdErrors.
 */
export function huberQLoss(
  q: Float32Array,
  actions: Float32Array,
  targets: Float32Array,
  weights: Float32Array,
  n: number,
  numActions: number,
  dQ: Float32Array,
  tdErrors: Float32Array,
): QLossStats {
  dQ.fill(0, 0, n * numActions);
  let loss = 0;
  let sumQ = 0;
  let minQ = Infinity;
  let maxQ = -Infinity;
  let sumTd = 0;
  for (let i = 0; i < n; i++) {
    const slot = i * numActions + actions[i];
    const selected = q[slot];
    const td = selected - targets[i];
    tdErrors[i] = td;
    const abs = Math.abs(td);
    loss += weights[i] * (abs < 1 ? 0.5 * td * td : abs - 0.5);
    dQ[slot] = (weights[i] * (abs < 1 ? td : Math.sign(td))) / n;
    sumQ += selected;
    minQ = Math.min(minQ, selected);
    maxQ = Math.max(maxQ, selected);
    sumTd += td;
  }
  return { loss: loss / n, mean_q: sumQ / n, min_q: minQ, max_q: maxQ, mean_td_error: sumTd / n };
}
