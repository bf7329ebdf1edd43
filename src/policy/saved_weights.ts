// Reads the flat weight layout back from a checkpoint's saved networks (their weight arrays in
// saved order: kernel, bias per dense layer) and free parameters (arrays named as in
// layout.params, e.g. log_std), without tfjs, so replaying and serving start fast.
import type { ModelLayout } from '../nn/layout.js';
import type { LoadedCheckpoint } from '../checkpoint/load.js';
import { UserError } from '../utils/errors.js';

export type SavedNetwork = Map<string, { shape: number[]; values: Float32Array }>;

/** What each free parameter of a layout is for, to name the setting in errors. */
const PARAM_SETTING: Record<string, string> = { log_std: 'model.free_log_std' };

/**
 * The flat weights from the saved networks (by name); each free parameter of the layout is the
 * checkpoint's array of that name (the loader of arrays by name, called only for those).
 */
export function weightsFromSavedNetworks(
  layout: ModelLayout,
  networks: Record<string, SavedNetwork>,
  source: string,
  loadArrays: (name: string) => Float32Array[],
): Float32Array {
  const weights = new Float32Array(layout.totalSize);
  for (const [name, { offset, size }] of Object.entries(layout.params)) {
    const saved = loadArrays(name);
    if (saved.length !== 1 || saved[0].length !== size) {
      const setting = PARAM_SETTING[name] ?? name;
      throw new UserError(`${source}: the checkpoint has no ${size} values of ${name} for ${setting}; set ${setting} as it was trained or use a matching checkpoint`);
    }
    weights.set(saved[0], offset);
  }
  for (const [network, { path }] of Object.entries(layout.networks)) {
    const saved = [...networks[network].values()];
    const expected = path.map((i) => `${layout.layers[i].inSize}x${layout.layers[i].outSize}`).join(', ');
    const actual = saved.filter((w) => w.shape.length === 2).map((w) => w.shape.join('x')).join(', ');
    if (actual !== expected || saved.length !== 2 * path.length) {
      throw new UserError(
        `${source}: the checkpoint's ${network} network has layers [${actual}] but the config describes [${expected}]; drop the conflicting model settings or use a matching checkpoint`,
      );
    }
    path.forEach((index, k) => {
      const layer = layout.layers[index];
      weights.set(saved[2 * k].values, layer.kernelOffset);
      weights.set(saved[2 * k + 1].values, layer.biasOffset);
    });
  }
  return weights;
}

/** The Dense layers' activations in a saved LayersModel topology, in order; null if it is not a plain stack of Dense layers. */
function savedActivations(modelTopology: unknown): string[] | null {
  const config = (modelTopology as { config?: { layers?: unknown } } | null)?.config;
  const layers = config?.layers;
  if (!Array.isArray(layers)) return null;
  const activations: string[] = [];
  for (const layer of layers as { class_name?: unknown; config?: { activation?: unknown } }[]) {
    if (layer?.class_name === 'InputLayer') continue;
    if (layer?.class_name !== 'Dense' || typeof layer.config?.activation !== 'string') return null;
    activations.push(layer.config.activation);
  }
  return activations;
}

/**
 * The flat weights of a checkpoint's networks (those the layout names), after checking that the
 * saved networks are the ones its config describes: layer sizes (weightsFromSavedNetworks) and
 * each layer's activation as model.json records it (a config edited from tanh to relu is refused).
 */
export function weightsFromCheckpoint(layout: ModelLayout, loaded: Pick<LoadedCheckpoint, 'modelJSON' | 'modelWeights' | 'loadArrays'>, source: string): Float32Array {
  for (const [network, { path }] of Object.entries(layout.networks)) {
    const expected = path.map((i) => layout.layers[i].activation);
    const saved = savedActivations(loaded.modelJSON(network).modelTopology);
    if (saved === null) throw new UserError(`${source}: its ${network} network is not a stack of Dense layers, as rl saves them`);
    if (saved.join(',') !== expected.join(',')) {
      throw new UserError(
        `${source}: its ${network} network's activations are [${saved.join(', ')}] but its config describes [${expected.join(', ')}]; the checkpoint is inconsistent (edited?): use the checkpoint as it was written`,
      );
    }
  }
  const networks = Object.fromEntries(Object.keys(layout.networks).map((name) => [name, loaded.modelWeights(name)]));
  return weightsFromSavedNetworks(layout, networks, source, (name) => loaded.loadArrays(name));
}
