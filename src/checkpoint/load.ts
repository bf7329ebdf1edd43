// loadCheckpoint: reads and verifies a checkpoint (format version, JSON, sha256 of every file)
// before handing back its manifest and loaders. Every problem is a one-line UserError naming the file.
import { lstat, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { UserError, errorMessage } from '../utils/errors.js';
import {
  CHECKPOINT_FORMAT_VERSION,
  NAME_RE,
  displayPath,
  isSafeRelativePath,
  oneLine,
  sha256,
  type ArraysEntry,
  type CheckpointManifest,
} from './format.js';
import { MODEL_JSON_FILE, manifestDigest, weightPaths } from './format.js';
import { resolveCheckpointPath } from './resolve.js';

/** The largest manifest or model.json read: far above any real one, so a huge or endless file is refused before it is read. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Bytes per element of the weight dtypes a checkpoint may hold. */
const DTYPE_BYTES: Record<string, number> = { float32: 4 };

export interface LoadedCheckpoint {
  /** Absolute path of the manifest file. */
  manifestPath: string;
  /** Absolute path of the checkpoint directory. */
  dir: string;
  manifest: CheckpointManifest;
  /** A new tfjs LayersModel with the saved topology and weights (loads tfjs on first use). */
  loadModel(name: string): Promise<tf.LayersModel>;
  /** The parsed, verified model.json of a model (topology and weights manifest). */
  modelJSON(name: string): tf.io.ModelJSON;
  /** The saved weights of a model by weight name (e.g. 'fc_1/kernel'), read without tfjs. */
  modelWeights(name: string): Map<string, { shape: number[]; values: Float32Array }>;
  /** The saved Float32Arrays of that name, each in its own buffer. */
  loadArrays(name: string): Float32Array[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonNegInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const SHA256_RE = /^[0-9a-f]{64}$/;

/** The first problem with a parsed manifest of a supported version, or null. */
function manifestProblem(m: Record<string, unknown>): string | null {
  if (typeof m.algorithm !== 'string') return "its manifest has no 'algorithm' string";
  if (typeof m.env !== 'string') return "its manifest has no 'env' string";
  if (m.env_module != null && (!isObject(m.env_module) || typeof m.env_module.name !== 'string' || typeof m.env_module.sha256 !== 'string' || !SHA256_RE.test(m.env_module.sha256))) {
    return "its manifest's 'env_module' is not a {name, sha256} record";
  }
  if (!isObject(m.config)) return "its manifest has no 'config' object";
  if (m.networks !== undefined && !isObject(m.networks)) return "its manifest's 'networks' is not an object";
  if (!isNonNegInt(m.iteration)) return "its manifest has no valid 'iteration'";
  if (typeof m.timesteps_total !== 'number') return "its manifest has no 'timesteps_total' number";
  if (typeof m.time_total_s !== 'number') return "its manifest has no 'time_total_s' number";
  if (!isObject(m.metrics)) return "its manifest has no 'metrics' object";
  if (!('filter' in m)) return "its manifest has no 'filter' entry";
  if (!isObject(m.state)) return "its manifest has no 'state' object";
  if (typeof m.created_at !== 'string') return "its manifest has no 'created_at' time";
  if (!Array.isArray(m.models) || !m.models.every((n) => typeof n === 'string' && NAME_RE.test(n))) {
    return "its manifest's 'models' is not a list of model names";
  }
  if (!isObject(m.files)) return "its manifest has no 'files' object";
  if ('manifest_sha256' in m && (typeof m.manifest_sha256 !== 'string' || !SHA256_RE.test(m.manifest_sha256))) return "its manifest's 'manifest_sha256' is not a sha256";
  for (const [rel, hash] of Object.entries(m.files)) {
    if (!isSafeRelativePath(rel)) return `its manifest lists a file outside the checkpoint ('${rel}')`;
    if (typeof hash !== 'string' || !SHA256_RE.test(hash)) return `its manifest has no valid sha256 for ${rel}`;
  }
  const arrays = m.arrays ?? {};
  if (!isObject(arrays)) return "its manifest's 'arrays' is not an object";
  for (const [name, entry] of Object.entries(arrays)) {
    if (!NAME_RE.test(name) || !isObject(entry) || typeof entry.file !== 'string') return `its manifest's arrays entry '${name}' is malformed`;
    if (!Array.isArray(entry.lengths) || !entry.lengths.every(isNonNegInt)) return `its manifest's arrays entry '${name}' has no valid lengths`;
    if (!(entry.file in m.files)) return `its manifest does not list the sha256 of ${entry.file} (arrays '${name}')`;
  }
  for (const name of m.models as string[]) {
    if (!(`${name}/${MODEL_JSON_FILE}` in m.files)) return `its manifest does not list the sha256 of ${name}/${MODEL_JSON_FILE} (model '${name}')`;
  }
  return null;
}

/** Splits float32 bytes into arrays of the given lengths, each in its own buffer. */
function unpackArrays(bytes: Uint8Array, lengths: number[]): Float32Array[] {
  let offset = 0;
  return lengths.map((length) => {
    const array = new Float32Array(length);
    new Uint8Array(array.buffer).set(bytes.subarray(offset, offset + 4 * length));
    offset += 4 * length;
    return array;
  });
}

/**
 * Loads the checkpoint whose manifest is `manifestPath` (any form resolveCheckpointPath accepts works too).
 * Checks the format version (a newer one is refused), the manifest's JSON and fields, and the sha256 of
 * every file it lists, before returning. Any problem -> UserError naming the file and the problem in one line.
 */
function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

export async function loadCheckpoint(manifestPath: string): Promise<LoadedCheckpoint> {
  let file = path.resolve(manifestPath);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) file = resolveCheckpointPath(manifestPath);
  const dir = path.dirname(file);
  const shown = displayPath(file);
  const fail = (what: string, problem: string): never => {
    throw new UserError(oneLine(`checkpoint ${what} ${problem}`));
  };

  const manifestInfo = await stat(file).catch((error: unknown) => fail(shown, `cannot be read: ${errorMessage(error)}`));
  if (!manifestInfo.isFile()) return fail(shown, 'is not a regular file');
  if (manifestInfo.size > MAX_JSON_BYTES) return fail(shown, `is not a checkpoint manifest: it holds ${manifestInfo.size} bytes (a manifest is a small JSON file)`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return fail(shown, `cannot be read: ${errorMessage(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(shown, `is damaged: its manifest is not valid JSON (${errorMessage(error)})`);
  }
  if (!isObject(parsed)) return fail(shown, 'is damaged: its manifest is not a JSON object');
  const version = parsed.format_version;
  if (!Number.isSafeInteger(version) || (version as number) < 1) {
    return fail(shown, 'is not a checkpoint manifest: it has no valid format_version');
  }
  if ((version as number) > CHECKPOINT_FORMAT_VERSION) {
    return fail(
      shown,
      `has format version ${version}, newer than this rl reads (up to ${CHECKPOINT_FORMAT_VERSION}): upgrade rl to load it`,
    );
  }
  const problem = manifestProblem(parsed);
  if (problem) return fail(shown, `is damaged: ${problem}`);
  // Manifests written since manifest_sha256 was added carry the digest of their own content: an edit
  // (a changed activation, config value or env) is caught like a damaged weight file.
  if (typeof parsed.manifest_sha256 === 'string' && manifestDigest(parsed) !== parsed.manifest_sha256) {
    return fail(shown, 'is damaged: its manifest was changed after it was written (manifest_sha256 does not match)');
  }
  const manifest = { ...parsed, arrays: parsed.arrays ?? {} } as unknown as CheckpointManifest;
  const arrays = manifest.arrays as Record<string, ArraysEntry>;

  // Every listed file must be a regular file inside the checkpoint (no symlink to /dev/zero or elsewhere),
  // and is read only once its size is what the manifest and model.json declare.
  const sizes = new Map<string, number>();
  for (const rel of Object.keys(manifest.files)) {
    const fileShown = displayPath(path.join(dir, ...rel.split('/')));
    let info;
    try {
      info = await lstat(path.join(dir, ...rel.split('/')));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? fail(fileShown, `is missing: the manifest ${shown} lists it`) : fail(fileShown, `cannot be read: ${errorMessage(error)}`);
    }
    if (!info.isFile()) return fail(fileShown, `is not a regular file (${info.isSymbolicLink() ? 'a symbolic link' : 'a device, directory or pipe'}): a checkpoint holds only its own files`);
    sizes.set(rel, info.size);
  }
  const verified = new Map<string, Uint8Array>();
  const readVerified = async (rel: string): Promise<Uint8Array> => {
    const fileShown = displayPath(path.join(dir, ...rel.split('/')));
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path.join(dir, ...rel.split('/')));
    } catch (error) {
      return fail(fileShown, `cannot be read: ${errorMessage(error)}`);
    }
    if (sha256(bytes) !== manifest.files[rel]) return fail(fileShown, 'is damaged: its sha256 does not match the manifest');
    verified.set(rel, bytes);
    return bytes;
  };
  const declared = new Set<string>();
  const checkSize = (rels: string[], expected: number, what: string) => {
    for (const rel of rels) declared.add(rel);
    const actual = rels.reduce((n, rel) => n + sizes.get(rel)!, 0);
    if (actual !== expected) return fail(displayPath(path.join(dir, ...rels[0].split('/'))), `is damaged: it holds ${actual} bytes; ${what} needs ${expected}`);
  };

  // Each model.json first (capped), so its weight files are checked against the sizes it declares.
  const modelJsons = new Map<string, tf.io.ModelJSON>();
  for (const name of manifest.models) {
    const rel = `${name}/${MODEL_JSON_FILE}`;
    const fileShown = displayPath(path.join(dir, name, MODEL_JSON_FILE));
    if (sizes.get(rel)! > MAX_JSON_BYTES) return fail(fileShown, `is not a model.json: it holds ${sizes.get(rel)} bytes`);
    let modelJSON: tf.io.ModelJSON;
    try {
      modelJSON = JSON.parse(new TextDecoder().decode(await readVerified(rel))) as tf.io.ModelJSON;
    } catch (error) {
      if (error instanceof UserError) throw error;
      return fail(fileShown, `is damaged: it is not valid JSON (${errorMessage(error)})`);
    }
    if (!isObject(modelJSON) || !isObject(modelJSON.modelTopology) || !Array.isArray(modelJSON.weightsManifest)) {
      return fail(fileShown, 'is not a TF.js LayersModel model.json: it lacks modelTopology or weightsManifest');
    }
    for (const group of modelJSON.weightsManifest) {
      if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights) || group.paths.length === 0) {
        return fail(fileShown, 'is damaged: its weightsManifest is malformed');
      }
      let bytes = 0;
      for (const spec of group.weights) {
        const per = DTYPE_BYTES[spec?.dtype ?? 'float32'];
        if (!isObject(spec) || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || !spec.shape.every(isNonNegInt) || per === undefined) {
          return fail(fileShown, `is damaged: weight '${String(spec?.name)}' is not a float32 array with a valid shape`);
        }
        bytes += per * spec.shape.reduce((a, b) => a * b, 1);
      }
      for (const weights of group.paths) {
        if (typeof weights !== 'string' || !isSafeRelativePath(weights) || !sizes.has(`${name}/${weights}`)) {
          return fail(fileShown, `refers to weights '${weights}', which the manifest does not list`);
        }
      }
      checkSize(group.paths.map((p) => `${name}/${p}`), bytes, `the weights ${fileShown} declares`);
    }
    modelJsons.set(name, modelJSON);
  }
  for (const [name, entry] of Object.entries(arrays)) {
    checkSize([entry.file], 4 * entry.lengths.reduce((n, l) => n + l, 0), `the manifest's layout of '${name}'`);
  }
  for (const rel of Object.keys(manifest.files)) {
    if (verified.has(rel)) continue;
    // Files no model.json or arrays entry declares a size for are capped like JSON.
    if (!declared.has(rel) && sizes.get(rel)! > MAX_JSON_BYTES) return fail(displayPath(path.join(dir, rel)), `holds ${sizes.get(rel)} bytes, more than a checkpoint file may`);
    await readVerified(rel);
  }

  const known = (kind: string, names: string[]) => (names.length ? `it has ${kind} ${names.join(', ')}` : `it has no ${kind}`);
  return {
    manifestPath: file,
    dir,
    manifest,
    async loadModel(name: string): Promise<tf.LayersModel> {
      const modelJSON = modelJsons.get(name);
      if (!modelJSON) return fail(shown, `has no model '${name}': ${known('models', manifest.models)}`);
      const [tfjs, { layersModelLoadHandler }] = await Promise.all([import('@tensorflow/tfjs'), import('./layers_io.js')]);
      const handler = layersModelLoadHandler(modelJSON, async (rel) => verified.get(`${name}/${rel}`)!);
      try {
        return await tfjs.loadLayersModel(handler);
      } catch (error) {
        return fail(shown, `has a model '${name}' that tfjs cannot load: ${errorMessage(error)}`);
      }
    },
    modelJSON(name: string): tf.io.ModelJSON {
      const modelJSON = modelJsons.get(name);
      if (!modelJSON) return fail(shown, `has no model '${name}': ${known('models', manifest.models)}`);
      return modelJSON;
    },
    modelWeights(name: string) {
      const modelJSON = modelJsons.get(name);
      if (!modelJSON) return fail(shown, `has no model '${name}': ${known('models', manifest.models)}`);
      const weights = new Map<string, { shape: number[]; values: Float32Array }>();
      for (const group of modelJSON.weightsManifest ?? []) {
        const bytes = concatBytes(group.paths.map((rel) => verified.get(`${name}/${rel}`)!));
        let offset = 0;
        for (const spec of group.weights) {
          const count = spec.shape.reduce((a, b) => a * b, 1);
          if ((spec.dtype ?? 'float32') !== 'float32' || offset + 4 * count > bytes.byteLength) {
            return fail(displayPath(path.join(dir, name, MODEL_JSON_FILE)), `is damaged: weight '${spec.name}' does not fit its weight files`);
          }
          weights.set(spec.name, { shape: spec.shape, values: new Float32Array(bytes.slice(offset, offset + 4 * count).buffer) });
          offset += 4 * count;
        }
      }
      return weights;
    },
    loadArrays(name: string): Float32Array[] {
      const entry = Object.hasOwn(arrays, name) ? arrays[name] : undefined;
      if (!entry) return fail(shown, `has no arrays '${name}': ${known('arrays', Object.keys(arrays))}`);
      return unpackArrays(verified.get(entry.file)!, entry.lengths);
    },
  };
}
