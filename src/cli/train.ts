import path from 'node:path';
import type { CommandModule } from 'yargs';
import { checkExperimentKeys, loadExperimentFile, parseStopFlag, readConfigLayer, resolveConfig, type ConfigLayer } from '../config/index.js';
import { TUNE_KEYS } from '../tune/experiment.js';
import { runTraining } from '../training/run.js';
import { algorithmNames, getAlgorithm } from '../algorithms/registry.js';
import { tableHeader, tableRow } from '../report/train_table.js';
import { IterationProgress } from '../report/progress.js';
import { UserError } from '../utils/errors.js';
import { checkIntegerFlag, onInterrupt } from './common.js';
import { dashboardHint } from './dashboard.js';
import { BACKEND_CHOICES, type BackendChoice } from '../utils/tensor_backend.js';
import { ADDRESS_OPTION, exitWhenRedisLost, reachableAddress } from './cluster.js';

interface TrainArgs {
  file?: string;
  env?: string;
  run?: string;
  config?: string;
  stop?: string;
  seed?: number;
  restore?: string;
  'checkpoint-dir'?: string;
  'checkpoint-freq': number;
  'checkpoint-at-end': boolean;
  'keep-checkpoints-num'?: number;
  json: boolean;
  backend: BackendChoice;
  address?: string;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a policy (PPO by default) and print a reward table per iteration',
  builder: (yargs) =>
    yargs
      .option('file', { alias: 'f', type: 'string', describe: 'Experiment file (YAML or JSON) in RLlib tuned-example form: name: {env, run, stop, config}' })
      .option('env', { type: 'string', describe: 'Env id (rl envs lists them) or path to a JS env module' })
      .option('run', { type: 'string', describe: `Algorithm: ${algorithmNames().join(', ')} [default: the -f file's run, else PPO]` })
      .option('config', { type: 'string', describe: "Config as inline JSON or a JSON file; the algorithm's RLlib keys" })
      .option('stop', { type: 'string', describe: 'Stop criteria as inline JSON, e.g. {"episode_reward_mean": 400}; default 20 iterations' })
      .option('seed', { type: 'number', describe: 'Seed for a reproducible run' })
      .option('restore', { type: 'string', describe: 'Continue from a checkpoint (manifest, its folder, checkpoint-N or latest)' })
      .option('checkpoint-dir', { type: 'string', describe: 'Where checkpoints, result.json, progress.csv and params.json go [default: checkpoints]' })
      .option('checkpoint-freq', { type: 'number', default: 0, describe: 'Checkpoint every N iterations (0: only at the end)' })
      .option('checkpoint-at-end', { type: 'boolean', default: true, describe: 'Checkpoint when the run stops' })
      .option('keep-checkpoints-num', { type: 'number', describe: 'Keep only the newest N checkpoints' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON result record per iteration instead of the table' })
      .option('address', { ...ADDRESS_OPTION, describe: `${ADDRESS_OPTION.describe}: the rollout workers (num_workers > 0) sample there` })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: 'tfjs backend for writing checkpoints (LayersModel files); the learner runs on the WebAssembly kernel' })
      .example('$0 train --env CartPole-v1', 'PPO with RLlib defaults, 20 iterations')
      .example('$0 train --config configs/ppo-cartpole.json', "The book's CartPole config")
      .example('$0 train -f experiments/cartpole-ppo.yaml', 'An RLlib tuned-example file')
      .example('$0 train --restore checkpoints/checkpoint_20/checkpoint-20 --stop \'{"training_iteration": 40}\'', 'Continue a run'),
  handler: async (args) => {
    const experiment = args.file ? loadExperimentFile(args.file) : null;
    if (experiment) checkExperimentKeys(experiment, TUNE_KEYS);
    // --run wins over the file's run.
    const algorithm = args.run !== undefined ? getAlgorithm(args.run, '--run') : experiment ? getAlgorithm(experiment.run, `${experiment.source}: run`) : getAlgorithm('PPO');
    checkIntegerFlag('checkpoint-freq', args['checkpoint-freq'], 0);
    checkIntegerFlag('keep-checkpoints-num', args['keep-checkpoints-num'], 0);
    const layers: ConfigLayer[] = [];
    if (experiment) layers.push({ source: experiment.source, config: { ...experiment.config, ...(experiment.env ? { env: experiment.env } : {}) } });
    if (args.config) layers.push(readConfigLayer('--config', args.config, process.cwd()));
    const flags: Record<string, unknown> = {};
    if (args.env) flags.env = args.env;
    if (args.seed !== undefined) flags.seed = args.seed;
    layers.push({ source: 'command line', config: flags });
    const config = args.restore ? undefined : resolveConfig(algorithm.config, layers);
    if (config && !config.env) throw new UserError('no env given: pass --env CartPole-v1 (rl envs lists the ids) or set "env" in --config');

    const checkpointDir = args['checkpoint-dir'] ?? experiment?.local_dir;
    const interrupt = onInterrupt('stopping after this iteration and checkpointing it');
    const progress = new IterationProgress();
    let iteration = 0;
    const address = await reachableAddress(args.address);
    let runFolder: string | null = null;
    const watch = await exitWhenRedisLost(address, () =>
      runFolder === null ? 'nothing was trained yet' : `the checkpoints saved so far are kept in ${path.relative(process.cwd(), runFolder) || '.'}: continue from the last with rl train --restore once Redis is back`,
    );
    try {
      const outcome = await runTraining({
        // a restored run's algorithm comes from its checkpoint; one named here must agree with it
        algorithm: args.restore && args.run === undefined && !experiment ? undefined : algorithm.name,
        config,
        restore: args.restore,
        overrides: layers,
        // An experiment file without stop criteria (or with stop: {}) trains the default 20 iterations.
        stop: args.stop !== undefined ? parseStopFlag('--stop', args.stop, process.cwd()) : experiment && Object.keys(experiment.stop).length > 0 ? experiment.stop : undefined,
        stopSource: args.stop !== undefined ? '--stop' : experiment?.source,
        checkpointDir,
        checkpointDirSource: args['checkpoint-dir'] === undefined && experiment?.local_dir ? `local_dir in ${experiment.source}` : '--checkpoint-dir',
        checkpointFreq: args['checkpoint-freq'] || experiment?.checkpoint_freq || 0,
        checkpointAtEnd: args['checkpoint-at-end'] && experiment?.checkpoint_at_end !== false,
        keepCheckpointsNum: args['keep-checkpoints-num'],
        backend: args.backend,
        address,
        signal: interrupt.signal,
        onStart: (trainer, runDir) => {
          runFolder = runDir.dir;
          iteration = trainer.iteration + 1;
          if (runDir.movedAside) {
            process.stderr.write(`${path.relative(process.cwd(), runDir.dir) || '.'}/ held an earlier run: moved it to ${path.relative(process.cwd(), runDir.movedAside)}/ (nothing was overwritten)\n`);
          }
          const { config: c } = trainer;
          process.stderr.write(
            `${trainer.iteration > 0 ? `Resuming at iteration ${trainer.iteration}: ` : ''}${trainer.algorithm.name} on ${c.env}: ${c.num_workers} rollout workers x ${c.num_envs_per_worker} envs, ` +
              `model ${JSON.stringify(c.model.fcnet_hiddens)} ${c.model.fcnet_activation}, learner on wasm SIMD, seed ${trainer.seed}\n`,
          );
          process.stderr.write(dashboardHint(runDir.dir));
          if (!args.json) process.stdout.write(`${tableHeader()}\n`);
        },
        onSampleProgress: (steps, total) => progress.update(iteration, 'sampling', steps, total),
        onLearnProgress: (done, total) => progress.update(iteration, 'learning', done, total),
        onResult: (result) => {
          progress.clear();
          iteration = result.training_iteration + 1;
          process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${tableRow(result)}\n`);
        },
      });
      process.stderr.write(`stopped: ${outcome.stoppedBy}; results in ${path.relative(process.cwd(), path.join(outcome.checkpointDir, 'result.json'))}\n`);
      if (outcome.lastCheckpoint && !args.json) {
        process.stdout.write(`last checkpoint file: ${path.relative(process.cwd(), outcome.lastCheckpoint) || outcome.lastCheckpoint}\n`);
      }
    } finally {
      progress.clear();
      interrupt.dispose();
      watch?.stop();
    }
  },
};
