// How fast each core is right now: the kernel's [128, 256] x [256, 256] product (the middle layer
// of a default PPO minibatch step), median of 200, in a process pinned to the core with taskset.
// This machine's virtual cores slow down one at a time for seconds (the product takes ~310-340 us
// on a core at full speed, 500-650 us on a slowed one), and a figure that uses both cores goes at
// the slower one's pace: the benches that do print this beside their figures.
// Run as a script (`node dist/bench/core_gauge.js`), it prints the microseconds for this process's core.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { denseLayout } from '../src/nn/layout.js';
import { MlpKernel } from '../src/nn/mlp.js';
import { median } from './stats.js';

function productMicroseconds(): number {
  const layout = denseLayout(256, [{ name: 'gauge', inputSize: 256, hiddens: [], activation: 'linear', outputSize: 256 }], { sizeSetting: { key: 'gauge', hiddens: [] } });
  const kernel = new MlpKernel(layout, 128);
  kernel.params.forEach((_, i) => (kernel.params[i] = Math.sin(i) * 0.05));
  kernel.input('obs').forEach((_, i, rows) => (rows[i] = Math.cos(i)));
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    kernel.forward(128);
    times.push((performance.now() - start) * 1000);
  }
  return median(times);
}

/** "core 0 314 us, core 1 311 us": each core's product time now, or why there is none. */
export function coreGauges(): string {
  const parts: string[] = [];
  for (let core = 0; core < availableParallelism(); core++) {
    const run = spawnSync('taskset', ['-c', String(core), process.execPath, fileURLToPath(import.meta.url)], { encoding: 'utf8' });
    if (run.error || run.status !== 0) return 'core gauges: taskset is not available here';
    parts.push(`core ${core} ${run.stdout.trim()} us`);
  }
  return `cores (a [128, 256] x [256, 256] product, ~310-340 us at full speed): ${parts.join(', ')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${productMicroseconds().toFixed(0)}\n`);
