// Connections to the cluster's Redis (ioredis, as BullMQ requires). checkReachable runs first,
// so that a wrong address or a stopped Redis is one line naming the address, not a retry loop.
import { Redis, type RedisOptions } from 'ioredis';
import { UserError, errorMessage } from '../utils/errors.js';
import { redact, type ClusterAddress } from './address.js';

/** A connection that BullMQ can use for workers too (maxRetriesPerRequest: null: commands wait for a reconnect). */
export function redisClient(address: ClusterAddress, options: RedisOptions = {}): Redis {
  return new Redis(address.url, { maxRetriesPerRequest: null, ...options });
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
