// DQN learns CartPole-v1 with a fixed seed: mean reward >= 150 within 40k timesteps with the
// tuned example's n_step 3 and gamma 0.95 and small [64] networks (seeds 1-3 all reach it at
// about 19k timesteps, in about 5 s each). Also: the same seed gives the same results.
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { DQNTrainer } from '../../src/algorithms/dqn/trainer.js';
import { Trainer } from '../../src/training/trainer.js';
import { resolveDQNConfig } from '../../src/algorithms/dqn/defaults.js';

const CONFIG = {
  env: 'CartPole-v1',
  seed: 1,
  n_step: 3,
  gamma: 0.95,
  model: { fcnet_hiddens: [64] },
  hiddens: [64],
};

describe('DQN on CartPole-v1', () => {
  test('reaches a mean reward of 150 within 40k timesteps (seed 1)', async () => {
    const trainer = await DQNTrainer.create(resolveDQNConfig([{ source: 'test', config: CONFIG }]));
    try {
      let result;
      do result = await trainer.train();
      while (result.episode_reward_mean < 150 && result.timesteps_total < 40000);
      expect(result.episode_reward_mean).toBeGreaterThanOrEqual(150);
      const stats = result.info.learner;
      expect(stats.cur_epsilon).toBeCloseTo(0.02, 9);
      // Q-values of a policy that balances for ~150 steps at gamma 0.95 approach 1 / (1 - 0.95) = 20
      expect(stats.mean_q).toBeGreaterThan(10);
      expect(stats.max_q).toBeLessThan(30);
      expect((result.info as unknown as Record<string, number>).num_target_updates).toBeGreaterThan(0);
      // one update of 32 rows per round of 4 steps after learning_starts: replayed = 8 x sampled
      expect(result.info.num_steps_trained).toBe(8 * (result.timesteps_total - 1000 + 4));
    } finally {
      await trainer.stop();
    }
  });

  test('the same seed gives the same results', async () => {
    const run = async () => {
      const trainer = await DQNTrainer.create(resolveDQNConfig([{ source: 'test', config: { ...CONFIG, learning_starts: 200, timesteps_per_iteration: 500 } }]));
      const rows = [];
      for (let i = 0; i < 2; i++) {
        const r = await trainer.train();
        rows.push([r.episode_reward_mean, r.info.learner.mean_q]);
      }
      await trainer.stop();
      return rows;
    };
    expect(await run()).toEqual(await run());
  });

  test('a checkpoint holds the online and target networks, Adam and the counters; restore brings them back', async () => {
    const trainer = await DQNTrainer.create(resolveDQNConfig([{ source: 'test', config: { ...CONFIG, learning_starts: 200, timesteps_per_iteration: 500, target_network_update_freq: 300 } }]));
    await trainer.train();
    await trainer.train();
    const root = mkdtempSync(path.join(os.tmpdir(), 'rl-dqn-'));
    const manifest = await trainer.save(root);
    expect(readdirSync(path.dirname(manifest)).sort()).toEqual(['checkpoint-2', 'optimizer.bin', 'q', 'q_value', 'target_q', 'target_q_value']);
    const weights = trainer.algo.getWeights();
    const state = trainer.algo.getState();
    await trainer.stop();
    // the target lags the online network (copied at 300, 600 and 900 sampled steps, trained since)
    const half = weights.length / 2;
    expect(Array.from(weights.subarray(0, half))).not.toEqual(Array.from(weights.subarray(half)));
    const resumed = await Trainer.restore(manifest);
    try {
      expect(resumed.algorithm.name).toBe('DQN');
      expect(Array.from(resumed.algo.getWeights())).toEqual(Array.from(weights));
      expect(resumed.algo.getState()).toEqual(state);
      expect(state).toMatchObject({ num_target_updates: 3, last_target_update_ts: 900 });
    } finally {
      await resumed.stop();
    }
  });
});
