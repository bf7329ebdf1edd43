// What a deployment's versions are: a policy checkpoint, a TF.js LayersModel folder or a module of
// the user's. Each kind implements ServedVersion, so the router treats them alike (and a version
// can be run elsewhere, e.g. on a worker thread, by anything that implements it).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../utils/errors.js';
import type { BatchSettings } from './batcher.js';

export type VersionKind = 'checkpoint' | 'model' | 'module';

export interface ServedVersion {
  readonly kind: VersionKind;
  /** Answers one request body; concurrent calls are batched where the version batches. */
  handle(body: unknown): Promise<unknown>;
  /** Answers several bodies with one call (one forward pass, one call of a batched handler), in order. */
  handleBatch(bodies: unknown[]): Promise<unknown[]>;
  /** Present when the version takes a user_config (a module class with reconfigure()). */
  reconfigure?(userConfig: unknown): Promise<void>;
  /** Frees what the version holds (tensors); it answers nothing afterwards. */
  close(): Promise<void>;
}

interface CommonSpec {
  /** Defaults to the checkpoint's folder, the model's folder or the module's file name. */
  name?: string;
  weight?: number;
  /** Overrides the server's batch settings (or, for a module, those it exports). */
  batch?: Partial<BatchSettings>;
}

export interface CheckpointVersionSpec extends CommonSpec {
  checkpoint: string;
  /** For a checkpoint trained on a custom env module: the module to use (a checkpoint never names code to run). */
  env?: string;
}

export interface ModelVersionSpec extends CommonSpec {
  /** A TF.js LayersModel folder (model.json + weights), or its model.json. */
  model: string;
}

export interface ModuleVersionSpec extends CommonSpec {
  /** A JavaScript module the user named: default export a function of the body, or a class with call(body). */
  module: string;
  /** Passed to the class's reconfigure() before the first request. */
  userConfig?: unknown;
}

export type VersionSpec = CheckpointVersionSpec | ModelVersionSpec | ModuleVersionSpec;

export function versionKind(spec: VersionSpec, where: string): VersionKind {
  const given = (['checkpoint', 'model', 'module'] as const).filter((kind) => (spec as unknown as Record<string, unknown>)[kind] !== undefined);
  if (given.length !== 1) {
    throw new UserError(`${where}: a version is one of checkpoint, model or module, ${given.length === 0 ? 'and none is given' : `not ${given.join(' and ')}`}`);
  }
  return given[0];
}

export interface LoadedVersion {
  name: string;
  served: ServedVersion;
  /** Observation size, for checkpoint versions (all of a deployment's must agree). */
  observationSize?: number;
  /** The file or folder it was loaded from. */
  source: string;
}

/** Loads one version; `defaults` are the server's batch settings. Module and model kinds are imported only when used. */
export async function loadVersion(spec: VersionSpec, deployment: string, defaults: BatchSettings, seed: number): Promise<LoadedVersion> {
  const where = `deployment '${deployment}'`;
  const kind = versionKind(spec, where);
  if (kind === 'checkpoint') return (await import('./versions/checkpoint.js')).loadCheckpointVersion(spec as CheckpointVersionSpec, where, defaults, seed);
  if (kind === 'model') return (await import('./versions/model.js')).loadModelVersion(spec as ModelVersionSpec, where, defaults);
  return (await import('./versions/module.js')).loadModuleVersion(spec as ModuleVersionSpec, where, defaults);
}

/**
 * The version a path given on the command line stands for: a .js/.mjs/.cjs file is a module, a
 * folder holding model.json (or model.json itself) a TF.js model, anything else a checkpoint.
 */
export function versionSpecFromPath(given: string, cwd: string = process.cwd()): VersionSpec {
  if (/\.[cm]?js$/i.test(given)) return { module: path.resolve(cwd, given) };
  const abs = path.resolve(cwd, given);
  if (path.basename(abs) === 'model.json' || existsSync(path.join(abs, 'model.json'))) return { model: abs };
  return { checkpoint: given };
}
