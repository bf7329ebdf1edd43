// File IO handlers for tfjs LayersModels in pure JS (no tfjs-node, so no `file://` handler):
// they write and read exactly what tfjs-node's `file://` handler does, a directory holding
// `model.json` ({modelTopology, weightsManifest, format, generatedBy, convertedBy, ...}) and
// `weights.bin`, so the result loads with `tf.loadLayersModel('file://.../model.json')` too.
// tfjs itself is imported when a model is saved or loaded, not with this module.
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { isSafeRelativePath } from './format.js';

import { MODEL_JSON_FILE, WEIGHTS_FILE } from './format.js';
export { MODEL_JSON_FILE, WEIGHTS_FILE, weightPaths } from './format.js';

/** Writes `data` to `file` (which must not exist yet) and fsyncs it. */
export async function writeFileDurable(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The model.json tfjs-node's file handler writes for these artifacts. */
export function modelJsonFor(artifacts: tf.io.ModelArtifacts): tf.io.ModelJSON {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('saving a model topology in binary format is not supported');
  }
  if (artifacts.modelTopology == null) throw new Error('the model has no topology to save');
  const modelJSON: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
  };
  if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature != null) modelJSON.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
  return modelJSON;
}

/** Saves `model` into the existing directory `dir` (model.json + weights.bin); returns the files' bytes by name. */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<Record<string, Uint8Array>> {
  const tf = await import('@tensorflow/tfjs');
  const written: Record<string, Uint8Array> = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = new TextEncoder().encode(JSON.stringify(modelJsonFor(artifacts)));
      const weights = new Uint8Array(artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      await writeFileDurable(path.join(dir, WEIGHTS_FILE), weights);
      await writeFileDurable(path.join(dir, MODEL_JSON_FILE), json);
      written[WEIGHTS_FILE] = weights;
      written[MODEL_JSON_FILE] = json;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!written[MODEL_JSON_FILE]) throw new Error('the model was not saved: its save handler was never called');
  return written;
}

/** The weight files a parsed model.json refers to (relative to its directory). */
/** Reads one weight file, given its path relative to the model directory. */
export type WeightReader = (relativePath: string) => Promise<Uint8Array>;

/** Reads weight files from `dir` (refusing paths that leave it). */
export function dirWeightReader(dir: string): WeightReader {
  return async (rel) => {
    if (!isSafeRelativePath(rel)) throw new Error(`weight path '${rel}' leaves the model directory`);
    return readFile(path.join(dir, rel));
  };
}

/** A tfjs IOHandler for a parsed model.json whose weight files come from `readWeights`. */
export function layersModelLoadHandler(modelJSON: tf.io.ModelJSON, readWeights: WeightReader): tf.io.IOHandler {
  return {
    load: async () => {
      const tf = await import('@tensorflow/tfjs');
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const rel of group.paths) {
            const bytes = await readWeights(rel);
            // A copy: the bytes may be a view into a larger (or shared) buffer.
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}
