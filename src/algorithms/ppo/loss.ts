// PPO's loss on a minibatch and its gradient w.r.t. the networks' outputs (the distribution
// inputs and V(s)), as RLlib 1.x's ppo_tf_policy.py defines it:
//   L = -mean(min(A r, A clip(r, 1-c, 1+c))) + kl_coeff mean(KL(old||new))
//       + vf_loss_coeff mean(max((V-R)^2, (V_old + clip(V-V_old, -vc, vc) - R)^2)) - entropy_coeff mean(H)
// with r = exp(logp - logp_old) (Schulman et al. 2017, eq. 7 and 9). Each term returns its
// value and adds scale x its gradient into the given arrays; at ties and clip bounds the
// gradients follow tfjs's (min/max pass it to the first operand on <=/>=, clip passes it on the
// closed interval), so they match the autodiff oracle in the tests.
import type { ActionDistribution } from '../../policy/distributions.js';

/** The sampled rows a loss needs (a minibatch, row-major like a SampleBatch). */
export interface LossRows {
  actions: Float32Array;
  logp: Float32Array;
  distInputs: Float32Array;
  vfPreds: Float32Array;
  advantages: Float32Array;
  valueTargets: Float32Array;
}

export interface LossCoefficients {
  clipParam: number;
  vfClipParam: number;
  vfLossCoeff: number;
  klCoeff: number;
  entropyCoeff: number;
  useCritic: boolean;
}

export interface LossTerms {
  policy_loss: number;
  vf_loss: number;
  total_loss: number;
  kl: number;
  entropy: number;
}

/** The policy network's terms: the surrogate's -mean(min(A r, A clip(r, 1-c, 1+c))), mean(KL(old || new)) and mean(H). */
export interface PolicyTerms {
  policyLoss: number;
  kl: number;
  entropy: number;
}

/**
 * The policy network's three terms in one pass over the rows (the distribution shares each row's
 * work between them: ActionDistribution.loadRow), adding surrogateScale, klScale and entropyScale
 * x the gradient of each into dInputs.
 */
export function policyTerms(
  dist: ActionDistribution,
  rows: LossRows,
  n: number,
  inputs: Float32Array,
  clipParam: number,
  scales: { surrogate: number; kl: number; entropy: number },
  dInputs: Float32Array,
  meanOver = n,
): PolicyTerms {
  const P = dist.inputSize;
  const A = dist.actionSize;
  const klScale = scales.kl / meanOver;
  const entropyScale = scales.entropy / meanOver;
  let surrogateSum = 0;
  let klSum = 0;
  let entropySum = 0;
  for (let i = 0; i < n; i++) {
    const logp = dist.loadRow(rows.distInputs, i * P, inputs, i * P, rows.actions, i * A);
    const ratio = Math.exp(logp - rows.logp[i]);
    const adv = rows.advantages[i];
    const clipped = Math.min(Math.max(ratio, 1 - clipParam), 1 + clipParam);
    const unclippedTerm = adv * ratio;
    const clippedTerm = adv * clipped;
    let dRatio: number;
    if (unclippedTerm <= clippedTerm) {
      surrogateSum += unclippedTerm;
      dRatio = adv;
    } else {
      // the clipped term is smaller only when the clip is active (inside [1 - c, 1 + c],
      // min(max(r, 1 - c), 1 + c) is r exactly and the terms tie): a clipped r passes no gradient
      surrogateSum += clippedTerm;
      dRatio = 0;
    }
    klSum += dist.rowKl;
    entropySum += dist.rowEntropy;
    // d(-surrogate/meanOver)/d logp = -dRatio r / meanOver
    const logpScale = dRatio !== 0 && scales.surrogate !== 0 ? (-scales.surrogate * dRatio * ratio) / meanOver : 0;
    dist.rowGrads(logpScale, klScale, entropyScale, dInputs, i * P);
  }
  return { policyLoss: -surrogateSum / meanOver, kl: klSum / meanOver, entropy: entropySum / meanOver };
}

/** -mean(min(A r, A clip(r, 1-c, 1+c))). */
export function surrogateLoss(dist: ActionDistribution, rows: LossRows, n: number, inputs: Float32Array, clipParam: number, scale: number, dInputs: Float32Array, meanOver = n): number {
  return policyTerms(dist, rows, n, inputs, clipParam, { surrogate: scale, kl: 0, entropy: 0 }, dInputs, meanOver).policyLoss;
}

/** mean(KL(old || new)). */
export function klLoss(dist: ActionDistribution, rows: LossRows, n: number, inputs: Float32Array, scale: number, dInputs: Float32Array, meanOver = n): number {
  return policyTerms(dist, rows, n, inputs, 0, { surrogate: 0, kl: scale, entropy: 0 }, dInputs, meanOver).kl;
}

/** mean(H). */
export function meanEntropy(dist: ActionDistribution, rows: LossRows, n: number, inputs: Float32Array, scale: number, dInputs: Float32Array, meanOver = n): number {
  return policyTerms(dist, rows, n, inputs, 0, { surrogate: 0, kl: 0, entropy: scale }, dInputs, meanOver).entropy;
}

/** mean(max((V-R)^2, (V_old + clip(V-V_old, -vc, vc) - R)^2)): the PPO2-style clipped value loss. */
export function valueLoss(rows: Pick<LossRows, 'vfPreds' | 'valueTargets'>, n: number, values: Float32Array, vfClipParam: number, scale: number, dValues: Float32Array, meanOver = n): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const old = rows.vfPreds[i];
    const target = rows.valueTargets[i];
    const delta = v - old;
    const clippedV = old + Math.min(Math.max(delta, -vfClipParam), vfClipParam);
    const loss1 = (v - target) ** 2;
    const loss2 = (clippedV - target) ** 2;
    if (loss1 >= loss2) {
      sum += loss1;
      dValues[i] += (scale * 2 * (v - target)) / meanOver;
    } else {
      // loss2 is larger only when delta is outside [-vc, vc] (inside, V_old + (V - V_old)
      // is V exactly for float32 V and V_old), where the clip passes no gradient
      sum += loss2;
    }
  }
  return sum / meanOver;
}

/**
 * All terms and the total; the gradient of the total is written (not added) into dInputs and
 * dValues. meanOver: the rows the means are over, when these n are a part of them (the learner's
 * half-minibatches): the terms and gradients of the parts then add up to the whole's.
 */
export function ppoLoss(
  dist: ActionDistribution,
  rows: LossRows,
  n: number,
  inputs: Float32Array,
  values: Float32Array,
  c: LossCoefficients,
  dInputs: Float32Array,
  dValues: Float32Array,
  meanOver = n,
): LossTerms {
  dInputs.fill(0, 0, n * dist.inputSize);
  dValues.fill(0, 0, n);
  const { policyLoss, kl, entropy } = policyTerms(dist, rows, n, inputs, c.clipParam, { surrogate: 1, kl: c.klCoeff, entropy: -c.entropyCoeff }, dInputs, meanOver);
  const vfLoss = c.useCritic ? valueLoss(rows, n, values, c.vfClipParam, c.vfLossCoeff, dValues, meanOver) : 0;
  return {
    policy_loss: policyLoss,
    vf_loss: vfLoss,
    total_loss: policyLoss + c.klCoeff * kl + c.vfLossCoeff * vfLoss - c.entropyCoeff * entropy,
    kl,
    entropy,
  };
}
