// The bridge between the flat weight layout and TF.js LayersModels (the checkpoint format): one
// Sequential model per named network ('policy', 'value', 'q'...); a network that shares layers
// with another holds its own copy of them, so each file is a complete model that
// tf.loadLayersModel can run.
import * as tf from '@tensorflow/tfjs';
import type { ModelLayout } from '../nn/layout.js';

/** How a manifest records a model's networks: input name and size, and each layer as [in, out, activation]. */
export type NetworkDescription = { input: string; input_size: number; output_size: number; layers: [number, number, string][] };

export function describeNetworks(layout: ModelLayout): Record<string, NetworkDescription> {
  return Object.fromEntries(
    Object.values(layout.networks).map((network) => [
      network.name,
      {
        input: network.input,
        input_size: network.inputSize,
        output_size: network.outputSize,
        layers: network.path.map((i) => [layout.layers[i].inSize, layout.layers[i].outSize, layout.layers[i].activation]),
      },
    ]),
  );
}

export function toLayersModels(layout: ModelLayout, weights: Float32Array): Record<string, tf.LayersModel> {
  const build = (name: string): tf.LayersModel => {
    const { path, inputSize } = layout.networks[name];
    const model = tf.sequential({ name: `${name}_model` });
    path.forEach((index, k) => {
      const layer = layout.layers[index];
      model.add(
        tf.layers.dense({
          units: layer.outSize,
          activation: layer.activation,
          inputShape: k === 0 ? [inputSize] : undefined,
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
  return Object.fromEntries(Object.keys(layout.networks).map((name) => [name, build(name)]));
}
