import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import * as tf from '@tensorflow/tfjs';
import { PPOTrainer } from '../../src/algorithms/ppo/trainer.js';
import type { TrainResult } from '../../src/training/trainer.js';
import { resolvePPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { ForwardPass } from '../../src/policy/model.js';
import { layersModelLoadHandler, dirWeightReader } from '../../src/checkpoint/index.js';

const config = (overrides: Record<string, unknown> = {}) =>
  resolvePPOConfig([
    {
      source: 'test',
      config: {
        env: 'CartPole-v1',
        num_workers: 2,
        train_batch_size: 400,
        rollout_fragment_length: 100,
        sgd_minibatch_size: 100,
        num_sgd_iter: 2,
        observation_filter: 'MeanStdFilter',
        model: { fcnet_hiddens: [8, 8] },
        seed: 5,
        ...overrides,
      },
    },
  ]);

const key = (r: TrainResult) => [r.training_iteration, r.timesteps_total, r.episode_reward_mean, r.info.learner.kl, r.info.learner.vf_loss, r.info.learner.cur_kl_coeff];

test.each([
  ['CartPole-v1', {}],
  ['Pendulum-v1 with free_log_std', { env: 'Pendulum-v1', model: { fcnet_hiddens: [8, 8], free_log_std: true } }],
])('a restored checkpoint continues the same curve: 2 + 2 iterations equal 4, weights bit for bit (%s)', async (_name, overrides) => {
  const straight = await PPOTrainer.create(config(overrides), { backend: 'wasm' });
  const expected = [];
  for (let i = 0; i < 4; i++) expected.push(key(await straight.train()));
  const expectedWeights = straight.getWeights();
  await straight.stop();

  const root = mkdtempSync(path.join(os.tmpdir(), 'rl-restore-'));
  const first = await PPOTrainer.create(config(overrides), { backend: 'wasm' });
  const got = [];
  for (let i = 0; i < 2; i++) got.push(key(await first.train()));
  const manifestPath = await first.save(root);
  await first.stop();
  expect(manifestPath).toBe(path.join(root, 'checkpoint_2', 'checkpoint-2'));

  const resumed = await PPOTrainer.restore(manifestPath, [], { backend: 'wasm' });
  expect(resumed.iteration).toBe(2);
  for (let i = 0; i < 2; i++) got.push(key(await resumed.train()));
  const gotWeights = resumed.getWeights();
  await resumed.stop();
  expect(got).toEqual(expected);
  expect(Buffer.from(gotWeights.buffer).equals(Buffer.from(expectedWeights.buffer))).toBe(true);
  // free_log_std: the log-stds are trained (they left their initial zeros) and came back from the checkpoint
  const logStd = resumed.layout.params.log_std;
  if (logStd) expect(gotWeights.subarray(logStd.offset).some((v) => v !== 0)).toBe(true);
  expect(logStd !== undefined).toBe(_name.includes('free_log_std'));
});

test("checkpoint networks load with tf.loadLayersModel and agree with the kernel's forward pass", async () => {
  const trainer = await PPOTrainer.create(config({ observation_filter: 'NoFilter', num_workers: 0 }), { backend: 'wasm' });
  await trainer.train();
  const root = mkdtempSync(path.join(os.tmpdir(), 'rl-layers-'));
  const manifestPath = await trainer.save(root);
  const weights = trainer.getWeights();
  await trainer.stop();
  const dir = path.join(path.dirname(manifestPath), 'policy');
  const modelJSON = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const model = await tf.loadLayersModel(layersModelLoadHandler(modelJSON, dirWeightReader(dir)));
  const obs = new Float32Array([0.01, -0.02, 0.03, 0.04, 0.2, 0.1, -0.1, -0.3]);
  const logits = new Float32Array(4);
  const forward = new ForwardPass(trainer.layout, weights);
  forward.run(2, ['policy'], { obs });
  logits.set(forward.output('policy').subarray(0, 4));
  const tfLogits = (model.predict(tf.tensor2d(obs, [2, 4])) as tf.Tensor).dataSync();
  for (let i = 0; i < 4; i++) expect(Math.abs(tfLogits[i] - logits[i])).toBeLessThan(1e-5);
});

test('restoring with other layer sizes is one clear error', async () => {
  const trainer = await PPOTrainer.create(config({ num_workers: 0 }), { backend: 'wasm' });
  await trainer.train();
  const root = mkdtempSync(path.join(os.tmpdir(), 'rl-mismatch-'));
  const manifestPath = await trainer.save(root);
  await trainer.stop();
  await expect(PPOTrainer.restore(manifestPath, [{ source: '--config', config: { model: { fcnet_hiddens: [16, 8] } } }], { backend: 'wasm' })).rejects.toThrow(
    /policy network has layers \[4x8, 8x8, 8x2\] but the config describes \[4x16, 16x8, 8x2\]/,
  );
});
