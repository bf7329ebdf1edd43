// DD-PPO next to PPO on CartPole-v1: timesteps and wall time (whole trainer lifetime, threads
// started and stopped) until episode_reward_mean >= 150, seeds 1-3, runs interleaved. Both sample
// 1000 steps an iteration with DD-PPO's fragment sizes (2 workers x 5 envs x 100 steps) and take
// 10 epochs of SGD: DD-PPO on each worker's 500 steps in minibatches of 50 (100 across the two
// workers), PPO on the gathered 1000 in minibatches of 100. Same lr and model for both.
// `npm run bench -- ddppo`. Prints medians; asserts nothing.
import { performance } from 'node:perf_hooks';
import { resolveConfig } from '../src/config/resolve.js';
import { getAlgorithm } from '../src/algorithms/registry.js';
import { Trainer } from '../src/training/trainer.js';
import { median } from './stats.js';

const SEEDS = [1, 2, 3];
const TARGET = 150;
const MAX_ITERATIONS = 150;
const SHARED = { env: 'CartPole-v1', lr: 0.001, model: { fcnet_hiddens: [64, 64] }, num_workers: 2, num_envs_per_worker: 5, rollout_fragment_length: 100, num_sgd_iter: 10 };
const RUNS: Record<string, Record<string, unknown>> = {
  PPO: { ...SHARED, train_batch_size: 1000, sgd_minibatch_size: 100 },
  DDPPO: { ...SHARED, sgd_minibatch_size: 50 },
};

interface Outcome {
  reached: boolean;
  timesteps: number;
  seconds: number;
}

async function runToTarget(name: string, seed: number): Promise<Outcome> {
  const config = resolveConfig(getAlgorithm(name).config, [{ source: 'bench', config: { ...RUNS[name], seed } }]);
  const start = performance.now();
  const trainer = await Trainer.create(name, config);
  try {
    for (let i = 0; i < MAX_ITERATIONS; i++) {
      const result = await trainer.train();
      if (result.episode_reward_mean >= TARGET) return { reached: true, timesteps: result.timesteps_total, seconds: (performance.now() - start) / 1000 };
    }
    return { reached: false, timesteps: trainer.timestepsTotal, seconds: (performance.now() - start) / 1000 };
  } finally {
    await trainer.stop();
  }
}

export async function benchDDPPO(): Promise<void> {
  const outcomes: Record<string, Outcome[]> = { PPO: [], DDPPO: [] };
  for (const seed of SEEDS) {
    for (const name of Object.keys(RUNS)) {
      const outcome = await runToTarget(name, seed);
      outcomes[name].push(outcome);
      process.stderr.write(`${name} seed ${seed}: ${outcome.reached ? 'reached' : 'did not reach'} ${TARGET} after ${outcome.timesteps} timesteps, ${outcome.seconds.toFixed(1)} s\n`);
    }
  }
  for (const [name, list] of Object.entries(outcomes)) {
    const reached = list.filter((o) => o.reached);
    const summary = reached.length
      ? `median ${Math.round(median(reached.map((o) => o.timesteps))).toLocaleString('en-US')} timesteps, median ${median(reached.map((o) => o.seconds)).toFixed(1)} s`
      : 'no run reached it';
    process.stdout.write(`${name.padEnd(5)} CartPole-v1 to mean reward >= ${TARGET} (seeds ${SEEDS.join(',')}): ${reached.length}/${list.length} reached; ${summary}\n`);
  }
}
