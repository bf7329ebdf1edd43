// DQN's Q(s, .) network as RLlib 1.x builds it (DistributionalQTFModel with num_atoms 1): the
// model's fully connected trunk (fcnet_hiddens, fcnet_activation, no final linear layer), then
// for each head stream the `hiddens` layers with ReLU and a linear output. Dueling (Wang et al.
// 2016): an advantage stream A(s, .) and a value stream V(s) combined as Q = V + A - mean(A);
// otherwise one stream outputs Q. Run on the WebAssembly dense-layer kernel: the advantage (or
// Q) stream is the kernel's "policy" path, the value stream its "value" path.
import type { Activation } from '../ppo/defaults.js';
import type { DenseLayer, ModelLayout } from '../../policy/model.js';
import { MlpKernel } from '../../nn/mlp.js';
import type { Random } from '../../utils/random.js';

export interface QModelOptions {
  fcnet_hiddens: number[];
  fcnet_activation: Activation;
  /** The head streams' hidden layers (DQN's `hiddens`). */
  hiddens: number[];
  dueling: boolean;
}

/**
 * The layers of a Q network in the kernel's layout. Without dueling the Q stream is both of the
 * kernel's paths (its value output is then never read nor given a gradient).
 */
export function qModelLayout(observationSize: number, numActions: number, options: QModelOptions): ModelLayout {
  const layers: DenseLayer[] = [];
  let offset = 0;
  const add = (name: string, inSize: number, outSize: number, activation: Activation, initStd: number): number => {
    layers.push({ name, inSize, outSize, activation, initStd, kernelOffset: offset, biasOffset: offset + inSize * outSize });
    offset += inSize * outSize + outSize;
    return layers.length - 1;
  };
  const trunk: number[] = [];
  let size = observationSize;
  options.fcnet_hiddens.forEach((h, i) => {
    trunk.push(add(`fc_${i + 1}`, size, h, options.fcnet_activation, 1.0));
    size = h;
  });
  const trunkSize = size;
  // initStd 0: the head's layers start Glorot-uniform (Keras's Dense default), not normc.
  const stream = (prefix: string, outputs: number): number[] => {
    let inSize = trunkSize;
    const path = options.hiddens.map((h, i) => {
      const index = add(`${prefix}_hidden_${i}`, inSize, h, 'relu', 0);
      inSize = h;
      return index;
    });
    return [...trunk, ...path, add(`${prefix}_out`, inSize, outputs, 'linear', 0)];
  };
  const qPath = stream(options.dueling ? 'advantage' : 'q', numActions);
  const valuePath = options.dueling ? stream('value', 1) : qPath;
  return {
    observationSize,
    policyOutputs: numActions,
    options: { fcnet_hiddens: options.fcnet_hiddens, fcnet_activation: options.fcnet_activation, vf_share_layers: true },
    layers,
    policyPath: qPath,
    valuePath,
    logStdOffset: null,
    totalSize: offset,
  };
}

/** Trunk kernels normc(1.0) as RLlib's fcnet, head kernels Glorot-uniform as Keras's Dense; biases zero. */
export function initialQWeights(layout: ModelLayout, rng: Random): Float32Array {
  const weights = new Float32Array(layout.totalSize);
  for (const { inSize, outSize, kernelOffset, initStd } of layout.layers) {
    if (initStd > 0) {
      const kernel = Float64Array.from({ length: inSize * outSize }, () => rng.normal());
      for (let j = 0; j < outSize; j++) {
        let norm = 0;
        for (let i = 0; i < inSize; i++) norm += kernel[i * outSize + j] ** 2;
        for (let i = 0; i < inSize; i++) weights[kernelOffset + i * outSize + j] = (kernel[i * outSize + j] * initStd) / Math.sqrt(norm);
      }
    } else {
      const limit = Math.sqrt(6 / (inSize + outSize));
      for (let i = 0; i < inSize * outSize; i++) weights[kernelOffset + i] = rng.uniform(-limit, limit);
    }
  }
  return weights;
}

/** Q-values of a batch of observations, and the backward pass of a loss's gradient w.r.t. them. */
export class QNetwork {
  readonly kernel: MlpKernel;
  /** Q(s, a) after forward(): rows x numActions. */
  readonly q: Float32Array;
  readonly numActions: number;
  readonly dueling: boolean;

  constructor(
    readonly layout: ModelLayout,
    maxBatch: number,
  ) {
    this.kernel = new MlpKernel(layout, maxBatch);
    this.numActions = layout.policyOutputs;
    this.dueling = layout.valuePath !== layout.policyPath;
    // without dueling the kernel's policy output is Q itself
    this.q = this.dueling ? new Float32Array(maxBatch * this.numActions) : this.kernel.distInputs;
  }

  get params(): Float32Array {
    return this.kernel.params;
  }

  get grads(): Float32Array {
    return this.kernel.grads;
  }

  /** Q-values of the first `rows` observations (rows x observationSize) into q. */
  forward(observations: Float32Array, rows: number): Float32Array {
    const k = this.kernel;
    k.input.set(observations.subarray(0, rows * this.layout.observationSize));
    k.forward(rows, { value: this.dueling });
    if (this.dueling) {
      const n = this.numActions;
      for (let r = 0; r < rows; r++) {
        let mean = 0;
        for (let a = 0; a < n; a++) mean += k.distInputs[r * n + a];
        mean /= n;
        for (let a = 0; a < n; a++) this.q[r * n + a] = k.values[r] + k.distInputs[r * n + a] - mean;
      }
    }
    return this.q;
  }

  /**
   * Gradients into grads from dQ (rows x numActions), the loss's gradient w.r.t. the q of the
   * last forward(). Dueling: dV = sum_a dQ_a, dA_a = dQ_a - mean(dQ) (through the mean subtraction).
   */
  backward(dQ: Float32Array, rows: number): void {
    const k = this.kernel;
    const n = this.numActions;
    if (this.dueling) {
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let a = 0; a < n; a++) sum += dQ[r * n + a];
        k.dValues[r] = sum;
        for (let a = 0; a < n; a++) k.dDistInputs[r * n + a] = dQ[r * n + a] - sum / n;
      }
    } else {
      k.dDistInputs.set(dQ.subarray(0, rows * n));
    }
    k.backward(rows, { value: this.dueling });
  }
}

/** The greedy action of each row: argmax_a Q(s, a), the first on ties (tf.argmax). */
export function argmaxRows(q: Float32Array, rows: number, numActions: number, out: Int32Array | Float32Array): void {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let a = 1; a < numActions; a++) if (q[r * numActions + a] > q[r * numActions + best]) best = a;
    out[r] = best;
  }
}
