// The env registry, as gymnasium.register / gymnasium.make, plus custom envs loaded
// from a JavaScript module path wherever an env id is accepted.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import type { Env } from './env.js';
import { Box, Discrete, spaceFromJSON, type Space, type SpaceJSON } from './spaces.js';
import { TimeLimit } from './wrappers.js';
import { CartPoleEnv } from './classic_control/cartpole.js';
import { MountainCarEnv } from './classic_control/mountain_car.js';
import { ContinuousMountainCarEnv } from './classic_control/continuous_mountain_car.js';
import { AcrobotEnv } from './classic_control/acrobot.js';
import { PendulumEnv } from './classic_control/pendulum.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { displayPath } from '../checkpoint/format.js';

export type EnvKwargs = Record<string, unknown>;

export interface EnvSpec {
  id: string;
  entryPoint: (kwargs: EnvKwargs) => Env;
  maxEpisodeSteps: number | null;
  rewardThreshold: number | null;
  kwargs: EnvKwargs;
  /** Absolute path of the module a custom env came from. */
  modulePath?: string;
}

export interface MakeOptions extends EnvKwargs {
  /** Overrides the id's time limit; null for none. */
  max_episode_steps?: number | null;
}

const specs = new Map<string, EnvSpec>();

export function register(spec: Pick<EnvSpec, 'id' | 'entryPoint'> & Partial<EnvSpec>): void {
  specs.set(spec.id, {
    maxEpisodeSteps: null,
    rewardThreshold: null,
    kwargs: {},
    ...spec,
  });
}

export function registeredEnvs(): EnvSpec[] {
  return [...specs.values()].filter((spec) => !spec.modulePath);
}

/** The spec of an id; unknown ids get one line naming the closest ids. */
export function envSpec(id: string): EnvSpec {
  const spec = specs.get(id);
  if (spec) return spec;
  if (looksLikePath(id)) {
    throw new UserError(`env module '${id}' is not loaded; load it with resolveEnv('${id}') first`);
  }
  const ids = registeredEnvs().map((s) => s.id);
  const near = ids
    .map((candidate) => ({ candidate, d: distance(id.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ d }) => d <= Math.max(3, Math.floor(id.length / 3)))
    .sort((a, b) => a.d - b.d)
    .map(({ candidate }) => candidate);
  const suggestions = near.length > 0 ? near.slice(0, 3) : ids.length > 0 ? [closest(id, ids)] : [];
  const hint = suggestions.length > 0 ? `did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}? ` : '';
  throw new UserError(`unknown env id '${id}': ${hint}Run \`rl envs\` to list the registered ids, or pass a module path such as ./my-env.js`);
}

/** The env without wrappers, as gymnasium.make(...).unwrapped. */
export function makeUnwrapped(id: string, kwargs: EnvKwargs = {}): Env {
  const spec = envSpec(id);
  return spec.entryPoint({ ...spec.kwargs, ...kwargs });
}

/** gymnasium.make: the env wrapped in its TimeLimit. */
export function make(id: string, options: MakeOptions = {}): Env {
  const { max_episode_steps, ...kwargs } = options;
  const spec = envSpec(id);
  const env = makeUnwrapped(id, kwargs);
  const limit = max_episode_steps === undefined ? spec.maxEpisodeSteps : max_episode_steps;
  return limit === null ? env : new TimeLimit(env, limit);
}

/** An env for messages: its id, or a custom env module's path relative to the working directory. */
export function envDisplayName(id: string): string {
  return specs.get(id)?.modulePath ? displayPath(id) : id;
}

export function looksLikePath(id: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|file:)/.test(id) || /\.(c|m)?js$/.test(id);
}

/**
 * Returns an id `make` accepts: registered ids as they are, module paths loaded and
 * registered under their absolute path (so worker threads can load the same module).
 */
