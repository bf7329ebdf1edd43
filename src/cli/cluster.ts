// The cluster's commands: `rl worker` (a node) and `rl status` (what the nodes run), and the
// --address flag the other commands share. The cluster's modules (BullMQ, ioredis) are imported
// when a command needs Redis, so that `rl train` without --address never loads them.
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import type { CommandModule } from 'yargs';
import { resolveAddress, type ClusterAddress } from '../cluster/address.js';
import type { RedisWatch } from '../cluster/connection.js';
import type { NodeInfo } from '../cluster/node.js';
import { renderTable } from '../report/table.js';
import { UserError } from '../utils/errors.js';
import { checkIntegerFlag } from './common.js';

export const ADDRESS_OPTION = {
  type: 'string',
  describe: 'Redis of a cluster of rl worker nodes: redis://[:PASSWORD@]HOST:PORT or rediss:// (TLS) [default: RL_ADDRESS, else this machine alone]',
} as const;

/** The --address (or RL_ADDRESS) checked to answer, or null for this machine alone. */
export async function reachableAddress(flag: string | undefined): Promise<ClusterAddress | null> {
  const address = resolveAddress(flag);
  if (address) await (await import('../cluster/connection.js')).checkReachable(address);
  return address;
}

/** The exit code of a run that lost the cluster's Redis mid-run. */
export const REDIS_LOST_EXIT_CODE = 3;

/**
 * Ends the process with one line when the cluster's Redis stops answering mid-run: `kept` says
 * what stays (every file is written whole: to a temporary name, then renamed) and how to go on.
 */
export async function exitWhenRedisLost(address: ClusterAddress | null, kept: () => string): Promise<RedisWatch | null> {
  if (!address) return null;
  const { watchRedis, REDIS_LOST_AFTER_MS } = await import('../cluster/connection.js');
  return watchRedis(address, () => {
    process.stderr.write(`rl: lost the cluster's Redis at ${address.display} (no answer for ${REDIS_LOST_AFTER_MS / 1000} s); ${kept()}\n`);
    process.exit(REDIS_LOST_EXIT_CODE);
  });
}

async function requiredAddress(flag: string | undefined, command: string): Promise<ClusterAddress> {
  const address = await reachableAddress(flag);
  if (!address) throw new UserError(`rl ${command} needs the cluster's Redis: --address redis://HOST:6379 (or set RL_ADDRESS)`);
  return address;
}

interface WorkerArgs {
  address?: string;
  'num-cpus'?: number;
  modules: string[];
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: "Be a node of a cluster: run Tune trials and rollout fragments queued in the cluster's Redis",
  builder: (yargs) =>
    yargs
      .option('address', ADDRESS_OPTION)
      .option('num-cpus', { type: 'number', describe: "CPUs this node offers [default: this machine's]" })
      .option('modules', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'A folder whose JS modules (function trainables, custom envs) jobs may name (repeatable); without it, PPO on the registered envs only',
      })
      .example('$0 worker --address redis://10.0.0.5:6379', 'Join the cluster whose Redis runs on 10.0.0.5')
      .example('$0 worker --address redis://10.0.0.5:6379 --modules ~/experiments', 'Also run trainables and env modules from ~/experiments'),
  handler: async (args) => {
    checkIntegerFlag('num-cpus', args['num-cpus'], 1);
    const missing = args.modules.find((dir) => !existsSync(dir) || !statSync(dir).isDirectory());
    if (missing !== undefined) throw new UserError(`--modules ${missing} is not a folder: give the folder holding the trainables or env modules`);
    const address = await requiredAddress(args.address, 'worker');
    const { startNode } = await import('../cluster/node.js');
    const node = await startNode(address, args['num-cpus'] ?? os.availableParallelism(), args.modules);
    const watch = await exitWhenRedisLost(address, () => 'this node stops: start rl worker again once Redis is back');
    process.stderr.write(`node ${node.info.id} with ${node.info.cpus} CPU${node.info.cpus === 1 ? '' : 's'} joined ${address.display}; Ctrl-C to leave\n`);
    await new Promise<void>((resolve) => {
      const leave = () => {
        process.once('SIGINT', () => process.exit(130));
        process.stderr.write('leaving: finishing the running jobs (Ctrl-C again to quit now; they then run on other nodes)\n');
        watch?.stop();
        void node.close().then(resolve);
      };
      process.once('SIGINT', leave);
      process.once('SIGTERM', leave);
    });
  },
};

function ago(since: number, now: number): string {
  const s = Math.max(0, Math.round((now - since) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** `ray status`'s picture: the nodes, their CPUs in use, and each running task since when. */
export function clusterStatus(nodes: NodeInfo[], display: string, now = Date.now()): string {
  const used = (node: NodeInfo) => node.running.reduce((n, r) => n + r.cpus, 0);
  const rows = nodes.flatMap((node) => {
    const head = [node.id, node.host, `${used(node)}/${node.cpus}`];
    if (node.running.length === 0) return [[...head, 'idle', '', '']];
    return node.running.map((r, i) => [...(i === 0 ? head : ['', '', '']), r.task, new Date(r.since).toISOString().slice(11, 19), ago(r.since, now)]);
  });
  const totalCpus = nodes.reduce((n, node) => n + node.cpus, 0);
  const totalUsed = nodes.reduce((n, node) => n + used(node), 0);
  return [
    `Cluster ${display}: ${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${totalUsed}/${totalCpus} CPUs in use`,
    ...(nodes.length > 0 ? [renderTable(['node', 'host', 'CPUs', 'running', 'since (UTC)', 'for'], rows)] : ['no rl worker has joined: start `rl worker --address ...` on each machine']),
  ].join('\n');
}

export const statusCommand: CommandModule<object, { address?: string; json: boolean }> = {
  command: 'status',
  describe: 'The nodes of a cluster, their CPUs and what each runs since when (as ray status)',
  builder: (yargs) => yargs.option('address', ADDRESS_OPTION).option('json', { type: 'boolean', default: false, describe: 'One JSON line per node' }),
  handler: async (args) => {
    const address = await requiredAddress(args.address, 'status');
    const [{ redisClient }, { readNodes }] = await Promise.all([import('../cluster/connection.js'), import('../cluster/status.js')]);
    const redis = redisClient(address);
    try {
      const nodes = await readNodes(redis);
      process.stdout.write(args.json ? nodes.map((n) => `${JSON.stringify(n)}\n`).join('') : `${clusterStatus(nodes, address.display)}\n`);
    } finally {
      redis.disconnect();
    }
  },
};
