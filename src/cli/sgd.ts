// `rl sgd MODULE`: data-parallel training of a TF.js model from a training module (Ray SGD).
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { CommandModule } from 'yargs';
import { readConfigLayer } from '../config/index.js';
import { runSGD } from '../sgd/run.js';
import { SGDTable } from '../report/sgd_table.js';
import { UserError } from '../utils/errors.js';
import { BACKEND_CHOICES, type BackendChoice } from '../utils/tensor_backend.js';
import { checkIntegerFlag, onInterrupt } from './common.js';

interface SGDArgs {
  module: string;
  'num-workers'?: number;
  epochs: number;
  config?: string;
  restore?: string;
  'checkpoint-dir'?: string;
  'checkpoint-freq': number;
  'keep-checkpoints-num'?: number;
  json: boolean;
  backend: BackendChoice;
}

export const sgdCommand: CommandModule<object, SGDArgs> = {
  command: 'sgd <module>',
  describe: 'Train a TF.js model data-parallel on worker threads from a training module (Ray SGD)',
  builder: (yargs) =>
    yargs
      .positional('module', { type: 'string', demandOption: true, describe: 'JS module exporting model(config), data(config), loss, optimizer(config) and optionally metrics' })
      .option('num-workers', { type: 'number', describe: 'Worker threads, each with a replica and a shard of the data [default: 1, or the restored run\'s]' })
      .option('epochs', { type: 'number', default: 5, describe: 'Epochs to train (more epochs when restoring)' })
      .option('config', { type: 'string', describe: 'Config for the creators as inline JSON or a JSON file; batch_size is the global batch' })
      .option('restore', { type: 'string', describe: 'Continue from an rl sgd checkpoint (manifest, its folder, checkpoint-N or latest)' })
      .option('checkpoint-dir', { type: 'string', describe: 'Where checkpoints, result.json, progress.csv and params.json go [default: checkpoints]' })
      .option('checkpoint-freq', { type: 'number', default: 0, describe: 'Checkpoint every N epochs (0: only at the end)' })
      .option('keep-checkpoints-num', { type: 'number', describe: 'Keep only the newest N checkpoints' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON result record per epoch instead of the table' })
      .option('backend', { choices: BACKEND_CHOICES, default: 'auto' as BackendChoice, describe: 'tfjs backend of the workers' })
      .example('$0 sgd examples/sgd/mnist-mlp.js --num-workers 2 --epochs 5 --config \'{"batch_size": 128, "lr": 0.001}\'', 'MNIST digits on 2 workers')
      .example('$0 sgd examples/sgd/behaviour-cloning.js --config \'{"data": "rollouts.jsonl"}\'', 'A policy from rl rollout --out records'),
  handler: async (args) => {
    checkIntegerFlag('num-workers', args['num-workers'], 1);
    checkIntegerFlag('epochs', args.epochs, 0);
    checkIntegerFlag('checkpoint-freq', args['checkpoint-freq'], 0);
    checkIntegerFlag('keep-checkpoints-num', args['keep-checkpoints-num'], 0);
    const config: unknown = args.config ? readConfigLayer('--config', args.config, process.cwd()).config : {};
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new UserError('--config must be a JSON object');
    const interrupt = onInterrupt('stopping after this epoch and checkpointing it');
    const bar = process.stderr.isTTY && !args.json ? new cliProgress.SingleBar({ stream: process.stderr, format: 'epoch {epoch} [{bar}] {value}/{total} steps', clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
    let barEpoch = 0;
    let table: SGDTable | null = null;
    try {
      const outcome = await runSGD({
        module: args.module,
        numWorkers: args['num-workers'],
        config: config as Record<string, unknown>,
        epochs: args.epochs,
        restore: args.restore,
        checkpointDir: args['checkpoint-dir'],
        checkpointFreq: args['checkpoint-freq'],
        keepCheckpointsNum: args['keep-checkpoints-num'],
        backend: args.backend,
        signal: interrupt.signal,
        onStart: (trainer, movedAside) => {
          if (movedAside) process.stderr.write(`an earlier run was moved to ${path.relative(process.cwd(), movedAside)}/ (nothing was overwritten)\n`);
          const { info } = trainer;
          process.stderr.write(
            `${trainer.epoch > 0 ? `Resuming after epoch ${trainer.epoch}: ` : ''}SGD on ${trainer.numWorkers} worker${trainer.numWorkers > 1 ? 's' : ''}, ` +
              `model ${JSON.stringify(info.inputShape)} -> ${JSON.stringify(info.outputShape)} (${info.parameters} parameters) on ${info.engine === 'kernel' ? 'the WebAssembly kernel' : info.engine}, global batch ${trainer.config.batch_size}, seed ${trainer.seed}\n`,
          );
          table = new SGDTable(info.metricNames, true);
          barEpoch = trainer.epoch + 1;
          if (!args.json) process.stdout.write(`${table.header()}\n`);
        },
        onProgress: (step, steps) => {
          if (!bar || steps === null) return;
          if (step === 1) bar.start(steps, 0, { epoch: barEpoch });
          bar.update(step);
        },
        onResult: (result) => {
          bar?.stop();
          barEpoch = result.epoch + 1;
          process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${table!.row(result)}\n`);
        },
      });
      process.stderr.write(`stopped: ${outcome.stoppedBy}; results in ${path.relative(process.cwd(), path.join(outcome.checkpointDir, 'result.json'))}\n`);
      if (outcome.lastCheckpoint && !args.json) process.stdout.write(`last checkpoint file: ${path.relative(process.cwd(), outcome.lastCheckpoint)}\n`);
    } finally {
      bar?.stop();
      interrupt.dispose();
    }
  },
};
