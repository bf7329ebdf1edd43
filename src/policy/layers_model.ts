// The bridge between the flat weight layout and TF.js LayersModels (the checkpoint format):
// one Sequential model per network ('policy', 'value'); with vf_share_layers both contain the
// shared hidden layers, so each file is a complete model that tf.loadLayersModel can run.
import * as tf from '@tensorflow/tfjs';
import type { ModelLayout } from './model.js';
import { UserError } from '../utils/errors.js';

export type NetworkName = 'policy' | 'value';
export const NETWORKS: NetworkName[] = ['policy', 'value'];

function pathOf(layout: ModelLayout, network: NetworkName): number[] {
  return network === 'policy' ? layout.policyPath : layout.valuePath;
}

export function toLayersModels(layout: ModelLayout, weights: Float32Array): Record<NetworkName, tf.LayersModel> {
  const build = (network: NetworkName): tf.LayersModel => {
    const path = pathOf(layout, network);
    const model = tf.sequential({ name: `${network}_model` });
    path.forEach((index, k) => {
      const layer = layout.layers[index];
      model.add(
        tf.layers.dense({
          units: layer.outSize,
          activation: layer.activation,
          inputShape: k === 0 ? [layout.observationSize] : undefined,
          name: layer.name,
        }),
      );
    });
    const tensors = path.flatMap((index) => {
      const layer = layout.layers[index];
      return [
        tf.tensor2d(weights.subarray(layer.kernelOffset, layer.biasOffset), [layer.inSize, layer.outSize]),
        tf.tensor1d(weights.subarray(layer.biasOffset, layer.biasOffset + layer.outSize)),
      ];
    });
    model.setWeights(tensors);
    tf.dispose(tensors);
    return model;
  };
  return { policy: build('policy'), value: build('value') };
}

/** Reads the flat weights back; a model of another shape is one clear error naming both shapes. */
export function weightsFromLayersModels(layout: ModelLayout, models: Record<NetworkName, tf.LayersModel>, source: string): Float32Array {
  const weights = new Float32Array(layout.totalSize);
  for (const network of NETWORKS) {
    const path = pathOf(layout, network);
    const model = models[network];
    const expected = path.map((i) => `${layout.layers[i].inSize}x${layout.layers[i].outSize}`).join(', ');
    const actual = model.layers.map((l) => {
      const kernel = l.getWeights()[0];
      return kernel ? kernel.shape.join('x') : '?';
    });
    if (actual.join(', ') !== expected) {
      throw new UserError(
        `${source}: the checkpoint's ${network} network has layers [${actual.join(', ')}] but the config describes [${expected}]; drop the conflicting model settings or use a matching checkpoint`,
      );
    }
    path.forEach((index, k) => {
      const layer = layout.layers[index];
      const [kernel, bias] = model.layers[k].getWeights();
      weights.set(kernel.dataSync() as Float32Array, layer.kernelOffset);
      weights.set(bias.dataSync() as Float32Array, layer.biasOffset);
    });
  }
  return weights;
}
