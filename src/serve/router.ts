// Serving as a library (Ray Serve's "embed it in your application"): named deployments, each
// backed by one or more checkpoints (versions) with a traffic split that can change while
// requests flow, and concurrent requests to one version answered by one batched forward pass.
import path from 'node:path';
import { CheckpointPolicy } from '../policy/checkpoint_policy.js';
import { Random } from '../utils/random.js';
import { UserError } from '../utils/errors.js';
import { checkAdminToken } from './admin_token.js';

export interface VersionSpec {
  checkpoint: string;
  weight?: number;
  /** Defaults to the checkpoint's folder name, e.g. checkpoint_20. */
  name?: string;
}

export interface DeploymentSpec {
  name: string;
  versions: VersionSpec[];
}

export interface ServeOptions {
  deployments: DeploymentSpec[];
  /** Most observations in one forward pass. */
  maxBatchSize?: number;
  /** How long a request may wait for others to join its batch (0: only those already queued). */
  batchWaitMs?: number;
  /** Seeds the traffic split and explore sampling. */
  seed?: number;
  /** When set, HTTP writes to /-/routes need `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
}

export interface Prediction {
  actions: (number | number[])[];
  version: string;
}

/** A client error: the HTTP layer answers with this status and message. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  observations: Float32Array;
  count: number;
  explore: boolean;
  resolve: (actions: (number | number[])[]) => void;
  reject: (error: unknown) => void;
}

/** Queues requests to one policy and answers them with batched forward passes. */
class BatchedPolicy {
  private queue: Pending[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private readonly rng: Random;

  constructor(
    readonly policy: CheckpointPolicy,
    private readonly maxBatchSize: number,
    private readonly batchWaitMs: number,
    seed: number,
  ) {
    this.rng = new Random(seed);
  }

  predict(observations: Float32Array, count: number, explore: boolean): Promise<(number | number[])[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ observations, count, explore, resolve, reject });
      this.queued += count;
      if (this.queued >= this.maxBatchSize) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        if (this.batchWaitMs > 0) this.timer = setTimeout(() => this.flush(), this.batchWaitMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    if (batch.length === 0) return;
    const O = this.policy.layout.observationSize;
    const A = this.policy.actionSize;
    const discrete = this.policy.action_space.type === 'Discrete';
    // Greedy and exploring requests run as two passes (exploring needs the sampler).
    for (const explore of [false, true]) {
      const group = batch.filter((p) => p.explore === explore);
      if (group.length === 0) continue;
      try {
        const total = group.reduce((n, p) => n + p.count, 0);
        const observations = new Float32Array(total * O);
        let row = 0;
        for (const p of group) {
          observations.set(p.observations, row * O);
          row += p.count;
        }
        const actions = new Float32Array(total * A);
        this.policy.computeActions(observations, total, explore, this.rng, actions);
        row = 0;
        for (const p of group) {
          const out: (number | number[])[] = [];
          for (let i = 0; i < p.count; i++, row++) out.push(discrete ? actions[row] : Array.from(actions.subarray(row * A, row * A + A)));
          p.resolve(out);
        }
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
  }
}

interface Version {
  name: string;
  checkpoint: string;
  weight: number;
  batched: BatchedPolicy;
}

interface Deployment {
  name: string;
  versions: Map<string, Version>;
  observationSize: number;
}

export class Router {
  private readonly rng: Random;

  private constructor(
    private readonly deployments: Map<string, Deployment>,
    seed: number,
    /** Guards HTTP writes to /-/routes when set (see buildServer). */
    readonly adminToken: string | undefined,
  ) {
    this.rng = new Random(seed);
  }

  static async create(options: ServeOptions): Promise<Router> {
    const maxBatchSize = options.maxBatchSize ?? 64;
    const batchWaitMs = options.batchWaitMs ?? 0;
    if (!(Number.isInteger(maxBatchSize) && maxBatchSize > 0)) throw new UserError(`max batch size must be a positive integer, got ${maxBatchSize}`);
    if (!(batchWaitMs >= 0)) throw new UserError(`batch wait must be >= 0 ms, got ${batchWaitMs}`);
    if (options.deployments.length === 0) throw new UserError('nothing to serve: give a checkpoint or --deployment name=checkpoint');
    if (options.adminToken !== undefined) checkAdminToken(options.adminToken);
    const seed = options.seed ?? 0;
    const deployments = new Map<string, Deployment>();
    for (const spec of options.deployments) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(spec.name) || spec.name === '-') throw new UserError(`deployment name '${spec.name}' must be letters, digits, '_', '.' or '-'`);
      if (deployments.has(spec.name)) throw new UserError(`deployment '${spec.name}' is given twice`);
      const versions = new Map<string, Version>();
      let observationSize = -1;
      for (const [i, v] of spec.versions.entries()) {
        const policy = await CheckpointPolicy.load(v.checkpoint);
        if (observationSize >= 0 && policy.layout.observationSize !== observationSize) {
          throw new UserError(`deployment '${spec.name}': ${v.checkpoint} takes ${policy.layout.observationSize} observation values, the others ${observationSize}`);
        }
        observationSize = policy.layout.observationSize;
        let name = v.name ?? path.basename(path.dirname(policy.manifestPath));
        if (versions.has(name)) name = `${name}-${i}`;
        versions.set(name, { name, checkpoint: policy.manifestPath, weight: v.weight ?? 1, batched: new BatchedPolicy(policy, maxBatchSize, batchWaitMs, seed + 7919 * (i + 1)) });
      }
      const problem = splitProblem(spec.name, [...versions.values()].map((v) => [v.name, v.weight]));
      if (problem) throw new UserError(problem);
      deployments.set(spec.name, { name: spec.name, versions, observationSize });
    }
    return new Router(deployments, seed, options.adminToken);
  }

