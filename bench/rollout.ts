// Greedy replay speed of a [40, 20] CartPole policy (the book's network) on one thread, through
// the same replayPolicy() that `rl rollout` runs, without rendering. Median of 5 runs of 1M steps.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PPOTrainer } from '../src/algorithms/ppo/trainer.js';
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import { CheckpointPolicy } from '../src/policy/checkpoint_policy.js';
import { replayPolicy } from '../src/execution/policy_replay.js';
import { formatRate, median } from './stats.js';

export async function benchRollout(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-bench-rollout-'));
  try {
    const config = resolvePPOConfig([{ source: 'bench', config: { env: 'CartPole-v1', num_workers: 0, train_batch_size: 4000, sgd_minibatch_size: 250, num_sgd_iter: 10, lr: 1e-3, model: { fcnet_hiddens: [40, 20] }, seed: 1 } }]);
    const trainer = await PPOTrainer.create(config);
    for (let i = 0; i < 5; i++) await trainer.train(); // long enough episodes that resets are not what is measured
    const manifest = await trainer.save(dir);
    await trainer.stop();
    const policy = await CheckpointPolicy.load(manifest);
    await replayPolicy(policy, { steps: 200_000, seed: 0 }); // warm up
    const rates: number[] = [];
    let meanLength = 0;
    for (let run = 0; run < 5; run++) {
      const summary = await replayPolicy(policy, { steps: 1_000_000, seed: run });
      rates.push(summary.steps / summary.seconds);
      meanLength = summary.steps / summary.episodes.length;
    }
    process.stdout.write(`rl rollout, greedy [40, 20] CartPole-v1 policy, one thread: ${formatRate(median(rates))} env steps (median of 5 x 1M steps; mean episode ${meanLength.toFixed(0)} steps)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
