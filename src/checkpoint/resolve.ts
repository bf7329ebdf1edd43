// Finding checkpoints: resolving what the user typed, listing a checkpoint root, pruning old ones.
import { readdirSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UserError } from '../utils/errors.js';
import { CHECKPOINT_DIR_RE, MANIFEST_FILE_RE, checkpointDirName, displayDir, displayPath, manifestFileName, oneLine } from './format.js';

/** Where bare names and 'latest' are looked up, under the working directory. */
export const DEFAULT_CHECKPOINT_ROOT = 'checkpoints';
const NEARBY_SHOWN = 5;

export interface CheckpointEntry {
  iteration: number;
  dir: string;
  manifestPath: string;
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/**
 * The complete checkpoints directly under `root` (checkpoint_<N> directories holding their
 * checkpoint-<N> manifest), sorted by iteration. A missing root has none.
 */
export function listCheckpoints(root: string): CheckpointEntry[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const found: CheckpointEntry[] = [];
  for (const name of names) {
    const match = CHECKPOINT_DIR_RE.exec(name);
    if (!match) continue;
    const iteration = Number(match[1]);
    if (!Number.isSafeInteger(iteration) || checkpointDirName(iteration) !== name) continue; // e.g. checkpoint_007
    const dir = path.join(root, name);
    const manifestPath = path.join(dir, manifestFileName(iteration));
    if (statOrNull(manifestPath)?.isFile()) found.push({ iteration, dir, manifestPath });
  }
  return found.sort((a, b) => a.iteration - b.iteration);
}

/** "found checkpoint_10, checkpoint_20 in checkpoints/", or why there are none; nearest to `wanted` first. */
function nearby(root: string, cwd: string, wanted?: number): string {
  const shownRoot = displayDir(root, cwd);
  if (!statOrNull(root)?.isDirectory()) return `${shownRoot} does not exist`;
  const all = listCheckpoints(root);
  if (all.length === 0) return `${shownRoot} holds no checkpoints`;
  let shown: CheckpointEntry[];
  if (wanted === undefined) shown = all.slice(-NEARBY_SHOWN);
  else {
    shown = [...all]
      .sort((a, b) => Math.abs(a.iteration - wanted) - Math.abs(b.iteration - wanted) || a.iteration - b.iteration)
      .slice(0, NEARBY_SHOWN)
      .sort((a, b) => a.iteration - b.iteration);
  }
  const more = all.length > shown.length ? ` (${all.length} in all)` : '';
  return `found ${shown.map((c) => path.basename(c.dir)).join(', ')} in ${shownRoot}${more}`;
}

function missing(target: string, root: string, cwd: string, wanted?: number): never {
  throw new UserError(oneLine(`no checkpoint at ${displayPath(target, cwd)}; ${nearby(root, cwd, wanted)}`));
}

/** The manifest inside an existing directory: a checkpoint dir, or a root of checkpoints (refused, with the choices). */
function manifestInDir(dir: string, cwd: string): string {
  const match = CHECKPOINT_DIR_RE.exec(path.basename(dir));
  if (match) {
    const manifest = path.join(dir, manifestFileName(Number(match[1])));
    if (statOrNull(manifest)?.isFile()) return manifest;
  }
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    /* unreadable: treated as empty */
  }
  // A renamed checkpoint dir still holds exactly one checkpoint-<N> manifest.
  const manifests = names.filter((n) => MANIFEST_FILE_RE.test(n) && statOrNull(path.join(dir, n))?.isFile());
  if (manifests.length === 1) return path.join(dir, manifests[0]);
  const shown = displayPath(dir, cwd);
  if (manifests.length > 1) {
    throw new UserError(oneLine(`${shown} holds several checkpoint manifests (${manifests.sort().join(', ')}): name the one to use`));
  }
  if (listCheckpoints(dir).length > 0) {
    throw new UserError(oneLine(`${shown} is a directory of checkpoints, not a checkpoint: ${nearby(dir, cwd)}; name one, or use ${displayDir(dir, cwd)}latest`));
  }
  if (match) {
    throw new UserError(oneLine(`no checkpoint at ${shown}: it has no manifest ${manifestFileName(Number(match[1]))} (incomplete or damaged); ${nearby(path.dirname(dir), cwd)}`));
  }
  return missing(dir, path.dirname(dir), cwd);
}

/**
 * The absolute manifest path of a checkpoint given as: the manifest file; its directory (checkpoint_20);
 * a bare name ('checkpoint-20' or 'checkpoint_20') looked up in <cwd>/checkpoints (or, with a directory
 * part, 'runs/checkpoint-20', in that directory); or 'latest' (the highest-iteration checkpoint in
 * <cwd>/checkpoints, or in 'dir/latest''s dir). A missing one -> UserError naming the checkpoints nearby.
 */
export function resolveCheckpointPath(arg: string, cwd: string = process.cwd()): string {
  const given = arg.trim();
  if (given === '') throw new UserError('no checkpoint given: name a checkpoint (checkpoint-20, a path, or latest)');
  cwd = path.resolve(cwd);
  const abs = path.resolve(cwd, given);
  const info = statOrNull(abs);
  if (info?.isFile()) return abs;
  if (info?.isDirectory()) return manifestInDir(abs, cwd);

  const hasDir = /[\\/]/.test(given.replace(/[\\/]+$/, ''));
  const base = path.basename(abs);
  let root = hasDir ? path.dirname(abs) : path.join(cwd, DEFAULT_CHECKPOINT_ROOT);
  if (base === 'latest') {
    const all = listCheckpoints(root);
    if (all.length === 0) throw new UserError(oneLine(`no checkpoint to take as latest: ${nearby(root, cwd)}`));
    return all[all.length - 1].manifestPath;
  }
  const match = /^checkpoint[-_](\d+)$/.exec(base);
  if (match) {
    const iteration = Number(match[1]);
    // 'x/checkpoint_20/checkpoint-20' with the manifest missing: look among x's checkpoints.
    if (hasDir && path.basename(root) === checkpointDirName(iteration)) root = path.dirname(root);
    const dir = path.join(root, checkpointDirName(iteration));
    const manifest = path.join(dir, manifestFileName(iteration));
    if (statOrNull(manifest)?.isFile()) return manifest;
    if (statOrNull(dir)?.isDirectory()) return manifestInDir(dir, cwd);
    return missing(dir, root, cwd, iteration);
  }
  return missing(abs, hasDir ? path.dirname(abs) : path.join(cwd, DEFAULT_CHECKPOINT_ROOT), cwd);
}

function keepCount(keep: number): number {
  if (keep === Infinity) return keep;
  if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`keep must be a positive integer (or Infinity), got ${keep}`);
  return keep;
}

/**
 * Keeps the newest `keep` checkpoints under `root` (RLlib's keep_checkpoints_num) and deletes the older
 * ones, except those in `protect` (checkpoint dirs or manifest paths; they do not count toward `keep`).
 * Only complete checkpoint_<N> dirs are considered. Returns the deleted directories.
 */
export function pruneCheckpoints(root: string, keep: number, protect: string[] = []): string[] {
  const n = keepCount(keep);
  const all = listCheckpoints(root);
  const guarded = new Set(protect.map((p) => path.resolve(p)));
  const deleted: string[] = [];
  for (const entry of all.slice(0, Math.max(0, all.length - n))) {
    if (guarded.has(path.resolve(entry.dir)) || guarded.has(path.resolve(entry.manifestPath))) continue;
    rmSync(entry.dir, { recursive: true, force: true });
    deleted.push(entry.dir);
  }
  return deleted;
}