  /** Every deployment's split: {deployment: {version: weight}}. */
  routes(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.deployments.values()].map((d) => [d.name, Object.fromEntries([...d.versions.values()].map((v) => [v.name, v.weight]))]));
  }

  /** Changes a deployment's split; requests already routed are unaffected, none is dropped. */
  setRoutes(deployment: string, weights: Record<string, unknown>): void {
    const d = this.deployment(deployment);
    const entries = Object.entries(weights ?? {});
    for (const [version] of entries) {
      if (!d.versions.has(version)) throw new RequestError(404, `deployment '${deployment}' has no version '${version}'; it has ${[...d.versions.keys()].join(', ')}`);
    }
    const next = new Map<string, unknown>([...d.versions.keys()].map((name) => [name, 0]));
    for (const [version, weight] of entries) next.set(version, weight);
    const problem = splitProblem(deployment, [...next.entries()]);
    if (problem) throw new RequestError(400, problem);
    for (const [name, weight] of next) d.versions.get(name)!.weight = weight as number;
  }

  observationSize(deployment: string): number {
    return this.deployment(deployment).observationSize;
  }

  /** One observation -> one action. */
  async predict(deployment: string, observation: ArrayLike<number>, options: { explore?: boolean; version?: string } = {}): Promise<{ action: number | number[]; version: string }> {
    const { actions, version } = await this.predictBatch(deployment, [observation], options);
    return { action: actions[0], version };
  }

  /** Several observations, answered by one version. */
  async predictBatch(deployment: string, observations: ArrayLike<number>[], options: { explore?: boolean; version?: string } = {}): Promise<Prediction> {
    const d = this.deployment(deployment);
    const version = options.version !== undefined ? this.pinned(d, options.version) : this.pick(d);
    const O = d.observationSize;
    const flat = new Float32Array(observations.length * O);
    observations.forEach((obs, i) => {
      if (obs.length !== O) throw new RequestError(400, `observation ${i} has ${obs.length} values; deployment '${deployment}' takes ${O}`);
      for (let k = 0; k < O; k++) {
        const value = obs[k];
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new RequestError(400, `observation ${i} value ${k} must be a finite number, got ${JSON.stringify(value)}`);
        // The policy computes in float32: 1e39 is finite in JSON but Infinity there.
        if (!Number.isFinite(Math.fround(value))) throw new RequestError(400, `observation ${i} value ${k} is ${value}, beyond the float32 range (±3.4e38) the policy computes in`);
        flat[i * O + k] = value;
      }
    });
    const actions = await version.batched.predict(flat, observations.length, options.explore === true);
    return { actions, version: version.name };
  }

  private deployment(name: string): Deployment {
    const d = this.deployments.get(name);
    if (!d) throw new RequestError(404, `no deployment '${name}'; serving ${[...this.deployments.keys()].join(', ')}`);
    return d;
  }

  private pinned(d: Deployment, name: string): Version {
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

  deploymentNames(): string[] {
    return [...this.deployments.keys()];
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

/** Ray Serve's embedding API: `const router = await serve({deployments}); await router.predict('cartpole', obs)`. */
export function serve(options: ServeOptions): Promise<Router> {
  return Router.create(options);
}
