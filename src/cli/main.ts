// `rl` entry point: parses the command line, runs a command, turns user errors into one line
// and exit code 2.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError, errorMessage } from '../utils/errors.js';
import { envsCommand } from './envs.js';
import { trainCommand } from './train.js';
import { rolloutCommand } from './rollout.js';
import { tuneCommand } from './tune.js';
import { serveCommand } from './serve.js';
import { dashboardCommand } from './dashboard.js';
import { sgdCommand } from './sgd.js';
import { statusCommand, workerCommand } from './cluster.js';
import { refuseRepeatedFlags } from './common.js';

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    // No dot-notation: `--stop.training_iteration 3` would reach the handlers as an object where
    // every flag is a string or number; strict mode names it as an unknown argument instead.
    const parser = yargs(argv).parserConfiguration({ 'dot-notation': false });
    await parser
      .scriptName('rl')
      .usage('$0 <command> [options]\n\nReinforcement learning for Node.js, in the spirit of Ray RLlib.')
      .command(trainCommand)
      .command(rolloutCommand)
      .command(tuneCommand)
      .command(serveCommand)
      .command(dashboardCommand)
      .command(sgdCommand)
      .command(envsCommand)
      .command(workerCommand)
      .command(statusCommand)
      .option('verbose', { type: 'boolean', default: false, describe: 'Show stack traces for errors', global: true })
      // getOptions() is yargs' API but missing from @types/yargs; it holds the running command's options
      .middleware((args) => refuseRepeatedFlags(args, (parser as unknown as { getOptions(): { array: string[] } }).getOptions().array), true)
      .demandCommand(1, 'name a command: rl --help lists them')
      .strict()
      .recommendCommands()
      .help()
      .alias('help', 'h')
      .version()
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((message, error) => {
        if (error) throw error;
        throw new UserError(`${message} (see rl --help)`);
      })
      .parseAsync();
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`rl: ${error.message}\n`);
      if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(verbose && error instanceof Error && error.stack ? `${error.stack}\n` : `rl: internal error: ${errorMessage(error)} (rerun with --verbose for the stack trace)\n`);
    process.exitCode = 1;
  }
}

await main(hideBin(process.argv));
