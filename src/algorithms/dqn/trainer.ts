// DQN's training iteration (RLlib 1.x's DQNTrainer with its default execution plan): sample
// rounds of rollout_fragment_length steps per env with epsilon-greedy exploration, store each in
// the replay buffer and replay from it (replay_training.ts), until timesteps_per_iteration steps
// were sampled; report the last update's learner stats. The shared Trainer does the rest.
import { z } from 'zod';
import type { AlgorithmTrainer, AlgorithmTrainerFactory, IterationContext, IterationOutcome, TrainerSetup } from '../algorithm.js';
import { Discrete } from '../../envs/spaces.js';
import type { ModelLayout } from '../../nn/layout.js';
import { checkKernelMemory } from '../../nn/mlp.js';
import { scheduleValue } from '../../training/schedule.js';
import { Trainer, type TrainerOptions } from '../../training/trainer.js';
import { epsilonAt, type DQNConfig } from './defaults.js';
import { initialQWeights, qModelLayout } from './q_network.js';
import { DQNLearner } from './learner.js';
import { ReplayTraining, type ReplayTrainingState } from './replay_training.js';
import { transitionsOf } from '../../execution/n_step.js';

export class DQNAlgorithmTrainer implements AlgorithmTrainer {
  /** q (and q_value) then target_q (and target_q_value): the online half, then the target half. */
  readonly layout: ModelLayout;
  readonly learner: DQNLearner;
  private training: ReplayTraining | null = null;
  private savedState: ReplayTrainingState | null = null;

  private constructor(
    readonly config: DQNConfig,
    private readonly setup: TrainerSetup<DQNConfig>,
  ) {
    const { observationSize, actionSpace, rng } = setup;
    if (!(actionSpace instanceof Discrete)) throw new TypeError('DQN needs a Discrete action space');
    const options = { ...config.model, hiddens: config.hiddens, dueling: config.dueling };
    const online = qModelLayout(observationSize, actionSpace.n, options);
    this.layout = qModelLayout(observationSize, actionSpace.n, options, true);
    checkKernelMemory(online, config.train_batch_size); // before the weights are allocated
    const weights = initialQWeights(online, rng);
    // the target network starts as a copy (RLlib's update_target at policy creation)
    this.learner = new DQNLearner(online, { doubleQ: config.double_q, gradClip: config.grad_clip, adamEpsilon: config.adam_epsilon, trainBatchSize: config.train_batch_size }, weights);
  }

  static create(setup: TrainerSetup<DQNConfig>): DQNAlgorithmTrainer {
    return new DQNAlgorithmTrainer(setup.config, setup);
  }

  /** The replay buffer and its counters, made with the trainer's random stream at the first iteration. */
  private replay(ctx: IterationContext): ReplayTraining {
    if (!this.training) {
      const { config, setup } = this;
      const roundSize = Math.max(1, config.num_workers) * config.num_envs_per_worker * setup.fragmentLength;
      this.training = new ReplayTraining(config, this.learner, setup.observationSize, ctx.rng, roundSize);
      if (this.savedState) this.training.state = { ...this.savedState };
    }
    return this.training;
  }

  async trainIteration(ctx: IterationContext): Promise<IterationOutcome> {
    const config = this.config;
    const training = this.replay(ctx);
    const start = ctx.timesteps();
    const trainedBefore = training.state.num_steps_trained;
    const lr = () => scheduleValue(config.lr_schedule, ctx.timesteps(), config.lr);
    while (ctx.timesteps() - start < config.timesteps_per_iteration) {
      const epsilon = epsilonAt(config.exploration_config, ctx.timesteps());
      const batch = await ctx.sample({ weights: this.learner.online.params, exploration: { type: 'epsilon_greedy', epsilon } });
      training.storeAndTrain(transitionsOf(batch), ctx.timesteps(), lr());
      ctx.onLearnProgress(ctx.timesteps() - start, config.timesteps_per_iteration);
    }
    const stats = training.lastStats;
    const learner: Record<string, number> = stats
      ? { mean_q: stats.mean_q, min_q: stats.min_q, max_q: stats.max_q, mean_td_error: stats.mean_td_error }
      : {};
    learner.cur_lr = lr();
    learner.cur_epsilon = epsilonAt(config.exploration_config, ctx.timesteps());
    return {
      learner,
      stepsTrained: training.state.num_steps_trained - trainedBefore,
      info: { num_target_updates: training.state.num_target_updates, last_target_update_ts: training.state.last_target_update_ts },
    };
  }

  /** Online then target weights, the layout's order. */
  getWeights(): Float32Array {
    const online = this.learner.online.params;
    const all = new Float32Array(this.layout.totalSize);
    all.set(online);
    all.set(this.learner.target.params, online.length);
    return all;
  }

  setWeights(weights: Float32Array): void {
    const half = this.learner.online.params.length;
    if (weights.length !== 2 * half) throw new RangeError(`weights have ${weights.length} values; the model needs ${2 * half}`);
    this.learner.setWeights(weights.subarray(0, half));
    this.learner.setTargetWeights(weights.subarray(half));
  }

  /** The counters (RLlib 1.x keeps no replay buffer in checkpoints: a restored run refills it). */
  getState(): Record<string, unknown> {
    return { ...(this.training?.state ?? this.savedState ?? { num_steps_trained: 0, num_target_updates: 0, last_target_update_ts: 0, replay_credit: 0 }) };
  }

  /** Takes its own keys from the manifest's trainer state (checked by stateShape). */
  loadState(state: Record<string, unknown>): void {
    const { num_steps_trained, num_target_updates, last_target_update_ts, replay_credit } = state as unknown as ReplayTrainingState;
    this.savedState = { num_steps_trained, num_target_updates, last_target_update_ts, replay_credit };
    if (this.training) this.training.state = { ...this.savedState };
  }

  getArrays(): Record<string, Float32Array[]> {
    return { optimizer: this.learner.getOptimizerState() };
  }

  loadArrays(load: (name: string) => Float32Array[]): void {
    this.learner.setOptimizerState(load('optimizer'));
  }
}

const count = z.number().int().nonnegative();

export const dqnTrainerFactory: AlgorithmTrainerFactory<DQNConfig> = {
  create: (setup) => DQNAlgorithmTrainer.create(setup),
  stateShape: { num_steps_trained: count, num_target_updates: count, last_target_update_ts: count, replay_credit: z.number().nonnegative() },
};

/**
 * The shared Trainer running DQN. Typed where declared, so that a mutant of the object (Stryker's
 * `{}`) type-checks for its callers and the mutation-test build compiles.
 */
export const DQNTrainer: { create(config: DQNConfig, options?: TrainerOptions): Promise<Trainer<DQNConfig>> } = {
  create(config: DQNConfig, options: TrainerOptions = {}): Promise<Trainer<DQNConfig>> {
    return Trainer.create('DQN', config, options);
  },
};
