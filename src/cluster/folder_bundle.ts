// A checkpoint folder as one value that can cross Redis: its files by relative path. Bounded in
// size, because Redis holds it in memory (and refuses values over 512 MiB).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../utils/errors.js';

export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export interface FolderBundle {
  /** The folder's name inside the trial's folder, e.g. checkpoint_3. */
  folder: string;
  /** The file a restore is given (the manifest or state.json), relative to the trial's folder. */
  entry: string;
  files: Record<string, Uint8Array>;
}

/** Packs the folder holding `entryPath`, a direct child of `trialDir`. */
export function packCheckpoint(trialDir: string, entryPath: string): FolderBundle {
  const entry = path.relative(trialDir, entryPath);
  const folder = entry.split(path.sep)[0];
  const files: Record<string, Uint8Array> = {};
  let bytes = 0;
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(trialDir, rel))) {
      const child = path.join(rel, name);
      if (statSync(path.join(trialDir, child)).isDirectory()) walk(child);
      else {
        files[child.split(path.sep).join('/')] = readFileSync(path.join(trialDir, child));
        bytes += files[child.split(path.sep).join('/')].byteLength;
        if (bytes > MAX_BUNDLE_BYTES) throw new UserError(`checkpoint ${path.join(trialDir, folder)} is over ${MAX_BUNDLE_BYTES >> 20} MiB, too big to send through Redis: use smaller networks or run this experiment without --address`);
      }
    }
  };
  walk(folder);
  return { folder, entry: entry.split(path.sep).join('/'), files };
}

/** Writes the bundle's folder into trialDir (replacing one of that name, all at once) and returns the entry's path there. */
export function unpackCheckpoint(trialDir: string, bundle: FolderBundle): string {
  if (!/^[\w.-]+$/.test(bundle.folder) || bundle.folder.startsWith('.') || !bundle.entry.startsWith(`${bundle.folder}/`) || bundle.entry.split('/').includes('..')) {
    throw new Error(`checkpoint bundle names a folder outside the trial's: ${bundle.folder}`);
  }
  const target = path.join(trialDir, bundle.folder);
  const tmp = path.join(trialDir, `.${bundle.folder}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  for (const [rel, data] of Object.entries(bundle.files)) {
    if (rel.split('/').some((part) => part === '..' || part === '') || !rel.startsWith(`${bundle.folder}/`)) throw new Error(`checkpoint bundle names a file outside its folder: ${rel}`);
    const file = path.join(tmp, ...rel.split('/').slice(1));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  return path.join(trialDir, ...bundle.entry.split('/'));
}
