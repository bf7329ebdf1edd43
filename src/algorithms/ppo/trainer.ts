// PPO's iteration (RLlib 1.x's PPOTrainer execution plan), plugged into the shared Trainer:
//   sample train_batch_size steps with the current weights -> standardise advantages
//   -> num_sgd_iter epochs of minibatch SGD -> adapt kl_coeff.
// Sampling, the observation filter, metrics, checkpoints and stop criteria are the shared Trainer's.
import { z } from 'zod';
import { column } from '../../execution/sample_batch.js';
import { checkKernelMemory } from '../../nn/mlp.js';
import { initialWeights } from '../../nn/layout.js';
import type { AlgorithmTrainer, AlgorithmTrainerFactory, IterationContext, IterationOutcome, TrainerSetup } from '../algorithm.js';
import { Trainer, type TrainerOptions } from '../../training/trainer.js';
import type { ConfigLayer } from '../../config/resolve.js';
import { UserError } from '../../utils/errors.js';
import { displayPath } from '../../checkpoint/format.js';
import { resolveCheckpointPath } from '../../checkpoint/resolve.js';
import { learnerForConfig, type PPOLearner } from './learner.js';
import { numActions, ppoModelLayout, type PPOModelLayout } from './model.js';
import { standardize } from './postprocessing.js';
import { ADVANTAGES } from './policy.js';
import { scheduleValue } from '../../training/schedule.js';
import type { PPOConfig } from './defaults.js';

export class PPOAlgorithmTrainer implements AlgorithmTrainer {
  private constructor(
    readonly config: PPOConfig,
    readonly layout: PPOModelLayout,
    readonly learner: PPOLearner,
  ) {}

  static create({ config, observationSize, actionSpace, rng }: TrainerSetup<PPOConfig>): PPOAlgorithmTrainer {
    const layout = ppoModelLayout(observationSize, actionSpace, config.model);
    checkKernelMemory(layout, config.sgd_minibatch_size); // before the weights are allocated
    const learner = learnerForConfig(layout, numActions(actionSpace), config, initialWeights(layout, rng));
    return new PPOAlgorithmTrainer(config, layout, learner);
  }

  async trainIteration(ctx: IterationContext): Promise<IterationOutcome> {
    const config = this.config;
    const lr = scheduleValue(config.lr_schedule, ctx.timesteps(), config.lr);
    const entropyCoeff = scheduleValue(config.entropy_coeff_schedule, ctx.timesteps(), config.entropy_coeff);
    const batch = await ctx.sample({ weights: this.learner.getWeights(), minSteps: config.train_batch_size });
    standardize(column(batch, ADVANTAGES));
    const stats = this.learner.learnOnBatch(batch, lr, entropyCoeff, ctx.rng, (done, total) => ctx.onLearnProgress(done, total));
    this.learner.updateKl(stats.kl);
    return { learner: { ...stats }, stepsTrained: batch.count }; // synchronous PPO trains on every sampled step
  }

  getWeights(): Float32Array {
    return this.learner.getWeights();
  }

  setWeights(weights: Float32Array): void {
    this.learner.setWeights(weights);
  }

  getState(): { kl_coeff: number } {
    return { kl_coeff: this.learner.klCoeff };
  }

  loadState(state: Record<string, unknown>): void {
    this.learner.klCoeff = state.kl_coeff as number;
  }

  /** Adam's step count and moments. */
  getArrays(): Record<string, Float32Array[]> {
    return { optimizer: this.learner.getOptimizerState() };
  }

  loadArrays(load: (name: string) => Float32Array[]): void {
    this.learner.setOptimizerState(load('optimizer'));
  }

  dispose(): void {
    this.learner.dispose();
  }
}

export const ppoTrainerFactory: AlgorithmTrainerFactory<PPOConfig> = {
  create: (setup) => PPOAlgorithmTrainer.create(setup),
  stateShape: { kl_coeff: z.number().nonnegative() },
};

/**
 * The shared Trainer running PPO, as the library has always offered it. Typed where declared, so
 * that a mutant of the object (Stryker's `{}`) type-checks for its callers and the mutation-test
 * build compiles.
 */
export const PPOTrainer: {
  create(config: PPOConfig, options?: TrainerOptions): Promise<Trainer<PPOConfig>>;
  restore(checkpoint: string, overrides?: ConfigLayer[], options?: TrainerOptions): Promise<Trainer<PPOConfig>>;
} = {
  create(config: PPOConfig, options: TrainerOptions = {}): Promise<Trainer<PPOConfig>> {
    return Trainer.create('PPO', config, options);
  },
  /** Continues a PPO checkpoint (any algorithm's: Trainer.restore). */
  async restore(checkpoint: string, overrides: ConfigLayer[] = [], options: TrainerOptions = {}): Promise<Trainer<PPOConfig>> {
    const trainer = await Trainer.restore(checkpoint, overrides, options);
    if (trainer.algorithm.name !== 'PPO') {
      await trainer.stop();
      throw new UserError(`${displayPath(resolveCheckpointPath(checkpoint))} was trained with ${trainer.algorithm.name}, not PPO`);
    }
    return trainer as unknown as Trainer<PPOConfig>;
  },
};
