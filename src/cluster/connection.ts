// Connections to the cluster's Redis (ioredis, as BullMQ requires). checkReachable runs first,
// so that a wrong address or a stopped Redis is one line naming the address, not a retry loop.
import { Redis, type RedisOptions } from 'ioredis';
import { UserError, errorMessage } from '../utils/errors.js';
import { redact, type ClusterAddress } from './address.js';

/** A connection that BullMQ can use for workers too (maxRetriesPerRequest: null: commands wait for a reconnect). */
export function redisClient(address: ClusterAddress, options: RedisOptions = {}): Redis {
  const client = new Redis(address.url, { maxRetriesPerRequest: null, ...options });
  // ioredis reports each failed reconnection here (and prints it when nothing listens): a run
  // notices a lost Redis through watchRedis, which says it once.
  client.on('error', () => {});
  return client;
}

/** Whether an error is only the connection to Redis failing (watchRedis reports that once). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code ?? '') || /Connection is closed/.test(errorMessage(error));
}

/** Throws a UserError naming the address (password masked) unless Redis answers PING within timeoutMs. */
export async function checkReachable(address: ClusterAddress, timeoutMs = 5000): Promise<void> {
  const client = redisClient(address, { lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let first: unknown = null; // the socket's error (ECONNREFUSED...), not connect()'s "Connection is closed"
  client.on('error', (error) => (first ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const cause = first ?? error;
    const code = (cause as { code?: string }).code;
    const why = redact(code ?? errorMessage(cause), address);
    throw new UserError(`cannot reach Redis at ${address.display} (${why}): start redis-server there, or give the right --address (or RL_ADDRESS)`);
  } finally {
    client.disconnect();
  }
}

/** How long Redis may not answer before a run gives up on it. */
export const REDIS_LOST_AFTER_MS = 5_000;
const WATCH_PING_MS = 1_000;

export interface RedisWatch {
  stop(): void;
}

/**
 * Calls `onLost` once when Redis has not answered a PING for `lostAfterMs` (the commands of a run
 * wait for a reconnection forever, as BullMQ needs; this is what notices that Redis is gone).
 * Its own connection fails a PING at once while disconnected, and keeps reconnecting meanwhile.
 */
export function watchRedis(address: ClusterAddress, onLost: () => void, lostAfterMs = REDIS_LOST_AFTER_MS): RedisWatch {
  const client = redisClient(address, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: WATCH_PING_MS, retryStrategy: () => 500 });
  client.on('error', () => {}); // the failed PINGs say it
  let lastAnswer = Date.now();
  let lost = false;
  const timer = setInterval(() => {
    if (Date.now() - lastAnswer > lostAfterMs && !lost) {
      lost = true;
      clearInterval(timer);
      client.disconnect();
      onLost();
      return;
    }
    client.ping().then(
      () => (lastAnswer = Date.now()),
      () => {},
    );
  }, WATCH_PING_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      client.disconnect();
    },
  };
}
