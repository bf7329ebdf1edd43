// The fully connected policy and value networks as RLlib's FullyConnectedNetwork builds them,
// described as a flat Float32Array of weights (what workers receive) and run here in plain
// TypeScript: inference never needs tfjs.
import type { Activation } from '../algorithms/ppo/defaults.js';
import { Box, Discrete, type Space } from '../envs/spaces.js';
import type { Random } from '../utils/random.js';
import { MlpKernel, type NetworkSelection } from '../nn/mlp.js';
import { UserError } from '../utils/errors.js';

export interface ModelOptions {
  fcnet_hiddens: number[];
  fcnet_activation: Activation;
  vf_share_layers: boolean;
  /** Box actions: log-stds are free parameters, not network outputs (RLlib's free_log_std). */
  free_log_std?: boolean;
}

export interface DenseLayer {
  name: string;
  inSize: number;
  outSize: number;
  activation: Activation;
  /** normc std of the kernel's columns at initialisation. */
  initStd: number;
  kernelOffset: number;
  biasOffset: number;
}

export interface ModelLayout {
  observationSize: number;
  /** Distribution inputs per sample: logits (Discrete) or means then log-stds (Box). */
  policyOutputs: number;
  options: ModelOptions;
  layers: DenseLayer[];
  /** Layer indices applied in order for the policy output and for the value output. */
  policyPath: number[];
  valuePath: number[];
  /** With free_log_std: where the action dimensions' log-stds sit in the flat weights (after all layers). */
  logStdOffset: number | null;
  totalSize: number;
}

export function policyOutputSize(space: Space): number {
  if (space instanceof Discrete) return space.n;
  if (space instanceof Box) return 2 * space.size;
  throw new TypeError('unsupported action space');
}

export function modelLayout(observationSize: number, actionSpace: Space, options: ModelOptions): ModelLayout {
  const layers: DenseLayer[] = [];
  let offset = 0;
  const add = (name: string, inSize: number, outSize: number, activation: Activation, initStd: number): number => {
    layers.push({ name, inSize, outSize, activation, initStd, kernelOffset: offset, biasOffset: offset + inSize * outSize });
    offset += inSize * outSize + outSize;
    return layers.length - 1;
  };
  const distInputs = policyOutputSize(actionSpace);
  const freeLogStd = options.free_log_std === true && actionSpace instanceof Box;
  // free_log_std: the network outputs the means only; the log-stds are appended (RLlib's AppendBiasLayer).
  const outputs = freeLogStd ? distInputs / 2 : distInputs;
  const { fcnet_hiddens: hiddens, fcnet_activation: activation } = options;
  const trunk = (prefix: string): number[] => {
    let size = observationSize;
    return hiddens.map((h, i) => {
      const index = add(`${prefix}fc_${i + 1}`, size, h, activation, 1.0);
      size = h;
      return index;
    });
  };
  const lastSize = hiddens.length > 0 ? hiddens[hiddens.length - 1] : observationSize;
  let policyPath: number[];
  let valuePath: number[];
  if (options.vf_share_layers) {
    const shared = trunk('');
    policyPath = [...shared, add('fc_out', lastSize, outputs, 'linear', 0.01)];
    valuePath = [...shared, add('value_out', lastSize, 1, 'linear', 0.01)];
  } else {
    policyPath = [...trunk(''), add('fc_out', lastSize, outputs, 'linear', 0.01)];
    valuePath = [...trunk('value_'), add('value_out', lastSize, 1, 'linear', 0.01)];
  }
  checkModelSize(offset, hiddens);
  const logStdOffset = freeLogStd ? offset : null;
  if (freeLogStd) offset += distInputs / 2;
  return { observationSize, policyOutputs: distInputs, options, layers, policyPath, valuePath, logStdOffset, totalSize: offset };
}

/**
 * Most weights a model may have: 2 GiB of float32. Checked wherever a layout is made (a checkpoint's config
 * included) so nothing allocates an impossible array; the learner's kernel then checks its own, smaller,
 * memory for training (nn/mlp.ts).
 */
