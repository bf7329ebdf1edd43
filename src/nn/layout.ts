// Named dense networks laid out in one flat Float32Array of weights (what workers receive and
// checkpoints save): PPO's {policy, value}, DQN's {q, target_q}, SAC's {policy, q1, q2, ...}.
// Each network is an MLP with its own input (a named input buffer, shared by networks that read
// the same values) and output size; a network may reuse another's hidden layers (RLlib's
// vf_share_layers). Free parameters that are not layers (PPO's free_log_std) go after the layers.
import type { Random } from '../utils/random.js';
import { UserError } from '../utils/errors.js';

export type Activation = 'tanh' | 'relu' | 'linear';

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

export interface NetworkSpec {
  /** The network's name: its checkpoint folder (`<name>/model.json`) and its key in ModelLayout.networks. */
  name: string;
  /** Names the input buffer: networks with the same input read the same rows (PPO's policy and value: 'obs'). */
  input?: string;
  inputSize: number;
  hiddens: number[];
  activation: Activation;
  outputSize: number;
  /** Activation of the output layer (default linear). */
  outputActivation?: Activation;
  /** normc std of the output kernel (default 0.01, RLlib's for logits and values; hidden layers get 1.0). */
  outputInitStd?: number;
  /** Reuse the hidden layers of this earlier network instead of making new ones (vf_share_layers; a dueling Q head's trunk). */
  shareHiddensWith?: string;
  /** How many of its first hidden layers are shared (default: all of `hiddens`); the rest are this network's own. */
  sharedLayers?: number;
  /** Layer names in the saved LayersModel: `${hiddenPrefix}fc_<i>` and outputName (defaults `${name}_fc_<i>`, `${name}_out`). */
  hiddenPrefix?: string;
  outputName?: string;
}

export interface NetworkLayout {
  name: string;
  input: string;
  inputSize: number;
  outputSize: number;
  /** Layer indices, input to output. */
  path: number[];
}

/** Names the setting a user changes to make networks smaller. */
export interface SizeSetting {
  key: string;
  hiddens: number[];
}

export interface ModelLayout {
  /** Size of one (filtered) observation. */
  observationSize: number;
  /** In declaration order (the order they are saved in). */
  networks: Record<string, NetworkLayout>;
  layers: DenseLayer[];
  /** Named free parameters after the layers: offset and length in the flat weights (PPO: log_std). */
  params: Record<string, { offset: number; size: number }>;
  totalSize: number;
  /** The config setting that sizes the networks, for errors: its key ("model.fcnet_hiddens") and value. */
  sizeSetting: SizeSetting;
}

/**
 * Lays out the networks in order, each network's own layers contiguous (so a network that shares
 * no layers owns the range networkRange() gives), then the free parameters.
 */
