// A policy checkpoint as a version: {"observation": [...]} answers {"action"}, {"observations":
// [[...], ...]} answers {"actions"}; concurrent requests share one forward pass.
import path from 'node:path';
import { CheckpointPolicy } from '../../policy/checkpoint_policy.js';
import { Random } from '../../utils/random.js';
import { Batcher, batchSettings, type BatchSettings } from '../batcher.js';
import { RequestError } from '../errors.js';
import type { CheckpointVersionSpec, LoadedVersion, ServedVersion } from '../version.js';

interface Observations {
  flat: Float32Array;
  count: number;
  explore: boolean;
  single: boolean;
}

type Action = number | number[];

/** Checks a request body against the policy's observation size; a RequestError (400) names what is wrong. */
export function parseObservations(body: unknown, observationSize: number, where: string): Observations {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestError(400, 'the body must be a JSON object: {"observation": [...]} or {"observations": [[...], ...]}');
  }
  const { observation, observations, explore } = body as Record<string, unknown>;
  if (explore !== undefined && typeof explore !== 'boolean') throw new RequestError(400, '"explore" must be true or false');
  let rows: unknown[][];
  if (Array.isArray(observation)) rows = [observation];
  else if (Array.isArray(observations) && observations.length > 0 && observations.every(Array.isArray)) rows = observations as unknown[][];
  else throw new RequestError(400, 'the body needs "observation": [numbers] or "observations": [[numbers], ...]');
  const O = observationSize;
  const flat = new Float32Array(rows.length * O);
  rows.forEach((obs, i) => {
    if (obs.length !== O) throw new RequestError(400, `observation ${i} has ${obs.length} values; ${where} takes ${O}`);
    for (let k = 0; k < O; k++) {
      const value = obs[k];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RequestError(400, `observation ${i} value ${k} must be a finite number, got ${JSON.stringify(value)}`);
      // The policy computes in float32: 1e39 is finite in JSON but Infinity there.
      if (!Number.isFinite(Math.fround(value))) throw new RequestError(400, `observation ${i} value ${k} is ${value}, beyond the float32 range (±3.4e38) the policy computes in`);
      flat[i * O + k] = value;
    }
  });
  return { flat, count: rows.length, explore: explore === true, single: Array.isArray(observation) };
}

export class CheckpointVersion implements ServedVersion {
  readonly kind = 'checkpoint';
  private readonly batcher: Batcher<Observations, Action[]>;
  private readonly rng: Random;

  constructor(
    readonly policy: CheckpointPolicy,
    /** "deployment 'cartpole'", for messages. */
    private readonly where: string,
    settings: BatchSettings,
    seed: number,
  ) {
    this.rng = new Random(seed);
    this.batcher = new Batcher((requests) => Promise.resolve(this.computeActions(requests)), settings, (r) => r.count);
  }

  get observationSize(): number {
    return this.policy.layout.observationSize;
  }

  /** Actions for observations already checked by parseObservations (what predict() sends). */
  actions(observations: Observations): Promise<Action[]> {
    return this.batcher.submit(observations);
  }

  async handle(body: unknown): Promise<unknown> {
    const observations = parseObservations(body, this.observationSize, this.where);
    return answer(observations, await this.actions(observations));
  }

  async handleBatch(bodies: unknown[]): Promise<unknown[]> {
    const requests = bodies.map((body) => parseObservations(body, this.observationSize, this.where));
    return this.computeActions(requests).map((actions, i) => answer(requests[i], actions));
  }

  async close(): Promise<void> {}

  /** Greedy and exploring requests run as two passes (exploring needs the sampler). */
  private computeActions(requests: Observations[]): Action[][] {
    const O = this.observationSize;
    const A = this.policy.actionSize;
    const discrete = this.policy.action_space.type === 'Discrete';
    const out: Action[][] = requests.map(() => []);
    for (const explore of [false, true]) {
      const group = requests.map((r, i) => [r, i] as const).filter(([r]) => r.explore === explore);
      if (group.length === 0) continue;
      const total = group.reduce((n, [r]) => n + r.count, 0);
      const observations = new Float32Array(total * O);
      let row = 0;
      for (const [r] of group) {
        observations.set(r.flat, row * O);
        row += r.count;
      }
      const actions = new Float32Array(total * A);
      this.policy.computeActions(observations, total, explore, this.rng, actions);
      row = 0;
      for (const [r, i] of group) {
        for (let k = 0; k < r.count; k++, row++) out[i].push(discrete ? actions[row] : Array.from(actions.subarray(row * A, row * A + A)));
      }
    }
    return out;
  }
}

function answer(request: Observations, actions: Action[]): Record<string, unknown> {
  return request.single ? { action: actions[0] } : { actions };
}

export async function loadCheckpointVersion(spec: CheckpointVersionSpec, where: string, defaults: BatchSettings, seed: number): Promise<LoadedVersion> {
  const policy = await CheckpointPolicy.load(spec.checkpoint, { env: spec.env });
  const settings = batchSettings(defaults, spec.batch, where);
  const served = new CheckpointVersion(policy, where, settings, seed);
  return { name: spec.name ?? path.basename(path.dirname(policy.manifestPath)), served, observationSize: served.observationSize, source: policy.manifestPath };
}
