// What DQN does with each round of sampled transitions, as RLlib 1.x's DQN execution plan
// alternates them (Concurrently([store_op, replay_op], round_robin)): store the round in the
// replay buffer; once learning_starts transitions were added, replay train_batch_size rows and
// take one Adam step (training_intensity asks for more or fewer per round), give prioritized
// replay the new |TD error| + eps, and copy the online weights into the target network when
// target_network_update_freq timesteps were sampled since the last copy.
import { PrioritizedReplayBuffer, ReplayBuffer, type Transitions } from '../../execution/replay_buffer.js';
import type { Random } from '../../utils/random.js';
import type { DQNKeys } from './defaults.js';
import type { DQNLearner } from './learner.js';
import type { QLossStats } from './loss.js';

export type ReplayTrainingConfig = Pick<
  DQNKeys,
  | 'buffer_size'
  | 'prioritized_replay'
  | 'prioritized_replay_alpha'
  | 'prioritized_replay_beta'
  | 'prioritized_replay_eps'
  | 'learning_starts'
  | 'train_batch_size'
  | 'training_intensity'
  | 'target_network_update_freq'
>;

/** Counters a restored trainer continues from (RLlib's num_target_updates, last_target_update_ts...). */
export interface ReplayTrainingState {
  num_steps_trained: number;
  num_target_updates: number;
  last_target_update_ts: number;
  /** Fraction of a replay step owed by training_intensity. */
  replay_credit: number;
}

export class ReplayTraining {
  readonly buffer: ReplayBuffer;
  state: ReplayTrainingState = { num_steps_trained: 0, num_target_updates: 0, last_target_update_ts: 0, replay_credit: 0 };
  /** The stats of the last update (null before learning starts). */
  lastStats: QLossStats | null = null;

  constructor(
    readonly config: ReplayTrainingConfig,
    readonly learner: DQNLearner,
    observationSize: number,
    rng: Random,
    /** Transitions one sampling round yields (num_workers x num_envs_per_worker x rollout_fragment_length). */
    readonly roundSize: number,
  ) {
    const { buffer_size: capacity } = config;
    this.buffer = config.prioritized_replay
      ? new PrioritizedReplayBuffer(capacity, observationSize, 1, rng, {
          alpha: config.prioritized_replay_alpha,
          beta: config.prioritized_replay_beta,
          eps: config.prioritized_replay_eps,
        })
      : new ReplayBuffer(capacity, observationSize, 1, rng);
  }

  /**
   * Replay steps per sampling round: 1, or training_intensity / (train_batch_size / round size)
   * (RLlib's calculate_rr_weights), fractions carried over to the next round.
   */
  updatesPerRound(): number {
    const { training_intensity: intensity, train_batch_size: batchSize } = this.config;
    if (intensity === null) return 1;
    return intensity / (batchSize / this.roundSize);
  }

  /** Stores one round and runs its replay steps; sampledTotal counts the timesteps sampled so far, this round's included. */
  storeAndTrain(round: Transitions, sampledTotal: number, lr: number): void {
    this.buffer.add(round);
    if (this.buffer.addedTotal < this.config.learning_starts) return;
    this.state.replay_credit += this.updatesPerRound();
    while (this.state.replay_credit >= 1 - 1e-9) {
      this.state.replay_credit -= 1;
      this.trainOnce(sampledTotal, lr);
    }
  }

  private trainOnce(sampledTotal: number, lr: number): void {
    const sample = this.buffer.sample(this.config.train_batch_size);
    const { stats, tdErrors } = this.learner.learnOnBatch(sample, lr);
    if (this.buffer instanceof PrioritizedReplayBuffer) this.buffer.updatePriorities(sample.indices, tdErrors);
    this.lastStats = stats;
    this.state.num_steps_trained += sample.count;
    if (sampledTotal - this.state.last_target_update_ts >= this.config.target_network_update_freq) {
      this.learner.updateTarget();
      this.state.num_target_updates += 1;
      this.state.last_target_update_ts = sampledTotal;
    }
  }
}
