// Output files a command writes (rollout's --out and --video), checked before any work is done:
// nothing is written into a checkpoint, nothing existing is replaced without --force, and a
// folder that does not exist or cannot be written is named at once rather than after a long run.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CHECKPOINT_DIR_RE, displayPath, manifestFileName } from '../checkpoint/format.js';
import { UserError } from './errors.js';

/** The checkpoint directory that holds `file` (at any depth), or null. */
function enclosingCheckpoint(file: string): string | null {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const match = CHECKPOINT_DIR_RE.exec(path.basename(dir));
    if (match && existsSync(path.join(dir, manifestFileName(Number(match[1]))))) return dir;
  }
  return null;
}

/**
 * Checks that `file` may be written as the output of `flag` and returns its absolute path.
 * Refused (one line, exit 2): a directory, a file inside a checkpoint, an existing file unless
 * `force`, a folder that does not exist or is not writable.
 */
export function checkOutputFile(flag: string, file: string, force: boolean): string {
  const abs = path.resolve(file);
  const shown = displayPath(abs);
  const checkpoint = enclosingCheckpoint(abs);
  if (checkpoint) {
    throw new UserError(`${flag} ${shown} is inside the checkpoint ${displayPath(checkpoint)}: writing there would damage it; name a file outside it`);
  }
  const info = statSync(abs, { throwIfNoEntry: false });
  if (info?.isDirectory()) throw new UserError(`${flag} ${shown} is a directory: name a file in it, such as ${displayPath(path.join(abs, flag === '--video' ? 'rollout.gif' : 'rollout.jsonl'))}`);
  if (info && !force) throw new UserError(`${flag} ${shown} already exists: pass --force to replace it, or name another file`);
  const dir = path.dirname(abs);
  const dirInfo = statSync(dir, { throwIfNoEntry: false });
  if (!dirInfo?.isDirectory()) throw new UserError(`${flag} ${shown}: the folder ${displayPath(dir)} does not exist; create it first or name another path`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${shown}: the folder ${displayPath(dir)} is not writable; name another path`);
  }
  return abs;
}
