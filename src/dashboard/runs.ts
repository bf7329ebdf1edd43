// What `rl dashboard` shows: every run folder (one holding progress.csv: an `rl train` run or a
// Tune trial) and every Tune experiment (experiment_state.json) under the folders it watches.
// Files are read as data only (CSV and JSON); nothing from them is ever run.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../utils/errors.js';
import { csvCells } from '../metrics/result_writer.js';

export interface RunData {
  /** Path relative to the watched folder it was found in, prefixed with that folder's name. */
  id: string;
  dir: string;
  columns: string[];
  /** One array a progress.csv row, a number per column (null where empty or not a number). */
  rows: (number | null)[][];
  /** Set when progress.csv cannot be read; then columns and rows are empty. */
  error?: string;
}

export interface TrialData {
  id: string;
  status: string;
  iteration: number;
  params: Record<string, unknown>;
  runId: string | null;
}

export interface ExperimentData {
  id: string;
  trials: TrialData[];
  error?: string;
}

export interface Snapshot {
  runs: RunData[];
  experiments: ExperimentData[];
}

/** Parses progress.csv; a line still being written (no newline yet) is left for the next read. */
export function parseProgressCsv(text: string): Pick<RunData, 'columns' | 'rows'> {
  const lines = text.split('\n');
  lines.pop();
  if (lines.length === 0) return { columns: [], rows: [] };
  const columns = csvCells(lines[0]);
  if (columns.some((c) => c === '')) throw new Error('the header line is not a CSV header');
  const rows = lines.slice(1).map((line, index) => {
    const cells = csvCells(line);
    if (cells.length !== columns.length) throw new Error(`line ${index + 2} has ${cells.length} cells, the header ${columns.length}`);
    return cells.map((cell) => {
      if (cell === 'true' || cell === 'false') return cell === 'true' ? 1 : 0;
      const value = cell === '' ? NaN : Number(cell);
      return Number.isFinite(value) ? value : null;
    });
  });
  return { columns, rows };
}

export function readRun(id: string, dir: string): RunData {
  try {
    return { id, dir, ...parseProgressCsv(readFileSync(path.join(dir, 'progress.csv'), 'utf8')) };
  } catch (error) {
    return { id, dir, columns: [], rows: [], error: `progress.csv is damaged: ${(error as Error).message}` };
  }
}

export function readExperiment(id: string, dir: string, runIdOf: (dir: string) => string | null): ExperimentData {
  try {
    const state = JSON.parse(readFileSync(path.join(dir, 'experiment_state.json'), 'utf8')) as { trials?: unknown };
    if (!Array.isArray(state.trials)) throw new Error('it has no trials list');
    const trials = state.trials.map((value: unknown) => {
      const t = (value ?? {}) as Record<string, unknown>;
      const trialId = String(t.id ?? '?');
      const params = (t.varied && typeof t.varied === 'object' ? t.varied : {}) as Record<string, unknown>;
      return { id: trialId, status: String(t.status ?? '?'), iteration: Number(t.iteration ?? 0), params, runId: runIdOf(path.join(dir, trialId)) };
    });
    return { id, trials };
  } catch (error) {
    return { id, trials: [], error: `experiment_state.json cannot be read: ${(error as Error).message}` };
  }
}

// Checkpoint folders and hidden folders hold no runs; six levels is deeper than Tune nests them.
const MAX_DEPTH = 6;

interface Found {
  runs: { id: string; dir: string }[];
  experiments: { id: string; dir: string }[];
}

function walk(root: string, dir: string, depth: number, found: Found): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  const id = path.join(path.basename(root), path.relative(root, dir)).split(path.sep).join('/');
  if (entries.some((e) => e.name === 'progress.csv' && e.isFile())) found.runs.push({ id, dir });
  if (entries.some((e) => e.name === 'experiment_state.json' && e.isFile())) found.experiments.push({ id, dir });
  if (depth >= MAX_DEPTH) return;
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.name.startsWith('.') && !/^checkpoint_\d+$/.test(entry.name) && entry.name !== 'node_modules') {
      walk(root, path.join(dir, entry.name), depth + 1, found);
    }
  }
}

/** progress.csv contents by file, kept while the file's size and mtime (its stamp, taken before reading) stay the same. */
export type RunCache = Map<string, { stamp: string; run: RunData }>;

function readRunCached(id: string, dir: string, cache: RunCache | undefined): RunData {
  if (!cache) return readRun(id, dir);
  const file = path.join(dir, 'progress.csv');
  let stamp = '-';
  try {
    const s = statSync(file);
    stamp = `${s.size}:${s.mtimeMs}`;
  } catch {
    // gone since the walk: readRun reports it
  }
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp && hit.run.id === id) return hit.run;
  const run = readRun(id, dir);
  cache.set(file, { stamp, run });
  return run;
}

/** Every run and experiment under the roots; progress.csv files unchanged since the last scan come from the cache. */
export function scan(roots: string[], cache?: RunCache): Snapshot {
  const found: Found = { runs: [], experiments: [] };
  for (const root of roots) walk(root, root, 0, found);
  const runs = found.runs.map((r) => readRunCached(r.id, r.dir, cache));
  const runIdOf = (dir: string) => found.runs.find((r) => r.dir === dir)?.id ?? null;
  return { runs, experiments: found.experiments.map((e) => readExperiment(e.id, e.dir, runIdOf)) };
}

/**
 * The folders to watch: those named, each of which must exist, or by default ray_results and
 * checkpoints where they exist. Fails with one line when there is nothing to show (unless allowEmpty).
 */
export function resolveRoots(dirs: string[], cwd = process.cwd(), allowEmpty = false): string[] {
  const named = dirs.length > 0;
  const roots = (named ? dirs : ['ray_results', 'checkpoints']).map((d) => path.resolve(cwd, d));
  for (const [i, root] of roots.entries()) {
    if (named && !(existsSync(root) && statSync(root).isDirectory())) throw new UserError(`${dirs[i]} is not a folder: name a folder that holds runs (a checkpoint dir or a Tune local_dir)`);
  }
  const present = roots.filter((root) => existsSync(root) && statSync(root).isDirectory());
  const { runs, experiments } = scan(present);
  if (runs.length === 0 && experiments.length === 0 && !allowEmpty) {
    const where = named ? dirs.join(', ') : 'ray_results or checkpoints';
    throw new UserError(`no runs in ${where} (no progress.csv or experiment_state.json): train first with rl train or rl tune, or name the folder they wrote to`);
  }
  return present;
}
