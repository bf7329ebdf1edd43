// Writes a run's results beside its checkpoints, as Tune's loggers do: params.json (the resolved
// config), result.json (one JSON record per line) and progress.csv (the same records flattened,
// nested keys joined with '/'). A resumed run keeps the rows up to the iteration it continues
// from and appends after them, so the files hold one row per iteration.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

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

/** The cells of one CSV line as csvCell writes them (quoted cells may hold commas and doubled quotes). */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      for (i++; i < line.length; i++) {
        if (line[i] === '"' && line[i + 1] === '"') (cell += '"'), i++;
        else if (line[i] === '"') break;
        else cell += line[i];
      }
      i++; // the closing quote
    } else {
      const end = line.indexOf(',', i);
      cell = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    cells.push(cell);
    if (line[i] !== ',') return cells;
    i++;
  }
}

export class ResultWriter {
  readonly resultPath: string;
  readonly progressPath: string;
  readonly paramsPath: string;
  private columns: string[] | null = null;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.resultPath = path.join(dir, 'result.json');
    this.progressPath = path.join(dir, 'progress.csv');
    this.paramsPath = path.join(dir, 'params.json');
  }

  /**
   * Starts a fresh run (empty result files) or, when resuming at `resumeAt` (the iteration the run
   * continues from), keeps the rows up to that iteration and drops later ones: rows a killed run
   * wrote after its last checkpoint are trained again, and must not appear twice.
   */
  start(config: unknown, resumeAt: number | null): void {
    writeFileSync(this.paramsPath, `${JSON.stringify(config, null, 2)}\n`);
    if (resumeAt !== null && existsSync(this.progressPath)) {
      const keep = (line: string, iterationOf: (line: string) => number) => {
        try {
          return iterationOf(line) <= resumeAt;
        } catch {
          return false; // a line cut short by a kill
        }
      };
      const rewrite = (file: string, lines: string[]) => {
        writeFileSync(`${file}.tmp`, lines.map((l) => `${l}\n`).join(''));
        renameSync(`${file}.tmp`, file);
      };
      const results = existsSync(this.resultPath) ? readFileSync(this.resultPath, 'utf8').split('\n').filter(Boolean) : [];
      rewrite(this.resultPath, results.filter((l) => keep(l, (line) => (JSON.parse(line) as { training_iteration: number }).training_iteration)));
      const [header = '', ...rows] = readFileSync(this.progressPath, 'utf8').split('\n').filter(Boolean);
      this.columns = header ? header.split(',') : null;
      const column = this.columns?.indexOf('training_iteration') ?? -1;
      const iterationOf = (line: string) => {
        const cells = csvCells(line);
        const value = Number(cells[column]);
        if (column < 0 || cells.length !== this.columns!.length || !Number.isFinite(value)) throw new Error('not a row');
        return value;
      };
      rewrite(this.progressPath, header ? [header, ...rows.filter((l) => keep(l, iterationOf))] : []);
      return;
    }
    writeFileSync(this.resultPath, '');
    writeFileSync(this.progressPath, '');
    this.columns = null;
  }

  write(result: object): void {
    appendFileSync(this.resultPath, `${JSON.stringify(result)}\n`);
    const flat = flattenResult(result as Record<string, unknown>);
    if (!this.columns) {
      this.columns = Object.keys(flat);
      appendFileSync(this.progressPath, `${this.columns.join(',')}\n`);
    }
    appendFileSync(this.progressPath, `${this.columns.map((c) => csvCell(flat[c])).join(',')}\n`);
  }
}
