// SAC's three losses written with tfjs ops and differentiated by tfjs autodiff: the oracle the
// learner's analytic gradients are checked against. Written from RLlib 1.x's sac_tf_policy.py
// and tf_action_dist.py's SquashedGaussian, independently of src/ (only the layer layout is shared).
import * as tf from '@tensorflow/tfjs';
import type { DenseLayer } from '../../src/policy/model.js';

export interface OracleNet {
  layers: DenseLayer[];
  weights: Float32Array;
}

export interface OracleInput {
  policy: OracleNet;
  q: OracleNet[];
  targetQ: OracleNet[];
  logAlpha: number;
  obs: Float32Array;
  nextObs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  terminated: Float32Array;
  n: number;
  observationSize: number;
  /** Box: bounds and noise; Discrete: the number of actions. */
  box: { low: number[]; high: number[]; epsT: Float32Array; epsTp1: Float32Array } | null;
  numActions: number;
  /** gamma^k of each row's k summed rewards. */
  discounts: Float32Array;
  targetEntropy: number;
}

export interface OracleResult {
  actorLoss: number;
  actorGrad: Float32Array;
  criticLoss: number[];
  criticGrad: Float32Array[];
  alphaLoss: number;
  alphaGrad: number;
  /** The critics' target y per row. */
  y: Float32Array;
  /** Each Q network's value at the replayed actions, per row. */
  qTaken: Float32Array[];
  /** Q_1's outputs (n values for Box; n x numActions for Discrete). */
  q1: Float32Array;
  /** Box: the reparameterised actions sampled at s (n x d); Discrete: pi(.|s) (n x numActions). */
  policyT: Float32Array;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function variables(net: OracleNet): tf.Variable[] {
  return net.layers.flatMap((l) => [
    tf.variable(tf.tensor2d(net.weights.slice(l.kernelOffset, l.biasOffset), [l.inSize, l.outSize])),
    tf.variable(tf.tensor1d(net.weights.slice(l.biasOffset, l.biasOffset + l.outSize))),
  ]);
}

function apply(layers: DenseLayer[], vars: tf.Variable[], x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  layers.forEach((l, i) => {
    h = tf.add(tf.matMul(h, vars[2 * i] as tf.Tensor2D), vars[2 * i + 1]);
    if (l.activation === 'relu') h = tf.relu(h);
    else if (l.activation === 'tanh') h = tf.tanh(h);
  });
  return h;
}

function flatGrad(net: OracleNet, vars: tf.Variable[], grads: tf.NamedTensorMap): Float32Array {
  const flat = new Float32Array(net.weights.length);
  net.layers.forEach((l, i) => {
    const gw = grads[vars[2 * i].name];
    const gb = grads[vars[2 * i + 1].name];
    if (gw) flat.set(gw.dataSync() as Float32Array, l.kernelOffset);
    if (gb) flat.set(gb.dataSync() as Float32Array, l.biasOffset);
  });
  return flat;
}

/** Tensors computed outside tf.variableGrads's function are constants to it: RLlib's tf.stop_gradient. */
function constant(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape);
}

