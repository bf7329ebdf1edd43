// PPO's loss written with tfjs ops, differentiated by tfjs's autodiff: the oracle the kernel's
// analytic gradients are checked against. Written from RLlib 1.x's ppo_tf_policy.py and the
// distributions' textbook formulas, independently of src/ (only the layout is shared).
import * as tf from '@tensorflow/tfjs';
import type { PPOModelLayout as ModelLayout } from '../../src/algorithms/ppo/model.js';
import type { LossRows } from '../../src/algorithms/ppo/loss.js';

export type Term = 'policy' | 'kl' | 'entropy' | 'value' | 'total';

export interface OracleCoefficients {
  clipParam: number;
  vfClipParam: number;
  vfLossCoeff: number;
  klCoeff: number;
  entropyCoeff: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** The term's value and its gradient w.r.t. the flat weights (the layout's order). */
export function oracleGradient(
  layout: ModelLayout,
  weights: Float32Array,
  obs: Float32Array,
  rows: LossRows,
  n: number,
  numActions: number,
  c: OracleCoefficients,
  term: Term,
): { value: number; grad: Float32Array } {
  return tf.tidy(() => {
    const vars = layout.layers.flatMap((layer) => [
      tf.variable(tf.tensor2d(weights.slice(layer.kernelOffset, layer.biasOffset), [layer.inSize, layer.outSize])),
      tf.variable(tf.tensor1d(weights.slice(layer.biasOffset, layer.biasOffset + layer.outSize))),
    ]);
    const d = layout.policyOutputs / 2;
    const logStdVar = layout.logStdOffset === null ? null : tf.variable(tf.tensor1d(weights.slice(layout.logStdOffset, layout.logStdOffset + d)));
    const x = tf.tensor2d(obs.slice(0, n * layout.observationSize), [n, layout.observationSize]);
    const net = (path: number[]): tf.Tensor2D => {
      let h: tf.Tensor2D = x;
      for (const index of path) {
        const layer = layout.layers[index];
        h = tf.add(tf.matMul(h, vars[2 * index] as tf.Tensor2D), vars[2 * index + 1]);
        if (layer.activation === 'tanh') h = tf.tanh(h);
        else if (layer.activation === 'relu') h = tf.relu(h);
      }
      return h;
    };
    const P = layout.policyOutputs;
    const A = numActions > 0 ? 1 : d;
    const oldInputs = tf.tensor2d(rows.distInputs.slice(0, n * P), [n, P]);
    const oldLogp = tf.tensor1d(rows.logp.slice(0, n));
    const adv = tf.tensor1d(rows.advantages.slice(0, n));
    const actionsFlat = rows.actions.slice(0, n * A);
    const lossFn = (): tf.Scalar => {
      let out = net(layout.policyPath);
      if (logStdVar) out = tf.concat([out, tf.mul(tf.onesLike(out), logStdVar) as tf.Tensor2D], 1);
      let logp: tf.Tensor, kl: tf.Tensor, entropy: tf.Tensor;
      if (numActions > 0) {
        const onehot = tf.oneHot(tf.tensor1d(Array.from(actionsFlat), 'int32'), numActions);
        const logpAll = tf.logSoftmax(out);
        const oldAll = tf.logSoftmax(oldInputs);
        logp = tf.sum(tf.mul(logpAll, onehot), 1);
        kl = tf.sum(tf.mul(tf.exp(oldAll), tf.sub(oldAll, logpAll)), 1);
        entropy = tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), 1));
      } else {
        const [mean, logStd] = tf.split(out, [d, d], 1);
        const [oldMean, oldLogStd] = tf.split(oldInputs, [d, d], 1);
        const actions = tf.tensor2d(actionsFlat, [n, d]);
        const z = tf.div(tf.sub(actions, mean), tf.exp(logStd));
        logp = tf.sub(tf.sum(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), 1), 0.5 * LOG_2PI * d);
        // KL(N0 || N1) = log s1 - log s0 + (s0^2 + (m0 - m1)^2) / (2 s1^2) - 1/2
        kl = tf.sum(tf.sub(tf.add(tf.sub(logStd, oldLogStd), tf.div(tf.add(tf.exp(tf.mul(2, oldLogStd)), tf.square(tf.sub(oldMean, mean))), tf.mul(2, tf.exp(tf.mul(2, logStd))))), 0.5), 1);
        // H = log s + (log 2 pi + 1) / 2 per dimension
        entropy = tf.sum(tf.add(logStd, 0.5 * (LOG_2PI + 1)), 1);
      }
      const ratio = tf.exp(tf.sub(logp, oldLogp));
      const policyLoss = tf.neg(tf.mean(tf.minimum(tf.mul(adv, ratio), tf.mul(adv, tf.clipByValue(ratio, 1 - c.clipParam, 1 + c.clipParam)))));
      const v = tf.reshape(net(layout.valuePath), [-1]);
      const oldV = tf.tensor1d(rows.vfPreds.slice(0, n));
      const target = tf.tensor1d(rows.valueTargets.slice(0, n));
      const clippedV = tf.add(oldV, tf.clipByValue(tf.sub(v, oldV), -c.vfClipParam, c.vfClipParam));
      const vfLoss = tf.mean(tf.maximum(tf.square(tf.sub(v, target)), tf.square(tf.sub(clippedV, target))));
      const meanKl = tf.mean(kl);
      const meanEntropy = tf.mean(entropy);
      switch (term) {
        case 'policy':
          return policyLoss as tf.Scalar;
        case 'kl':
          return meanKl as tf.Scalar;
        case 'entropy':
          return meanEntropy as tf.Scalar;
        case 'value':
          return vfLoss as tf.Scalar;
        case 'total':
          return tf.sub(tf.add(tf.add(policyLoss, tf.mul(c.klCoeff, meanKl)), tf.mul(c.vfLossCoeff, vfLoss)), tf.mul(c.entropyCoeff, meanEntropy)) as tf.Scalar;
      }
    };
    const all = logStdVar ? [...vars, logStdVar] : vars;
    const { value, grads } = tf.variableGrads(lossFn, all);
    // Variables the term does not depend on have no entry: their gradient is zero.
    const flat = new Float32Array(layout.totalSize);
    const put = (v: tf.Variable, offset: number) => {
      if (grads[v.name]) flat.set(grads[v.name].dataSync() as Float32Array, offset);
    };
    layout.layers.forEach((layer, i) => {
      put(vars[2 * i], layer.kernelOffset);
      put(vars[2 * i + 1], layer.biasOffset);
    });
    if (logStdVar && layout.logStdOffset !== null) put(logStdVar, layout.logStdOffset);
    const result = { value: value.dataSync()[0], grad: flat };
    for (const v of all) v.dispose();
    return result;
  });
}
