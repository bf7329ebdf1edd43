// Which env a checkpoint runs on, decided without running any code from the checkpoint.
// A registered id (CartPole-v1) is looked up in the registry. A custom env module is code: a
// checkpoint only records which module it was trained with (its file name and sha256), and the
// user names the module to use (`--env ./my-env.js`, or `env` in code); nothing a manifest says
// is ever imported.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envSpec, looksLikePath, resolveEnv } from '../envs/registry.js';
import { UserError } from '../utils/errors.js';
import { sha256 } from './format.js';

/** What a manifest records of a custom env module. */
export interface EnvModuleRecord {
  /** The module's file name, for messages (the path it had on the machine that trained it is not used). */
  name: string;
  sha256: string;
}

/** The record of the module a custom env id (an absolute module path) was loaded from; null for registered ids. */
export function envModuleRecord(envId: string): EnvModuleRecord | null {
  const modulePath = envSpec(envId).modulePath;
  if (!modulePath) return null;
  return { name: path.basename(modulePath), sha256: sha256(readFileSync(modulePath)) };
}

export interface CheckpointEnv {
  /** An id `make` accepts. */
  envId: string;
  /** Set when the module the user named is not byte for byte the one the checkpoint was trained with. */
  warning: string | null;
}

/**
 * The env to run a checkpoint's policy on. `recorded` is the manifest's env, `module` its
 * env_module record, `given` the env the user named (flag or code), or undefined.
 */
export async function checkpointEnv(source: string, recorded: string, module: EnvModuleRecord | null | undefined, given: string | undefined): Promise<CheckpointEnv> {
  const custom = looksLikePath(recorded) || Boolean(module);
  if (!custom) {
    const envId = envSpec(recorded).id; // a registered id: nothing is imported
    if (given !== undefined && given !== recorded) {
      throw new UserError(`${source} was trained on ${recorded}, not ${given}; drop --env (the checkpoint names its env)`);
    }
    return { envId, warning: null };
  }
  const name = module?.name ?? path.basename(recorded);
  if (given === undefined) {
    throw new UserError(
      `${source} was trained on the custom env module ${name}; a checkpoint never runs code it names: pass --env ./path/to/${name} (your copy of that module) to use it`,
    );
  }
  const envId = await resolveEnv(given);
  const modulePath = envSpec(envId).modulePath;
  if (!modulePath) throw new UserError(`${source} was trained on the custom env module ${name}, not the registered env ${given}; pass --env with your copy of ${name}`);
  const actual = sha256(readFileSync(modulePath));
  const warning =
    module && module.sha256 !== actual
      ? `${given} is not the ${name} that ${source} was trained with (its sha256 differs); replaying with it anyway`
      : null;
  return { envId, warning };
}
