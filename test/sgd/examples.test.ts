// The two example modules: MNIST digits from the mnist package, and behaviour cloning from the
// JSON lines rl rollout --out writes (here an expert's steps on CartPole, written in that format).
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SGDTrainer } from '../../src/sgd/index.js';
import { loadCheckpoint } from '../../src/checkpoint/index.js';
import { make } from '../../src/envs/index.js';
import type { StepRecord } from '../../src/execution/policy_replay.js';
import { initBackend } from '../../src/utils/tensor_backend.js';
import { repoRoot } from '../helpers.js';

const example = (name: string) => path.join(repoRoot, 'examples', 'sgd', name);

/** A hand-written CartPole controller (push towards where the pole falls): episodes of 500 steps. */
const expert = (obs: number[]) => (obs[2] + 0.5 * obs[3] > 0 ? 1 : 0);

function episodeLength(policy: (obs: number[]) => number, seed: number): number {
  const env = make('CartPole-v1');
  let [obs] = env.reset({ seed }) as [number[], unknown];
  for (let t = 1; ; t++) {
    const [next, , terminated, truncated] = env.step(policy(obs)) as unknown as [number[], number, boolean, boolean];
    if (terminated || truncated) return t;
    obs = next;
  }
}

describe('rl sgd examples', () => {
  test('mnist-mlp.js learns the digits the mnist package ships', async () => {
    const trainer = await SGDTrainer.create({ module: example('mnist-mlp.js'), numWorkers: 1, config: { batch_size: 64, lr: 0.002, train_fraction: 0.5 }, seed: 1 });
    try {
      const train = await trainer.train();
      expect(train.num_samples).toBe(4998); // half of each digit's samples, rounded down
      const validation = await trainer.validate();
      expect(validation!.val_acc).toBeGreaterThan(0.8); // chance is 0.1
    } finally {
      await trainer.shutdown();
    }
  });

  test('behaviour-cloning.js clones an expert from rl rollout --out records; the checkpointed model balances the pole', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-sgd-bc-'));
    const records: StepRecord[] = [];
    const env = make('CartPole-v1');
    for (let episode = 1; episode <= 8; episode++) {
      let [obs] = env.reset({ seed: episode }) as [number[], unknown];
      for (let t = 1; t <= 200; t++) {
        const action = expert(obs);
        const [next, reward, terminated, truncated] = env.step(action) as unknown as [number[], number, boolean, boolean];
        records.push({ episode, t, observation: Array.from(obs), action, reward, terminated, truncated });
        obs = next;
        if (terminated || truncated) break;
      }
    }
    const file = path.join(dir, 'expert.jsonl');
    writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));

    const trainer = await SGDTrainer.create({ module: example('behaviour-cloning.js'), numWorkers: 2, config: { data: file, batch_size: 64, lr: 0.01, validation_fraction: 0.25 }, seed: 2, backend: 'cpu' });
    let manifest: string;
    try {
      let validation = null;
      for (let e = 0; e < 15; e++) {
        await trainer.train();
        validation = await trainer.validate();
      }
      expect(validation!.val_action_match).toBeGreaterThan(0.9);
      manifest = await trainer.save(path.join(dir, 'checkpoints'));
    } finally {
      await trainer.shutdown();
    }
    // the checkpoint's model is a plain TF.js LayersModel: run it greedily on CartPole
    await initBackend('cpu');
    const model = await (await loadCheckpoint(manifest)).loadModel('model');
    const cloned = (obs: number[]) => tf.tidy(() => (model.predict(tf.tensor2d([obs])) as tf.Tensor).argMax(-1).dataSync()[0]);
    const lengths = [101, 102, 103].map((seed) => episodeLength(cloned, seed));
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(195);
  });
});
