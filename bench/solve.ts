// Time and timesteps to solve CartPole-v1 (episode_reward_mean >= 475) with the shipped
// configs/cartpole-fast.yaml, seeds 1-5, whole trainer lifetime (workers started and stopped).
// `npm run bench -- solve`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadExperimentFile, stopReached } from '../src/config/index.js';
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import { PPOTrainer } from '../src/algorithms/ppo/trainer.js';
import type { TrainResult } from '../src/training/trainer.js';
import { median } from './stats.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEEDS = [1, 2, 3, 4, 5];

export async function benchSolve(): Promise<void> {
  const experiment = loadExperimentFile(path.join(root, 'configs', 'cartpole-fast.yaml'));
  const walls: number[] = [];
  const steps: number[] = [];
  let solved = 0;
  for (const seed of SEEDS) {
    const config = resolvePPOConfig([{ source: experiment.source, config: { ...experiment.config, env: experiment.env } }, { source: 'bench', config: { seed } }]);
    const start = performance.now();
    const trainer = await PPOTrainer.create(config);
    let result: TrainResult;
    try {
      do result = await trainer.train();
      while (!stopReached(experiment.stop, result as unknown as Record<string, unknown>));
    } finally {
      await trainer.stop();
    }
    const wall = (performance.now() - start) / 1000;
    if (result.episode_reward_mean >= 475) solved++;
    walls.push(wall);
    steps.push(result.timesteps_total);
    process.stderr.write(`seed ${seed}: mean reward ${result.episode_reward_mean.toFixed(1)} after ${result.timesteps_total} timesteps, ${wall.toFixed(1)} s\n`);
  }
  process.stdout.write(
    `CartPole-v1 to mean reward >= 475 (configs/cartpole-fast.yaml, seeds ${SEEDS.join(',')}): ${solved}/${SEEDS.length} solved; ` +
      `median ${median(walls).toFixed(1)} s (range ${Math.min(...walls).toFixed(1)}-${Math.max(...walls).toFixed(1)}), median ${Math.round(median(steps)).toLocaleString('en-US')} timesteps\n`,
  );
}
