// The cluster as the nodes' heartbeats describe it: what `rl status` prints and what the driver
// schedules trials on.
import type { Redis } from 'ioredis';
import { NODE_PATTERN } from './keys.js';
import type { NodeInfo } from './node.js';

export async function readNodes(redis: Redis): Promise<NodeInfo[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', NODE_PATTERN, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values
    .filter((v): v is string => v !== null)
    .map((v) => JSON.parse(v) as NodeInfo)
    .sort((a, b) => a.started - b.started || a.id.localeCompare(b.id));
}
