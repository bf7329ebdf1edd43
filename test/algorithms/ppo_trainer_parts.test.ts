// PPOAlgorithmTrainer's checkpoint parts without workers (kl_coeff as its state, Adam as its arrays,
// weights in and out), the state rule a checkpoint is checked against, and PPOTrainer.restore's
// refusal of another algorithm's checkpoint.
import { afterAll, expect, jest, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { Discrete } from '../../src/envs/spaces.js';
import { Random } from '../../src/utils/random.js';
import type { TrainerSetup } from '../../src/algorithms/algorithm.js';
import { resolvePPOConfig, type PPOConfig } from '../../src/algorithms/ppo/defaults.js';
import { PPOTrainer, ppoTrainerFactory, type PPOAlgorithmTrainer } from '../../src/algorithms/ppo/trainer.js';
import { resolveDQNConfig } from '../../src/algorithms/dqn/defaults.js';
import { Trainer } from '../../src/training/trainer.js';
import { UserError } from '../../src/utils/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-ppo-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeTrainer(overrides: Record<string, unknown> = {}): PPOAlgorithmTrainer {
  const config = resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', model: { fcnet_hiddens: [6] }, kl_coeff: 0.3, sgd_minibatch_size: 16, ...overrides } }]);
  const setup = { config, observationSize: 4, actionSpace: new Discrete(2), rng: new Random(1) } as unknown as TrainerSetup<PPOConfig>;
  return ppoTrainerFactory.create(setup, {}) as PPOAlgorithmTrainer;
}

test("kl_coeff is the state: the config's to start with, loaded back as given; the rule refuses a negative one", () => {
  const trainer = makeTrainer();
  try {
    expect(trainer.getState()).toEqual({ kl_coeff: 0.3 });
    trainer.loadState({ kl_coeff: 0.45 });
    expect([trainer.getState(), trainer.learner.klCoeff]).toEqual([{ kl_coeff: 0.45 }, 0.45]);
    const rule = z.object(ppoTrainerFactory.stateShape);
    expect([rule.safeParse({ kl_coeff: 0.2 }).success, rule.safeParse({ kl_coeff: -0.1 }).success, rule.safeParse({}).success]).toEqual([true, false, false]);
  } finally {
    trainer.dispose();
  }
});

test("Adam's arrays and the weights go from one trainer to another", () => {
  const a = makeTrainer();
  const b = makeTrainer({ seed: 9 });
  try {
    const arrays = a.getArrays();
    expect(arrays.optimizer.length).toBeGreaterThan(0);
    const moved = arrays.optimizer.map((x) => x.map((_, i) => (i + 1) / 7));
    b.loadArrays((name) => ({ optimizer: moved })[name]!);
    expect(b.getArrays().optimizer.map((x) => Array.from(x))).toEqual(moved.map((x) => Array.from(x)));
    b.setWeights(a.getWeights());
    expect(Array.from(b.getWeights())).toEqual(Array.from(a.getWeights()));
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('PPOTrainer.restore refuses a checkpoint of another algorithm, naming it', async () => {
  const dqn = await Trainer.create('DQN', resolveDQNConfig([{ source: 'test', config: { env: 'CartPole-v1', model: { fcnet_hiddens: [4] }, hiddens: [4] } }]));
  let checkpoint: string;
  try {
    checkpoint = await dqn.save(dir);
  } finally {
    await dqn.stop();
  }
  const restoring = PPOTrainer.restore(checkpoint);
  await expect(restoring).rejects.toBeInstanceOf(UserError);
  await expect(restoring).rejects.toThrow(/^[^\n]+ was trained with DQN, not PPO$/);
});

test("dispose() disposes the learner (its thread); trainIteration reports the learner's SGD progress", async () => {
  const trainer = await PPOTrainer.create(
    resolvePPOConfig([{ source: 'test', config: { env: 'CartPole-v1', num_workers: 0, train_batch_size: 64, rollout_fragment_length: 64, sgd_minibatch_size: 16, num_sgd_iter: 2, model: { fcnet_hiddens: [4] } } }]),
  );
  try {
    const progress: [number, number][] = [];
    await trainer.train({ onLearnProgress: (done, total) => progress.push([done, total]) });
    // 2 epochs of 4 minibatches
    expect(progress[progress.length - 1]).toEqual([8, 8]);
  } finally {
    await trainer.stop();
  }
  const algo = makeTrainer();
  const dispose = jest.spyOn(algo.learner, 'dispose');
  algo.dispose();
  expect(dispose).toHaveBeenCalledTimes(1);
});

