// Checks on paths a user names for output, made before any work starts.
import { statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';
import { displayPath } from '../checkpoint/format.js';

/**
 * Refuses a checkpoint folder that could never be created because it, or a folder on its way, is
 * an existing file. `option` is how the user names another one ("--checkpoint-dir").
 */
export function checkDirectoryPath(dir: string, option: string): void {
  const target = path.resolve(dir);
  for (let current = target; ; current = path.dirname(current)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch {
      if (path.dirname(current) === current) return;
      continue;
    }
    if (isDirectory) return;
    throw new UserError(
      current === target
        ? `checkpoint folder ${displayPath(dir)} is a file: name a folder with ${option}`
        : `checkpoint folder ${displayPath(dir)} cannot be created: ${displayPath(current)} is a file; name a folder with ${option}`,
    );
  }
}
