// Checks on paths a user names for output, made before any work starts.
import { statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

/**
 * Refuses an output directory that could never be created because it, or a folder on its way,
 * is an existing file. `name` says how the user gave it ("--checkpoint-dir").
 */
export function checkDirectoryPath(dir: string, name: string): void {
  let current = path.resolve(dir);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return;
      current = parent;
      continue;
    }
    if (!isDirectory) {
      const shown = current === path.resolve(dir) ? dir : `${dir} (${current})`;
      throw new UserError(`${name} ${shown} is a file, not a directory; pass the path of a directory (it is created if missing)`);
    }
    return;
  }
}
