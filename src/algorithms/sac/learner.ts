// SAC's learner, as RLlib 1.x's sac_tf_policy.py computes it: on a replayed batch, the twin-Q
// critic loss 0.5 mean((Q_i(s, a) - y)^2) with y = r + gamma^k (1 - terminated) (min_i
// Q_targ_i(s', a') - alpha log pi(a'|s')), a' ~ pi(s'); the reparameterised actor loss
// mean(alpha log pi(a|s) - min_i Q_i(s, a)), a ~ pi(s); and the entropy coefficient loss
// -mean(log_alpha (log pi(a|s) + target_entropy)). Discrete actions take expectations under
// pi instead of samples (Christodoulou 2019). All gradients are computed from the same weights,
// then each of the actor, the Q networks and log_alpha takes its own Adam step. Targets follow
// the online Q networks by Polyak averaging with tau.
import { Box, Discrete, type Space } from '../../envs/spaces.js';
import { DenseNet, denseLayers } from '../../nn/dense_net.js';
import { initialWeights } from '../../policy/model.js';
import type { Random } from '../../utils/random.js';
import { FlatAdam } from '../ppo/adam.js';
import type { Transitions } from '../../execution/replay_buffer.js';
import type { SACNetworkConfig } from './defaults.js';
import { SquashedGaussian } from './squashed_gaussian.js';

// Math's functions as module bindings: under jest's vm context each global lookup in a hot loop costs ~1 us
const { abs, exp, log, max, min } = Math;

/** Replayed transitions: actions are env-scale floats (Box) or indices (Discrete); discounts gamma^k of n-step rows. */
export type SACBatch = Transitions;

/** The reparameterisation noise eps ~ N(0, 1) of the samples at s (t) and s' (tp1): count x |A| each; unused for Discrete. */
export interface SACNoise {
  t: Float32Array;
  tp1: Float32Array;
}

export interface SACHyperparams {
  twinQ: boolean;
  targetEntropy: number;
  actorLr: number;
  criticLr: number;
  entropyLr: number;
  gradClip: number | null;
}

/** RLlib's SAC learner stats. */
export interface SACStats {
  actor_loss: number;
  critic_loss: number;
  alpha_loss: number;
  alpha_value: number;
  log_alpha_value: number;
  target_entropy: number;
  policy_t: number;
  mean_q: number;
  max_q: number;
  min_q: number;
  mean_td_error: number;
}

export interface SACModels {
  policy_model: SACNetworkConfig;
  Q_model: SACNetworkConfig;
}

/** The networks' shapes for a space: policy obs -> 2|A| (Box) or n logits; Q (obs, a) -> 1 (Box) or obs -> n. */
export function sacNetworkShapes(observationSize: number, space: Space, models: SACModels) {
  if (space instanceof Box) {
    return {
      policy: denseLayers('policy_', observationSize, models.policy_model.fcnet_hiddens, models.policy_model.fcnet_activation, 2 * space.size),
      q: denseLayers('q_', observationSize + space.size, models.Q_model.fcnet_hiddens, models.Q_model.fcnet_activation, 1),
    };
  }
  if (space instanceof Discrete) {
    return {
      policy: denseLayers('policy_', observationSize, models.policy_model.fcnet_hiddens, models.policy_model.fcnet_activation, space.n),
      q: denseLayers('q_', observationSize, models.Q_model.fcnet_hiddens, models.Q_model.fcnet_activation, space.n),
    };
  }
  throw new TypeError('SAC supports Box and Discrete action spaces');
}

export class SACLearner {
  readonly policy: DenseNet;
  /** Q_1 (and Q_2 with twin_q), and their targets. */
  readonly q: DenseNet[];
  readonly targetQ: DenseNet[];
  logAlpha: number;
  /** d loss/d log_alpha after computeGradients(). */
  logAlphaGrad = 0;
  /** Per-row |TD error| of the last batch (the mean over the twins), for prioritized replay. */
  readonly tdError: Float32Array;

  private readonly squashed: SquashedGaussian | null;
  private readonly numActions: number;
  private readonly actionSize: number;
  private readonly observationSize: number;
  private readonly actorOptimizer: FlatAdam;
  private readonly criticOptimizers: FlatAdam[];
  private readonly alphaOptimizer = new FlatAdam(1);
  // per-row scratch
  private readonly logpT: Float32Array;
  private readonly logpTp1: Float32Array;
  private readonly actionsT: Float32Array;
  private readonly actionsTp1: Float32Array;
  private readonly uT: Float32Array;
  private readonly uTp1: Float32Array;
  private readonly targets: Float32Array;
  private readonly dActions: Float32Array;
  /** Discrete: log pi over the actions at s and s' (count x n). */
  private readonly logPiT: Float32Array;
  private readonly logPiTp1: Float32Array;

