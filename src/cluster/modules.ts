// A node imports code only from folders its own command line names (`rl worker --modules DIR`):
// a job in Redis names a function trainable or an env module by path, and whoever can write to
// the Redis must not be able to make every node run any file it has.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { looksLikePath } from '../envs/registry.js';
import { isAlgorithm } from '../algorithms/registry.js';
import { SGD_RUN } from '../tune/sgd_trial.js';

/**
 * The JS modules a trial or sampling task would import: its trainable (unless a registered
 * algorithm or SGD), an SGD trial's training module, and its env, when that is a path.
 */
export function modulesOf(run: string | null, config: Record<string, unknown>, module?: string): string[] {
  const modules = run !== null && run !== SGD_RUN && !isAlgorithm(run) ? [run] : [];
  if (module !== undefined) modules.push(module);
  if (typeof config.env === 'string' && looksLikePath(config.env)) modules.push(config.env);
  return modules.map((m) => path.resolve(m.startsWith('file:') ? fileURLToPath(m) : m));
}

/** Why this node will not run the task (one line naming the flag that allows it), or null. */
export function refusedModule(modules: string[], allowed: string[], nodeId: string): string | null {
  const roots = allowed.map((dir) => path.resolve(dir));
  const outside = modules.find((m) => !roots.some((root) => m === root || m.startsWith(`${root}${path.sep}`)));
  if (outside === undefined) return null;
  return `node ${nodeId} does not import ${outside}: start its rl worker with --modules ${path.dirname(outside)} (folders of trainables and env modules it may run)`;
}
