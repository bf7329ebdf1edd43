// A TF.js LayersModel folder (model.json + weight files, as tfjs saves it) as a version:
// {"inputs": [x, ...]} answers {"outputs": [y, ...]}, one row each; concurrent requests share one
// predict(). Loading reads JSON and float arrays only: tfjs builds layers from its own registry,
// so a model.json cannot name code to run.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { dirWeightReader, layersModelLoadHandler, MODEL_JSON_FILE } from '../../checkpoint/layers_io.js';
import { initBackend } from '../../utils/tensor_backend.js';
import { UserError, errorMessage } from '../../utils/errors.js';
import { Batcher, batchSettings, type BatchSettings } from '../batcher.js';
import { RequestError } from '../errors.js';
import type { LoadedVersion, ModelVersionSpec, ServedVersion } from '../version.js';

interface Inputs {
  flat: number[];
  count: number;
}

/** Flattens `value` (nested arrays of `shape`) into `out`; a RequestError names the first misfit. */
function flattenRow(value: unknown, shape: number[], at: string, out: number[]): void {
  if (shape.length === 0) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RequestError(400, `${at} must be a finite number, got ${JSON.stringify(value)}`);
    out.push(value);
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[0]) {
    throw new RequestError(400, `${at} must be a list of ${shape[0]}, got ${Array.isArray(value) ? `${value.length} values` : JSON.stringify(value)}`);
  }
  value.forEach((v, i) => flattenRow(v, shape.slice(1), `${at}[${i}]`, out));
}

export class ModelVersion implements ServedVersion {
  readonly kind = 'model';
  private readonly batcher: Batcher<Inputs, number[][]>;

  constructor(
    private readonly model: tf.LayersModel,
    /** One input row's shape (the model's input shape without the batch dimension). */
    private readonly rowShape: number[],
    settings: BatchSettings,
  ) {
    this.batcher = new Batcher((requests) => Promise.resolve(this.predict(requests)), settings, (r) => r.count);
  }

  private parse(body: unknown): Inputs {
    const inputs = (body as { inputs?: unknown } | null)?.inputs;
    if (typeof body !== 'object' || Array.isArray(body) || !Array.isArray(inputs) || inputs.length === 0) {
      throw new RequestError(400, `the body must be {"inputs": [row, ...]}, each row of shape [${this.rowShape.join(', ')}]`);
    }
    const flat: number[] = [];
    inputs.forEach((row, i) => flattenRow(row, this.rowShape, `inputs[${i}]`, flat));
    return { flat, count: inputs.length };
  }

  async handle(body: unknown): Promise<unknown> {
    return { outputs: await this.batcher.submit(this.parse(body)) };
  }

  async handleBatch(bodies: unknown[]): Promise<unknown[]> {
    return this.predict(bodies.map((body) => this.parse(body))).map((outputs) => ({ outputs }));
  }

  async close(): Promise<void> {
    this.model.dispose();
  }

  private predict(requests: Inputs[]): number[][][] {
    const total = requests.reduce((n, r) => n + r.count, 0);
    const rows = tf.tidy(() => {
      const output = this.model.predict(tf.tensor(requests.flatMap((r) => r.flat), [total, ...this.rowShape])) as tf.Tensor;
      return output.arraySync() as number[][];
    });
    let row = 0;
    return requests.map((r) => rows.slice(row, (row += r.count)));
  }
}

export async function loadModelVersion(spec: ModelVersionSpec, where: string, defaults: BatchSettings): Promise<LoadedVersion> {
  const given = path.resolve(spec.model);
  const info = await stat(given).catch(() => null);
  if (!info) throw new UserError(`${where}: model ${spec.model} not found (looked for ${given})`);
  const file = info.isDirectory() ? path.join(given, MODEL_JSON_FILE) : given;
  const shown = `${where}: model ${spec.model}`;
  let modelJSON: tf.io.ModelJSON;
  try {
    modelJSON = JSON.parse(await readFile(file, 'utf8')) as tf.io.ModelJSON;
  } catch (error) {
    throw new UserError(`${shown}: cannot read ${file} as JSON (${errorMessage(error)}); name a folder that tfjs's model.save() wrote`);
  }
  await initBackend();
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(layersModelLoadHandler(modelJSON, dirWeightReader(path.dirname(file))));
  } catch (error) {
    throw new UserError(`${shown} is not a TF.js LayersModel tfjs can load: ${errorMessage(error)}`);
  }
  const fail = (problem: string): never => {
    model.dispose();
    throw new UserError(`${shown} ${problem}; rl serve serves models with one input and one output`);
  };
  if (model.inputs.length !== 1) fail(`has ${model.inputs.length} inputs`);
  if (model.outputs.length !== 1) fail(`has ${model.outputs.length} outputs`);
  const rowShape = model.inputs[0].shape.slice(1);
  if (rowShape.some((d) => d === null)) fail(`takes inputs of variable shape [${model.inputs[0].shape.slice(1).map((d) => d ?? '?').join(', ')}]`);
  const settings = batchSettings(defaults, spec.batch, where);
  return { name: spec.name ?? path.basename(path.dirname(file)), served: new ModelVersion(model, rowShape as number[], settings), source: file };
}
