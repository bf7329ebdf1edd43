// Processes of a throwaway cluster, shared by the cluster tests and bench/cluster.ts: a real
// redis-server on a free loopback port without persistence, and `rl worker` processes as its machines.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

/** The package root: this file runs compiled from dist/test/cluster/. */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const redisServerPath = process.env.REDIS_SERVER_PATH ?? (spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim() || '/usr/bin/redis-server');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  port: number;
  address: string;
  client(): Redis;
  stop(): Promise<void>;
}

/** redis-server on a free loopback port, no RDB or AOF; `password` sets requirepass. */
export async function startRedis(password?: string): Promise<TestRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(password ? ['--requirepass', password] : [])];
  const server = spawn(redisServerPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${log}`)), 20_000);
    server.stdout!.on('data', () => {
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${log}`)));
  });
  const address = password ? `redis://:${password}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`;
  return {
    port,
    address,
    client: () => new Redis(address, { maxRetriesPerRequest: null }),
    stop: () => stopProcess(server),
  };
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export interface TestWorker {
  process: ChildProcess;
  output(): string;
  /** Resolves once the node has registered (its first line on stderr). */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** An `rl worker` process joined to `address`. */
export function startWorker(address: string, cpus: number, extraArgs: string[] = [], env: Record<string, string> = {}): TestWorker {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'rl.js'), 'worker', '--address', address, '--num-cpus', String(cpus), ...extraArgs], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
      if (/joined/.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`rl worker exited with ${code}:\n${output}`)));
  });
  ready.catch(() => {});
  return { process: child, output: () => output, ready, kill: (signal = 'SIGKILL') => stopProcess(child, signal) };
}

/** Polls `check` every 100 ms until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
