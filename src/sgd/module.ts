// The training module of `rl sgd`: plain JavaScript exporting what a Ray SGD user writes as
// creators (Ray 1.x ray.util.sgd: model_creator, data_creator, loss_creator, optimizer_creator).
// A module is imported only from the path the user names (command line or SGDTrainer.create).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { UserError, errorMessage } from '../utils/errors.js';
import { displayPath, sha256 } from '../checkpoint/format.js';

/** The config every creator receives: the user's keys plus batch_size (the global batch). */
export type SGDConfig = Record<string, unknown> & { batch_size?: number };

/** One batch or a whole set: inputs and targets as tensors or (nested) arrays. */
export interface Examples {
  x: tf.Tensor | number[] | number[][] | unknown[];
  y: tf.Tensor | number[] | number[][] | unknown[];
}

/**
 * A data set: all examples at once (sharded and batched by the trainer), or an (async) iterable
 * or tf.data.Dataset of batches, each batch one worker's share of a step ({x, y} or {xs, ys}).
 */
export type DataSet = Examples | AsyncIterable<unknown> | Iterable<unknown> | { iterator(): Promise<{ next(): Promise<IteratorResult<unknown>> }> };

/**
 * The creators' second argument: the tfjs that rl runs (a module outside rl's installation uses it
 * rather than importing its own copy, whose tensors rl's could not mix with), and which worker calls.
 */
export interface CreatorContext {
  tf: typeof tf;
  rank: number;
  numWorkers: number;
}

export interface TrainingCreators {
  model(config: SGDConfig, context: CreatorContext): tf.LayersModel | Promise<tf.LayersModel>;
  data(config: SGDConfig, context: CreatorContext): { train: DataSet; validation?: DataSet } | Promise<{ train: DataSet; validation?: DataSet }>;
  /** A tfjs loss name ('categoricalCrossentropy', 'meanSquaredError'...) or (yTrue, yPred) => per-example loss. */
  loss: string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);
  optimizer(config: SGDConfig, context: CreatorContext): tf.Optimizer;
  /** Metric names as model.compile takes them ('accuracy', ...) or functions. */
  metrics?: (string | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor))[];
}

const CONTRACT = 'an rl sgd module exports model(config), data(config), loss and optimizer(config) (metrics optional)';

/** The first export missing or of the wrong kind, worded for the user; null when the module is usable. */
export function moduleExportProblem(module: Record<string, unknown>): string | null {
  for (const name of ['model', 'data', 'optimizer'] as const) {
    if (module[name] === undefined) return `exports no '${name}' function: ${CONTRACT}`;
    if (typeof module[name] !== 'function') return `export '${name}' is a ${typeof module[name]}, not a function (config) => ...: ${CONTRACT}`;
  }
  if (module.loss === undefined) return `exports no 'loss' (a tfjs loss name such as 'categoricalCrossentropy', or a function (yTrue, yPred) => tensor): ${CONTRACT}`;
  if (typeof module.loss !== 'string' && typeof module.loss !== 'function') return `export 'loss' is a ${typeof module.loss}, not a tfjs loss name or function`;
  if (module.metrics !== undefined && !Array.isArray(module.metrics)) return `export 'metrics' is a ${typeof module.metrics}, not a list of metric names or functions`;
  return null;
}

export interface LoadedModule {
  /** Absolute path, as worker threads import it. */
  file: string;
  creators: TrainingCreators;
}

/** Imports the module the user named and checks its exports; any problem is one UserError line. */
export async function loadTrainingModule(given: string, cwd = process.cwd()): Promise<LoadedModule> {
  const file = given.startsWith('file:') ? new URL(given).pathname : path.resolve(cwd, given);
  if (!existsSync(file)) throw new UserError(`training module ${given} not found (looked for ${file})`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`training module ${displayPath(file)} could not be loaded: ${errorMessage(error)}`);
  }
  const problem = moduleExportProblem(module);
  if (problem) throw new UserError(`${displayPath(file)} ${problem}`);
  return { file, creators: module as unknown as TrainingCreators };
}

/** What a checkpoint records of the module it was trained with: never imported from there. */
export function moduleRecord(file: string): { name: string; sha256: string } {
  return { name: path.basename(file), sha256: sha256(readFileSync(file)) };
}
