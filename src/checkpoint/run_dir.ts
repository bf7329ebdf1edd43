// The folder a training run writes (checkpoints, result.json, progress.csv, params.json): one run
// at a time. A live run holds a lock file; a new run finds an earlier run's files moved aside into
// a folder of their own (nothing is overwritten, and `checkpoint-20` / `latest` keep meaning the
// newest run, as the book uses them); a run continued from its own checkpoint refuses to replace
// later checkpoints of that run.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../utils/errors.js';
import { CHECKPOINT_DIR_RE, displayDir } from './format.js';
import { listCheckpoints } from './resolve.js';
import { processAlive } from './save.js';

export const LOCK_FILE = '.rl-run.json';
/** What a run writes into its folder, besides the lock: these move aside together. */
const RUN_FILE_RE = /^(checkpoint_\d+|result\.json|progress\.csv|params\.json|events\.out\.tfevents\..*)$/;

interface RunLock {
  pid: number;
  hostname: string;
  started_at: string;
}

function readLock(file: string): RunLock | null {
  try {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as RunLock;
    return Number.isSafeInteger(lock.pid) && typeof lock.hostname === 'string' ? lock : null;
  } catch {
    return null;
  }
}

/** A folder name for an earlier run, from the time it started: run-2026-12-02_00-24-06 (made unique). */
function asideName(dir: string, started: Date): string {
  const stamp = started.toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
  let name = `run-${stamp}`;
  for (let i = 2; existsSync(path.join(dir, name)); i++) name = `run-${stamp}-${i}`;
  return name;
}

export interface RunDir {
  dir: string;
  /** Where an earlier run's files were moved, if any. */
  movedAside: string | null;
  release(): void;
}

/**
 * Claims `dir` for a run. `continuing` is the iteration of the checkpoint a restored run continues
 * when that checkpoint is in `dir` (null for a new run, or one restored into another folder).
 * Refused (one line): a folder in use by a live run; continuing from a checkpoint that later ones follow.
 * `dir` must be a folder path (runTraining checks it with checkDirectoryPath before creating the trainer).
 */
export function claimRunDir(dir: string, continuing: number | null): RunDir {
  mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, LOCK_FILE);
  const lock: RunLock = { pid: process.pid, hostname: os.hostname(), started_at: new Date().toISOString() };
  for (;;) {
    try {
      writeFileSync(lockFile, JSON.stringify(lock), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(lockFile);
      if (holder && holder.pid !== process.pid && (holder.hostname !== os.hostname() || processAlive(holder.pid))) {
        throw new UserError(
          `${displayDir(dir)} is in use by another run (pid ${holder.pid} on ${holder.hostname}, started ${holder.started_at}): give this run its own --checkpoint-dir`,
        );
      }
      rmSync(lockFile, { force: true }); // left by a run that died
    }
  }
  const release = () => {
    if (readLock(lockFile)?.pid === process.pid) rmSync(lockFile, { force: true });
  };
  try {
    if (continuing !== null) {
      const later = listCheckpoints(dir).filter((c) => c.iteration > continuing);
      if (later.length > 0) {
        throw new UserError(
          `${displayDir(dir)} holds later checkpoints of this run (up to ${path.basename(later[later.length - 1].dir)}); continuing from checkpoint_${continuing} would replace them: restore the latest, or give --checkpoint-dir for the new branch`,
        );
      }
      return { dir, movedAside: null, release };
    }
    const earlier = readdirSync(dir).filter((name) => RUN_FILE_RE.test(name) && (!CHECKPOINT_DIR_RE.test(name) || statSync(path.join(dir, name)).isDirectory()));
    if (earlier.length === 0) return { dir, movedAside: null, release };
    const started = earlier.map((name) => statSync(path.join(dir, name)).mtime).reduce((a, b) => (a < b ? a : b));
    const aside = path.join(dir, asideName(dir, started));
    mkdirSync(aside);
    for (const name of earlier) renameSync(path.join(dir, name), path.join(aside, name));
    return { dir, movedAside: aside, release };
  } catch (error) {
    release();
    throw error;
  }
}