export const MAX_MODEL_BYTES = 2 ** 31;

/** Refuses, before anything is allocated, a model too large to hold ("Invalid typed array length" otherwise). */
function checkModelSize(weights: number, hiddens: number[]): void {
  const bytes = weights * Float32Array.BYTES_PER_ELEMENT;
  if (bytes <= MAX_MODEL_BYTES) return;
  throw new UserError(
    `model.fcnet_hiddens ${JSON.stringify(hiddens)} makes networks of ${weights.toLocaleString('en-US')} weights ` +
      `(${(bytes / 2 ** 30).toFixed(1)} GiB as float32), more than the ${MAX_MODEL_BYTES / 2 ** 30} GiB limit; use smaller layers such as [256, 256]`,
  );
}

/**
 * RLlib's initialisation: kernels normc(std) (a standard normal matrix whose columns are scaled
 * to norm std; 1.0 for hidden layers, 0.01 for the outputs, which starts the policy near
 * uniform), biases zero.
 */
export function initialWeights(layout: Pick<ModelLayout, 'layers' | 'totalSize'>, rng: Random): Float32Array {
  const weights = new Float32Array(layout.totalSize);
  for (const layer of layout.layers) {
    const { inSize, outSize, kernelOffset } = layer;
    const kernel = new Float64Array(inSize * outSize);
    for (let i = 0; i < kernel.length; i++) kernel[i] = rng.normal();
    for (let j = 0; j < outSize; j++) {
      let norm = 0;
      for (let i = 0; i < inSize; i++) norm += kernel[i * outSize + j] ** 2;
      const scale = layer.initStd / Math.sqrt(norm);
      for (let i = 0; i < inSize; i++) weights[kernelOffset + i * outSize + j] = kernel[i * outSize + j] * scale;
    }
  }
  return weights;
}

/**
 * The networks' forward pass for inference (rollout workers, `rl rollout`, `rl serve`) on the
 * WebAssembly kernel: one call runs a whole batch (all envs of a worker, a serve batch) through
 * both networks. Its room grows with the largest batch seen.
 */
export class ForwardPass {
  private kernel: MlpKernel;

  constructor(
    readonly layout: ModelLayout,
    weights: Float32Array,
    batch = 1,
  ) {
    this.kernel = new MlpKernel(layout, batch);
    this.setWeights(weights);
  }

  setWeights(weights: Float32Array): void {
    if (weights.length !== this.layout.totalSize) {
      throw new RangeError(`weights have ${weights.length} values; the model needs ${this.layout.totalSize}`);
    }
    this.kernel.params.set(weights);
  }

  /** Writes policy outputs (batch x policyOutputs) into distInputs. */
  policy(observations: Float32Array, batch: number, distInputs: Float32Array): void {
    this.run(observations, batch, { value: false });
    distInputs.set(this.kernel.distInputs.subarray(0, batch * this.layout.policyOutputs));
  }

  /** Writes V(s) for each observation into values. */
  value(observations: Float32Array, batch: number, values: Float32Array): void {
    this.run(observations, batch, { policy: false });
    values.set(this.kernel.values.subarray(0, batch));
  }

  /** Both networks in one pass. */
  policyAndValue(observations: Float32Array, batch: number, distInputs: Float32Array, values: Float32Array): void {
    this.run(observations, batch, {});
    distInputs.set(this.kernel.distInputs.subarray(0, batch * this.layout.policyOutputs));
    values.set(this.kernel.values.subarray(0, batch));
  }

  private run(observations: Float32Array, batch: number, which: NetworkSelection): void {
    if (batch > this.kernel.maxBatch) {
      const grown = new MlpKernel(this.layout, Math.max(batch, 2 * this.kernel.maxBatch));
      grown.params.set(this.kernel.params);
      this.kernel = grown;
    }
    const size = batch * this.layout.observationSize;
    this.kernel.input.set(observations.length === size ? observations : observations.subarray(0, size));
    this.kernel.forward(batch, which);
  }
}
