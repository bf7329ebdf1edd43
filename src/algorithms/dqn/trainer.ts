// DQN's training iteration (RLlib 1.x's DQNTrainer with its default execution plan): sample
// rounds of rollout_fragment_length steps per env with epsilon-greedy exploration, store each in
// the replay buffer and replay from it (replay_training.ts), until timesteps_per_iteration steps
// were sampled; report the episodes and the last update's learner stats.
import { performance } from 'node:perf_hooks';
import { Discrete } from '../../envs/spaces.js';
import { resolveEnv, envSpec, type EnvKwargs } from '../../envs/registry.js';
import { VectorEnv } from '../../envs/vector_env.js';
import { EpisodeHistory } from '../../metrics/episodes.js';
import { Random, entropySeed } from '../../utils/random.js';
import { UserError } from '../../utils/errors.js';
import { firstNonFinite } from '../../utils/finite.js';
import type { ModelLayout } from '../../policy/model.js';
import { checkKernelMemory } from '../../nn/mlp.js';
import type { Activation, Schedule } from '../ppo/defaults.js';
import { scheduleValue } from '../ppo/schedule.js';
import { DQN_DEFAULTS, epsilonAt, type DQNKeys } from './defaults.js';
import { initialQWeights, qModelLayout } from './q_network.js';
import { DQNLearner } from './learner.js';
import { ReplayTraining } from './replay_training.js';
import { DQNSampler } from './sampler.js';

export interface DQNConfig extends DQNKeys {
  env: string | null;
  env_config: EnvKwargs;
  num_envs_per_worker: number;
  horizon: number | null;
  seed: number | null;
  lr_schedule: Schedule | null;
  metrics_smoothing_episodes: number;
  model: { fcnet_hiddens: number[]; fcnet_activation: Activation };
}

export const DQN_CONFIG_DEFAULTS: DQNConfig = {
  ...DQN_DEFAULTS,
  env: null,
  env_config: {},
  num_envs_per_worker: 1,
  horizon: null,
  seed: null,
  lr_schedule: null,
  metrics_smoothing_episodes: 100,
  model: { fcnet_hiddens: [256, 256], fcnet_activation: 'tanh' },
};

/** RLlib's DQN learner stats (info/learner/default_policy/learner_stats). */
export interface DQNLearnerStats {
  mean_q: number;
  min_q: number;
  max_q: number;
  mean_td_error: number;
  cur_lr: number;
  cur_epsilon: number;
}

export interface DQNTrainResult {
  training_iteration: number;
  episode_reward_min: number;
  episode_reward_mean: number;
  episode_reward_max: number;
  episode_len_mean: number;
  episodes_this_iter: number;
  episodes_total: number;
  timesteps_this_iter: number;
  timesteps_total: number;
  time_this_iter_s: number;
  time_total_s: number;
  info: {
    learner: { default_policy: { learner_stats: DQNLearnerStats } | Record<string, never> };
    num_steps_sampled: number;
    num_steps_trained: number;
    num_target_updates: number;
    last_target_update_ts: number;
  };
}

/** Refuses what this DQN does not implement, with the key to change. */
export function unsupportedDQNKey(config: DQNConfig): string | null {
  if (config.num_atoms !== 1) return `num_atoms ${config.num_atoms}: distributional DQN is not supported; use num_atoms: 1`;
  if (config.noisy) return 'noisy: true: noisy networks are not supported; use noisy: false';
  if (config.num_workers !== 0) return `num_workers ${config.num_workers}: DQN samples on the main thread; use num_workers: 0`;
  return null;
}

export class DQNTrainer {
  iteration = 0;
  timestepsTotal = 0;
  episodesTotal = 0;
  timeTotal = 0;
  lastResult: DQNTrainResult | null = null;
  private readonly history: EpisodeHistory;

  private constructor(
    readonly config: DQNConfig,
    readonly envId: string,
    readonly layout: ModelLayout,
    readonly learner: DQNLearner,
    readonly training: ReplayTraining,
    private readonly sampler: DQNSampler,
  ) {
    this.history = new EpisodeHistory(config.metrics_smoothing_episodes);
  }

