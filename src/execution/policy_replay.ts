// Replays a trained policy (RLlib's `rllib rollout`): one env, greedy or sampled actions, until a
// number of episodes or of steps (finishing the episode in progress), with hooks for printing,
// recording and rendering each step.
import { performance } from 'node:perf_hooks';
import { make } from '../envs/registry.js';
import type { Env } from '../envs/env.js';
import type { CheckpointPolicy } from '../policy/checkpoint_policy.js';
import { Random, entropySeed } from '../utils/random.js';

export interface EpisodeRecord {
  episode: number;
  reward: number;
  length: number;
}

export interface StepRecord {
  episode: number;
  t: number;
  /** The observation the action was chosen from. */
  observation: number[];
  action: number | number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

export interface PolicyReplayOptions {
  /** Stop after this many episodes (takes precedence over steps). */
  episodes?: number;
  /** Stop once this many steps are done and the episode in progress has ended (default 10,000, as RLlib). */
  steps?: number;
  explore?: boolean;
  seed?: number | null;
  /** Called with each step; building the record costs time, so only when asked. */
  onStep?: (record: StepRecord) => void;
  onEpisode?: (record: EpisodeRecord) => void;
  /** Called after every reset and step with the env, for rendering. */
  onFrame?: (env: Env) => void | Promise<void>;
}

export interface PolicyReplaySummary {
  episodes: EpisodeRecord[];
  steps: number;
  seconds: number;
  seed: number;
}

export const DEFAULT_ROLLOUT_STEPS = 10_000;

export async function replayPolicy(policy: CheckpointPolicy, options: PolicyReplayOptions = {}): Promise<PolicyReplaySummary> {
  const seed = options.seed ?? entropySeed();
  const rng = new Random(seed);
  const explore = options.explore ?? false;
  const env = make(policy.envId, { ...(policy.config.env_config ?? {}), ...(policy.config.horizon ? { max_episode_steps: policy.config.horizon } : {}) });
  const obs = new Float32Array(policy.layout.observationSize);
  const action = new Float32Array(policy.actionSize);
  const discrete = policy.action_space.type === 'Discrete';
  const episodes: EpisodeRecord[] = [];
  const wantEpisodes = options.episodes;
  const wantSteps = wantEpisodes === undefined ? (options.steps ?? DEFAULT_ROLLOUT_STEPS) : Infinity;
  let steps = 0;
  const start = performance.now();
  let [observation] = env.reset({ seed });
  while ((wantEpisodes === undefined || episodes.length < wantEpisodes) && steps < wantSteps) {
    let reward = 0;
    let t = 0;
    const onFrame = options.onFrame;
    if (onFrame) await onFrame(env);
    for (;;) {
      obs.set(observation);
      policy.computeActions(obs, 1, explore, rng, action);
      const envAction = discrete ? action[0] : action;
      const [next, r, terminated, truncated] = env.step(envAction);
      options.onStep?.({
        episode: episodes.length,
        t,
        observation: Array.from(obs),
        action: discrete ? action[0] : Array.from(action),
        reward: r,
        terminated,
        truncated,
      });
      reward += r;
      t += 1;
      steps += 1;
      observation = next;
      if (onFrame) await onFrame(env); // no await per step unless rendering
      if (terminated || truncated) break;
    }
    const record = { episode: episodes.length, reward, length: t };
    episodes.push(record);
    options.onEpisode?.(record);
    [observation] = env.reset();
  }
  env.close?.();
  return { episodes, steps, seconds: (performance.now() - start) / 1000, seed };
}