export function sacOracle(input: OracleInput): OracleResult {
  let result: OracleResult | null = null;
  tf.tidy(() => {
    const { n, observationSize: O, box } = input;
    const policyVars = variables(input.policy);
    const qVars = input.q.map(variables);
    const targetVars = input.targetQ.map(variables);
    const logAlpha = tf.variable(tf.scalar(input.logAlpha));
    const obs = tf.tensor2d(input.obs.slice(0, n * O), [n, O]);
    const nextObs = tf.tensor2d(input.nextObs.slice(0, n * O), [n, O]);
    const rewards = tf.tensor1d(input.rewards.slice(0, n));
    const notDone = tf.sub(1, tf.tensor1d(input.terminated.slice(0, n)));
    const discount = tf.tensor1d(input.discounts.slice(0, n));
    const policyOut = (x: tf.Tensor2D) => apply(input.policy.layers, policyVars, x);
    const qOut = (j: number, x: tf.Tensor2D) => apply(input.q[j].layers, qVars[j], x);
    const targetOut = (j: number, x: tf.Tensor2D) => apply(input.targetQ[j].layers, targetVars[j], x);
    const minOver = (ts: tf.Tensor[]) => ts.reduce((a, b) => tf.minimum(a, b));
    const mean = (t: tf.Tensor) => tf.mean(t) as tf.Scalar;

    let actorLossFn: () => tf.Scalar;
    let extras: Pick<OracleResult, 'y' | 'qTaken' | 'q1' | 'policyT'>;
    let criticLossFn: (j: number) => tf.Scalar;
    let alphaLossFn: () => tf.Scalar;
    if (box) {
      const d = box.low.length;
      const low = tf.tensor1d(box.low);
      const high = tf.tensor1d(box.high);
      // SquashedGaussian: reparameterised sample, log-prob with the tanh correction
      const sample = (out: tf.Tensor2D, eps: Float32Array) => {
        const [mean, rawLogStd] = tf.split(out, 2, 1);
        const logStd = tf.clipByValue(rawLogStd, -20, 2);
        const e = tf.tensor2d(eps.slice(0, n * d), [n, d]);
        const u = tf.add(mean, tf.mul(tf.exp(logStd), e));
        const z = tf.div(tf.sub(u, mean), tf.exp(logStd));
        const gaussian = tf.clipByValue(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), HALF_LOG_2PI), -100, 100);
        // 1 - tanh(u)^2 as sech(u)^2 = 4 / (e^u + e^-u)^2: the same function without float32's cancellation near |tanh| = 1
        const sech2 = tf.div(4, tf.square(tf.add(tf.exp(u), tf.exp(tf.neg(u)))));
        const correction = tf.log(tf.add(sech2, 1e-6));
        const logp = tf.sum(tf.sub(gaussian, correction), 1);
        const action = tf.add(low, tf.mul(tf.div(tf.add(tf.tanh(u), 1), 2), tf.sub(high, low)));
        const clipped = tf.minimum(tf.maximum(action, low), high);
        return { action: clipped as tf.Tensor2D, logp };
      };
      const next = sample(policyOut(nextObs), box.epsTp1);
      const qNext = minOver(input.targetQ.map((_, j) => targetOut(j, tf.concat([nextObs, next.action], 1))));
      const y = constant(tf.add(rewards, tf.mul(discount, tf.mul(notDone, tf.sub(tf.reshape(qNext, [-1]), tf.mul(tf.exp(logAlpha), next.logp))))));
      const actions = tf.tensor2d(input.actions.slice(0, n * d), [n, d]);
      const qTaken = input.q.map((_, j) => tf.reshape(qOut(j, tf.concat([obs, actions], 1)), [-1]).dataSync() as Float32Array);
      extras = { y: y.dataSync() as Float32Array, qTaken, q1: qTaken[0], policyT: sample(policyOut(obs), box.epsT).action.dataSync() as Float32Array };
      criticLossFn = (j) => mean(tf.mul(0.5, tf.square(tf.sub(tf.reshape(qOut(j, tf.concat([obs, actions], 1)), [-1]), y))));
      actorLossFn = () => {
        const cur = sample(policyOut(obs), box.epsT);
        const q = minOver(input.q.map((_, j) => qOut(j, tf.concat([obs, cur.action], 1))));
        return mean(tf.sub(tf.mul(tf.exp(logAlpha), cur.logp), tf.reshape(q, [-1])));
      };
      const logpPlusTarget = constant(tf.add(sample(policyOut(obs), box.epsT).logp, input.targetEntropy));
      alphaLossFn = () => tf.neg(mean(tf.mul(logAlpha, logpPlusTarget)));
    } else {
      const A = input.numActions;
      const alpha = tf.exp(logAlpha);
      const logPiNext = tf.logSoftmax(policyOut(nextObs));
      const qNext = minOver(input.targetQ.map((_, j) => targetOut(j, nextObs)));
      const expected = tf.sum(tf.mul(tf.exp(logPiNext), tf.sub(qNext, tf.mul(alpha, logPiNext))), 1);
      const y = constant(tf.add(rewards, tf.mul(discount, tf.mul(notDone, expected))));
      const oneHot = tf.oneHot(tf.tensor1d(Array.from(input.actions.slice(0, n)), 'int32'), A);
      criticLossFn = (j) => mean(tf.mul(0.5, tf.square(tf.sub(tf.sum(tf.mul(qOut(j, obs), oneHot), 1), y))));
      extras = {
        y: y.dataSync() as Float32Array,
        qTaken: input.q.map((_, j) => tf.sum(tf.mul(qOut(j, obs), oneHot), 1).dataSync() as Float32Array),
        q1: qOut(0, obs).dataSync() as Float32Array,
        policyT: tf.softmax(policyOut(obs)).dataSync() as Float32Array,
      };
      // the discrete actor uses Q_1(s, .) held fixed, as RLlib's tf policy
      const q1 = constant(qOut(0, obs));
      actorLossFn = () => {
        const logPi = tf.logSoftmax(policyOut(obs));
        return mean(tf.sum(tf.mul(tf.exp(logPi), tf.sub(tf.mul(tf.exp(logAlpha), logPi), q1)), 1));
      };
      const logPiFixed = tf.logSoftmax(policyOut(obs));
      const piFixed = constant(tf.exp(logPiFixed));
      const logPiPlusTarget = constant(tf.add(logPiFixed, input.targetEntropy));
      alphaLossFn = () => mean(tf.sum(tf.mul(piFixed, tf.mul(tf.neg(logAlpha), logPiPlusTarget)), 1));
    }
    const actor = tf.variableGrads(actorLossFn, policyVars);
    const critics = input.q.map((_, j) => tf.variableGrads(() => criticLossFn(j), qVars[j]));
    const alpha = tf.variableGrads(alphaLossFn, [logAlpha]);
    result = {
      actorLoss: actor.value.dataSync()[0],
      actorGrad: flatGrad(input.policy, policyVars, actor.grads),
      criticLoss: critics.map((c) => c.value.dataSync()[0]),
      criticGrad: critics.map((c, j) => flatGrad(input.q[j], qVars[j], c.grads)),
      alphaLoss: alpha.value.dataSync()[0],
      alphaGrad: alpha.grads[logAlpha.name].dataSync()[0],
      ...extras!,
    };
    for (const v of [...policyVars, ...qVars.flat(), ...targetVars.flat(), logAlpha]) v.dispose();
  });
  return result as unknown as OracleResult;
}
