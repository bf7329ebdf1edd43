// Serving as a library (Ray Serve's "embed it in your application"): named deployments, each
// backed by one or more versions (policy checkpoints, TF.js models or the user's own modules; see
// version.ts) with a traffic split and shadow traffic that can change while requests flow.
import { Random } from '../utils/random.js';
import { UserError } from '../utils/errors.js';
import { checkAdminToken } from './admin_token.js';
import { DEFAULT_BATCH, batchSettings } from './batcher.js';
import { RequestError, VersionError } from './errors.js';
import { ReplicaPool } from './replica_pool.js';
import type { SharedRoutes } from './shared_routes.js';
import { parseAddress } from '../cluster/address.js';
import { loadVersion, type ServedVersion, type VersionSpec } from './version.js';

export { RequestError, VersionError } from './errors.js';
export type { VersionSpec, CheckpointVersionSpec, ModelVersionSpec, ModuleVersionSpec, ServedVersion } from './version.js';

export interface DeploymentSpec {
  name: string;
  versions: VersionSpec[];
  /** Shadow traffic: {version: fraction} of requests mirrored to that version, its answers discarded. */
  shadows?: Record<string, number>;
  /** Worker threads serving each of its versions (Ray Serve's num_replicas); overrides ServeOptions.numReplicas. */
  numReplicas?: number;
}

export interface ServeOptions {
  deployments: DeploymentSpec[];
  /** Most observations (or model input rows) in one forward pass; a version's own batch settings win. */
  maxBatchSize?: number;
  /** How long a request may wait for others to join its batch (0: only those already queued). */
  batchWaitMs?: number;
  /** Seeds the traffic split, shadow sampling and explore sampling. */
  seed?: number;
  /** When set, HTTP writes (PUT /-/routes, /-/shadow, /-/deployments) need `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
  /**
   * Worker threads per version (Ray Serve's num_replicas), each loading the version itself, so
   * serving uses that many cores. 1 (the default) serves in this thread.
   */
  numReplicas?: number;
  /**
   * The cluster's Redis (redis://[:password@]host:port or rediss://): every serve() and `rl serve`
   * given the same address shares its traffic splits, so changeRoutes() on one changes them all.
   */
  address?: string;
}

export interface Prediction {
  actions: (number | number[])[];
  version: string;
}

/** How a mirrored request went: `error` is set when the shadow version failed. */
export interface ShadowResult {
  deployment: string;
  version: string;
  seconds: number;
  error?: VersionError;
}

interface Version {
  name: string;
  kind: ServedVersion['kind'];
  weight: number;
  served: ServedVersion;
}

interface Deployment {
  name: string;
  versions: Map<string, Version>;
  shadows: Map<string, number>;
}

export class Router {
  private readonly rng: Random;
  /** Shadow sampling has its own stream, so mirroring never changes which version answers. */
  private readonly shadowRng: Random;
  private readonly shadowListeners: ((result: ShadowResult) => void)[] = [];
  private readonly shadowsInFlight = new Set<Promise<void>>();
  /** Set when the splits are shared through Redis (ServeOptions.address). */
  private sharedRoutes: SharedRoutes | null = null;

  private constructor(
    private readonly deployments: Map<string, Deployment>,
    seed: number,
    /** Guards HTTP writes when set (see buildServer). */
    readonly adminToken: string | undefined,
  ) {
    this.rng = new Random(seed);
    this.shadowRng = new Random(seed + 104729);
  }