  static async create(config: DQNConfig): Promise<DQNTrainer> {
    if (!config.env) throw new RangeError('config.env is not set: name an env id or module path');
    const unsupported = unsupportedDQNKey(config);
    if (unsupported) throw new UserError(unsupported);
    const envId = await resolveEnv(config.env);
    envSpec(envId);
    const seed = config.seed ?? entropySeed();
    const probe = new VectorEnv(envId, 1, { kwargs: config.env_config });
    const space = probe.action_space;
    probe.close();
    if (!(space instanceof Discrete)) throw new UserError(`${envId} has ${space.constructor.name} actions; DQN needs a Discrete action space (try SAC or PPO)`);
    const observationSize = probe.observationSize;
    const layout = qModelLayout(observationSize, space.n, { ...config.model, hiddens: config.hiddens, dueling: config.dueling });
    checkKernelMemory(layout, config.train_batch_size);
    const rng = new Random(seed);
    const learner = new DQNLearner(
      layout,
      { doubleQ: config.double_q, gradClip: config.grad_clip, adamEpsilon: config.adam_epsilon, trainBatchSize: config.train_batch_size },
      initialQWeights(layout, rng),
    );
    // RLlib raises the fragment to n_step so that each piece can hold an n-step return
    const fragmentLength = Math.max(config.rollout_fragment_length, config.n_step);
    const sampler = new DQNSampler(
      { env: envId, envConfig: config.env_config, numEnvs: config.num_envs_per_worker, fragmentLength, horizon: config.horizon, nStep: config.n_step, gamma: config.gamma, seed },
      layout,
    );
    const training = new ReplayTraining(config, learner, observationSize, new Random(rng.seed()), config.num_envs_per_worker * fragmentLength);
    return new DQNTrainer(config, envId, layout, learner, training, sampler);
  }

  /** One iteration: at least timesteps_per_iteration sampled steps. */
  async train(): Promise<DQNTrainResult> {
    const start = performance.now();
    const config = this.config;
    const returns: number[] = [];
    const lengths: number[] = [];
    let sampled = 0;
    const epsilon = (t: number) => epsilonAt(config.exploration_config, t);
    while (sampled < config.timesteps_per_iteration) {
      const round = this.sampler.sample(this.learner.online.params, this.timestepsTotal, epsilon);
      const count = round.transitions.count;
      sampled += count;
      this.timestepsTotal += count;
      returns.push(...round.returns);
      lengths.push(...round.lengths);
      this.training.storeAndTrain(round.transitions, this.timestepsTotal, this.currentLr());
    }
    this.checkFinite();
    const summary = this.history.update(returns, lengths);
    this.iteration += 1;
    this.episodesTotal += returns.length;
    const elapsed = (performance.now() - start) / 1000;
    this.timeTotal += elapsed;
    const stats = this.training.lastStats;
    const { num_steps_trained, num_target_updates, last_target_update_ts } = this.training.state;
    this.lastResult = {
      training_iteration: this.iteration,
      ...summary,
      episodes_total: this.episodesTotal,
      timesteps_this_iter: sampled,
      timesteps_total: this.timestepsTotal,
      time_this_iter_s: elapsed,
      time_total_s: this.timeTotal,
      info: {
        learner: {
          default_policy: stats
            ? {
                learner_stats: {
                  mean_q: stats.mean_q,
                  min_q: stats.min_q,
                  max_q: stats.max_q,
                  mean_td_error: stats.mean_td_error,
                  cur_lr: this.currentLr(),
                  cur_epsilon: epsilon(this.timestepsTotal),
                },
              }
            : {},
        },
        num_steps_sampled: this.timestepsTotal,
        num_steps_trained,
        num_target_updates,
        last_target_update_ts,
      },
    };
    return this.lastResult;
  }

  /** The greedy action of one observation: argmax_a Q(s, a). */
  computeAction(observation: ArrayLike<number>): number {
    const q = this.learner.online.forward(Float32Array.from(observation), 1);
    let best = 0;
    for (let a = 1; a < this.learner.online.numActions; a++) if (q[a] > q[best]) best = a;
    return best;
  }

  private currentLr(): number {
    return scheduleValue(this.config.lr_schedule, this.timestepsTotal, this.config.lr);
  }

  private checkFinite(): void {
    const stats = this.training.lastStats;
    const bad = stats ? Object.entries(stats).find(([, v]) => !Number.isFinite(v)) : undefined;
    const weights = this.learner.online.params;
    const badWeight = firstNonFinite(weights);
    if (bad || badWeight >= 0) {
      const what = bad ? `${bad[0]} is ${bad[1]}` : `weights[${badWeight}] is ${weights[badWeight]} after an update`;
      throw new UserError(
        `iteration ${this.iteration + 1}: the DQN learner's ${what}; nothing of this iteration was saved. Lower lr, keep grad_clip, or scale the env's rewards`,
      );
    }
  }

  async stop(): Promise<void> {
    this.sampler.close();
  }
}