export async function resolveEnv(idOrPath: string, cwd = process.cwd()): Promise<string> {
  if (specs.has(idOrPath) || !looksLikePath(idOrPath)) {
    envSpec(idOrPath);
    return idOrPath;
  }
  const file = idOrPath.startsWith('file:') ? new URL(idOrPath).pathname : path.resolve(cwd, idOrPath);
  if (specs.has(file)) return file;
  if (!existsSync(file)) throw new UserError(`env module ${idOrPath} not found (looked for ${file})`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`env module ${idOrPath} could not be loaded: ${errorMessage(error)}`);
  }
  const entryPoint = customEntryPoint(module, idOrPath);
  const numberExport = (name: string) => (typeof module[name] === 'number' ? (module[name] as number) : null);
  register({
    id: file,
    entryPoint,
    maxEpisodeSteps: numberExport('max_episode_steps'),
    rewardThreshold: numberExport('reward_threshold'),
    modulePath: file,
  });
  return file;
}

/** Finds the env class or factory a module exports and checks one instance against the API. */
function customEntryPoint(module: Record<string, unknown>, name: string): (kwargs: EnvKwargs) => Env {
  const exported = module.default ?? module.Env ?? module.createEnv ?? module.makeEnv;
  if (typeof exported !== 'function') {
    throw new UserError(
      `env module ${name} exports no env: export default a class or factory function (or a named export Env / createEnv) returning an object with reset(), step(), observation_space and action_space`,
    );
  }
  const ctor = exported as (new (kwargs: EnvKwargs) => Env) & ((kwargs: EnvKwargs) => Env);
  const isClass = /^class\s/.test(Function.prototype.toString.call(ctor));
  const create = (kwargs: EnvKwargs): Env => normalizeSpaces(isClass ? new ctor(kwargs) : ctor(kwargs));
  let instance: Env;
  try {
    instance = create({});
  } catch (error) {
    throw new UserError(`env module ${name}: creating the env failed: ${errorMessage(error)}`);
  }
  const missing: string[] = [];
  if (typeof instance?.reset !== 'function') missing.push('a reset() method');
  if (typeof instance?.step !== 'function') missing.push('a step() method');
  if (!isSpace(instance?.observation_space)) missing.push('an observation_space (Box)');
  if (!isSpace(instance?.action_space)) missing.push('an action_space (Discrete or Box)');
  if (missing.length > 0) {
    throw new UserError(`env module ${name}: the env it creates lacks ${missing.join(', ')} (see Gymnasium's Env API)`);
  }
  return create;
}

function isSpace(space: unknown): space is Space {
  return space instanceof Box || space instanceof Discrete;
}

/** Custom envs may describe spaces as plain JSON ({type: 'Discrete', n: 2}); turn them into Space objects. */
function normalizeSpaces(env: Env): Env {
  if (env === null || typeof env !== 'object') return env;
  for (const key of ['observation_space', 'action_space'] as const) {
    const space = env[key] as unknown;
    if (space && typeof space === 'object' && !isSpace(space) && 'type' in space) {
      try {
        Object.defineProperty(env, key, { value: spaceFromJSON(space as SpaceJSON), configurable: true });
      } catch {
        // a read-only space stays as it is; the API check reports it
      }
    }
  }
  return env;
}

register({ id: 'CartPole-v0', entryPoint: (kw) => new CartPoleEnv(kw), maxEpisodeSteps: 200, rewardThreshold: 195.0 });
register({ id: 'CartPole-v1', entryPoint: (kw) => new CartPoleEnv(kw), maxEpisodeSteps: 500, rewardThreshold: 475.0 });
register({ id: 'MountainCar-v0', entryPoint: (kw) => new MountainCarEnv(kw), maxEpisodeSteps: 200, rewardThreshold: -110.0 });
register({ id: 'MountainCarContinuous-v0', entryPoint: (kw) => new ContinuousMountainCarEnv(kw), maxEpisodeSteps: 999, rewardThreshold: 90.0 });
register({ id: 'Acrobot-v1', entryPoint: () => new AcrobotEnv(), maxEpisodeSteps: 500, rewardThreshold: -100.0 });
register({ id: 'Pendulum-v1', entryPoint: (kw) => new PendulumEnv(kw), maxEpisodeSteps: 200, rewardThreshold: null });
