import { existsSync, readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { resolvePPOConfig, stopReached, type ConfigLayer } from '../algorithms/ppo/config.js';
import { PPOTrainer } from '../algorithms/ppo/trainer.js';
import { tableHeader, tableRow } from '../report/train_table.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '../utils/tensor_backend.js';

interface TrainArgs {
  env?: string;
  run: string;
  config?: string;
  stop?: string;
  seed?: number;
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
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON result record per iteration instead of the table' })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: 'tfjs backend for the learner' })
      .example('$0 train --env CartPole-v1', 'PPO with RLlib defaults, 20 iterations')
      .example('$0 train --config configs/ppo-cartpole.json', "The book's CartPole config"),
  handler: async (args) => {
    if (args.run !== 'PPO') throw new UserError(`--run ${args.run} is not available; use --run PPO`);
    const layers: ConfigLayer[] = [];
    if (args.config) layers.push({ source: args.config.trim().startsWith('{') ? '--config' : args.config, config: readJSONArg('--config', args.config) });
    const flags: Record<string, unknown> = {};
    if (args.env) flags.env = args.env;
    if (args.seed !== undefined) flags.seed = args.seed;
    layers.push({ source: 'command line', config: flags });
    const config = resolvePPOConfig(layers);
    if (!config.env) throw new UserError('no env given: pass --env CartPole-v1 (rl envs lists the ids) or set "env" in --config');
    const stop = args.stop ? (readJSONArg('--stop', args.stop) as Record<string, number>) : { training_iteration: 20 };
    const trainer = await PPOTrainer.create(config, { backend: args.backend });
    process.stderr.write(`PPO on ${config.env}: ${config.num_workers} rollout workers, learner on tfjs ${trainer.backend}, seed ${trainer.seed}\n`);
    try {
      if (!args.json) process.stdout.write(`${tableHeader()}\n`);
      for (;;) {
        const result = await trainer.train();
        process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${tableRow(result)}\n`);
        const reason = stopReached(stop, result as unknown as Record<string, unknown>);
        if (reason) {
          process.stderr.write(`stopped: ${reason}\n`);
          break;
        }
      }
    } finally {
      await trainer.stop();
    }
  },
};
