// A checkpoint's trainer state is data from a file: it is checked against the shared rules and
// the algorithm's own (PPO: kl_coeff) before anything uses it, and a bad one is one line naming the key.
import { describe, expect, test } from '@jest/globals';
import { parseTrainerState, TRAINER_STATE_SHAPE } from '../../src/training/trainer.js';
import { ppoTrainerFactory } from '../../src/algorithms/ppo/trainer.js';
import { readFixture, userErrorOf } from '../helpers.js';

const manifest = readFixture<{ state: Record<string, unknown> }>('checkpoints-v1', 'cartpole', 'checkpoint_1', 'checkpoint-1');

describe('parseTrainerState', () => {
  test("a state written before the registry passes (without num_steps_trained), with PPO's kl_coeff", () => {
    const state = parseTrainerState(manifest.state, ppoTrainerFactory.stateShape, 'ck');
    expect(state.iteration).toBe(1);
    expect(state.kl_coeff).toBe(0.1);
    expect(state.num_steps_trained).toBeUndefined();
  });

  test.each([
    [(s: Record<string, any>) => delete s.kl_coeff, "'kl_coeff'"],
    [(s: Record<string, any>) => (s.kl_coeff = -1), "'kl_coeff'"],
    [(s: Record<string, any>) => (s.num_steps_trained = 1.5), "'num_steps_trained'"],
    [(s: Record<string, any>) => (s.workers = [{ env: null, rng: s.rng, started: true, pending: [{ obs: ['x'] }] }]), "'workers.0.pending.0.obs.0'"],
    [(s: Record<string, any>) => (s.episode_history = null), "'episode_history'"],
  ])('a damaged state is one line naming the key (%#)', (damage, key) => {
    const state = structuredClone(manifest.state) as Record<string, any>;
    damage(state);
    const message = userErrorOf(() => parseTrainerState(state, ppoTrainerFactory.stateShape, 'ck/checkpoint-1')).message;
    expect(message).toContain(`ck/checkpoint-1 is damaged: its trainer state has no valid ${key}`);
    expect(message).not.toContain('\n');
  });

  test('the shared rules know every key the trainer writes', () => {
    expect(Object.keys(TRAINER_STATE_SHAPE).sort()).toEqual(
      ['iteration', 'timesteps_total', 'episodes_total', 'time_total_s', 'num_steps_trained', 'seed', 'rng', 'episode_history', 'workers'].sort(),
    );
  });
});
