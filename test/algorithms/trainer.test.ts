import { describe, expect, test } from '@jest/globals';
import { PPOTrainer } from '../../src/algorithms/ppo/trainer.js';
import { nonFiniteLearnerOutput } from '../../src/training/trainer.js';
import { PPO_RESULT_KEYS } from '../../src/algorithms/ppo/result_keys.js';
import { numericKeys, ppoPolicy } from '../helpers.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';

function smallConfig(overrides: Record<string, unknown>) {
  return resolvePPOConfig([
    {
      source: 'test',
      config: {
        env: 'CartPole-v1',
        num_workers: 2,
        train_batch_size: 800,
        rollout_fragment_length: 100,
        num_envs_per_worker: 2,
        sgd_minibatch_size: 100,
        num_sgd_iter: 3,
        model: { fcnet_hiddens: [16, 16] },
        seed: 11,
        ...overrides,
      },
    },
  ]);
}

async function curve(overrides: Record<string, unknown>, iterations: number) {
  const trainer = await PPOTrainer.create(smallConfig(overrides), { backend: 'wasm' });
  const rows: number[][] = [];
  try {
    for (let i = 0; i < iterations; i++) {
      const r = await trainer.train();
      rows.push([r.episode_reward_mean, r.info.learner.kl, r.info.learner.vf_loss, r.timesteps_total]);
    }
  } finally {
    await trainer.stop();
  }
  return rows;
}

describe('PPOTrainer', () => {
  test('the same seed gives the same results with worker threads, another seed others', async () => {
    const a = await curve({}, 2);
    const b = await curve({}, 2);
    expect(b).toEqual(a);
    expect(a[1][3]).toBe(1600);
    const c = await curve({ seed: 12 }, 2);
    expect(c).not.toEqual(a);
  });

  test('num_workers 0 samples in the main thread and gives the same fragments as one worker thread', async () => {
    const local = await curve({ num_workers: 0 }, 2);
    const threaded = await curve({ num_workers: 1 }, 2);
    expect(threaded).toEqual(local);
  });

  test('learns CartPole: mean reward rises well above a random policy', async () => {
    const trainer = await PPOTrainer.create(
      smallConfig({ num_workers: 2, train_batch_size: 2000, rollout_fragment_length: 500, num_envs_per_worker: 2, sgd_minibatch_size: 250, num_sgd_iter: 10, lr: 1e-3, model: { fcnet_hiddens: [32, 32] } }),
      { backend: 'wasm' },
    );
    let last = 0;
    try {
      for (let i = 0; i < 12; i++) last = (await trainer.train()).episode_reward_mean;
    } finally {
      await trainer.stop();
    }
    expect(last).toBeGreaterThan(80); // random actions average about 22
  });

});

test('a rollout worker thread that dies is replaced and the iteration goes on, with one warning line', async () => {
  const { mkdtempSync, existsSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { repoRoot } = await import('../helpers.js');
  const flag = path.join(mkdtempSync(path.join(os.tmpdir(), 'rl-crash-')), 'flag');
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (warnings.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const config = resolvePPOConfig([
      {
        source: 'test',
        config: {
          env: path.join(repoRoot, 'test', 'fixtures', 'custom-envs', 'crash-once.js'),
          env_config: { crash_flag: flag },
          num_workers: 2,
          train_batch_size: 200,
          rollout_fragment_length: 50,
          sgd_minibatch_size: 50,
          num_sgd_iter: 1,
          model: { fcnet_hiddens: [8] },
          seed: 1,
        },
      },
    ]);
    const trainer = await PPOTrainer.create(config, { backend: 'wasm' });
    try {
      const result = await trainer.train();
      expect(result.timesteps_total).toBe(200);
    } finally {
      await trainer.stop();
    }
  } finally {
    process.stderr.write = write;
  }
  expect(existsSync(flag)).toBe(true);
  const crashLines = warnings.join('').split('\n').filter((l) => /rollout worker \d crashed/.test(l));
  expect(crashLines).toHaveLength(1);
});

test('Box actions (Pendulum): sampled actions are stored unclipped, and an iteration trains', async () => {
  const config = resolvePPOConfig([
    {
      source: 'test',
      config: { env: 'Pendulum-v1', num_workers: 0, num_envs_per_worker: 4, train_batch_size: 400, rollout_fragment_length: 100, sgd_minibatch_size: 100, num_sgd_iter: 2, model: { fcnet_hiddens: [8] }, observation_filter: 'MeanStdFilter', seed: 3 },
    },
  ]);
  const { RolloutWorker } = await import('../../src/execution/rollout_worker.js');
  const worker = await RolloutWorker.create({
    env: 'Pendulum-v1', envConfig: {}, numEnvs: 2, fragmentLength: 50, batchMode: 'truncate_episodes', horizon: null, clipActions: true, observationFilter: 'NoFilter',
    ...ppoPolicy({ model: config.model, gamma: 0.99, lambda: 1 }), seed: 1, workerIndex: 0,
  });
  // log-std 1.5 (std ~4.5) makes most samples fall outside [-2, 2]
  const weights = new Float32Array(worker.layout.totalSize);
  const out = worker.layout.layers[worker.layout.networks.policy.path[worker.layout.networks.policy.path.length - 1]];
  weights[out.biasOffset + 1] = 1.5;
  const { batch } = worker.sample(weights, null);
  expect(Array.from(batch.columns.actions).some((a) => Math.abs(a) > 2)).toBe(true);
  const trainer = await PPOTrainer.create(config, { backend: 'wasm' });
  try {
    const result = await trainer.train();
    expect(result.timesteps_total).toBe(400);
    expect(Number.isFinite(result.info.learner.policy_loss)).toBe(true);
    expect(result.episodes_this_iter).toBe(0); // 200-step episodes do not end within 100 steps per env
  } finally {
    await trainer.stop();
  }
});

test('PPO_RESULT_KEYS, which stop criteria are checked against, are exactly the numeric keys of a result', async () => {
  const trainer = await PPOTrainer.create(smallConfig({ num_workers: 0, train_batch_size: 200, sgd_minibatch_size: 100, num_sgd_iter: 1 }), { backend: 'wasm' });
  try {
    const result = (await trainer.train()) as unknown as Record<string, unknown>;
    expect([...PPO_RESULT_KEYS].sort()).toEqual(numericKeys(result).sort());
  } finally {
    await trainer.stop();
  }
});

test('nonFiniteLearnerOutput names the first non-finite stat, or weight after the update', () => {
  const stats = { policy_loss: -0.1, vf_loss: 2, total_loss: 1.9, kl: 0.01, entropy: 0.69, cur_kl_coeff: 0.2, cur_lr: 5e-5, entropy_coeff: 0 };
  const weights = new Float32Array([0.1, -0.2, 0.3]);
  expect(nonFiniteLearnerOutput(stats, weights)).toBeNull();
  expect(nonFiniteLearnerOutput({ ...stats, kl: Number.NaN, entropy: Infinity }, weights)).toBe('kl is NaN');
  expect(nonFiniteLearnerOutput(stats, new Float32Array([0.1, -Infinity, Number.NaN]))).toBe('weights[1] is -Infinity after the update');
});
