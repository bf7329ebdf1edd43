// SAC's iteration (RLlib 1.x's SACTrainer, DQN's execution plan): sample a round of
// rollout_fragment_length steps per env with the stochastic policy, store it in the replay
// buffer; once learning_starts transitions were added, replay train_batch_size of them for one
// update of the critics, the actor and alpha (learner.ts) per round, give prioritized replay the
// new |TD errors|, and move the targets tau of the way to the online Q networks when
// target_network_update_freq steps were sampled since the last update; until
// timesteps_per_iteration steps were sampled.
import { z } from 'zod';
import { PrioritizedReplayBuffer, ReplayBuffer } from '../../execution/replay_buffer.js';
import { checkKernelMemory } from '../../nn/mlp.js';
import { initialWeights, type ModelLayout } from '../../nn/layout.js';
import type { Random } from '../../utils/random.js';
import type { AlgorithmTrainer, AlgorithmTrainerFactory, IterationContext, IterationOutcome, TrainerSetup } from '../algorithm.js';
import { resolveTargetEntropy, type SACConfig } from './defaults.js';
import { SACLearner, type SACStats } from './learner.js';
import { sacModelLayout, sacPolicyLayout } from './model.js';
import { transitionsOf } from '../../execution/n_step.js';

export class SACAlgorithmTrainer implements AlgorithmTrainer {
  private buffer: ReplayBuffer | null = null;
  /** RLlib's counters of soft target updates. */
  numTargetUpdates = 0;
  lastTargetUpdateTs = 0;

  private constructor(
    readonly config: SACConfig,
    readonly layout: ModelLayout,
    readonly learner: SACLearner,
    private readonly observationSize: number,
    /** Floats of the policy network at the start of the weights: what the rollout workers' policy takes. */
    private readonly policySize: number,
  ) {}

  static create({ config, observationSize, actionSpace, rng }: TrainerSetup<SACConfig>): SACAlgorithmTrainer {
    const layout = sacModelLayout(observationSize, actionSpace, config);
    checkKernelMemory(layout, config.train_batch_size); // before the weights are allocated
    const learner = new SACLearner(
      layout,
      actionSpace,
      {
        targetEntropy: resolveTargetEntropy(config.target_entropy, actionSpace),
        actorLr: config.optimization.actor_learning_rate,
        criticLr: config.optimization.critic_learning_rate,
        entropyLr: config.optimization.entropy_learning_rate,
        gradClip: config.grad_clip,
      },
      initialWeights(layout, rng),
      config.initial_alpha,
      config.train_batch_size,
    );
    learner.updateTargets(1); // the targets start as copies
    return new SACAlgorithmTrainer(config, layout, learner, observationSize, sacPolicyLayout(observationSize, actionSpace, config).totalSize);
  }

  /** The replay buffer, sampling with the trainer's stream (made on first use; RLlib does not checkpoint it either). */
  private replayBuffer(rng: Random, actionSize: number): ReplayBuffer {
    if (!this.buffer) {
      const c = this.config;
      this.buffer = c.prioritized_replay
        ? new PrioritizedReplayBuffer(c.buffer_size, this.observationSize, actionSize, rng, {
            alpha: c.prioritized_replay_alpha,
            beta: c.prioritized_replay_beta,
            eps: c.prioritized_replay_eps,
          })
        : new ReplayBuffer(c.buffer_size, this.observationSize, actionSize, rng);
    }
    return this.buffer;
  }

  async trainIteration(ctx: IterationContext): Promise<IterationOutcome> {
    const c = this.config;
    const start = ctx.timesteps();
    let trained = 0;
    let stats: SACStats | null = null;
    do {
      const batch = await ctx.sample({ weights: this.learner.kernel.params.subarray(0, this.policySize) });
      const round = transitionsOf(batch);
      const buffer = this.replayBuffer(ctx.rng, round.actions.length / Math.max(1, round.count));
      buffer.add(round);
      if (buffer.addedTotal < c.learning_starts) continue;
      const sample = buffer.sample(c.train_batch_size);
      stats = this.learner.learnOnBatch(sample, ctx.rng);
      if (buffer instanceof PrioritizedReplayBuffer) buffer.updatePriorities(sample.indices, this.learner.tdError.subarray(0, sample.count));
      trained += sample.count;
      const now = ctx.timesteps();
      if (now - this.lastTargetUpdateTs >= c.target_network_update_freq) {
        this.learner.updateTargets(c.tau);
        this.numTargetUpdates += 1;
        this.lastTargetUpdateTs = now;
      }
    } while (ctx.timesteps() - start < c.timesteps_per_iteration);
    return {
      learner: stats ? { ...stats } : {},
      stepsTrained: trained,
      info: { num_target_updates: this.numTargetUpdates, last_target_update_ts: this.lastTargetUpdateTs },
    };
  }

  getWeights(): Float32Array {
    return this.learner.kernel.params.slice();
  }

  setWeights(weights: Float32Array): void {
    if (weights.length !== this.layout.totalSize) throw new RangeError(`weights have ${weights.length} values; the model needs ${this.layout.totalSize}`);
    this.learner.kernel.params.set(weights);
  }

  getState(): { log_alpha: number; num_target_updates: number; last_target_update_ts: number } {
    return { log_alpha: this.learner.logAlpha, num_target_updates: this.numTargetUpdates, last_target_update_ts: this.lastTargetUpdateTs };
  }

  loadState(state: Record<string, unknown>): void {
    this.learner.logAlpha = state.log_alpha as number;
    this.numTargetUpdates = state.num_target_updates as number;
    this.lastTargetUpdateTs = state.last_target_update_ts as number;
  }

  /** Adam's step counts and moments of the actor, the critics and log_alpha. */
  getArrays(): Record<string, Float32Array[]> {
    return { optimizer: this.learner.getOptimizerState() };
  }

  loadArrays(load: (name: string) => Float32Array[]): void {
    this.learner.setOptimizerState(load('optimizer'));
  }
}

export const sacTrainerFactory: AlgorithmTrainerFactory<SACConfig> = {
  create: (setup) => SACAlgorithmTrainer.create(setup),
  stateShape: { log_alpha: z.number(), num_target_updates: z.number().int().nonnegative(), last_target_update_ts: z.number().int().nonnegative() },
};
