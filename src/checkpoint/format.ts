// The checkpoint manifest: its types, the names it may hold, and the helpers (hashing, display
// paths, one-line errors) shared by saving, loading and resolving.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';

/** Bumped when the on-disk layout changes incompatibly; a newer one is refused on load. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Where a named set of Float32Arrays lives: `file` holds them concatenated, `lengths` their element counts in order. */
export interface ArraysEntry {
  file: string;
  lengths: number[];
}

export interface CheckpointManifest {
  format_version: number;
  algorithm: string;
  /** A registered env id, or (custom envs) the path of the module it was trained with: recorded, never imported. */
  env: string;
  /** For a custom env: the module's file name and sha256, to check the module the user names on load. */
  env_module?: { name: string; sha256: string } | null;
  config: Record<string, unknown>;
  /** The algorithm's networks: name -> input, sizes and layers (written since the algorithm registry; absent in older checkpoints). */
  networks?: Record<string, unknown>;
  iteration: number;
  timesteps_total: number;
  time_total_s: number;
  metrics: Record<string, unknown>;
  filter: unknown | null;
  state: Record<string, unknown>;
  /** Networks saved, each as `<name>/model.json` + `<name>/weights.bin` (TF.js LayersModel format). */
  models: string[];
  /** Float32Array groups saved, each as `<name>.bin`. */
  arrays: Record<string, ArraysEntry>;
  /** Relative path (always '/'-separated) -> sha256 hex of every other file in the checkpoint dir. */
  files: Record<string, string>;
  created_at: string;
  /** sha256 of the manifest's own JSON without this key (see manifestDigest); absent in older checkpoints. */
  manifest_sha256?: string;
}

export interface CheckpointContent {
  manifest: Omit<CheckpointManifest, 'format_version' | 'files' | 'models' | 'arrays' | 'created_at'>;
  models: Record<string, tf.LayersModel>;
  arrays?: Record<string, Float32Array[]>;
}

export const CHECKPOINT_DIR_RE = /^checkpoint_(\d+)$/;
export const MANIFEST_FILE_RE = /^checkpoint-(\d+)$/;
/** Model and array names become file names: keep them plain (no dots, so `<name>.bin` never collides with a model dir). */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export const checkpointDirName = (iteration: number): string => `checkpoint_${iteration}`;
export const manifestFileName = (iteration: number): string => `checkpoint-${iteration}`;

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The digest a manifest carries of itself: sha256 of its compact JSON with every key but
 * manifest_sha256, in the order written. Re-indenting the file keeps it; changing a value does not.
 * It detects damage and edits, not forgery: whoever rewrites a manifest can recompute it, which is
 * why loading a checkpoint never depends on it for safety (nothing in a checkpoint is ever run).
 */
export function manifestDigest(manifest: Record<string, unknown>): string {
  const { manifest_sha256: _ignored, ...content } = manifest;
  return sha256(JSON.stringify(content));
}

/** A path as the user should read it: relative to `cwd` when inside it, absolute otherwise. */
export function displayPath(p: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, p);
  if (rel === '') return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return p;
  return rel.split(path.sep).join('/');
}

/** A directory for messages, with a trailing slash ("checkpoints/"). */
export function displayDir(p: string, cwd: string = process.cwd()): string {
  const shown = displayPath(p, cwd);
  return shown.endsWith('/') ? shown : `${shown}/`;
}

/** Messages of UserErrors are printed as one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** A relative '/'-separated path that stays inside the checkpoint dir. */
export function isSafeRelativePath(rel: string): boolean {
  if (rel === '' || rel.includes('\\') || rel.includes('\0') || path.posix.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return false;
  return rel.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** The subset of a TF.js model.json this package reads without loading tfjs. */
export interface ModelJSONLike {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype?: string }[] }[];
}

export function weightPaths(modelJSON: ModelJSONLike): string[] {
  return (modelJSON.weightsManifest ?? []).flatMap((group) => group.paths);
}