export function denseLayout(
  observationSize: number,
  specs: NetworkSpec[],
  options: { params?: Record<string, number>; sizeSetting: SizeSetting },
): ModelLayout {
  const layers: DenseLayer[] = [];
  const networks: Record<string, NetworkLayout> = {};
  const hiddenPaths = new Map<string, number[]>();
  let offset = 0;
  const add = (name: string, inSize: number, outSize: number, activation: Activation, initStd: number): number => {
    layers.push({ name, inSize, outSize, activation, initStd, kernelOffset: offset, biasOffset: offset + inSize * outSize });
    offset += inSize * outSize + outSize;
    return layers.length - 1;
  };
  for (const spec of specs) {
    if (Object.hasOwn(networks, spec.name)) throw new RangeError(`network '${spec.name}' is declared twice`);
    const input = spec.input ?? 'obs';
    let hidden: number[] = [];
    if (spec.shareHiddensWith !== undefined) {
      const shared = hiddenPaths.get(spec.shareHiddensWith);
      const other = networks[spec.shareHiddensWith];
      if (!shared || !other) throw new RangeError(`network '${spec.name}' shares the layers of '${spec.shareHiddensWith}', which is not declared before it`);
      if (other.input !== input) throw new RangeError(`network '${spec.name}' shares layers with '${other.name}' but reads another input`);
      const count = spec.sharedLayers ?? spec.hiddens.length;
      if (count > shared.length || spec.hiddens.slice(0, count).some((h, i) => layers[shared[i]].outSize !== h)) {
        throw new RangeError(`network '${spec.name}' shares ${count} hidden layers of '${other.name}', whose sizes differ`);
      }
      hidden = shared.slice(0, count);
    }
    let size = hidden.length > 0 ? layers[hidden[hidden.length - 1]].outSize : spec.inputSize;
    const prefix = spec.hiddenPrefix ?? `${spec.name}_`;
    for (let i = hidden.length; i < spec.hiddens.length; i++) {
      hidden.push(add(`${prefix}fc_${i + 1}`, size, spec.hiddens[i], spec.activation, 1.0));
      size = spec.hiddens[i];
    }
    const lastSize = hidden.length > 0 ? layers[hidden[hidden.length - 1]].outSize : spec.inputSize;
    const out = add(spec.outputName ?? `${spec.name}_out`, lastSize, spec.outputSize, spec.outputActivation ?? 'linear', spec.outputInitStd ?? 0.01);
    hiddenPaths.set(spec.name, hidden);
    networks[spec.name] = { name: spec.name, input, inputSize: spec.inputSize, outputSize: spec.outputSize, path: [...hidden, out] };
  }
  const inputSizes = new Map<string, number>();
  for (const network of Object.values(networks)) {
    const known = inputSizes.get(network.input);
    if (known !== undefined && known !== network.inputSize) throw new RangeError(`input '${network.input}' is read with sizes ${known} and ${network.inputSize}`);
    inputSizes.set(network.input, network.inputSize);
  }
  checkModelSize(offset + Object.values(options.params ?? {}).reduce((a, b) => a + b, 0), options.sizeSetting);
  const params: ModelLayout['params'] = {};
  for (const [name, size] of Object.entries(options.params ?? {})) {
    params[name] = { offset, size };
    offset += size;
  }
  return { observationSize, networks, layers, params, totalSize: offset, sizeSetting: options.sizeSetting };
}

/** The network of that name; a RangeError naming the ones there are otherwise. */
export function networkOf(layout: ModelLayout, name: string): NetworkLayout {
  const network = Object.hasOwn(layout.networks, name) ? layout.networks[name] : undefined;
  if (!network) throw new RangeError(`the model has no network '${name}'; it has ${Object.keys(layout.networks).join(', ')}`);
  return network;
}

/** [start, end) of the flat weights spanned by a network's layers (all of them its own unless it shares layers). */
export function networkRange(layout: ModelLayout, name: string): [number, number] {
  const { path } = networkOf(layout, name);
  const start = Math.min(...path.map((i) => layout.layers[i].kernelOffset));
  const end = Math.max(...path.map((i) => layout.layers[i].biasOffset + layout.layers[i].outSize));
  return [start, end];
}

/**
 * Most weights a model may have: 2 GiB of float32. Checked wherever a layout is made (a checkpoint's config
 * included) so nothing allocates an impossible array; the learner's kernel then checks its own, smaller,
 * memory for training (nn/mlp.ts).
 */
export const MAX_MODEL_BYTES = 2 ** 31;

/** Refuses, before anything is allocated, a model too large to hold ("Invalid typed array length" otherwise). */
function checkModelSize(weights: number, sizeSetting: SizeSetting): void {
  const bytes = weights * Float32Array.BYTES_PER_ELEMENT;
  if (bytes <= MAX_MODEL_BYTES) return;
  throw new UserError(
    `${sizeSetting.key} ${JSON.stringify(sizeSetting.hiddens)} makes networks of ${weights.toLocaleString('en-US')} weights ` +
      `(${(bytes / 2 ** 30).toFixed(1)} GiB as float32), more than the ${MAX_MODEL_BYTES / 2 ** 30} GiB limit; use smaller layers such as [256, 256]`,
  );
}

/**
 * RLlib's initialisation: kernels normc(std) (a standard normal matrix whose columns are scaled
 * to norm std; 1.0 for hidden layers, 0.01 for the outputs, which starts a policy near
 * uniform), biases zero, free parameters zero. Layers are drawn in layout order.
 */
export function initialWeights(layout: ModelLayout, rng: Random): Float32Array {
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
