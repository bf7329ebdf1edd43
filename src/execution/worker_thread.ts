// The piscina task: one fragment from one logical rollout worker. The worker's state comes
// with the task and goes back with the result, so any thread can run any worker's fragment
// and the outcome does not depend on which thread picked it up.
import { RolloutWorker, type RolloutWorkerConfig, type SampleResult, type WorkerState } from './rollout_worker.js';
import type { FilterState } from '../policy/filter.js';
import type { Exploration } from './exploration.js';
import { UserError } from '../utils/errors.js';

export interface SampleTask {
  /** Identifies the trainer's worker configuration in this thread's cache. */
  key: string;
  config: RolloutWorkerConfig;
  weights: Float32Array;
  filter: FilterState | null;
  /** How this fragment's actions are chosen (the trainer's schedule, e.g. DQN's epsilon now). */
  exploration: Exploration;
  state: WorkerState | null;
}

/**
 * A user's mistake (a custom env that throws or returns NaN) comes back as a value, not a
 * rejection: an error crossing threads is structured-cloned into a plain Error and loses its
 * class, so the driver could not tell it from a bug (and would retry it as a crash).
 */
export type SampleReply = SampleResult | { userError: string };

const cache = new Map<string, RolloutWorker>();

export default async function sampleTask(task: SampleTask): Promise<SampleReply> {
  const cacheKey = `${task.key}/${task.config.workerIndex}`;
  try {
    let worker = cache.get(cacheKey);
    if (!worker) {
      worker = await RolloutWorker.create(task.config);
      cache.set(cacheKey, worker);
    }
    if (task.state) worker.setState(task.state);
    return worker.sample(task.weights, task.filter, task.exploration);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    cache.delete(cacheKey); // its env is in an unknown state
    return { userError: error.message };
  }
}
