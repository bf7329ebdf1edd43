// A progress bar on stderr while an iteration samples; off when stderr is not a TTY.
import cliProgress from 'cli-progress';

export class IterationProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly enabled = process.stderr.isTTY === true;

  update(iteration: number, steps: number, total: number): void {
    if (!this.enabled) return;
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `iter ${iteration} sampling [{bar}] {value}/{total} steps`, clearOnComplete: true, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0);
    }
    this.bar.update(Math.min(steps, total));
  }

  /** Clears the bar before a table row is printed. */
  clear(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
