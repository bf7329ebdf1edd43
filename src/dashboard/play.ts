// The dashboard's play page, server side: lists the checkpoints under the watched folders, serves
// a checkpoint's policy network files (TF.js LayersModel, run in the page) and keeps the env
// sessions the page steps. The env runs here, as `rl rollout` runs it (same registry, same
// seeding), so that a page episode and a rollout from the same seed start alike; each frame is
// the project's Gymnasium drawing, deflated (a CartPole frame is mostly white: a few kB).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { CHECKPOINT_DIR_RE, MANIFEST_FILE_RE, isSafeRelativePath, weightPaths, type CheckpointManifest, type ModelJSONLike } from '../checkpoint/format.js';
import { make } from '../envs/registry.js';
import type { Env } from '../envs/env.js';
import { renderFrame } from '../envs/render/classic.js';
import { UserError } from '../utils/errors.js';
import { getAlgorithm, isAlgorithm } from '../algorithms/registry.js';

export interface CheckpointInfo {
  id: string;
  env: string;
  iteration: number;
  episode_reward_mean: number | null;
  /** The MeanStdFilter state the page applies to observations, or null (NoFilter). */
  filter: unknown | null;
  /** How the page turns the policy's outputs into a Box action (the algorithm's playBoxActions). */
  box_actions: 'clipped-means' | 'squashed-means';
}

interface FoundCheckpoint extends CheckpointInfo {
  dir: string;
  manifest: CheckpointManifest;
}

function findCheckpoints(root: string, dir: string, depth: number, out: FoundCheckpoint[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const sub = path.join(dir, entry.name);
    if (!CHECKPOINT_DIR_RE.test(entry.name)) {
      if (depth < 6) findCheckpoints(root, sub, depth + 1, out);
      continue;
    }
    const manifestFile = readdirSync(sub).find((name) => MANIFEST_FILE_RE.test(name));
    if (!manifestFile) continue;
    try {
      const manifest = JSON.parse(readFileSync(path.join(sub, manifestFile), 'utf8')) as CheckpointManifest;
      if (!manifest.models?.includes('policy')) continue;
      // only algorithms whose greedy action the page knows how to take from the policy network
      const boxActions = isAlgorithm(manifest.algorithm) ? getAlgorithm(manifest.algorithm).playBoxActions : undefined;
      if (!boxActions) continue;
      const reward = manifest.metrics?.episode_reward_mean;
      out.push({
        id: path.join(path.basename(root), path.relative(root, sub)).split(path.sep).join('/'),
        dir: sub,
        manifest,
        env: manifest.env,
        iteration: manifest.iteration,
        episode_reward_mean: typeof reward === 'number' ? reward : null,
        filter: manifest.config?.observation_filter === 'MeanStdFilter' ? manifest.filter : null,
        box_actions: boxActions,
      });
    } catch {
      // a damaged manifest is simply not offered
    }
  }
}

interface Session {
  env: Env;
  lastUsed: number;
}

export class PlayRoom {
  private readonly sessions = new Map<number, Session>();
  private nextId = 1;

  constructor(private readonly roots: string[]) {}

  checkpoints(): FoundCheckpoint[] {
    const out: FoundCheckpoint[] = [];
    for (const root of this.roots) findCheckpoints(root, root, 0, out);
    return out;
  }

  private checkpoint(id: string): FoundCheckpoint {
    const found = this.checkpoints().find((c) => c.id === id);
    if (!found) throw new UserError(`no checkpoint ${id} under the dashboard's folders`);
    return found;
  }

  /** policy/model.json or one of the weight files it names; nothing else in the folder is served. */
  policyFile(id: string, file: string): Buffer {
    const { dir } = this.checkpoint(id);
    const modelJSON = readFileSync(path.join(dir, 'policy', 'model.json'));
    if (file === 'model.json') return modelJSON;
    const named = weightPaths(JSON.parse(modelJSON.toString('utf8')) as ModelJSONLike).includes(file);
    if (!named || !isSafeRelativePath(file)) throw new UserError(`${file} is not a weight file of ${id}`);
    return readFileSync(path.join(dir, 'policy', file));
  }

  /** A new episode of the checkpoint's env, reset with seed as `rl rollout --seed` resets it. */
  start(id: string, seed: number): { session: number; observation: number[]; action_space: unknown; frame: Frame | null } {
    const { manifest } = this.checkpoint(id);
    const config = manifest.config as { env_config?: Record<string, unknown>; horizon?: number | null };
    const env = make(manifest.env, { ...(config.env_config ?? {}), ...(config.horizon ? { max_episode_steps: config.horizon } : {}) });
    const [observation] = env.reset({ seed });
    this.evictIdle();
    const session = this.nextId++;
    this.sessions.set(session, { env, lastUsed: Date.now() });
    return { session, observation: Array.from(observation as ArrayLike<number>), action_space: env.action_space, frame: frameOf(env) };
  }

  step(session: number, action: number | number[], withFrame: boolean) {
    const entry = this.sessions.get(session);
    if (!entry) throw new UserError(`no play session ${session}: start a new episode`);
    entry.lastUsed = Date.now();
    const [observation, reward, terminated, truncated] = entry.env.step(action);
    if (terminated || truncated) this.sessions.delete(session);
    const frame = withFrame || terminated || truncated ? frameOf(entry.env) : null; // the last picture always
    return { observation: Array.from(observation as ArrayLike<number>), reward, terminated, truncated, frame };
  }

  private evictIdle(): void {
    const cutoff = Date.now() - 10 * 60_000;
    for (const [id, s] of this.sessions) if (s.lastUsed < cutoff) this.sessions.delete(id);
  }
}

export interface Frame {
  width: number;
  height: number;
  /** base64 of the deflated RGB bytes, row by row from the top. */
  rgb: string;
}

/** The env's picture as Gymnasium draws it, or null for an env without one. */
function frameOf(env: Env): Frame | null {
  const canvas = renderFrame(env);
  if (!canvas) return null;
  return { width: canvas.width, height: canvas.height, rgb: deflateSync(canvas.pixels).toString('base64') };
}
