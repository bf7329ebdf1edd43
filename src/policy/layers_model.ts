// The bridge between the flat weight layout and TF.js LayersModels (the checkpoint format):
// one Sequential model per network ('policy', 'value'); with vf_share_layers both contain the
// shared hidden layers, so each file is a complete model that tf.loadLayersModel can run.
import * as tf from '@tensorflow/tfjs';
import type { ModelLayout } from './model.js';

export type NetworkName = 'policy' | 'value';

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
