// SAC's learner, as RLlib 1.x's sac_tf_policy.py computes it: on a replayed batch, the twin-Q
// critic loss 0.5 mean((Q_i(s, a) - y)^2) with y = r + gamma^k (1 - terminated) (min_i
// Q_targ_i(s', a') - alpha log pi(a'|s')), a' ~ pi(s'); the reparameterised actor loss
// mean(alpha log pi(a|s) - min_i Q_i(s, a)), a ~ pi(s); and the entropy coefficient loss
// -mean(log_alpha (log pi(a|s) + target_entropy)). Discrete actions take expectations under
// pi instead of samples (Christodoulou 2019). All gradients are computed from the same weights,
// then each of the actor, the Q networks and log_alpha takes its own Adam step. Targets follow
// the online Q networks by Polyak averaging with tau. The networks run on one WebAssembly kernel.
import { Box, Discrete, type Space } from '../../envs/spaces.js';
import { MlpKernel } from '../../nn/mlp.js';
import { networkRange, type ModelLayout } from '../../nn/layout.js';
import type { Transitions } from '../../execution/replay_buffer.js';
import type { Random } from '../../utils/random.js';
import { FlatAdam, loadOptimizerArrays, optimizerArrays } from '../../nn/adam.js';
import { OBS_ACTION, Q_NETWORKS, TARGET_OF } from './model.js';
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

/** A network's slice of the flat weights and gradients, with its Adam. */
interface Trained {
  name: string;
  params: Float32Array;
  grads: Float32Array;
  optimizer: FlatAdam;
}

export class SACLearner {
  readonly kernel: MlpKernel;
  /** The online Q networks' names (q, and twin_q with twin_q). */
  readonly qNames: string[];
  logAlpha: number;
  /** d loss/d log_alpha after computeGradients(). */
  logAlphaGrad = 0;
  /** Per-row |TD error| of the last batch (the mean over the twins), for prioritized replay. */
  readonly tdError: Float32Array;

