// A throwaway cluster for tests (test/cluster/processes.ts). Without redis-server the suite gets
// one test in place of its own: under CI=true it fails (CI must install redis-server, as .ci/run
// does); elsewhere one line says the cluster tests were skipped and why (the pattern of test/browser.ts).
import { existsSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { redisServerPath } from './processes.js';

export * from './processes.js';

export function hasRedis(suite: string): boolean {
  if (existsSync(redisServerPath)) return true;
  const why = `no redis-server on PATH (apt-get install -y redis-server, or set REDIS_SERVER_PATH)`;
  if (process.env.CI === 'true') {
    test(`${suite}: cluster tests need redis-server`, () => {
      throw new Error(`${suite}: cluster tests cannot run under CI=true: ${why}`);
    });
  } else {
    process.stdout.write(`skipped: ${suite}: ${why}\n`);
    test(`${suite}: cluster tests skipped because redis-server is absent`, () => expect(existsSync(redisServerPath)).toBe(false));
  }
  return false;
}