  static async create(options: ServeOptions): Promise<Router> {
    const defaults = batchSettings(DEFAULT_BATCH, { maxBatchSize: options.maxBatchSize, batchWaitMs: options.batchWaitMs }, 'serve');
    if (options.deployments.length === 0) throw new UserError('nothing to serve: give a checkpoint, model folder, module or deployment file, or --deployment name=path');
    if (options.adminToken !== undefined) checkAdminToken(options.adminToken);
    const seed = options.seed ?? 0;
    const deployments = new Map<string, Deployment>();
    const loaded: ServedVersion[] = [];
    try {
      for (const spec of options.deployments) {
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.name) || spec.name === '-') throw new UserError(`deployment name '${spec.name}' must be letters, digits, '_', '.' or '-'`);
        if (deployments.has(spec.name)) throw new UserError(`deployment '${spec.name}' is given twice`);
        if (spec.versions.length === 0) throw new UserError(`deployment '${spec.name}' has no versions`);
        const replicas = spec.numReplicas ?? options.numReplicas ?? 1;
        if (!(Number.isInteger(replicas) && replicas >= 1)) throw new UserError(`deployment '${spec.name}': the number of replicas must be a positive integer, got ${replicas}`);
        const versions = new Map<string, Version>();
        let observationSize: { size: number; source: string } | null = null;
        for (const [i, v] of spec.versions.entries()) {
          const versionSeed = seed + 7919 * (i + 1);
          const version = replicas > 1 ? await ReplicaPool.start({ spec: v, deployment: spec.name, defaults, seed: versionSeed }, replicas) : await loadVersion(v, spec.name, defaults, versionSeed);
          loaded.push(version.served);
          if (version.observationSize !== undefined) {
            if (observationSize && observationSize.size !== version.observationSize) {
              throw new UserError(`deployment '${spec.name}': ${version.source} takes ${version.observationSize} observation values, ${observationSize.source} ${observationSize.size}`);
            }
            observationSize = { size: version.observationSize, source: version.source };
          }
          const name = versions.has(version.name) ? `${version.name}-${i}` : version.name;
          versions.set(name, { name, kind: version.served.kind, weight: v.weight ?? 1, served: version.served });
        }
        const problem = splitProblem(spec.name, [...versions.values()].map((v) => [v.name, v.weight]));
        if (problem) throw new UserError(problem);
        const deployment: Deployment = { name: spec.name, versions, shadows: new Map() };
        applyShadows(deployment, spec.shadows ?? {}, (status, message) => new UserError(message));
        deployments.set(spec.name, deployment);
      }
    } catch (error) {
      await Promise.all(loaded.map((v) => v.close()));
      throw error;
    }
    const router = new Router(deployments, seed, options.adminToken);
    if (options.address !== undefined) {
      try {
        const { SharedRoutes } = await import('./shared_routes.js');
        router.sharedRoutes = await SharedRoutes.connect(router, parseAddress(options.address, 'address'));
      } catch (error) {
        await router.close();
        throw error;
      }
    }
    return router;
  }

  /** Every deployment's split: {deployment: {version: weight}}. */
  routes(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.deployments.values()].map((d) => [d.name, Object.fromEntries([...d.versions.values()].map((v) => [v.name, v.weight]))]));
  }

  /** Changes a deployment's split; requests already routed are unaffected, none is dropped. */
  setRoutes(deployment: string, weights: Record<string, unknown>): void {
    const d = this.deployment(deployment);
    const entries = Object.entries(weights ?? {});
    for (const [version] of entries) this.version(d, version);
    const next = new Map<string, unknown>([...d.versions.keys()].map((name) => [name, 0]));
    for (const [version, weight] of entries) next.set(version, weight);
    const problem = splitProblem(deployment, [...next.entries()]);
    if (problem) throw new RequestError(400, problem);
    for (const [name, weight] of next) d.versions.get(name)!.weight = weight as number;
  }

  /**
   * setRoutes() for every process sharing this one's address (ServeOptions.address): stored in
   * Redis first, so that when it resolves the others have it or are receiving it.
   */
  async changeRoutes(deployment: string, weights: Record<string, unknown>): Promise<void> {
    if (this.sharedRoutes) await this.sharedRoutes.change(deployment, weights);
    else this.setRoutes(deployment, weights);
  }

  /** Every deployment's shadow traffic: {deployment: {version: fraction mirrored}}. */
  shadows(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.deployments.values()].map((d) => [d.name, Object.fromEntries(d.shadows)]));
  }

  /** Replaces a deployment's shadow traffic (Ray Serve 1.x's shadow_traffic); {} stops it. */
  setShadows(deployment: string, fractions: Record<string, unknown>): void {
    applyShadows(this.deployment(deployment), fractions, (status, message) => new RequestError(status, message));
  }

  /** Calls reconfigure(userConfig) on the deployment's versions that have it (or the one named), in place. */
  async reconfigure(deployment: string, userConfig: unknown, version?: string): Promise<string[]> {
    const d = this.deployment(deployment);
    const targets = version !== undefined ? [this.version(d, version)] : [...d.versions.values()].filter((v) => v.served.reconfigure);
    if (targets.length === 0 || !targets.every((v) => v.served.reconfigure)) {
      throw new RequestError(400, `${version !== undefined ? `version '${version}'` : `no version of deployment '${deployment}'`} takes a user_config: only a module class with reconfigure(userConfig) does`);
    }
    for (const v of targets) {
      try {
        await v.served.reconfigure!(userConfig);
      } catch (error) {
        throw new VersionError(d.name, v.name, error);
      }
    }
    return targets.map((v) => v.name);
  }

  /**
   * Answers a request body with a version chosen by weight (or the one named): what the version
   * answers; for checkpoint and model versions, an object that also names the version.
   */
  async handle(deployment: string, body: unknown, options: { version?: string } = {}): Promise<unknown> {
    return (await this.dispatch(deployment, body, options)).answer;
  }

  /** handle() that also says which version answered. */
  async dispatch(deployment: string, body: unknown, options: { version?: string } = {}): Promise<{ answer: unknown; version: string }> {
    const d = this.deployment(deployment);
    const version = options.version !== undefined ? this.version(d, options.version) : this.pick(d);
    this.mirror(d, version, body);
    let answer: unknown;
    try {
      answer = await version.served.handle(body);
    } catch (error) {
      throw error instanceof RequestError ? error : new VersionError(d.name, version.name, error);
    }
    if (version.kind !== 'module') answer = { ...(answer as object), version: version.name };
    return { answer, version: version.name };
  }

  /** One observation -> one action (checkpoint versions). */
  async predict(deployment: string, observation: ArrayLike<number>, options: { explore?: boolean; version?: string } = {}): Promise<{ action: number | number[]; version: string }> {
    const { actions, version } = await this.predictBatch(deployment, [observation], options);
    return { action: actions[0], version };
  }

  /** Several observations, answered by one version (checkpoint versions). */
  async predictBatch(deployment: string, observations: ArrayLike<number>[], options: { explore?: boolean; version?: string } = {}): Promise<Prediction> {
    const other = [...this.deployment(deployment).versions.values()].find((v) => v.kind !== 'checkpoint');
    if (other) throw new RequestError(400, `predict() answers from policy checkpoints; version '${other.name}' of deployment '${deployment}' is a ${other.kind}: use handle(deployment, body)`);
    const { answer, version } = await this.dispatch(deployment, { observations: observations.map((o) => (Array.isArray(o) ? o : Array.from(o))), explore: options.explore === true }, options);
    return { actions: (answer as { actions: (number | number[])[] }).actions, version };
  }

  /** Resolves when every mirrored request sent so far has been answered (or failed). */
  async shadowsSettled(): Promise<void> {
    while (this.shadowsInFlight.size > 0) await Promise.all(this.shadowsInFlight);
  }

  /** Called after each mirrored request, with its latency and any error. */
  onShadowResult(listener: (result: ShadowResult) => void): void {
    this.shadowListeners.push(listener);
  }

  deploymentNames(): string[] {
    return [...this.deployments.keys()];
  }

  /** Frees every version (their tensors); the router answers nothing afterwards. */
  async close(): Promise<void> {
    await this.shadowsSettled();
    await this.sharedRoutes?.close();
    await Promise.all([...this.deployments.values()].flatMap((d) => [...d.versions.values()].map((v) => v.served.close())));
  }

  /** Sends the body to the shadow versions sampled for it; nothing waits for their answers. */
  private mirror(d: Deployment, primary: Version, body: unknown): void {
    for (const [name, fraction] of d.shadows) {
      // One draw per shadow per request whichever version answers, so which requests are mirrored depends only on the seed and their order.
      const sampled = this.shadowRng.uniform() < fraction;
      if (!sampled || name === primary.name) continue;
      const shadow = d.versions.get(name)!;
      const start = process.hrtime.bigint();
      const report = (error?: VersionError) => {
        const result: ShadowResult = { deployment: d.name, version: name, seconds: Number(process.hrtime.bigint() - start) / 1e9, error };
        for (const listener of this.shadowListeners) listener(result);
      };
      const call: Promise<void> = shadow.served.handle(body).then(
        () => report(),
        (error: unknown) => report(new VersionError(d.name, name, error)),
      ).finally(() => this.shadowsInFlight.delete(call));
      this.shadowsInFlight.add(call);
    }
  }

  private deployment(name: string): Deployment {
    const d = this.deployments.get(name);
    if (!d) throw new RequestError(404, `no deployment '${name}'; serving ${[...this.deployments.keys()].join(', ')}`);
    return d;
  }

  private version(d: Deployment, name: string): Version {
    const v = d.versions.get(name);
    if (!v) throw new RequestError(404, `deployment '${d.name}' has no version '${name}'; it has ${[...d.versions.keys()].join(', ')}`);
    return v;
  }

  /** Weighted random choice of a version (seeded). */
  private pick(d: Deployment): Version {
    const versions = [...d.versions.values()];
    const total = versions.reduce((n, v) => n + v.weight, 0);
    let u = this.rng.uniform() * total;
    for (const v of versions) {
      if (u < v.weight) return v;
      u -= v.weight;
    }
    return versions.filter((v) => v.weight > 0).at(-1)!;
  }
}

