import type { CommandModule } from 'yargs';
import { serve, type DeploymentSpec } from '../serve/router.js';
import { readDeploymentFile } from '../serve/deployment_file.js';
import { versionSpecFromPath } from '../serve/version.js';
import { UserError } from '../utils/errors.js';
import { logger } from '../utils/log.js';
import { checkIntegerFlag, checkPortFlag } from './common.js';
import { ADDRESS_OPTION } from './cluster.js';
import { resolveAddress } from '../cluster/address.js';

interface ServeArgs {
  target?: string;
  name: string;
  deployment?: string[];
  port: number;
  host: string;
  'max-batch-size': number;
  'batch-wait-ms': number;
  'body-limit': number;
  'admin-token'?: string;
  seed: number;
  env?: string;
  'num-replicas': number;
  address?: string;
}

/** name=path[:weight],path[:weight],... where each path is a checkpoint, model folder or module. */
export function parseDeployment(value: string): DeploymentSpec {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new UserError(`--deployment ${value}: write it as name=path[:weight],path[:weight] (checkpoints, model folders or .js modules)`);
  const versions = value
    .slice(eq + 1)
    .split(',')
    .map((part) => {
      const m = /^(.*):([0-9]*\.?[0-9]+(?:e-?\d+)?)$/.exec(part);
      return m ? { path: m[1], weight: Number(m[2]) } : { path: part };
    });
  if (versions.some((v) => v.path === '')) throw new UserError(`--deployment ${value}: a version has no path`);
  return { name: value.slice(0, eq), versions: versions.map((v) => ({ ...versionSpecFromPath(v.path), weight: v.weight })) };
}

const isDeploymentFile = (target: string) => /\.ya?ml$/i.test(target);

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve [target]',
  describe: 'Serve policies, TF.js models or your own handler modules over HTTP, with traffic splitting and shadow traffic',
  builder: (yargs) =>
    yargs
      .positional('target', { type: 'string', describe: 'A deployment file (.yaml), or one checkpoint, model folder or .js module served as one deployment (see --name)' })
      .option('name', { type: 'string', default: 'default', describe: 'Deployment name for a checkpoint, model or module argument' })
      .option('deployment', { type: 'string', array: true, describe: 'name=path[:weight],path[:weight] (repeatable; checkpoints, model folders or .js modules)' })
      .option('port', { type: 'number', default: 8000, describe: 'Port to listen on' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('max-batch-size', { type: 'number', default: 64, describe: 'Most observations (or model input rows) answered by one forward pass' })
      .option('batch-wait-ms', { type: 'number', default: 0, describe: 'How long a request waits for others to join its batch' })
      .option('body-limit', { type: 'number', default: 1048576, describe: 'Largest request body in bytes' })
      .option('admin-token', { type: 'string', describe: 'Require "Authorization: Bearer <token>" for every PUT /-/... (default: $RL_SERVE_ADMIN_TOKEN; the variable keeps it out of `ps`)' })
      .option('num-replicas', { type: 'number', default: 1, describe: 'Worker threads serving each version (Ray Serve\'s num_replicas): use every core; a deployment file\'s num_replicas wins' })
      .option('address', { ...ADDRESS_OPTION, describe: `${ADDRESS_OPTION.describe}: every rl serve given it shares its traffic splits, so PUT /-/routes on one changes them all` })
      .option('seed', { type: 'number', default: 0, describe: 'Seed for the traffic split, shadow sampling and explore sampling' })
      .option('env', { type: 'string', describe: 'For checkpoints trained on a custom env module: your copy of that module (a checkpoint never runs code it names)' })
      .example('$0 serve checkpoints/checkpoint_20/checkpoint-20 --port 8000', 'One deployment named default')
      .example('$0 serve --deployment cartpole=checkpoints/checkpoint_20:0.9,checkpoints/checkpoint_40:0.1', 'A canary split')
      .example('$0 serve ./handler.js --name greet', 'Your own function or class')
      .example('$0 serve checkpoints/checkpoint_20 --num-replicas 4', 'Four worker threads answer, so serving uses four cores')
      .example('$0 serve serve.yaml --address redis://10.0.0.5:6379', 'Share the traffic splits with every rl serve given this address')
      .example('$0 serve serve.yaml', 'Deployments, versions, shadows and user_config from a file'),
  handler: async (args) => {
    const deployments = (args.deployment ?? []).map(parseDeployment);
    const { target } = args;
    if (target !== undefined && isDeploymentFile(target)) deployments.unshift(...readDeploymentFile(target));
    else if (target !== undefined) deployments.unshift({ name: args.name, versions: [versionSpecFromPath(target)] });
    const { env } = args; // a flag given twice is refused for every command (refuseRepeatedFlags)
    if (env !== undefined) for (const d of deployments) for (const v of d.versions) if ('checkpoint' in v) v.env ??= env;
    checkPortFlag(args.port);
    checkIntegerFlag('body-limit', args['body-limit'], 1);
    checkIntegerFlag('num-replicas', args['num-replicas'], 1);
    const { host } = args;
    const adminToken = args['admin-token'] ?? process.env.RL_SERVE_ADMIN_TOKEN;
    const address = resolveAddress(args.address);
    const router = await serve({ deployments, maxBatchSize: args['max-batch-size'], batchWaitMs: args['batch-wait-ms'], seed: args.seed, adminToken, numReplicas: args['num-replicas'], address: address?.url });
    const { buildServer, listen } = await import('../serve/http.js'); // fastify, loaded by rl serve alone
    const app = buildServer(router, { bodyLimit: args['body-limit'] });
    const listening = await listen(app, args.port, host).catch(async (error: unknown) => {
      await router.close();
      throw error;
    });
    const [first] = listening.urls;
    const shadows = router.shadows();
    for (const [name, versions] of Object.entries(router.routes())) {
      const mirrored = Object.entries(shadows[name]).map(([v, f]) => `${v} (shadow, ${f} of requests)`);
      process.stderr.write(`serving ${name} at ${first}/${name}: ${[...Object.entries(versions).map(([v, w]) => `${v} (weight ${w})`), ...mirrored].join(', ')}\n`);
    }
    if (address) process.stderr.write(`sharing the traffic splits with every rl serve given ${address.display}\n`);
    if (listening.exposed && adminToken === undefined) {
      logger.warn(
        `listening on ${host}, beyond this machine: anyone who can reach port ${listening.bound[0].port} can change the traffic split, shadow traffic and user_config with PUT /-/routes, /-/shadow and /-/deployments; set RL_SERVE_ADMIN_TOKEN (or --admin-token) to require a token`,
      );
    }
    process.stdout.write(`${listening.urls.join('\n')}\n`);
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        process.stderr.write(`${signal}: finishing in-flight requests, then stopping\n`);
        app
          .close()
          .then(() => router.close())
          .then(() => resolve());
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
  },
};
