// DQN on CartPole-v1, seeds 1-3: timesteps and wall time until the mean reward (over the last
// 100 episodes) first reaches 150 and 475, with RLlib's tuned example (configs/dqn-cartpole.yaml:
// n_step 3, gamma 0.95, DQN's default [256, 256] + [256] networks) and with [64] + [64] networks.
// Each run stops at 475 or 150,000 timesteps. `npm run bench -- dqn` (minutes).
import { performance } from 'node:perf_hooks';
import { DQNTrainer, DQN_CONFIG_DEFAULTS, type DQNConfig } from '../src/algorithms/dqn/trainer.js';
import { median } from './stats.js';

const SEEDS = [1, 2, 3];
const GOALS = [150, 475];
const MAX_TIMESTEPS = 150_000;

const SETTINGS: { name: string; config: Partial<DQNConfig> }[] = [
  { name: 'configs/dqn-cartpole.yaml', config: { n_step: 3, gamma: 0.95 } },
  { name: 'configs/dqn-cartpole.yaml with [64] + [64] networks', config: { n_step: 3, gamma: 0.95, model: { fcnet_hiddens: [64], fcnet_activation: 'tanh' }, hiddens: [64] } },
];

interface Reached {
  timesteps: number;
  seconds: number;
}

async function run(config: DQNConfig): Promise<(Reached | null)[]> {
  const reached: (Reached | null)[] = GOALS.map(() => null);
  const start = performance.now();
  const trainer = await DQNTrainer.create(config);
  try {
    let result;
    do {
      result = await trainer.train();
      GOALS.forEach((goal, i) => {
        if (!reached[i] && result!.episode_reward_mean >= goal) reached[i] = { timesteps: result!.timesteps_total, seconds: (performance.now() - start) / 1000 };
      });
    } while (!reached[GOALS.length - 1] && result.timesteps_total < MAX_TIMESTEPS);
  } finally {
    await trainer.stop();
  }
  return reached;
}

export async function benchDQN(): Promise<void> {
  for (const { name, config } of SETTINGS) {
    const runs: (Reached | null)[][] = [];
    for (const seed of SEEDS) {
      const reached = await run({ ...DQN_CONFIG_DEFAULTS, ...config, env: 'CartPole-v1', seed });
      runs.push(reached);
      const text = GOALS.map((goal, i) => (reached[i] ? `${goal} at ${reached[i].timesteps} steps, ${reached[i].seconds.toFixed(1)} s` : `${goal} not reached`)).join('; ');
      process.stderr.write(`${name}, seed ${seed}: ${text}\n`);
    }
    const lines = GOALS.map((goal, i) => {
      const hits = runs.map((r) => r[i]).filter((r): r is Reached => r !== null);
      if (hits.length === 0) return `  mean >= ${goal}: not reached within ${MAX_TIMESTEPS.toLocaleString('en-US')} timesteps by any seed`;
      return (
        `  mean >= ${goal}: ${hits.length}/${SEEDS.length} seeds; median ${Math.round(median(hits.map((h) => h.timesteps))).toLocaleString('en-US')} timesteps, ` +
        `${median(hits.map((h) => h.seconds)).toFixed(1)} s (over the seeds that reached it)`
      );
    });
    process.stdout.write(`DQN on CartPole-v1, ${name}, seeds ${SEEDS.join(',')}:\n${lines.join('\n')}\n`);
  }
}
