import Table from 'cli-table3';
import { paint } from './style.js';

export type Alignment = 'left' | 'right' | 'center';

/** Renders rows as a boxed table (cli-table3), header in bold when colours are on. */
export function renderTable(head: string[], rows: (string | number)[][], align?: Alignment[]): string {
  const c = paint();
  const table = new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    // an explicit undefined replaces cli-table3's default and breaks it (the live rl tune table threw)
    ...(align ? { colAligns: align } : {}),
  });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}