  constructor(
    observationSize: number,
    space: Space,
    models: SACModels,
    readonly hp: SACHyperparams,
    initialAlpha: number,
    rng: Random,
    readonly maxBatch: number,
  ) {
    const shapes = sacNetworkShapes(observationSize, space, models);
    this.observationSize = observationSize;
    this.squashed = space instanceof Box ? new SquashedGaussian(space) : null;
    this.numActions = space instanceof Discrete ? space.n : 0;
    this.actionSize = space instanceof Box ? space.size : 1;
    this.policy = new DenseNet(shapes.policy.layers, maxBatch);
    this.policy.params.set(initialWeights(shapes.policy, rng));
    const numQ = hp.twinQ ? 2 : 1;
    this.q = [];
    this.targetQ = [];
    for (let j = 0; j < numQ; j++) {
      const q = new DenseNet(shapes.q.layers, maxBatch);
      q.params.set(initialWeights(shapes.q, rng));
      const target = new DenseNet(shapes.q.layers, maxBatch);
      target.params.set(q.params); // RLlib starts the targets as copies (update_target(tau=1.0))
      this.q.push(q);
      this.targetQ.push(target);
    }
    this.logAlpha = log(initialAlpha);
    this.actorOptimizer = new FlatAdam(this.policy.params.length);
    this.criticOptimizers = this.q.map((q) => new FlatAdam(q.params.length));
    const rows = (width: number) => new Float32Array(maxBatch * width);
    const d = this.actionSize;
    this.logpT = rows(1);
    this.logpTp1 = rows(1);
    this.actionsT = rows(d);
    this.actionsTp1 = rows(d);
    this.uT = rows(d);
    this.uTp1 = rows(d);
    this.targets = rows(1);
    this.dActions = rows(d);
    this.tdError = rows(1);
    this.logPiT = rows(this.numActions);
    this.logPiTp1 = rows(this.numActions);
  }

  get alpha(): number {
    return exp(this.logAlpha);
  }

  /** Draws the reparameterisation noise for a batch of n rows. */
  drawNoise(n: number, rng: Random): SACNoise {
    const size = this.squashed ? n * this.actionSize : 0;
    const t = new Float32Array(size);
    const tp1 = new Float32Array(size);
    for (let i = 0; i < size; i++) t[i] = rng.normal();
    for (let i = 0; i < size; i++) tp1[i] = rng.normal();
    return { t, tp1 };
  }

  /** One SAC update on the batch: gradients from the current weights, then the Adam steps. */
  learnOnBatch(batch: SACBatch, rng: Random): SACStats {
    const stats = this.computeGradients(batch, this.drawNoise(batch.count, rng));
    this.applyGradients();
    return stats;
  }

  /**
   * The three losses on the batch and their gradients: the actor's in policy.grads, each critic's
   * in q[i].grads, the entropy coefficient's in logAlphaGrad. Nothing is updated.
   */
  computeGradients(batch: SACBatch, noise: SACNoise): SACStats {
    const n = batch.count;
    if (n > this.maxBatch) throw new RangeError(`batch of ${n} rows; the learner holds ${this.maxBatch}`);
    return this.squashed ? this.boxGradients(batch, noise, this.squashed) : this.discreteGradients(batch);
  }

