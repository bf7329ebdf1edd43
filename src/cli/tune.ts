import path from 'node:path';
import type { CommandModule } from 'yargs';
import { loadTuneExperiment } from '../tune/experiment.js';
import { replayExperiment } from '../tune/pbt_replay.js';
import { resultValue } from '../config/index.js';
import { runTune, type TuneEvent, type TrialRecord } from '../tune/runner.js';
import { eventLine, finalTable, statusTable } from '../tune/report.js';
import { BACKEND_CHOICES, type BackendChoice } from '../utils/tensor_backend.js';
import { checkIntegerFlag, onInterrupt } from './common.js';
import { UserError } from '../utils/errors.js';
import { dashboardHint } from './dashboard.js';
import { ADDRESS_OPTION, exitWhenRedisLost, reachableAddress } from './cluster.js';

interface TuneArgs {
  experiment?: string;
  replay?: string;
  resume: boolean;
  'max-concurrent'?: number;
  cpus?: number;
  backend: BackendChoice;
  address?: string;
}

export const tuneCommand: CommandModule<object, TuneArgs> = {
  command: 'tune [experiment]',
  describe: 'Search hyperparameters: run the trials of an experiment file (grid and random search, ASHA, PBT)',
  builder: (yargs) =>
    yargs
      .positional('experiment', { type: 'string', describe: 'Experiment file (JSON or YAML), as tune.run takes it' })
      .option('replay', {
        type: 'string',
        describe: "Train one trial through the schedule of configs a PBT trial followed (its folder or pbt_policy.jsonl); with an experiment file, that file's run, stop and local_dir",
      })
      .option('resume', { type: 'boolean', default: false, describe: 'Continue an interrupted experiment: unfinished trials from their last checkpoints' })
      .option('max-concurrent', { type: 'number', describe: 'At most this many trials at once' })
      .option('cpus', { type: 'number', describe: "CPUs to schedule trials on [default: this machine's, or with --address the cluster's]" })
      .option('address', ADDRESS_OPTION)
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: "tfjs backend for writing the trials' checkpoints; the learners run on the WebAssembly kernel" })
      .example('$0 tune configs/tune-cartpole-grid.json', "The book's grid search (Table 3-2)")
      .example('$0 tune configs/tune-cartpole-grid.json --resume', 'Continue it after Ctrl-C')
      .example('$0 tune configs/pbt-cartpole.yaml', 'Population Based Training')
      .example('$0 tune configs/tune-cartpole-grid.json --address redis://10.0.0.5:6379', 'Run the trials on the nodes of a cluster (rl worker)')
      .example('$0 tune --replay ray_results/pbt-cartpole/PPO_CartPole-v1_00002', "Replay one PBT trial's schedule"),
  handler: async (args) => {
    checkIntegerFlag('max-concurrent', args['max-concurrent'], 1);
    checkIntegerFlag('cpus', args.cpus, 1);
    if (args.experiment === undefined && args.replay === undefined) throw new UserError('rl tune needs an experiment file (rl tune <experiment>) or --replay <trial folder>');
    const own = args.experiment === undefined ? null : loadTuneExperiment(args.experiment);
    const experiment = args.replay === undefined ? own! : replayExperiment(args.replay, own);
    const command = args.replay === undefined ? `rl tune ${args.experiment}` : `rl tune ${args.experiment ? `${args.experiment} ` : ''}--replay ${args.replay}`;
    let hinted = false; // once the experiment is checked and a trial starts: bad input stays one line
    const live = process.stderr.isTTY === true;
    let drawnLines = 0;
    const draw = (trials: TrialRecord[]) => {
      const text = statusTable(trials, experiment.metric, experiment.parameter_columns);
      process.stderr.write(`${drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[0J` : ''}${text}\n`);
      drawnLines = text.split('\n').length;
    };
    const address = await reachableAddress(args.address);
    const cluster = address ? await (await import('../cluster/remote_trials.js')).RemoteTrialLauncher.open(address) : null;
    const watch = await exitWhenRedisLost(address, () => `finished trials, results and checkpoints are kept in ${path.join(experiment.local_dir, experiment.name)}: continue with ${command} --resume once Redis is back`);
    const interrupt = onInterrupt('stopping: running trials checkpoint their last iteration', () => (drawnLines = 0));
    try {
      const outcome = await runTune(experiment, {
        resume: args.resume,
        maxConcurrent: args['max-concurrent'],
        cpus: args.cpus ?? cluster?.cpus,
        maxTrialCpus: cluster?.maxTrialCpus,
        launcher: cluster?.launcher,
        backend: args.backend,
        signal: interrupt.signal,
        onEvent: (event: TuneEvent, trials) => {
          if (!hinted) {
            hinted = true;
            process.stderr.write(dashboardHint(path.join(experiment.local_dir, experiment.name)));
          }
          if (live && !interrupt.signal.aborted) draw(trials);
          else process.stderr.write(`${eventLine(event, experiment.metric)}\n`);
        },
      });
      if (outcome.interrupted) {
        process.stderr.write(`interrupted; results in ${outcome.dir}. Continue with: ${command} --resume\n`);
        return;
      }
      process.stdout.write(`${finalTable(outcome.trials, experiment.metric, experiment.parameter_columns, outcome.best)}\n`);
      if (outcome.best) {
        process.stdout.write(`Best trial: ${outcome.best.id} (${experiment.metric} ${String(outcome.best.last_result ? resultValue(outcome.best.last_result, experiment.metric) : undefined)})\n`);
        process.stdout.write(`Best config: ${JSON.stringify(outcome.best.config)}\n`);
      }
      if (outcome.schedulerSummary) process.stderr.write(`${outcome.schedulerSummary}\n`);
      process.stderr.write(`${outcome.trials.length} trials in ${outcome.wallTimeS.toFixed(1)} s; results in ${outcome.dir}\n`);
      if (outcome.trials.some((t) => t.status === 'ERROR')) process.exitCode = 1;
    } finally {
      interrupt.dispose();
      watch?.stop();
      await cluster?.launcher.close();
    }
  },
};
