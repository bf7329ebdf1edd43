import type { CommandModule } from 'yargs';
import { serve, type DeploymentSpec } from '../serve/router.js';
import { buildServer, listen } from '../serve/http.js';
import { UserError } from '../utils/errors.js';
import { logger } from '../utils/log.js';
import { checkIntegerFlag, checkPortFlag } from './common.js';

interface ServeArgs {
  checkpoint?: string;
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
}


/** name=ckpt[:weight],ckpt[:weight],... */
export function parseDeployment(value: string): DeploymentSpec {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new UserError(`--deployment ${value}: write it as name=checkpoint[:weight],checkpoint[:weight]`);
  const versions = value
    .slice(eq + 1)
    .split(',')
    .map((part) => {
      const m = /^(.*):([0-9]*\.?[0-9]+(?:e-?\d+)?)$/.exec(part);
      return m ? { checkpoint: m[1], weight: Number(m[2]) } : { checkpoint: part };
    });
  if (versions.some((v) => v.checkpoint === '')) throw new UserError(`--deployment ${value}: a version has no checkpoint path`);
  return { name: value.slice(0, eq), versions };
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve [checkpoint]',
  describe: 'Serve trained policies over HTTP, with traffic splitting between versions',
  builder: (yargs) =>
    yargs
      .positional('checkpoint', { type: 'string', describe: 'A checkpoint to serve as one deployment (see --name)' })
      .option('name', { type: 'string', default: 'default', describe: 'Deployment name for the checkpoint argument' })
      .option('deployment', { type: 'string', array: true, describe: 'name=checkpoint[:weight],checkpoint[:weight] (repeatable)' })
      .option('port', { type: 'number', default: 8000, describe: 'Port to listen on' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('max-batch-size', { type: 'number', default: 64, describe: 'Most observations answered by one forward pass' })
      .option('batch-wait-ms', { type: 'number', default: 0, describe: 'How long a request waits for others to join its batch' })
      .option('body-limit', { type: 'number', default: 1048576, describe: 'Largest request body in bytes' })
      .option('admin-token', { type: 'string', describe: 'Require "Authorization: Bearer <token>" for PUT /-/routes (default: $RL_SERVE_ADMIN_TOKEN; the variable keeps it out of `ps`)' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed for the traffic split and explore sampling' })
      .option('env', { type: 'string', describe: 'For checkpoints trained on a custom env module: your copy of that module (a checkpoint never runs code it names)' })
      .example('$0 serve checkpoints/checkpoint_20/checkpoint-20 --port 8000', 'One deployment named default')
      .example('$0 serve --deployment cartpole=checkpoints/checkpoint_20:0.9,checkpoints/checkpoint_40:0.1', 'A canary split'),
  handler: async (args) => {
    const deployments = (args.deployment ?? []).map(parseDeployment);
    if (args.checkpoint) deployments.unshift({ name: args.name, versions: [{ checkpoint: args.checkpoint }] });
    const { env } = args; // a flag given twice is refused for every command (refuseRepeatedFlags)
    if (env !== undefined) for (const d of deployments) for (const v of d.versions) v.env = env;
    checkPortFlag(args.port);
    checkIntegerFlag('body-limit', args['body-limit'], 1);
    const { host } = args;
    const adminToken = args['admin-token'] ?? process.env.RL_SERVE_ADMIN_TOKEN;
    const router = await serve({ deployments, maxBatchSize: args['max-batch-size'], batchWaitMs: args['batch-wait-ms'], seed: args.seed, adminToken });
    const app = buildServer(router, { bodyLimit: args['body-limit'] });
    const listening = await listen(app, args.port, host);
    const [first] = listening.urls;
    for (const [name, versions] of Object.entries(router.routes())) {
      process.stderr.write(`serving ${name} at ${first}/${name}: ${Object.entries(versions).map(([v, w]) => `${v} (weight ${w})`).join(', ')}\n`);
    }
    if (listening.exposed && adminToken === undefined) {
      logger.warn(
        `listening on ${host}, beyond this machine: anyone who can reach port ${listening.bound[0].port} can change the traffic split with PUT /-/routes; set RL_SERVE_ADMIN_TOKEN (or --admin-token) to require a token`,
      );
    }
    process.stdout.write(`${listening.urls.join('\n')}\n`);
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        process.stderr.write(`${signal}: finishing in-flight requests, then stopping\n`);
        app.close().then(() => resolve());
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    });
  },
};
