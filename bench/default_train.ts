// Seconds per iteration of `rl train --env CartPole-v1` with RLlib's defaults (4000 steps, 30
// epochs of 128-row minibatches, [256, 256] networks): median of iterations 2-4, seed 1.
// `npm run bench -- default`.
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import { PPOTrainer } from '../src/algorithms/ppo/trainer.js';
import { median } from './stats.js';
import { coreGauges } from './core_gauge.js';

export async function benchDefaultTrain(): Promise<void> {
  const before = coreGauges();
  const trainer = await PPOTrainer.create(resolvePPOConfig([{ source: 'bench', config: { env: 'CartPole-v1', seed: 1 } }]));
  const times: number[] = [];
  const learn: number[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const r = await trainer.train();
      if (i > 0) {
        times.push(r.time_this_iter_s);
        learn.push(r.info.learn_time_s);
      }
    }
  } finally {
    await trainer.stop();
  }
  process.stdout.write(`rl train --env CartPole-v1 (RLlib defaults): ${median(times).toFixed(2)} s an iteration, of which learning ${median(learn).toFixed(2)} s (median of iterations 2-4)\n`);
  process.stdout.write(`  before: ${before}\n  after:  ${coreGauges()}\n`);
}
