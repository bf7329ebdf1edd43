// DD-PPO's iteration (RLlib 1.x's DDPPOTrainer execution plan): every worker samples its
// rollout_fragment_length x num_envs_per_worker steps and trains on them (num_sgd_iter epochs of
// sgd_minibatch_size minibatches, gradients all-reduced each minibatch: worker_thread.ts); the
// driver only gathers the episodes and the learner stats (averaged over workers) and keeps
// worker 0's weights and Adam state for checkpoints. No central learner, no KL adaptation.
import { checkKernelMemory } from '../../nn/mlp.js';
import { initialWeights } from '../../nn/layout.js';
import { scheduleValue } from '../../training/schedule.js';
import type { AlgorithmTrainer, AlgorithmTrainerFactory, IterationContext, IterationOutcome, TrainerSetup } from '../algorithm.js';
import type { LearnerStats } from '../ppo/learner.js';
import { numActions, ppoModelLayout, type PPOModelLayout } from '../ppo/model.js';
import type { DDPPOConfig } from './defaults.js';
import { DDPPOWorkers } from './workers.js';

export class DDPPOAlgorithmTrainer implements AlgorithmTrainer {
  /** Worker 0's weights after the last iteration (all workers hold the same). */
  private weights: Float32Array;
  /** Worker 0's Adam state after the last iteration: [[step], m, v]. */
  private optimizer: Float32Array[];
  /** Set by a restore: put into every worker before the next iteration. */
  private toLoad = false;

  private constructor(
    readonly config: DDPPOConfig,
    readonly layout: PPOModelLayout,
    readonly sampler: DDPPOWorkers,
    weights: Float32Array,
  ) {
    this.weights = weights;
    this.optimizer = [Float32Array.of(0), new Float32Array(weights.length), new Float32Array(weights.length)]; // a fresh Adam
  }

  static async create({ config, observationSize, actionSpace, rng, workerConfig }: TrainerSetup<DDPPOConfig>): Promise<DDPPOAlgorithmTrainer> {
    const layout = ppoModelLayout(observationSize, actionSpace, config.model);
    checkKernelMemory(layout, config.sgd_minibatch_size);
    const weights = initialWeights(layout, rng);
    const workers = await DDPPOWorkers.start({ rollout: workerConfig, layout, numActions: numActions(actionSpace), config, weights });
    return new DDPPOAlgorithmTrainer(config, layout, workers, weights);
  }

  async trainIteration(ctx: IterationContext): Promise<IterationOutcome> {
    const config = this.config;
    if (this.toLoad) {
      await this.sampler.load(this.weights, this.optimizer);
      this.toLoad = false;
    }
    const lr = scheduleValue(config.lr_schedule, ctx.timesteps(), config.lr);
    const entropyCoeff = scheduleValue(config.entropy_coeff_schedule, ctx.timesteps(), config.entropy_coeff);
    const batch = await ctx.sample({ weights: this.weights }); // one fragment per worker; the rows stay in the workers
    // drawn from the trainer's stream (saved in checkpoints) in rank order: the same shuffles whatever the threads' timing
    const shuffleSeeds = Array.from({ length: this.sampler.numWorkers }, () => ctx.rng.seed());
    const replies = await this.sampler.learn(lr, entropyCoeff, shuffleSeeds, (done, total) => ctx.onLearnProgress(done, total));
    this.weights = replies[0].weights!;
    this.optimizer = replies[0].optimizer!;
    return { learner: meanStats(replies.map((reply) => reply.stats)), stepsTrained: batch.count };
  }

  getWeights(): Float32Array {
    return this.weights.slice();
  }

  setWeights(weights: Float32Array): void {
    if (weights.length !== this.weights.length) throw new RangeError(`weights have ${weights.length} values; the model needs ${this.weights.length}`);
    this.weights = weights.slice();
    this.toLoad = true;
  }

  /** No state besides the weights: kl_coeff stays 0. */
  getState(): Record<string, unknown> {
    return {};
  }

  loadState(): void {}

  /** Adam's step count and moments (worker 0's; every worker has the same). */
  getArrays(): Record<string, Float32Array[]> {
    return { optimizer: this.optimizer };
  }

  loadArrays(load: (name: string) => Float32Array[]): void {
    const arrays = load('optimizer');
    const n = this.weights.length;
    if (arrays.length !== 3 || arrays[0].length !== 1 || arrays[1].length !== n || arrays[2].length !== n) {
      throw new RangeError(`optimizer state must be [[step], m, v] with ${n} moments each; got arrays of ${arrays.map((a) => a.length).join(', ')} values`);
    }
    this.optimizer = arrays;
    this.toLoad = true;
  }
}

/** The workers' learner stats averaged key by key, in rank order (RLlib averages its workers' stats). */
function meanStats(all: LearnerStats[]): Record<string, number> {
  const mean: Record<string, number> = {};
  for (const key of Object.keys(all[0]) as (keyof LearnerStats)[]) mean[key] = all.reduce((sum, stats) => sum + stats[key], 0) / all.length;
  return mean;
}

export const ddppoTrainerFactory: AlgorithmTrainerFactory<DDPPOConfig> = {
  create: (setup) => DDPPOAlgorithmTrainer.create(setup),
  stateShape: {},
};
