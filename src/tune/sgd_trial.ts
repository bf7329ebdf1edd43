// `run: SGD` in an rl tune experiment: each trial is an rl sgd run of the training module that the
// experiment's `module:` key names, one epoch (SGDTrainer train() then validate()) per Tune step,
// as Ray SGD's TorchTrainer.as_trainable made one. Kept light (no tfjs): the runner and the
// experiment loader import it; the trial thread loads the trainer itself.
import { UserError } from '../utils/errors.js';
import type { SGDConfig } from '../sgd/module.js';

/** The run name that makes a trial data-parallel SGD rather than an algorithm or a function trainable. */
export const SGD_RUN = 'SGD';

/** A trial's config as the SGDTrainer takes it: num_workers (default 1) apart, the rest for the creators. */
export function sgdTrialConfig(trialConfig: Record<string, unknown>): { numWorkers: number; config: SGDConfig } {
  const { num_workers: numWorkers = 1, ...config } = trialConfig;
  if (!(Number.isInteger(numWorkers) && (numWorkers as number) >= 1)) {
    throw new UserError(`SGD trials: num_workers must be a positive integer (worker threads, each with a replica), got ${JSON.stringify(numWorkers)}`);
  }
  return { numWorkers: numWorkers as number, config };
}

/** CPUs an SGD trial holds, as Tune counts a Ray SGD trainable: one for the trial plus one per worker. */
export function sgdTrialCpus(trialConfig: Record<string, unknown>): number {
  return 1 + sgdTrialConfig(trialConfig).numWorkers;
}
