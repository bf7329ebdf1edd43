// A progress bar on stderr while an iteration samples and learns; off when stderr is not a TTY.
import cliProgress from 'cli-progress';

export class IterationProgress {
  private bar: cliProgress.SingleBar | null = null;
  private phase = '';
  private readonly enabled = process.stderr.isTTY === true;

  update(iteration: number, phase: 'sampling' | 'learning', done: number, total: number): void {
    if (!this.enabled) return;
    if (this.bar && phase !== this.phase) this.clear();
    if (!this.bar) {
      this.phase = phase;
      const unit = phase === 'sampling' ? 'steps' : 'minibatches';
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `iter ${iteration} ${phase} [{bar}] {value}/{total} ${unit}`, clearOnComplete: true, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0);
    }
    this.bar.update(Math.min(done, total));
  }

  /** Clears the bar before a table row is printed. */
  clear(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
