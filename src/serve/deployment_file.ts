// A deployment file (`rl serve serve.yaml`, in the spirit of Ray Serve's config file): the
// deployments to serve, their versions (a checkpoint, a TF.js model folder or a module), weights,
// shadow traffic, batch settings and user_config. It is data: the modules it names are imported
// because the user named this file on the command line. Paths are relative to the file's folder.
import path from 'node:path';
import { z } from 'zod';
import { readDataFile } from '../config/parse.js';
import { closestKey } from '../config/stop.js';
import { looksLikePath } from '../envs/registry.js';
import { UserError } from '../utils/errors.js';
import type { DeploymentSpec } from './router.js';
import type { VersionSpec } from './version.js';

const batchSchema = z.strictObject({
  max_batch_size: z.number().int().positive().optional(),
  batch_wait_ms: z.number().nonnegative().optional(),
});

const versionSchema = z.strictObject({
  checkpoint: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  module: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  weight: z.number().nonnegative().optional(),
  env: z.string().min(1).optional(),
  user_config: z.unknown().optional(),
  batch: batchSchema.optional(),
});

const deploymentSchema = z.strictObject({
  name: z.string().min(1),
  versions: z.array(versionSchema).min(1),
  shadows: z.record(z.string(), z.number().min(0).max(1)).optional(),
  num_replicas: z.number().int().positive().optional(),
});

const fileSchema = z.strictObject({ deployments: z.array(deploymentSchema).min(1) });

type Schema = z.core.$ZodType;

/** The keys the object schema at `at` (a path into the file) knows. */
function knownKeysAt(schema: Schema, at: PropertyKey[]): string[] {
  let current = schema as Schema & { def: { type: string; innerType?: Schema; element?: Schema; shape?: Record<string, Schema> } };
  const unwrap = () => {
    while (current.def.innerType) current = current.def.innerType as typeof current;
  };
  for (const step of at) {
    unwrap();
    current = (current.def.type === 'array' ? current.def.element : current.def.shape?.[String(step)]) as typeof current;
  }
  unwrap();
  return Object.keys(current.def.shape ?? {});
}

function dotted(at: PropertyKey[]): string {
  return at.map((step, i) => (typeof step === 'number' ? `[${step}]` : `${i === 0 ? '' : '.'}${String(step)}`)).join('');
}

/** The one line naming the first problem: unknown keys first (a misspelt key is what makes the rest look wrong). */
function problem(file: string, issues: z.core.$ZodIssue[]): string {
  const unknown = issues.find((issue) => issue.code === 'unrecognized_keys');
  if (unknown && unknown.code === 'unrecognized_keys') {
    const key = unknown.keys[0];
    const known = knownKeysAt(fileSchema, unknown.path);
    // A key cut short ('modul') means the key it starts (module), though 'model' is as few edits away.
    const suggestion = known.find((k) => k.startsWith(key)) ?? closestKey(key, known);
    return `${file}: unknown key '${dotted([...unknown.path, key])}'; did you mean '${suggestion}'? (${dotted(unknown.path) || 'the top level'} takes ${known.join(', ')})`;
  }
  const [first] = issues;
  return `${file}: ${dotted(first.path) || 'the file'}: ${first.message.replace(/^Invalid input: /, '')}`;
}

/** Reads a deployment file into serve()'s deployments; every problem is one line naming the file. */
export function readDeploymentFile(file: string, cwd: string = process.cwd()): DeploymentSpec[] {
  const parsed = fileSchema.safeParse(readDataFile(file, cwd));
  if (!parsed.success) throw new UserError(problem(file, parsed.error.issues));
  const folder = path.dirname(path.resolve(cwd, file));
  const resolve = (p: string) => path.resolve(folder, p);
  return parsed.data.deployments.map((d, i) => ({
    name: d.name,
    shadows: d.shadows,
    numReplicas: d.num_replicas,
    versions: d.versions.map((v, j): VersionSpec => {
      const where = `${file}: deployments[${i}].versions[${j}]`;
      const kinds = (['checkpoint', 'model', 'module'] as const).filter((kind) => v[kind] !== undefined);
      if (kinds.length !== 1) throw new UserError(`${where}: give one of checkpoint, model or module${kinds.length > 1 ? `, not ${kinds.join(' and ')}` : ''}`);
      if (v.env !== undefined && v.checkpoint === undefined) throw new UserError(`${where}: 'env' is for checkpoint versions (the custom env module a checkpoint was trained on)`);
      if (v.user_config !== undefined && v.module === undefined) throw new UserError(`${where}: 'user_config' is for module versions (it is passed to the class's reconfigure())`);
      const common = { name: v.name, weight: v.weight, batch: v.batch && { maxBatchSize: v.batch.max_batch_size, batchWaitMs: v.batch.batch_wait_ms } };
      if (v.checkpoint !== undefined) return { ...common, checkpoint: resolve(v.checkpoint), env: v.env !== undefined && looksLikePath(v.env) ? resolve(v.env) : v.env };
      if (v.model !== undefined) return { ...common, model: resolve(v.model) };
      return { ...common, module: resolve(v.module!), userConfig: v.user_config };
    }),
  }));
}
