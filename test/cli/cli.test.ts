import { describe, expect, test } from '@jest/globals';
import { rl } from '../helpers.js';

describe('rl CLI', () => {
  test('--help lists the commands', () => {
    const { code, stdout } = rl(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/rl envs\s+List the registered environments/);
  });

  test('rl envs prints every id with its spaces and limits', () => {
    const { code, stdout } = rl(['envs']);
    expect(code).toBe(0);
    for (const id of ['CartPole-v0', 'CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Acrobot-v1', 'Pendulum-v1']) {
      expect(stdout).toContain(id);
    }
    expect(stdout).toMatch(/CartPole-v1 .*Discrete\(2\) .*500 .*475/);
    expect(stdout).not.toMatch(/\u001b\[/); // NO_COLOR: no escape codes
  });

  test('rl envs --json prints one parsable line per env', () => {
    const { stdout } = rl(['envs', '--json']);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(lines.find((l) => l.id === 'Pendulum-v1')).toMatchObject({ max_episode_steps: 200, action_space: { type: 'Box', shape: [1] } });
  });

  test('an unknown flag is one line and exit code 2', () => {
    const { code, stderr } = rl(['envs', '--nope']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/Unknown argument: nope/);
  });

  test('a dotted flag (--stop.training_iteration 3) is an unknown argument, not an internal error', () => {
    const { code, stderr } = rl(['train', '--env', 'CartPole-v1', '--stop.training_iteration', '3']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual(['rl: Unknown argument: stop.training_iteration (see rl --help)']);
  });
});
