// CPU accounting as Ray Tune does it (num_cpus_for_driver + num_workers x num_cpus_per_worker),
// shared by rl tune (which schedules trials by it) and rl train (which refuses workers that
// cannot all get a CPU, before starting their threads).
import os from 'node:os';
import type { CommonConfig } from './common.js';

type CpuKeys = Pick<CommonConfig, 'num_workers' | 'num_cpus_per_worker' | 'num_cpus_for_driver'>;

/** CPUs a trainer holds, as Tune accounts them: the trainer's plus its rollout workers'. */
export function trainerCpus(config: CpuKeys): number {
  return config.num_cpus_for_driver + config.num_workers * config.num_cpus_per_worker;
}

/**
 * For one run on this machine: an error message when the rollout workers claim more CPUs than
 * there are (each is a thread; 500 of them on 2 cores take GBs and never finish an iteration),
 * a warning when they merely outnumber the cores, or null. The trainer's own CPU is not counted
 * here: synchronous PPO samples and learns in turn, so the default (2 workers) fits 2 cores.
 */
export function workerCpuProblem(config: CpuKeys, cores = os.availableParallelism()): { error: string } | { warning: string } | null {
  const { num_workers: workers, num_cpus_per_worker: perWorker } = config;
  const needed = workers * perWorker;
  if (needed > cores) {
    return {
      error:
        `num_workers ${workers} x num_cpus_per_worker ${perWorker} needs ${needed} CPUs but ${cores} are available: ` +
        `lower num_workers to ${Math.floor(cores / perWorker)} or less, or set "num_cpus_per_worker": 0 so that rollout workers share the CPUs`,
    };
  }
  if (workers > cores) {
    return { warning: `num_workers ${workers} is more than the ${cores} CPU cores: the rollout workers share them, so sampling is no faster than with num_workers ${cores}` };
  }
  return null;
}