  private boxGradients(batch: SACBatch, noise: SACNoise, dist: SquashedGaussian): SACStats {
    const n = batch.count;
    const d = this.actionSize;
    const P = 2 * d;
    const alpha = this.alpha;
    // Target y from a' ~ pi(s') and the target Q networks (no gradient flows into y).
    copyRows(batch.nextObs, this.policy.input, n, this.observationSize);
    this.policy.forward(n);
    for (let i = 0; i < n; i++) this.logpTp1[i] = dist.sample(this.policy.output, i * P, noise.tp1, i * d, this.actionsTp1, i * d, this.uTp1, i * d);
    for (const target of this.targetQ) {
      concatRows(batch.nextObs, this.observationSize, this.actionsTp1, d, target.input, n);
      target.forward(n);
    }
    for (let i = 0; i < n; i++) {
      let qNext = Infinity;
      for (const target of this.targetQ) qNext = min(qNext, target.output[i]);
      this.targets[i] = this.bellmanTarget(batch, i, qNext - alpha * this.logpTp1[i]);
    }
    // Actor: a ~ pi(s) reparameterised, through min_i Q_i(s, a); only the policy's weights learn from it.
    copyRows(batch.obs, this.policy.input, n, this.observationSize);
    this.policy.forward(n);
    for (let i = 0; i < n; i++) this.logpT[i] = dist.sample(this.policy.output, i * P, noise.t, i * d, this.actionsT, i * d, this.uT, i * d);
    for (const q of this.q) {
      concatRows(batch.obs, this.observationSize, this.actionsT, d, q.input, n);
      q.forward(n);
      q.dOutput.fill(0, 0, n);
    }
    let actorLoss = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < this.q.length; j++) if (this.q[j].output[i] < this.q[best].output[i]) best = j;
      actorLoss += alpha * this.logpT[i] - this.q[best].output[i];
      this.q[best].dOutput[i] = -1 / n;
    }
    this.dActions.fill(0, 0, n * d);
    const width = this.observationSize + d;
    for (const q of this.q) {
      q.backward(n, { input: true });
      for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) this.dActions[i * d + k] += q.dInput[i * width + this.observationSize + k];
    }
    this.policy.dOutput.fill(0, 0, n * P);
    for (let i = 0; i < n; i++) dist.sampleGrad(this.policy.output, i * P, noise.t, i * d, this.uT, i * d, alpha / n, this.dActions, i * d, this.policy.dOutput, i * P);
    this.policy.backward(n);
    // Critics on the replayed actions.
    const critic = this.criticGradients(batch, (q) => concatRows(batch.obs, this.observationSize, batch.actions, d, q.input, n), (i) => i);
    let policyT = 0;
    for (let i = 0; i < n * d; i++) policyT += this.actionsT[i];
    return this.finish(n, actorLoss / n, critic, policyT / (n * d), (i) => this.logpT[i]);
  }

  private discreteGradients(batch: SACBatch): SACStats {
    const n = batch.count;
    const A = this.numActions;
    const alpha = this.alpha;
    // Target: the expectation over pi(s') of min_i Q_targ_i(s', .) - alpha log pi(.|s').
    copyRows(batch.nextObs, this.policy.input, n, this.observationSize);
    this.policy.forward(n);
    logSoftmaxRows(this.policy.output, this.logPiTp1, n, A);
    for (const target of this.targetQ) {
      copyRows(batch.nextObs, target.input, n, this.observationSize);
      target.forward(n);
    }
    for (let i = 0; i < n; i++) {
      let expected = 0;
      for (let a = 0; a < A; a++) {
        let qNext = Infinity;
        for (const target of this.targetQ) qNext = min(qNext, target.output[i * A + a]);
        const logPi = this.logPiTp1[i * A + a];
        expected += exp(logPi) * (qNext - alpha * logPi);
      }
      this.targets[i] = this.bellmanTarget(batch, i, expected);
    }
    // Critics: Q_i(s, a) of the replayed actions (RLlib's actor then uses Q_1(s, .) as it is).
    const critic = this.criticGradients(batch, (q) => copyRows(batch.obs, q.input, n, this.observationSize), (i) => i * A + batch.actions[i]);
    // Actor: mean sum_a pi(a|s) (alpha log pi(a|s) - Q_1(s, a)), Q held fixed; d/dz_j = pi_j (c_j - sum_a pi_a c_a).
    copyRows(batch.obs, this.policy.input, n, this.observationSize);
    this.policy.forward(n);
    logSoftmaxRows(this.policy.output, this.logPiT, n, A);
    const q1 = this.q[0].output;
    let actorLoss = 0;
    let policyT = 0;
    for (let i = 0; i < n; i++) {
      let mean = 0;
      for (let a = 0; a < A; a++) {
        const logPi = this.logPiT[i * A + a];
        mean += exp(logPi) * (alpha * logPi - q1[i * A + a]);
        policyT += exp(logPi);
      }
      actorLoss += mean;
      for (let a = 0; a < A; a++) {
        const logPi = this.logPiT[i * A + a];
        this.policy.dOutput[i * A + a] = (exp(logPi) * (alpha * logPi - q1[i * A + a] - mean)) / n;
      }
    }
    this.policy.backward(n);
    // log pi(a|s) weighted by pi in the alpha loss: sum_a pi_a log pi_a = -H(pi(s))
    return this.finish(n, actorLoss / n, critic, policyT / (n * A), (i) => {
      let h = 0;
      for (let a = 0; a < A; a++) h += exp(this.logPiT[i * A + a]) * this.logPiT[i * A + a];
      return h;
    });
  }

  /** y = r + gamma^k (1 - terminated) next, gamma^k the row's n-step discount. */
  private bellmanTarget(batch: SACBatch, i: number, next: number): number {
    return batch.rewards[i] + batch.discounts[i] * (1 - batch.terminated[i]) * next;
  }

  /** 0.5 mean((Q_i - y)^2) for each Q network, its gradient in q.grads; the TD errors; Q_1's statistics (RLlib's q_t). */
  private criticGradients(batch: SACBatch, fillInput: (q: DenseNet) => void, selected: (i: number) => number) {
    const n = batch.count;
    let loss = 0;
    this.tdError.fill(0, 0, n);
    const q1Stats = { mean: 0, max: -Infinity, min: Infinity };
    this.q.forEach((q, j) => {
      fillInput(q);
      q.forward(n);
      q.dOutput.fill(0, 0, n * q.outputSize);
      for (let i = 0; i < n; i++) {
        const at = selected(i);
        const error = q.output[at] - this.targets[i];
        loss += (0.5 * error * error) / n;
        q.dOutput[at] = error / n;
        this.tdError[i] += abs(error) / this.q.length;
      }
      if (j === 0) {
        for (let r = 0; r < n * q.outputSize; r++) {
          q1Stats.mean += q.output[r] / (n * q.outputSize);
          q1Stats.max = max(q1Stats.max, q.output[r]);
          q1Stats.min = min(q1Stats.min, q.output[r]);
        }
      }
      q.backward(n);
    });
    // RLlib reports the mean of the twins' losses
    return { loss: loss / this.q.length, q1Stats };
  }

  /** The alpha loss -mean(log_alpha (logp(i) + target_entropy)), its gradient, and the stats. */
  private finish(n: number, actorLoss: number, critic: ReturnType<SACLearner['criticGradients']>, policyT: number, logp: (i: number) => number): SACStats {
    const { targetEntropy } = this.hp;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += logp(i) + targetEntropy;
    this.logAlphaGrad = -sum / n;
    let tdSum = 0;
    for (let i = 0; i < n; i++) tdSum += this.tdError[i];
    return {
      actor_loss: actorLoss,
      critic_loss: critic.loss,
      alpha_loss: this.logAlpha * this.logAlphaGrad,
      alpha_value: this.alpha,
      log_alpha_value: this.logAlpha,
      target_entropy: targetEntropy,
      policy_t: policyT,
      mean_q: critic.q1Stats.mean,
      max_q: critic.q1Stats.max,
      min_q: critic.q1Stats.min,
      mean_td_error: tdSum / n,
    };
  }

  /** Adam steps of the actor, each critic and log_alpha from the last computeGradients(). */
  applyGradients(): void {
    const { gradClip, actorLr, criticLr, entropyLr } = this.hp;
    if (gradClip !== null) {
      clipEachVariable(this.policy, gradClip);
      for (const q of this.q) clipEachVariable(q, gradClip);
    }
    this.actorOptimizer.apply(this.policy.params, this.policy.grads, actorLr);
    this.q.forEach((q, j) => this.criticOptimizers[j].apply(q.params, q.grads, criticLr));
    const alphaGrad = Float32Array.of(gradClip === null ? this.logAlphaGrad : max(-gradClip, min(gradClip, this.logAlphaGrad)));
    const logAlpha = Float32Array.of(this.logAlpha);
    this.alphaOptimizer.apply(logAlpha, alphaGrad, entropyLr);
    this.logAlpha = logAlpha[0];
  }

  /** Polyak averaging: target <- tau * online + (1 - tau) * target. */
  updateTargets(tau: number): void {
    this.q.forEach((q, j) => {
      const target = this.targetQ[j].params;
      for (let i = 0; i < target.length; i++) target[i] = tau * q.params[i] + (1 - tau) * target[i];
    });
  }
}

