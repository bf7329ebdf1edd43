// saveCheckpoint: writes <root>/checkpoint_<N>/ atomically (temp dir inside <root>, then rename).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CHECKPOINT_FORMAT_VERSION,
  NAME_RE,
  checkpointDirName,
  manifestDigest,
  manifestFileName,
  sha256,
  type ArraysEntry,
  type CheckpointContent,
  type CheckpointManifest,
} from './format.js';
import { saveLayersModel, writeFileDurable } from './layers_io.js';

/** Prefix of in-progress and set-aside directories inside a checkpoint root; never listed as checkpoints. */
export const TEMP_PREFIX = '.tmp-';

function checkName(kind: string, name: string): void {
  if (!NAME_RE.test(name)) {
    throw new RangeError(`${kind} name '${name}' cannot be saved: use letters, digits, '_' and '-' only`);
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** In-progress dirs are named .tmp-checkpoint_N-<pid>-…, set-aside old ones .tmp-checkpoint_N-old-<pid>-…; older versions had no pid. */
const TEMP_RE = /^\.tmp-(checkpoint_\d+)-(old-)?(?:(\d+)-)?[A-Za-z0-9]+$/;

/** Whether a process with this id runs on this machine (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what a save killed part-way (kill -9, power loss) left in `root`: temp dirs of processes
 * that no longer run. A set-aside old checkpoint whose replacement never arrived is put back.
 */
export async function cleanStaleTemporaries(root: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  for (const name of names) {
    const match = TEMP_RE.exec(name);
    if (!match) continue;
    const [, dirName, old, pid] = match;
    if (pid !== undefined && Number(pid) !== process.pid && processAlive(Number(pid))) continue;
    if (pid !== undefined && Number(pid) === process.pid) continue;
    const iteration = Number(dirName.slice('checkpoint_'.length));
    const full = path.join(root, name);
    if (old && !(await exists(path.join(root, dirName))) && (await exists(path.join(full, manifestFileName(iteration))))) {
      await rename(full, path.join(root, dirName));
    } else {
      await rm(full, { recursive: true, force: true });
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the renames durable on POSIX; directories cannot be opened for sync on Windows.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}

/** Concatenates Float32Arrays into the bytes of one little-endian float32 file. */
function packArrays(arrays: Float32Array[]): Uint8Array {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const packed = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) {
    packed.set(a, offset);
    offset += a.length;
  }
  return new Uint8Array(packed.buffer);
}

/**
 * Writes `<root>/checkpoint_<iteration>/checkpoint-<iteration>` (the JSON manifest), the models
 * (`<name>/model.json` + `<name>/weights.bin`) and arrays (`<name>.bin`), and returns the manifest path.
 * Everything is written into a temp dir inside `root` first, the manifest last, then renamed into place;
 * an existing checkpoint_<iteration> is replaced only once the new one is complete. On failure the old
 * checkpoint is left intact, no temp dir is left behind, and the error is rethrown.
 */
export async function saveCheckpoint(root: string, iteration: number, content: CheckpointContent): Promise<string> {
  if (!Number.isSafeInteger(iteration) || iteration < 0) {
    throw new RangeError(`checkpoint iteration must be a non-negative integer, got ${iteration}`);
  }
  if (content.manifest.iteration !== iteration) {
    throw new RangeError(`checkpoint iteration ${iteration} does not match its manifest's iteration ${content.manifest.iteration}`);
  }
  const modelNames = Object.keys(content.models);
  const arrayNames = Object.keys(content.arrays ?? {});
  for (const name of modelNames) checkName('model', name);
  for (const name of arrayNames) checkName('array', name);

  await mkdir(root, { recursive: true });
  await cleanStaleTemporaries(root);
  const dirName = checkpointDirName(iteration);
  const manifestName = manifestFileName(iteration);
  const target = path.join(root, dirName);
  const tmp = await mkdtemp(path.join(root, `${TEMP_PREFIX}${dirName}-${process.pid}-`));
  try {
    const files: Record<string, string> = {};
    for (const name of modelNames) {
      const modelDir = path.join(tmp, name);
      await mkdir(modelDir);
      const written = await saveLayersModel(content.models[name], modelDir);
      for (const [file, bytes] of Object.entries(written)) files[`${name}/${file}`] = sha256(bytes);
    }
    const arrays: Record<string, ArraysEntry> = {};
    for (const name of arrayNames) {
      const list = content.arrays![name];
      const file = `${name}.bin`;
      const bytes = packArrays(list);
      await writeFileDurable(path.join(tmp, file), bytes);
      files[file] = sha256(bytes);
      arrays[name] = { file, lengths: list.map((a) => a.length) };
    }
    const manifest: CheckpointManifest = {
      format_version: CHECKPOINT_FORMAT_VERSION,
      ...content.manifest,
      filter: content.manifest.filter ?? null,
      models: modelNames,
      arrays,
      files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      created_at: new Date().toISOString(),
    };
    manifest.format_version = CHECKPOINT_FORMAT_VERSION; // even if the caller's manifest carried one
    delete manifest.manifest_sha256;
    manifest.manifest_sha256 = manifestDigest(manifest as unknown as Record<string, unknown>);
    // The manifest goes last: a directory holding one is complete.
    await writeFileDurable(path.join(tmp, manifestName), `${JSON.stringify(manifest, null, 2)}\n`);
    await syncDir(tmp);

    if (await exists(target)) {
      const aside = path.join(root, `${TEMP_PREFIX}${dirName}-old-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(target, aside);
      try {
        await rename(tmp, target);
      } catch (error) {
        await rename(aside, target);
        throw error;
      }
      await syncDir(root);
      await rm(aside, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
      await syncDir(root);
    }
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return path.join(target, manifestName);
}
