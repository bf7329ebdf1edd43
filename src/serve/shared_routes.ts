// Traffic splits shared by every `rl serve` given the same --address (the canary case across
// machines): each deployment's split lives in the cluster's Redis with a version number (a hash,
// rl:serve:routes), and every change is published on a channel of the same name. A process
// applies a split whose version is newer than the one it has; on start (and after Redis comes
// back) it adopts the stored splits, storing its own for deployments that have none yet. While
// Redis is away the process serves with the split it has, and PUT /-/routes answers 503.
import type { Redis } from 'ioredis';
import { redact, type ClusterAddress } from '../cluster/address.js';
import { checkReachable, redisClient } from '../cluster/connection.js';
import { errorMessage } from '../utils/errors.js';
import { logger } from '../utils/log.js';
import { RequestError } from './errors.js';

export const ROUTES_KEY = 'rl:serve:routes';
const ROUTES_CHANNEL = ROUTES_KEY;

interface StoredSplit {
  deployment: string;
  version: number;
  weights: Record<string, number>;
}

/**
 * Stores ARGV[2] (weights JSON) as deployment ARGV[1]'s split with the next version number and
 * publishes it; with ARGV[3] = 'if-absent', a split already stored is kept. Returns what is stored.
 * One script, so that two processes changing one deployment at once get distinct versions.
 */
const STORE_SCRIPT = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and ARGV[3] == 'if-absent' then return old end
local version = 1
if old then version = cjson.decode(old).version + 1 end
local entry = '{"deployment":' .. cjson.encode(ARGV[1]) .. ',"version":' .. version .. ',"weights":' .. ARGV[2] .. '}'
redis.call('HSET', KEYS[1], ARGV[1], entry)
redis.call('PUBLISH', KEYS[2], entry)
return entry`;

/** What SharedRoutes needs of a Router. */
export interface RouteTable {
  routes(): Record<string, Record<string, number>>;
  /** Validates and applies a split; throws a RequestError if it is not one. */
  setRoutes(deployment: string, weights: Record<string, unknown>): void;
}

export class SharedRoutes {
  /** The version of each deployment's split applied here. */
  private readonly applied = new Map<string, number>();
  private lostWarned = false;

  private constructor(
    private readonly table: RouteTable,
    private readonly address: ClusterAddress,
    private readonly commands: Redis,
    private readonly subscriber: Redis,
  ) {}

  /** Joins the shared table: adopts the stored splits, stores this process's for the rest, and follows changes. */
  static async connect(table: RouteTable, address: ClusterAddress): Promise<SharedRoutes> {
    await checkReachable(address);
    // A PUT while Redis is away fails after one reconnection attempt instead of waiting for it.
    const shared = new SharedRoutes(table, address, redisClient(address, { maxRetriesPerRequest: 1 }), redisClient(address));
    for (const client of [shared.commands, shared.subscriber]) client.on('error', (error: Error) => shared.lost(error));
    shared.subscriber.on('message', (_channel: string, message: string) => shared.receive(message));
    await shared.subscriber.subscribe(ROUTES_CHANNEL);
    await shared.sync();
    // ioredis subscribes again after a reconnection; changes made meanwhile are read from the hash.
    shared.subscriber.on('ready', () => {
      if (shared.lostWarned) logger.info(`Redis at ${address.display} is back: routes are shared again`);
      shared.lostWarned = false;
      shared.sync().catch((error: unknown) => shared.lost(error));
    });
    return shared;
  }

  /** Changes a split here and everywhere: validated and applied here first; if Redis cannot store it, undone here and a 503. */
  async change(deployment: string, weights: Record<string, unknown>): Promise<void> {
    const before = this.table.routes()[deployment];
    this.table.setRoutes(deployment, weights);
    try {
      this.receive(await this.store(deployment, 'always'));
    } catch {
      if (before) this.table.setRoutes(deployment, before);
      throw new RequestError(503, `cannot share the new split: Redis at ${this.address.display} does not answer; nothing changed: retry once it is back`);
    }
  }

  async close(): Promise<void> {
    for (const client of [this.commands, this.subscriber]) client.disconnect();
  }

  /** Adopts every stored split of a deployment served here; stores this process's where none is stored. */
  private async sync(): Promise<void> {
    // A Redis that restarted empty numbers versions from 1 again.
    this.applied.clear();
    for (const deployment of Object.keys(this.table.routes())) this.receive(await this.store(deployment, 'if-absent'));
  }

  private async store(deployment: string, when: 'always' | 'if-absent'): Promise<string> {
    return (await this.commands.eval(STORE_SCRIPT, 2, ROUTES_KEY, ROUTES_CHANNEL, deployment, JSON.stringify(this.table.routes()[deployment]), when)) as string;
  }

  /** Applies a stored split that is newer than the one applied here, for a deployment served here. */
  private receive(message: string): void {
    let split: StoredSplit;
    try {
      split = JSON.parse(message) as StoredSplit;
    } catch {
      return;
    }
    if (!(split.deployment in this.table.routes()) || split.version <= (this.applied.get(split.deployment) ?? 0)) return;
    this.applied.set(split.deployment, split.version);
    try {
      this.table.setRoutes(split.deployment, split.weights);
    } catch (error) {
      logger.warn(`the shared split of deployment '${split.deployment}' does not fit this process (${errorMessage(error)}); keeping its own split ${JSON.stringify(this.table.routes()[split.deployment])}`);
    }
  }

  private lost(error: unknown): void {
    if (this.lostWarned) return;
    this.lostWarned = true;
    logger.warn(`lost Redis at ${this.address.display} (${redact(errorMessage(error), this.address)}): serving with the current split; PUT /-/routes answers 503 until it is back`);
  }
}
