// A module of the user's as a version (Ray Serve's function and class deployments). Its default
// export is an async function of the request body, or a class with call(body) and optionally
// reconfigure(userConfig); `export const batch = { maxBatchSize, batchWaitMs }` makes it take an
// array of bodies and return an array of answers (Ray Serve's @serve.batch). Only modules the user
// named (on the command line, in a deployment file they named, or in code) are imported.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { UserError, errorMessage } from '../../utils/errors.js';
import { Batcher, batchSettings, type BatchSettings } from '../batcher.js';
import type { LoadedVersion, ModuleVersionSpec, ServedVersion } from '../version.js';

type Call = (body: unknown) => unknown;

interface HandlerInstance {
  call: Call;
  reconfigure?: (userConfig: unknown) => unknown;
}

const batchExport = z.strictObject({ maxBatchSize: z.number().int().positive().optional(), batchWaitMs: z.number().nonnegative().optional() });

export class ModuleVersion implements ServedVersion {
  readonly kind = 'module';
  private readonly batcher: Batcher<unknown, unknown> | null;

  constructor(
    private readonly target: HandlerInstance,
    /** Set when the module exports `batch`: calls then take and return arrays. */
    batch: BatchSettings | null,
  ) {
    this.batcher = batch && new Batcher((bodies) => this.callBatch(bodies), batch);
    if (typeof target.reconfigure !== 'function') this.reconfigure = undefined;
  }

  handle(body: unknown): Promise<unknown> {
    return this.batcher ? this.batcher.submit(body) : this.callOne(body);
  }

  handleBatch(bodies: unknown[]): Promise<unknown[]> {
    return this.batcher ? this.callBatch(bodies) : Promise.all(bodies.map((body) => this.callOne(body)));
  }

  reconfigure?: (userConfig: unknown) => Promise<void> = async (userConfig) => {
    await this.target.reconfigure!(userConfig);
  };

  async close(): Promise<void> {}

  private async callOne(body: unknown): Promise<unknown> {
    return this.target.call(body);
  }

  private async callBatch(bodies: unknown[]): Promise<unknown[]> {
    return (await this.target.call(bodies)) as unknown[];
  }
}

/** `shown` is "deployment 'x': module <path as given>". */
async function importModule(file: string, shown: string): Promise<Record<string, unknown>> {
  if (!existsSync(file)) throw new UserError(`${shown} not found${shown.endsWith(file) ? '' : ` (looked for ${file})`}`);
  if (!statSync(file).isFile()) throw new UserError(`${shown} is not a file; name a .js or .mjs module`);
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`${shown} could not be loaded: ${errorMessage(error)}`);
  }
}

/** A class has call() on its prototype; anything else callable is a function handler. */
function isHandlerClass(exported: (...args: unknown[]) => unknown): boolean {
  return typeof (exported.prototype as { call?: unknown } | undefined)?.call === 'function';
}

export async function loadModuleVersion(spec: ModuleVersionSpec, where: string, defaults: BatchSettings): Promise<LoadedVersion> {
  const file = path.resolve(spec.module);
  const shown = `${where}: module ${spec.module}`;
  const module = await importModule(file, shown);
  const exported = module.default;
  if (typeof exported !== 'function') {
    throw new UserError(`${shown} has no default export to serve: export default an async function of the request body, or a class with call(body)`);
  }
  let target: HandlerInstance;
  if (isHandlerClass(exported as (...args: unknown[]) => unknown)) {
    try {
      target = new (exported as new () => HandlerInstance)();
    } catch (error) {
      throw new UserError(`${shown}: its class's constructor threw: ${errorMessage(error)}`);
    }
  } else {
    target = { call: exported as Call };
  }
  let batch: BatchSettings | null = null;
  if (module.batch !== undefined) {
    const parsed = batchExport.safeParse(module.batch);
    if (!parsed.success) throw new UserError(`${shown}: 'batch' must be { maxBatchSize: a positive integer, batchWaitMs: a number >= 0 }, got ${JSON.stringify(module.batch)}`);
    batch = batchSettings(batchSettings(defaults, parsed.data, shown), spec.batch, shown);
  } else if (spec.batch !== undefined) {
    throw new UserError(`${shown} takes one body per call (it exports no 'batch'): remove the batch settings, or export const batch = { maxBatchSize, batchWaitMs } and take an array of bodies`);
  }
  const served = new ModuleVersion(target, batch);
  if (spec.userConfig !== undefined) {
    if (!served.reconfigure) throw new UserError(`${shown} has a user_config but no reconfigure(userConfig) to take it: export default a class with reconfigure(), or remove user_config`);
    try {
      await served.reconfigure(spec.userConfig);
    } catch (error) {
      throw new UserError(`${shown}: reconfigure() threw on its user_config: ${errorMessage(error)}`);
    }
  }
  return { name: spec.name ?? path.basename(file).replace(/\.[cm]?js$/, ''), served, source: file };
}
