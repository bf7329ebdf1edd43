import { describe, expect, test } from '@jest/globals';
import { trainerCpus, workerCpuProblem } from '../../src/config/resources.js';

const cpus = (num_workers: number, num_cpus_per_worker = 1) => ({ num_workers, num_cpus_per_worker, num_cpus_for_driver: 1 });

describe('CPU accounting', () => {
  test('trainerCpus counts the trainer and its workers, as Tune does', () => {
    expect(trainerCpus(cpus(6))).toBe(7);
    expect(trainerCpus(cpus(6, 0))).toBe(1);
    expect(trainerCpus(cpus(4, 0.5))).toBe(3);
  });

  test('workers that fit the cores are fine (the default 2 workers on 2 cores)', () => {
    expect(workerCpuProblem(cpus(2), 2)).toBeNull();
    expect(workerCpuProblem(cpus(0), 1)).toBeNull();
  });

  test('workers claiming more CPUs than there are are refused, naming num_workers and both fixes', () => {
    expect(workerCpuProblem(cpus(500), 2)).toEqual({
      error:
        'num_workers 500 x num_cpus_per_worker 1 needs 500 CPUs but 2 are available: lower num_workers to 2 or less, or set "num_cpus_per_worker": 0 so that rollout workers share the CPUs',
    });
    expect(workerCpuProblem(cpus(6, 0.5), 2)).toMatchObject({ error: expect.stringMatching(/needs 3 CPUs but 2 are available: lower num_workers to 4 or less/) });
  });

  test('workers sharing CPUs (num_cpus_per_worker < 1) but outnumbering the cores are a warning', () => {
    expect(workerCpuProblem(cpus(8, 0), 2)).toEqual({
      warning: 'num_workers 8 is more than the 2 CPU cores: the rollout workers share them, so sampling is no faster than with num_workers 2',
    });
    expect(workerCpuProblem(cpus(4, 0.5), 2)).toMatchObject({ warning: expect.any(String) });
  });
});
