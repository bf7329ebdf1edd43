// Data-parallel SGD throughput on the MNIST example (examples/sgd/mnist-mlp.js): samples/s of one
// epoch with 1 and 2 workers, next to tfjs's own model.fit in this thread on the same model, data,
// batch and optimizer. Medians over SGD_BENCH_REPEATS epochs of rl sgd (default 25: an MNIST epoch
// is ~0.1 s, and this machine's cores change speed for seconds at a time) and 5 of model.fit
// (~1 s each), after a warm-up epoch.
// `npm run bench -- sgd`; SGD_BENCH_REPEATS=1 SGD_BENCH_FRACTION=0.05 for a smoke run.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { SGDTrainer } from '../src/sgd/index.js';
import { initBackend } from '../src/utils/tensor_backend.js';
import { renderTable } from '../src/report/table.js';
import { median } from './stats.js';
import { coreGauges } from './core_gauge.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const moduleFile = path.join(root, 'examples', 'sgd', 'mnist-mlp.js');

/**
 * Samples/s of 1 and 2 workers, their epochs interleaved (1, 2, 1, 2, ...) so that both see the
 * same spells of the host's speed; the ratio is the median of each pair's.
 */
async function sgdRates(config: Record<string, unknown>, repeats: number): Promise<{ one: number[]; two: number[]; ratios: number[] }> {
  const trainers = await Promise.all([1, 2].map((numWorkers) => SGDTrainer.create({ module: moduleFile, numWorkers, config, seed: 1 })));
  try {
    for (const t of trainers) await t.train(); // warm-up: first-call compilation and allocation
    const one: number[] = [];
    const two: number[] = [];
    for (let i = 0; i < repeats; i++) {
      one.push((await trainers[0].train()).samples_per_s);
      two.push((await trainers[1].train()).samples_per_s);
    }
    return { one, two, ratios: two.map((rate, i) => rate / one[i]) };
  } finally {
    await Promise.all(trainers.map((t) => t.shutdown()));
  }
}

async function fitRate(config: Record<string, unknown>, repeats: number): Promise<number[]> {
  await initBackend('auto');
  const creators = (await import(moduleFile)) as {
    model(c: unknown, ctx: unknown): tf.LayersModel;
    data(c: unknown, ctx: unknown): { train: { x: tf.Tensor; y: tf.Tensor } };
    optimizer(c: unknown, ctx: unknown): tf.Optimizer;
    loss: string;
  };
  const context = { tf, rank: 0, numWorkers: 1 };
  const model = creators.model(config, context);
  model.compile({ optimizer: creators.optimizer(config, context), loss: creators.loss });
  const { x, y } = creators.data(config, context).train;
  const epoch = async () => {
    const start = performance.now();
    await model.fit(x, y, { batchSize: config.batch_size as number, epochs: 1, shuffle: true, verbose: 0 });
    return x.shape[0] / ((performance.now() - start) / 1000);
  };
  await epoch();
  const rates: number[] = [];
  for (let i = 0; i < repeats; i++) rates.push(await epoch());
  model.dispose();
  return rates;
}

export async function benchSGD(): Promise<void> {
  const repeats = Number(process.env.SGD_BENCH_REPEATS ?? 25);
  const fitRepeats = Math.min(repeats, 5);
  const config = { batch_size: 128, lr: 0.001, train_fraction: Number(process.env.SGD_BENCH_FRACTION ?? 0.85) };
  const measure = async (label: string, rates: Promise<number[]>) => {
    const value = median(await rates);
    process.stderr.write(`${label}: ${value.toFixed(0)} samples/s\n`);
    return value;
  };
  const fit = await measure('model.fit', fitRate(config, fitRepeats));
  const before = coreGauges();
  const rates = await sgdRates(config, repeats);
  const after = coreGauges();
  const one = await measure('1 worker', Promise.resolve(rates.one));
  const two = await measure('2 workers', Promise.resolve(rates.two));
  const ratio = median(rates.ratios);
  const pairs = `${Math.min(...rates.ratios).toFixed(2)}-${Math.max(...rates.ratios).toFixed(2)}x`;
  process.stdout.write(
    `\nrl sgd on examples/sgd/mnist-mlp.js, global batch ${config.batch_size}, medians of ${repeats} epochs (model.fit: ${fitRepeats}) after a warm-up (2 workers against 1: the median of interleaved pairs, which ranged ${pairs})\n`,
  );
  process.stdout.write(
    `${renderTable(
      ['trainer', 'samples/s', 'vs model.fit'],
      [
        ['tfjs model.fit, this thread', fit.toFixed(0), '1.00x'],
        ['rl sgd, 1 worker', one.toFixed(0), `${(one / fit).toFixed(2)}x`],
        ['rl sgd, 2 workers', two.toFixed(0), `${(two / fit).toFixed(2)}x (${ratio.toFixed(2)}x 1 worker)`],
      ],
      ['left', 'right', 'right'],
    )}\n  before: ${before}\n  after:  ${after}\n`,
  );
}
