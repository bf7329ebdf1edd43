// The per-epoch table of `rl sgd`: epoch, train loss, validation loss and metrics, samples/s, time.
import type { SGDResult } from '../sgd/run.js';

interface Column {
  title: string;
  width: number;
  value: (r: SGDResult) => string;
}

const fmt = (v: number | undefined) => (v === undefined ? '-' : Number.isFinite(v) ? (Math.abs(v) >= 1e4 ? v.toExponential(3) : v.toFixed(4)) : String(v));

export class SGDTable {
  private readonly columns: Column[];

  constructor(metricNames: string[], hasValidation: boolean) {
    this.columns = [
      { title: 'epoch', width: 5, value: (r) => String(r.epoch) },
      { title: 'train loss', width: 10, value: (r) => fmt(r.train_loss) },
      ...(hasValidation
        ? [
            { title: 'val loss', width: 10, value: (r: SGDResult) => fmt(r.val_loss) },
            ...metricNames.map((name) => ({ title: `val ${name}`, width: Math.max(10, name.length + 4), value: (r: SGDResult) => fmt((r as unknown as Record<string, number>)[`val_${name}`]) })),
          ]
        : []),
      { title: 'samples/s', width: 10, value: (r) => r.samples_per_s.toFixed(0) },
      { title: 'time (s)', width: 9, value: (r) => r.time_this_iter_s.toFixed(2) },
    ];
  }

  header(): string {
    const head = this.columns.map((c) => c.title.padStart(c.width)).join('  ');
    return `${head}\n${'-'.repeat(head.length)}`;
  }

  row(result: SGDResult): string {
    return this.columns.map((c) => c.value(result).padStart(c.width)).join('  ');
  }
}
