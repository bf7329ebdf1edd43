// The algorithms by name: the one module that lists them. Shared machinery (rollout workers,
// the trainer, checkpoints, rl tune) finds an algorithm here by the name a config, a task or a
// checkpoint manifest carries, never by importing its folder.
import type { Algorithm } from './algorithm.js';
import type { CommonConfig } from '../config/common.js';
import { UserError } from '../utils/errors.js';
import { ppo } from './ppo/index.js';
import { dqn } from './dqn/index.js';
import { sac } from './sac/index.js';
import { ddppo } from './ddppo/index.js';

const ALGORITHMS: readonly Algorithm[] = [ppo as unknown as Algorithm, dqn as unknown as Algorithm, sac as unknown as Algorithm, ddppo as unknown as Algorithm];

/** The names --run accepts, in registration order. */
export function algorithmNames(): string[] {
  return ALGORITHMS.map((a) => a.name);
}

export function isAlgorithm(name: string): boolean {
  return ALGORITHMS.some((a) => a.name === name);
}

export function allAlgorithms(): readonly Algorithm[] {
  return ALGORITHMS;
}

/**
 * The algorithm of that name; otherwise a one-line UserError `${where} NAME is not available;
 * use one of PPO, ...` (where: "--run", "checkpoints/checkpoint_3/checkpoint-3: algorithm"...).
 */
export function getAlgorithm<C extends CommonConfig = CommonConfig>(name: string, where = 'run'): Algorithm<C> {
  const algorithm = ALGORITHMS.find((a) => a.name === name);
  if (!algorithm) throw new UserError(`${where} ${name} is not available; use one of ${algorithmNames().join(', ')}`);
  return algorithm as unknown as Algorithm<C>;
}
