// PBT's record of what changed: each trial's folder keeps pbt_policy.jsonl (as Tune's
// pbt_policy_<trial>.txt: on an exploit the donor's history is copied over the trial's, then the
// new change appended, so the file traces the trial's whole lineage) and the experiment folder
// keeps pbt_global.jsonl, every change of every trial. One JSON object a line:
// {trial, donor, iteration, donor_iteration, old_config, donor_config, new_config}.
import { appendFileSync, copyFileSync, cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isPlainObject } from '../config/util.js';
import { UserError } from '../utils/errors.js';

export const HISTORY_FILE = 'pbt_policy.jsonl';
export const GLOBAL_HISTORY_FILE = 'pbt_global.jsonl';

export interface ConfigChange {
  trial: string;
  donor: string;
  /** The trial's training_iteration when it exploited. */
  iteration: number | null;
  /** The donor's training_iteration at the checkpoint the trial continues from. */
  donor_iteration: number;
  old_config: Record<string, unknown>;
  donor_config: Record<string, unknown>;
  new_config: Record<string, unknown>;
}

/** Writes one change: the donor's history becomes the trial's, plus this line; and a line in the experiment's global log. */
export function recordChange(trialDir: string, donorDir: string, record: Record<string, unknown>): void {
  const line = `${JSON.stringify(record)}\n`;
  const donorHistory = path.join(donorDir, HISTORY_FILE);
  const history = path.join(trialDir, HISTORY_FILE);
  // As Tune: without a donor history the trial's own earlier lines stay; replay's walk stops at them.
  if (existsSync(donorHistory)) copyFileSync(donorHistory, history);
  appendFileSync(history, line);
  appendFileSync(path.join(path.dirname(trialDir), GLOBAL_HISTORY_FILE), line);
}

/**
 * Copies the donor's checkpoint folder into <trial>/pbt_clones/<n>/ (out of the way of the trial's
 * own checkpoint_<N> folders and their pruning) and returns the copy's manifest path. Tune holds
 * this checkpoint in memory; here it is on disk so that --resume finds it.
 */
export function cloneCheckpoint(checkpoint: string, trialDir: string, n: number): string {
  const source = path.dirname(checkpoint);
  const target = path.join(trialDir, 'pbt_clones', String(n), path.basename(source));
  cpSync(source, target, { recursive: true });
  return path.join(target, path.basename(checkpoint));
}

/** Reads a pbt_policy.jsonl; a line that is not a change record is refused with its line number. */
export function readHistory(file: string): ConfigChange[] {
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  return lines.map((line, i) => {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      record = null;
    }
    const ok =
      isPlainObject(record) &&
      typeof record.trial === 'string' &&
      typeof record.donor === 'string' &&
      typeof record.donor_iteration === 'number' &&
      isPlainObject(record.donor_config) &&
      isPlainObject(record.new_config);
    if (!ok) throw new UserError(`${file}:${i + 1} is not a PBT history line ({"trial", "donor", "donor_iteration", "donor_config", "new_config", ...}); give the pbt_policy.jsonl rl tune wrote`);
    return record as unknown as ConfigChange;
  });
}

/**
 * Tune's PopulationBasedTrainingReplay._load_policy: walks the history back from its last line
 * while each line's trial is the donor of the line after it (an earlier lineage the trial left is
 * ignored), and returns the config the lineage started with and each change as
 * (donor_iteration, new_config), in order.
 */
export function replayPolicy(records: ConfigChange[]): { initial: Record<string, unknown> | null; changes: { iteration: number; config: Record<string, unknown> }[] } {
  const changes: { iteration: number; config: Record<string, unknown> }[] = [];
  let donor: string | null = null;
  let initial: Record<string, unknown> | null = null;
  for (const record of [...records].reverse()) {
    if (donor !== null && record.trial !== donor) break;
    donor = record.donor;
    initial = record.donor_config;
    changes.push({ iteration: record.donor_iteration, config: record.new_config });
  }
  return { initial, changes: changes.reverse() };
}
