// Writes a run's results beside its checkpoints, as Tune's loggers do: params.json (the resolved
// config), result.json (one JSON record per line) and progress.csv (the same records flattened,
// nested keys joined with '/'). A resumed run appends to what is there.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TFEventWriter } from './tfevents.js';

export function flattenResult(record: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(record)) {
    const name = prefix ? `${prefix}/${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flattenResult(value as Record<string, unknown>, name, out);
    else out[name] = value;
  }
  return out;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export class ResultWriter {
  readonly resultPath: string;
  readonly progressPath: string;
  readonly paramsPath: string;
  private columns: string[] | null = null;
  private events: TFEventWriter | null = null;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.resultPath = path.join(dir, 'result.json');
    this.progressPath = path.join(dir, 'progress.csv');
    this.paramsPath = path.join(dir, 'params.json');
  }

  /** Starts a fresh run (truncating old results) or, when resuming, keeps them and the CSV header. */
  start(config: unknown, resume: boolean): void {
    writeFileSync(this.paramsPath, `${JSON.stringify(config, null, 2)}\n`);
    if (resume && existsSync(this.progressPath)) {
      const header = readFileSync(this.progressPath, 'utf8').split('\n', 1)[0];
      this.columns = header ? header.split(',') : null;
      return;
    }
    writeFileSync(this.resultPath, '');
    writeFileSync(this.progressPath, '');
    this.columns = null;
  }

  write(result: object): void {
    appendFileSync(this.resultPath, `${JSON.stringify(result)}\n`);
    (this.events ??= new TFEventWriter(this.dir)).write(result);
    const flat = flattenResult(result as Record<string, unknown>);
    if (!this.columns) {
      this.columns = Object.keys(flat);
      appendFileSync(this.progressPath, `${this.columns.join(',')}\n`);
    }
    appendFileSync(this.progressPath, `${this.columns.map((c) => csvCell(flat[c])).join(',')}\n`);
  }
}
