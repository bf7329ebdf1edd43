import { describe, expect, test } from '@jest/globals';
import { parseAddress, redact, resolveAddress } from '../../src/cluster/address.js';
import { rl, userErrorOf } from '../helpers.js';
import { freePort } from './redis.js';

describe('cluster address', () => {
  test('redis:// and rediss:// with a password: the URL for ioredis, the password masked for display', () => {
    const address = parseAddress('redis://:s3cret@10.0.0.5:6379');
    expect(address.url).toBe('redis://:s3cret@10.0.0.5:6379');
    expect(address.display).toBe('redis://:***@10.0.0.5:6379');
    expect(parseAddress('rediss://cache.example.com:6380/2').display).toBe('rediss://cache.example.com:6380/2');
    expect(redact('auth failed for s3cret', address)).toBe('auth failed for ***');
  });

  test('anything else is one line naming the forms, never echoing a password', () => {
    for (const bad of ['http://host:6379', 'host:6379', 'redis://', 'redis://:pw@host:6379/keys']) {
      const message = userErrorOf(() => parseAddress(bad)).message;
      expect(message).toMatch(/redis:\/\/HOST:PORT|database number/);
      expect(message).not.toContain(':pw@');
    }
  });

  test('the flag wins over RL_ADDRESS, which wins over nothing', () => {
    expect(resolveAddress('redis://a:1', { RL_ADDRESS: 'redis://b:2' })!.display).toBe('redis://a:1');
    expect(resolveAddress(undefined, { RL_ADDRESS: 'redis://b:2' })!.display).toBe('redis://b:2');
    expect(resolveAddress(undefined, {})).toBeNull();
    expect(userErrorOf(() => resolveAddress(undefined, { RL_ADDRESS: 'nope' })).message).toMatch(/^RL_ADDRESS nope/);
  });

  test('Redis unreachable at start: one line naming the address with the password masked, exit 2', async () => {
    const port = await freePort(); // nothing listens there
    for (const args of [
      ['status', '--address', `redis://:hunter2@127.0.0.1:${port}`],
      ['worker', '--address', `redis://:hunter2@127.0.0.1:${port}`],
      ['tune', 'configs/tune-cartpole-grid.json', '--address', `redis://:hunter2@127.0.0.1:${port}`],
    ]) {
      const { code, stdout, stderr } = rl(args);
      expect(code).toBe(2);
      expect(stderr).toBe(`rl: cannot reach Redis at redis://:***@127.0.0.1:${port} (ECONNREFUSED): start redis-server there, or give the right --address (or RL_ADDRESS)\n`);
      expect(stdout + stderr).not.toContain('hunter2');
    }
    const fromEnv = rl(['status'], { RL_ADDRESS: `redis://127.0.0.1:${port}` });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
  }, 180_000);

  test('rl worker and rl status without an address say how to give one', () => {
    const { code, stderr } = rl(['status'], { RL_ADDRESS: '' });
    expect(code).toBe(2);
    expect(stderr).toBe('rl: rl status needs the cluster\'s Redis: --address redis://HOST:6379 (or set RL_ADDRESS)\n');
  });
});