  private readonly squashed: SquashedGaussian | null;
  private readonly numActions: number;
  private readonly actionSize: number;
  private readonly observationSize: number;
  private readonly actor: Trained;
  private readonly critics: Trained[];
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
    readonly layout: ModelLayout,
    space: Space,
    readonly hp: SACHyperparams,
    weights: Float32Array,
    initialAlpha: number,
    readonly maxBatch: number,
  ) {
    this.kernel = new MlpKernel(layout, maxBatch);
    this.kernel.params.set(weights);
    this.observationSize = layout.observationSize;
    this.squashed = space instanceof Box ? new SquashedGaussian(space) : null;
    this.numActions = space instanceof Discrete ? space.n : 0;
    this.actionSize = space instanceof Box ? space.size : 1;
    this.qNames = Q_NETWORKS.filter((name) => Object.hasOwn(layout.networks, name));
    const trained = (name: string): Trained => {
      const [start, end] = networkRange(layout, name);
      return { name, params: this.kernel.params.subarray(start, end), grads: this.kernel.grads.subarray(start, end), optimizer: new FlatAdam(end - start) };
    };
    this.actor = trained('policy');
    this.critics = this.qNames.map(trained);
    this.logAlpha = log(initialAlpha);
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
   * The three losses on the batch and their gradients: the actor's and each critic's in
   * kernel.grads (each in its network's range), the entropy coefficient's in logAlphaGrad.
   * Nothing is updated.
   */
  computeGradients(batch: SACBatch, noise: SACNoise): SACStats {
    const n = batch.count;
    if (n > this.maxBatch) throw new RangeError(`batch of ${n} rows; the learner holds ${this.maxBatch}`);
    return this.squashed ? this.boxGradients(batch, noise, this.squashed) : this.discreteGradients(batch);
  }

  private boxGradients(batch: SACBatch, noise: SACNoise, dist: SquashedGaussian): SACStats {
    const k = this.kernel;
    const n = batch.count;
    const d = this.actionSize;
    const O = this.observationSize;
    const P = 2 * d;
    const alpha = this.alpha;
    const policyOut = k.output('policy');
    const obsAction = k.input(OBS_ACTION);
    const targets = this.qNames.map((name) => TARGET_OF[name]);
    // Target y from a' ~ pi(s') and the target Q networks (no gradient flows into y).
    copyRows(batch.nextObs, k.input('obs'), n, O);
    k.forward(n, ['policy']);
    for (let i = 0; i < n; i++) this.logpTp1[i] = dist.sample(policyOut, i * P, noise.tp1, i * d, this.actionsTp1, i * d, this.uTp1, i * d);
    concatRows(batch.nextObs, O, this.actionsTp1, d, obsAction, n);
    k.forward(n, targets);
    for (let i = 0; i < n; i++) {
      let qNext = Infinity;
      for (const target of targets) qNext = min(qNext, k.output(target)[i]);
      this.targets[i] = bellmanTarget(batch, i, qNext - alpha * this.logpTp1[i]);
    }
    // Actor: a ~ pi(s) reparameterised, through min_i Q_i(s, a); dQ/da comes back through the Q networks' input.
    copyRows(batch.obs, k.input('obs'), n, O);
    k.forward(n, ['policy']);
    for (let i = 0; i < n; i++) this.logpT[i] = dist.sample(policyOut, i * P, noise.t, i * d, this.actionsT, i * d, this.uT, i * d);
    concatRows(batch.obs, O, this.actionsT, d, obsAction, n);
    k.forward(n, this.qNames);
    for (const name of this.qNames) k.dOutput(name).fill(0, 0, n);
    let actorLoss = 0;
    for (let i = 0; i < n; i++) {
      let best = this.qNames[0];
      for (const name of this.qNames) if (k.output(name)[i] < k.output(best)[i]) best = name;
      actorLoss += alpha * this.logpT[i] - k.output(best)[i];
      k.dOutput(best)[i] = -1 / n;
    }
    k.backward(n, this.qNames, { inputGrads: true });
    const dObsAction = k.dInput(OBS_ACTION);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) this.dActions[i * d + j] = dObsAction[i * (O + d) + O + j];
    const dPolicy = k.dOutput('policy');
    dPolicy.fill(0, 0, n * P);
    for (let i = 0; i < n; i++) dist.sampleGrad(policyOut, i * P, noise.t, i * d, this.uT, i * d, alpha / n, this.dActions, i * d, dPolicy, i * P);
    // Critics on the replayed actions; one backward pass for them and the actor (whose outputs' gradients are set).
    concatRows(batch.obs, O, batch.actions, d, obsAction, n);
    k.forward(n, this.qNames);
    const critic = this.criticLoss(batch, (i) => i);
    k.backward(n, ['policy', ...this.qNames]);
    let policyT = 0;
    for (let i = 0; i < n * d; i++) policyT += this.actionsT[i];
    return this.finish(n, actorLoss / n, critic, policyT / (n * d), (i) => this.logpT[i]);
  }

  private discreteGradients(batch: SACBatch): SACStats {
    const k = this.kernel;
    const n = batch.count;
    const A = this.numActions;
    const O = this.observationSize;
    const alpha = this.alpha;
    const policyOut = k.output('policy');
    const targets = this.qNames.map((name) => TARGET_OF[name]);
    // Target: the expectation over pi(s') of min_i Q_targ_i(s', .) - alpha log pi(.|s').
    copyRows(batch.nextObs, k.input('obs'), n, O);
    k.forward(n, ['policy', ...targets]);
    logSoftmaxRows(policyOut, this.logPiTp1, n, A);
    for (let i = 0; i < n; i++) {
      let expected = 0;
      for (let a = 0; a < A; a++) {
        let qNext = Infinity;
        for (const target of targets) qNext = min(qNext, k.output(target)[i * A + a]);
        const logPi = this.logPiTp1[i * A + a];
        expected += exp(logPi) * (qNext - alpha * logPi);
      }
      this.targets[i] = bellmanTarget(batch, i, expected);
    }
    // Critics on the replayed actions, and the actor: mean sum_a pi(a|s) (alpha log pi(a|s) - Q_1(s, a))
    // with Q held fixed (RLlib's tf policy uses Q_1 here); d/dz_j = pi_j (c_j - sum_a pi_a c_a).
    copyRows(batch.obs, k.input('obs'), n, O);
    k.forward(n, ['policy', ...this.qNames]);
    const critic = this.criticLoss(batch, (i) => i * A + batch.actions[i]);
    logSoftmaxRows(policyOut, this.logPiT, n, A);
    const q1 = k.output(this.qNames[0]);
    const dPolicy = k.dOutput('policy');
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
        dPolicy[i * A + a] = (exp(logPi) * (alpha * logPi - q1[i * A + a] - mean)) / n;
      }
    }
    k.backward(n, ['policy', ...this.qNames]);
    // the alpha loss weights log pi by pi: sum_a pi_a log pi_a = -H(pi(s))
    return this.finish(n, actorLoss / n, critic, policyT / (n * A), (i) => {
      let h = 0;
      for (let a = 0; a < A; a++) h += exp(this.logPiT[i * A + a]) * this.logPiT[i * A + a];
      return h;
    });
  }

  /**
   * 0.5 mean((Q_i - y)^2) for each Q network after their forward(), its gradient in dOutput; the
   * TD errors; Q_1's statistics (RLlib's q_t).
   */
  private criticLoss(batch: SACBatch, selected: (i: number) => number) {
    const k = this.kernel;
    const n = batch.count;
    let loss = 0;
    this.tdError.fill(0, 0, n);
    const q1Stats = { mean: 0, max: -Infinity, min: Infinity };
    this.qNames.forEach((name, j) => {
      const out = k.output(name);
      const dOut = k.dOutput(name);
      const width = this.numActions || 1;
      dOut.fill(0, 0, n * width);
      for (let i = 0; i < n; i++) {
        const at = selected(i);
        const error = out[at] - this.targets[i];
        loss += (0.5 * error * error) / n;
        dOut[at] = error / n;
        this.tdError[i] += abs(error) / this.qNames.length;
      }
      if (j === 0) {
        for (let r = 0; r < n * width; r++) {
          q1Stats.mean += out[r] / (n * width);
          q1Stats.max = max(q1Stats.max, out[r]);
          q1Stats.min = min(q1Stats.min, out[r]);
        }
      }
    });
    // RLlib reports the mean of the twins' losses
    return { loss: loss / this.qNames.length, q1Stats };
  }

  /** The alpha loss -mean(log_alpha (logp(i) + target_entropy)), its gradient, and the stats. */
  private finish(n: number, actorLoss: number, critic: ReturnType<SACLearner['criticLoss']>, policyT: number, logp: (i: number) => number): SACStats {
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
    if (gradClip !== null) for (const name of ['policy', ...this.qNames]) this.clipEachVariable(name, gradClip);
    this.actor.optimizer.apply(this.actor.params, this.actor.grads, actorLr);
    for (const c of this.critics) c.optimizer.apply(c.params, c.grads, criticLr);
    const alphaGrad = Float32Array.of(gradClip === null ? this.logAlphaGrad : max(-gradClip, min(gradClip, this.logAlphaGrad)));
    const logAlpha = Float32Array.of(this.logAlpha);
    this.alphaOptimizer.apply(logAlpha, alphaGrad, entropyLr);
    this.logAlpha = logAlpha[0];
  }

  /** Polyak averaging: target <- tau * online + (1 - tau) * target (tau 1: a copy, as RLlib starts them). */
  updateTargets(tau: number): void {
    const params = this.kernel.params;
    for (const name of this.qNames) {
      const [start, end] = networkRange(this.layout, name);
      const [targetStart] = networkRange(this.layout, TARGET_OF[name]);
      for (let i = 0; i < end - start; i++) params[targetStart + i] = tau * params[start + i] + (1 - tau) * params[targetStart + i];
    }
  }

  /** Adam's step counts and moments: per network [[step], m, v], then log_alpha's. */
  getOptimizerState(): Float32Array[] {
    return optimizerArrays([this.actor.optimizer, ...this.critics.map((c) => c.optimizer), this.alphaOptimizer]);
  }

  setOptimizerState(arrays: Float32Array[]): void {
    loadOptimizerArrays([this.actor.optimizer, ...this.critics.map((c) => c.optimizer), this.alphaOptimizer], arrays);
  }

  /** tf.clip_by_norm on each kernel and bias of a network, as RLlib's minimize_and_clip does. */
  private clipEachVariable(network: string, clip: number): void {
    const grads = this.kernel.grads;
    for (const index of this.layout.networks[network].path) {
      const l = this.layout.layers[index];
      for (const [start, end] of [
        [l.kernelOffset, l.biasOffset],
        [l.biasOffset, l.biasOffset + l.outSize],
      ]) {
        let sum = 0;
        for (let i = start; i < end; i++) sum += grads[i] ** 2;
        const norm = Math.sqrt(sum);
        if (norm > clip) for (let i = start; i < end; i++) grads[i] *= clip / norm;
      }
    }
  }
}

/** y = r + gamma^k (1 - terminated) next, gamma^k the row's n-step discount. */
function bellmanTarget(batch: SACBatch, i: number, next: number): number {
  return batch.rewards[i] + batch.discounts[i] * (1 - batch.terminated[i]) * next;
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
