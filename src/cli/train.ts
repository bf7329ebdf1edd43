import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { resolvePPOConfig, type ConfigLayer } from '../config/index.js';
import { runTraining } from '../algorithms/ppo/run.js';
import { tableHeader, tableRow } from '../report/train_table.js';
import { IterationProgress } from '../report/progress.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '../utils/tensor_backend.js';

interface TrainArgs {
  env?: string;
  run: string;
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
}

/** A flag value that is inline JSON ({...}) or the path of a JSON file. */
function readJSONArg(flag: string, value: string): unknown {
  const text = value.trim().startsWith('{') ? value : existsSync(value) ? readFileSync(value, 'utf8') : null;
  if (text === null) throw new UserError(`${flag}: ${value} is neither inline JSON nor an existing file`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${flag}: ${value.trim().startsWith('{') ? 'inline JSON' : value} is not valid JSON (${errorMessage(error)})`);
  }
}

function parseStop(value: string): Record<string, number> {
  const stop = readJSONArg('--stop', value);
  if (stop === null || typeof stop !== 'object' || Array.isArray(stop)) throw new UserError('--stop must be a JSON object such as {"training_iteration": 20}');
  for (const [key, threshold] of Object.entries(stop)) {
    if (typeof threshold !== 'number') throw new UserError(`--stop: '${key}' must be a number, got ${JSON.stringify(threshold)}`);
  }
  return stop as Record<string, number>;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a policy with PPO and print a reward table per iteration',
  builder: (yargs) =>
    yargs
      .option('env', { type: 'string', describe: 'Env id (rl envs lists them) or path to a JS env module' })
      .option('run', { type: 'string', default: 'PPO', describe: 'Algorithm (PPO)' })
      .option('config', { type: 'string', describe: 'Config as inline JSON or a JSON file; RLlib PPO keys' })
      .option('stop', { type: 'string', describe: 'Stop criteria as inline JSON, e.g. {"episode_reward_mean": 400}; default 20 iterations' })
      .option('seed', { type: 'number', describe: 'Seed for a reproducible run' })
      .option('restore', { type: 'string', describe: 'Continue from a checkpoint (manifest, its folder, checkpoint-N or latest)' })
      .option('checkpoint-dir', { type: 'string', describe: 'Where checkpoints, result.json, progress.csv and params.json go [default: checkpoints]' })
      .option('checkpoint-freq', { type: 'number', default: 0, describe: 'Checkpoint every N iterations (0: only at the end)' })
      .option('checkpoint-at-end', { type: 'boolean', default: true, describe: 'Checkpoint when the run stops' })
      .option('keep-checkpoints-num', { type: 'number', describe: 'Keep only the newest N checkpoints' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON result record per iteration instead of the table' })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: 'tfjs backend for the learner' })
      .example('$0 train --env CartPole-v1', 'PPO with RLlib defaults, 20 iterations')
      .example('$0 train --config configs/ppo-cartpole.json', "The book's CartPole config")
      .example('$0 train --restore checkpoints/checkpoint_20/checkpoint-20 --stop \'{"training_iteration": 40}\'', 'Continue a run'),
  handler: async (args) => {
    if (args.run !== 'PPO') throw new UserError(`--run ${args.run} is not available; use --run PPO`);
    for (const flag of ['checkpoint-freq', 'keep-checkpoints-num'] as const) {
      const value = args[flag];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new UserError(`--${flag} must be a non-negative integer, got ${value}`);
    }
    const layers: ConfigLayer[] = [];
    if (args.config) layers.push({ source: args.config.trim().startsWith('{') ? '--config' : args.config, config: readJSONArg('--config', args.config) });
    const flags: Record<string, unknown> = {};
    if (args.env) flags.env = args.env;
    if (args.seed !== undefined) flags.seed = args.seed;
    layers.push({ source: 'command line', config: flags });
    const config = args.restore ? undefined : resolvePPOConfig(layers);
    if (config && !config.env) throw new UserError('no env given: pass --env CartPole-v1 (rl envs lists the ids) or set "env" in --config');

    const abort = new AbortController();
    const onSigint = () => {
      if (abort.signal.aborted) process.exit(130);
      abort.abort();
      process.stderr.write('\nstopping after this iteration and checkpointing it (Ctrl-C again to quit now)\n');
    };
    process.on('SIGINT', onSigint);
    const progress = new IterationProgress();
    let iteration = 0;
    try {
      const outcome = await runTraining({
        config,
        restore: args.restore,
        overrides: layers,
        stop: args.stop ? parseStop(args.stop) : undefined,
        checkpointDir: args['checkpoint-dir'],
        checkpointFreq: args['checkpoint-freq'],
        checkpointAtEnd: args['checkpoint-at-end'],
        keepCheckpointsNum: args['keep-checkpoints-num'],
        backend: args.backend,
        signal: abort.signal,
        onStart: (trainer) => {
          iteration = trainer.iteration + 1;
          const { config: c } = trainer;
          process.stderr.write(
            `${trainer.iteration > 0 ? `Resuming at iteration ${trainer.iteration}: ` : ''}PPO on ${c.env}: ${c.num_workers} rollout workers x ${c.num_envs_per_worker} envs, ` +
              `model ${JSON.stringify(c.model.fcnet_hiddens)} ${c.model.fcnet_activation}, learner on tfjs ${trainer.backend}, seed ${trainer.seed}\n`,
          );
          if (!args.json) process.stdout.write(`${tableHeader()}\n`);
        },
        onSampleProgress: (steps, total) => progress.update(iteration, steps, total),
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
      process.off('SIGINT', onSigint);
    }
  },
};
