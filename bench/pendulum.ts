// Acceptance run: PPO on Pendulum-v1 with RLlib's tuned pendulum settings
// (configs/ppo-pendulum.json) until episode_reward_mean >= -500 or 400,000 timesteps.
// `npm run bench -- pendulum` (long: minutes).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import { PPOTrainer } from '../src/algorithms/ppo/trainer.js';
import { stopReached } from '../src/config/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function benchPendulum(): Promise<void> {
  const file = path.join(root, 'configs', 'ppo-pendulum.json');
  const config = resolvePPOConfig([{ source: file, config: JSON.parse(readFileSync(file, 'utf8')) }, { source: 'bench', config: { seed: 1 } }]);
  const trainer = await PPOTrainer.create(config);
  const stop = { episode_reward_mean: -500, timesteps_total: 400_000 };
  let result;
  try {
    do {
      result = await trainer.train();
      if (result.training_iteration % 25 === 0) {
        process.stderr.write(`iter ${result.training_iteration}: ${result.timesteps_total} steps, mean reward ${result.episode_reward_mean.toFixed(1)}, ${result.time_total_s.toFixed(0)} s\n`);
      }
    } while (!stopReached(stop, result as unknown as Record<string, unknown>));
  } finally {
    await trainer.stop();
  }
  process.stdout.write(
    `Pendulum-v1 (configs/ppo-pendulum.json, seed 1): episode_reward_mean ${result.episode_reward_mean.toFixed(1)} after ${result.timesteps_total} timesteps ` +
      `(${result.training_iteration} iterations, ${result.time_total_s.toFixed(0)} s); goal -500 within 400,000\n`,
  );
}
