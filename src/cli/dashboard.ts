import path from 'node:path';
import type { CommandModule } from 'yargs';
import { resolveRoots } from '../dashboard/runs.js';
import { checkPortFlag } from './common.js';
import { UserError } from '../utils/errors.js';

interface DashboardArgs {
  dirs: string[];
  port: number;
  host: string;
  serve?: string[];
}

export const dashboardCommand: CommandModule<object, DashboardArgs> = {
  command: 'dashboard [dirs..]',
  describe: 'A local web page with the live learning curves of runs and Tune trials',
  builder: (yargs) =>
    yargs
      .positional('dirs', { type: 'string', array: true, default: [] as string[], describe: 'Folders holding runs [default: ray_results and checkpoints]' })
      .option('port', { type: 'number', default: 8265, describe: 'Port to listen on (0: any free port)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
      .option('serve', { type: 'string', array: true, describe: 'Address of a running rl serve whose request rate and latency to chart (repeatable)' })
      .example('$0 dashboard', 'Curves of the runs in ray_results and checkpoints')
      .example('$0 dashboard ray_results/tune-cartpole-grid --port 8300', 'One Tune experiment')
      .example('$0 dashboard --serve http://127.0.0.1:8000', 'Also the request rate and latency of rl serve'),
  handler: async (args) => {
    checkPortFlag(args.port);
    const serve = (args.serve ?? []).map(parseServeAddress);
    const roots = resolveRoots(args.dirs, process.cwd(), serve.length > 0);
    // Imported here: fastify is not loaded by the commands that only print dashboardHint().
    const [{ buildDashboard }, { listen }] = await Promise.all([import('../dashboard/server.js'), import('../serve/http.js')]);
    const app = buildDashboard({ roots, serve });
    const listening = await listen(app, args.port, args.host);
    process.stderr.write(`dashboard of ${roots.join(', ')}; Ctrl-C to stop\n`);
    process.stdout.write(`${listening.urls.join('\n')}\n`);
    await new Promise<void>((resolve) => {
      const shutdown = () => void app.close().then(() => resolve());
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
  },
};

function parseServeAddress(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // reported below
  }
  throw new UserError(`--serve ${value} is not an http address: give the one rl serve printed, e.g. http://127.0.0.1:8000`);
}

/** The command to watch a run in the dashboard, as train and tune print it at start. */
export function dashboardHint(dir: string): string {
  const relative = path.relative(process.cwd(), path.resolve(dir));
  const shown = relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? path.resolve(dir) : relative;
  return `watch it live: rl dashboard ${/\s/.test(shown) ? JSON.stringify(shown) : shown}\n`;
}
