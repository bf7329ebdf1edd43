import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadTuneExperiment } from '../../src/tune/experiment.js';
import { repoRoot, userErrorOf } from '../helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rl-tune-exp-'));
const trainable = path.join(repoRoot, 'test', 'fixtures', 'trainables', 'quadratic.js');
function write(name: string, spec: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}
const ppo = (spec: Record<string, unknown>) => ({ run: 'PPO', config: { env: 'CartPole-v1' }, ...spec });

describe('loadTuneExperiment refuses experiments whose PPO trials would never stop (issue 9)', () => {
  test('stop keys and the metric are checked against the PPO result keys, naming the closest', () => {
    expect(userErrorOf(() => loadTuneExperiment(write('a.json', ppo({ stop: { timesteps_totl: 1000 } })))).message).toMatch(
      /a\.json: unknown stop key 'timesteps_totl'; did you mean 'timesteps_total'\?/,
    );
    expect(userErrorOf(() => loadTuneExperiment(write('m.json', ppo({ stop: { training_iteration: 2 }, metric: 'episode_rewad_mean' })))).message).toMatch(
      /m\.json: unknown metric 'episode_rewad_mean'; did you mean 'episode_reward_mean'\?/,
    );
    expect(loadTuneExperiment(write('ok.json', ppo({ stop: { 'info.learner.kl': 0.001, training_iteration: 5 }, metric: 'info/learner/entropy', mode: 'min' }))).stop).toEqual({
      'info.learner.kl': 0.001,
      training_iteration: 5,
    });
  });

  test('no stop criteria: refused for PPO unless ASHA bounds the trials (max_t); fine for a function trainable', () => {
    expect(userErrorOf(() => loadTuneExperiment(write('none.json', ppo({})))).message).toBe(
      `${path.join(dir, 'none.json')}: no stop criteria, so PPO trials would never stop; add e.g. "stop": {"training_iteration": 20} (or a scheduler with max_t)`,
    );
    expect(userErrorOf(() => loadTuneExperiment(write('fifo.json', ppo({ stop: {}, scheduler: 'fifo' })))).message).toMatch(/no stop criteria/);
    expect(loadTuneExperiment(write('asha.json', ppo({ scheduler: { type: 'asha', max_t: 10 } }))).stop).toEqual({});
    expect(loadTuneExperiment(write('fn.json', { run: trainable, config: { x: 1 } })).stop).toEqual({});
  });

  test('an unknown top-level key names the closest known one', () => {
    expect(userErrorOf(() => loadTuneExperiment(write('k.json', ppo({ stopp: { training_iteration: 1 } })))).message).toMatch(/k\.json: unknown experiment key 'stopp'; did you mean 'stop'\?/);
  });
});
