// The gradient checks' measure: the largest error over the parameter blocks (each kernel, each
// bias, a free log-std vector), relative to the block's norm.
import type { DenseLayer } from '../../src/policy/model.js';

export function blockRelativeError(layers: DenseLayer[], actual: ArrayLike<number>, expected: ArrayLike<number>, extraBlocks: [number, number][] = []): number {
  const blocks: [number, number][] = layers.flatMap((l): [number, number][] => [
    [l.kernelOffset, l.biasOffset],
    [l.biasOffset, l.biasOffset + l.outSize],
  ]);
  blocks.push(...extraBlocks);
  let total = 0;
  for (let i = 0; i < expected.length; i++) total += expected[i] ** 2;
  // a block whose true gradient is nearly zero is measured against 1e-3 of the whole gradient
  const floor = 1e-3 * Math.sqrt(total);
  let worst = 0;
  for (const [start, end] of blocks) {
    let diff = 0;
    let norm = 0;
    for (let i = start; i < end; i++) {
      diff += (actual[i] - expected[i]) ** 2;
      norm += expected[i] ** 2;
    }
    worst = Math.max(worst, Math.sqrt(diff) / Math.max(Math.sqrt(norm), floor, 1e-12));
  }
  return worst;
}