/** tf.clip_by_norm on each kernel and bias separately, as RLlib's minimize_and_clip does. */
function clipEachVariable(net: DenseNet, clip: number): void {
  for (const l of net.layers) {
    for (const [start, end] of [
      [l.kernelOffset, l.biasOffset],
      [l.biasOffset, l.biasOffset + l.outSize],
    ]) {
      let sum = 0;
      for (let i = start; i < end; i++) sum += net.grads[i] ** 2;
      const norm = Math.sqrt(sum);
      if (norm > clip) for (let i = start; i < end; i++) net.grads[i] *= clip / norm;
    }
  }
}

/** The first n rows (of width floats) of from into to. */
function copyRows(from: Float32Array, to: Float32Array, n: number, width: number): void {
  to.set(from.subarray(0, n * width));
}

/** Rows [a_i, b_i] of n rows into out. */
function concatRows(a: Float32Array, aWidth: number, b: Float32Array, bWidth: number, out: Float32Array, n: number): void {
  const width = aWidth + bWidth;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < aWidth; k++) out[i * width + k] = a[i * aWidth + k];
    for (let k = 0; k < bWidth; k++) out[i * width + aWidth + k] = b[i * bWidth + k];
  }
}

function logSoftmaxRows(logits: Float32Array, out: Float32Array, n: number, A: number): void {
  for (let i = 0; i < n; i++) {
    let top = -Infinity;
    for (let a = 0; a < A; a++) top = max(top, logits[i * A + a]);
    let sum = 0;
    for (let a = 0; a < A; a++) sum += exp(logits[i * A + a] - top);
    const lse = top + log(sum);
    for (let a = 0; a < A; a++) out[i * A + a] = logits[i * A + a] - lse;
  }
}