/**
 * What is wrong with a traffic split, or null: every weight a finite number >= 0, their sum
 * finite (1e308 + 1e308 is Infinity, which would send all traffic to one version) and positive.
 */
function splitProblem(deployment: string, weights: [version: string, weight: unknown][]): string | null {
  for (const [version, weight] of weights) {
    // String(): JSON.stringify would show Infinity (JSON's 1e400) and NaN as null.
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      return `deployment '${deployment}': weight of '${version}' must be a finite number >= 0, got ${typeof weight === 'number' ? String(weight) : JSON.stringify(weight)}`;
    }
  }
  const total = weights.reduce((n, [, w]) => n + (w as number), 0);
  if (total === Infinity) return `weights of deployment '${deployment}' sum to Infinity: use smaller weights (only their ratios matter: 0.9 and 0.1 split as 9 and 1 do)`;
  if (!(total > 0)) return `weights of deployment '${deployment}' must sum to a positive number, got ${JSON.stringify(Object.fromEntries(weights))}`;
  return null;
}

/** Checks {version: fraction} (each a version of `d`, 0 <= fraction <= 1) and makes it d's shadow traffic. */
function applyShadows(d: Deployment, fractions: Record<string, unknown>, error: (status: number, message: string) => Error): void {
  const next = new Map<string, number>();
  for (const [version, fraction] of Object.entries(fractions)) {
    if (!d.versions.has(version)) throw error(404, `deployment '${d.name}' has no version '${version}' to shadow; it has ${[...d.versions.keys()].join(', ')}`);
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
      throw error(400, `deployment '${d.name}': the shadow fraction of '${version}' must be a number from 0 to 1, got ${typeof fraction === 'number' ? String(fraction) : JSON.stringify(fraction)}`);
    }
    if (fraction > 0) next.set(version, fraction);
  }
  d.shadows = next;
}

/** Ray Serve's embedding API: `const router = await serve({deployments}); await router.handle('greet', body)`. */
export function serve(options: ServeOptions): Promise<Router> {
  return Router.create(options);
}
