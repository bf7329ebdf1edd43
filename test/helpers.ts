import { spawnSync } from 'node:child_process';
import { expect } from '@jest/globals';
import { UserError } from '../src/utils/errors.js';
import type { CheckpointContent } from '../src/checkpoint/format.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import type { TuneExperiment } from '../src/tune/experiment.js';
import { resolvePPOConfig } from '../src/algorithms/ppo/defaults.js';
import type { RolloutWorkerConfig } from '../src/execution/rollout_worker.js';

/** The package root: tests run compiled from dist/test/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function readFixture<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', ...parts), 'utf8')) as T;
}

/** |a - b| <= tol * max(1, |b|): absolute near zero, relative for large values. */
export function closeTo(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

export function decodeNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

/**
 * Runs the rl CLI from the package root, colours off. A run still going after timeoutMs is
 * killed (code null), so that a command that never ends fails its test instead of hanging jest.
 */
export function rl(args: string[], env: Record<string, string> = {}, cwd = repoRoot, timeoutMs = 120_000) {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: timeoutMs,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The UserError fn throws, checked to be one line; fails the test if it throws nothing or something else. */
export function userErrorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) {
      expect(error.message).not.toMatch(/[\r\n]/);
      return error;
    }
    throw error;
  }
  throw new Error('expected a UserError');
}

/** A Tune experiment as loadTuneExperiment would give it, in a fresh local_dir: FIFO, one sample, defaults overridden by `fields`. */
export function tuneExperiment(fields: Partial<TuneExperiment> & Pick<TuneExperiment, 'name' | 'run' | 'config'>): TuneExperiment {
  return {
    stop: {},
    num_samples: 1,
    metric: 'score',
    mode: 'max',
    local_dir: mkdtempSync(path.join(os.tmpdir(), `rl-${fields.name}-`)),
    scheduler: null,
    max_concurrent_trials: null,
    checkpoint_freq: 0,
    checkpoint_at_end: true,
    keep_checkpoints_num: null,
    max_failures: 0,
    parameter_columns: {},
    seed: 0,
    source: 'test',
    ...fields,
  };
}

/** A rollout worker's algorithm fields for PPO: these config keys over PPO's defaults. */
export function ppoPolicy(config: Record<string, unknown> = {}): { algorithm: string; policyConfig: Record<string, unknown> } {
  return { algorithm: 'PPO', policyConfig: resolvePPOConfig([{ source: 'test', config }]) as unknown as Record<string, unknown> };
}

/**
 * A rollout worker's config for tests of its rows: one env of `env`, fragments of 5 steps cut
 * (truncate_episodes), no filter, a PPO policy with no hidden layers, seed 0; overrides on top.
 */
export function rolloutWorkerConfig(env: string, overrides: Partial<RolloutWorkerConfig> = {}): RolloutWorkerConfig {
  return {
    env,
    envConfig: {},
    numEnvs: 1,
    fragmentLength: 5,
    batchMode: 'truncate_episodes',
    horizon: null,
    clipActions: true,
    observationFilter: 'NoFilter',
    ...ppoPolicy({ model: { fcnet_hiddens: [] } }),
    seed: 0,
    workerIndex: 0,
    ...overrides,
  };
}

/** The manifest of a PPO checkpoint a test saves with weights of its own: nothing trained, no filter; `more` on top. */
export function ppoTestManifest(env: string, config: unknown, iteration: number, more: Partial<CheckpointContent['manifest']> = {}): CheckpointContent['manifest'] {
  return { algorithm: 'PPO', env, config: config as Record<string, unknown>, iteration, timesteps_total: 0, time_total_s: 0, metrics: {}, filter: null, state: {}, ...more };
}

/** The dotted paths of a result record's numeric values ("info.learner.kl"): what stop criteria and schedulers may name. */
export function numericKeys(node: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(node).flatMap(([key, value]) =>
    typeof value === 'number' ? [`${prefix}${key}`] : value !== null && typeof value === 'object' ? numericKeys(value as Record<string, unknown>, `${prefix}${key}.`) : [],
  );
}

