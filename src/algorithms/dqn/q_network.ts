// DQN's Q(s, .) network as RLlib 1.x builds it (DistributionalQTFModel with num_atoms 1): the
// model's fully connected trunk (fcnet_hiddens, fcnet_activation, no final linear layer), then
// for each head stream the `hiddens` layers with ReLU and a linear output. Dueling (Wang et al.
// 2016): an advantage stream `q` and a value stream `q_value` on the same trunk, combined as
// Q = V + A - mean(A); otherwise `q` outputs Q. The trainer's layout adds a target copy of each
// (`target_q`, `target_q_value`) after the online layers, so each half is one contiguous range.
import type { Activation, DenseLayer, ModelLayout, NetworkLayout } from '../../nn/layout.js';
import { MlpKernel } from '../../nn/mlp.js';
import type { Random } from '../../utils/random.js';

export interface QModelOptions {
  fcnet_hiddens: number[];
  fcnet_activation: Activation;
  /** The head streams' hidden layers (DQN's `hiddens`). */
  hiddens: number[];
  dueling: boolean;
}

/** The online networks' names in a Q model (the value stream only with dueling). */
export function qNetworkNames(dueling: boolean, prefix = ''): string[] {
  return dueling ? [`${prefix}q`, `${prefix}q_value`] : [`${prefix}q`];
}

/** The Q model's layers: the online networks, and with withTarget their target copies after them. */
export function qModelLayout(observationSize: number, numActions: number, options: QModelOptions, withTarget = false): ModelLayout {
  const layers: DenseLayer[] = [];
  const networks: Record<string, NetworkLayout> = {};
  let offset = 0;
  const add = (name: string, inSize: number, outSize: number, activation: Activation, initStd: number): number => {
    layers.push({ name, inSize, outSize, activation, initStd, kernelOffset: offset, biasOffset: offset + inSize * outSize });
    offset += inSize * outSize + outSize;
    return layers.length - 1;
  };
  const build = (prefix: string) => {
    const trunk: number[] = [];
    let trunkSize = observationSize;
    options.fcnet_hiddens.forEach((h, i) => {
      trunk.push(add(`${prefix}fc_${i + 1}`, trunkSize, h, options.fcnet_activation, 1.0));
      trunkSize = h;
    });
    // initStd 0: the head's layers start Glorot-uniform (Keras's Dense default), not normc
    const stream = (name: string, outputs: number) => {
      let inSize = trunkSize;
      const own = options.hiddens.map((h, i) => {
        const index = add(`${prefix}${name}_hidden_${i + 1}`, inSize, h, 'relu', 0);
        inSize = h;
        return index;
      });
      const path = [...trunk, ...own, add(`${prefix}${name}_out`, inSize, outputs, 'linear', 0)];
      networks[`${prefix}${name}`] = { name: `${prefix}${name}`, input: 'obs', inputSize: observationSize, outputSize: outputs, path };
    };
    stream('q', numActions);
    if (options.dueling) stream('q_value', 1);
  };
  build('');
  if (withTarget) build('target_');
  return { observationSize, networks, layers, params: {}, totalSize: offset, sizeSetting: { key: 'model.fcnet_hiddens', hiddens: options.fcnet_hiddens } };
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

/** Q = V + A - mean(A) per row, from the advantage rows (rows x n) and the values (rows). */
export function combineDueling(advantages: Float32Array, values: Float32Array, rows: number, n: number, q: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let a = 0; a < n; a++) mean += advantages[r * n + a];
    mean /= n;
    for (let a = 0; a < n; a++) q[r * n + a] = values[r] + advantages[r * n + a] - mean;
  }
}

/** Q-values of a batch of observations, and the backward pass of a loss's gradient w.r.t. them (online networks only). */
export class QNetwork {
  readonly kernel: MlpKernel;
  /** Q(s, a) after forward(): rows x numActions. */
  readonly q: Float32Array;
  readonly numActions: number;
  readonly dueling: boolean;
  private readonly names: string[];

  constructor(
    readonly layout: ModelLayout,
    maxBatch: number,
  ) {
    this.kernel = new MlpKernel(layout, maxBatch);
    this.numActions = layout.networks.q.outputSize;
    this.dueling = Object.hasOwn(layout.networks, 'q_value');
    this.names = qNetworkNames(this.dueling);
    // without dueling the q network's output is Q itself
    this.q = this.dueling ? new Float32Array(maxBatch * this.numActions) : this.kernel.output('q');
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
    k.input('obs').set(observations.subarray(0, rows * this.layout.observationSize));
    k.forward(rows, this.names);
    if (this.dueling) combineDueling(k.output('q'), k.output('q_value'), rows, this.numActions, this.q);
    return this.q;
  }

  /**
   * Gradients into grads from dQ (rows x numActions), the loss's gradient w.r.t. the q of the
   * last forward(). Dueling: dV = sum_a dQ_a, dA_a = dQ_a - mean(dQ) (through the mean subtraction).
   */
  backward(dQ: Float32Array, rows: number): void {
    const k = this.kernel;
    const n = this.numActions;
    const dA = k.dOutput('q');
    if (this.dueling) {
      const dV = k.dOutput('q_value');
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let a = 0; a < n; a++) sum += dQ[r * n + a];
        dV[r] = sum;
        for (let a = 0; a < n; a++) dA[r * n + a] = dQ[r * n + a] - sum / n;
      }
    } else {
      dA.set(dQ.subarray(0, rows * n));
    }
    k.backward(rows, this.names);
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
