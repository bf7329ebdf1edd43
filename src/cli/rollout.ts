import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandModule } from 'yargs';
import { CheckpointPolicy } from '../policy/checkpoint_policy.js';
import { replayPolicy, type StepRecord } from '../execution/policy_replay.js';
import { readConfigLayer, resolveConfig } from '../config/index.js';
import { renderFrame } from '../envs/render/classic.js';
import type { Env } from '../envs/env.js';
import { GifRecorder } from '../report/gif.js';
import { frameToAnsi } from '../report/terminal_frame.js';
import { colorEnabled } from '../report/style.js';
import { renderTable } from '../report/table.js';
import { displayPath } from '../checkpoint/format.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { checkOutputFile } from '../utils/output_file.js';
import { checkIntegerFlag } from './common.js';

interface RolloutArgs {
  checkpoint: string;
  steps?: number;
  episodes?: number;
  explore: boolean;
  seed?: number;
  json: boolean;
  out?: string;
  render: boolean;
  fps?: number;
  video?: string;
  config?: string;
  run?: string;
  env?: string;
  force: boolean;
}

/** RLlib makes users repeat --run and --config; here they are checked against the checkpoint. */
function checkAgainstCheckpoint(policy: CheckpointPolicy, args: RolloutArgs): void {
  const shown = displayPath(policy.manifestPath);
  if (args.run !== undefined && args.run !== policy.algorithm.name) {
    throw new UserError(`--run ${args.run} does not match ${shown}, which was trained with ${policy.algorithm.name}; drop --run`);
  }
  if (!args.config) return;
  const layer = readConfigLayer('--config', args.config, process.cwd());
  resolveConfig(policy.algorithm.config, [layer]); // unknown keys and bad values are errors here too
  const given = layer.config as Record<string, unknown>;
  const trained = policy.config as unknown as Record<string, unknown>;
  if (typeof given.env === 'string' && given.env !== trained.env && given.env !== policy.envId) {
    throw new UserError(`--config env ${given.env} does not match ${shown}, which was trained on ${policy.envId}; drop "env" from --config`);
  }
  const model = (given.model ?? {}) as Record<string, unknown>;
  const trainedModel = trained.model as Record<string, unknown>;
  for (const [key, value] of Object.entries(model)) {
    if (JSON.stringify(value) !== JSON.stringify(trainedModel[key])) {
      throw new UserError(
        `--config model.${key} is ${JSON.stringify(value)} but ${shown} was trained with ${JSON.stringify(trainedModel[key])}; drop it from --config (the checkpoint describes its model)`,
      );
    }
  }
}

export const rolloutCommand: CommandModule<object, RolloutArgs> = {
  command: 'rollout <checkpoint>',
  describe: 'Replay a trained policy from a checkpoint',
  builder: (yargs) =>
    yargs
      .positional('checkpoint', { type: 'string', demandOption: true, describe: 'Manifest file, its folder, a name such as checkpoint-20 (looked up in ./checkpoints) or latest' })
      .option('steps', { type: 'number', describe: 'Stop after this many steps, finishing the episode in progress [default: 10000]' })
      .option('episodes', { type: 'number', describe: 'Stop after this many episodes' })
      .option('explore', { type: 'boolean', default: false, describe: 'Sample actions instead of acting greedily' })
      .option('seed', { type: 'number', describe: 'Seed, for a repeatable replay' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON line per episode instead of text and table' })
      .option('out', { type: 'string', describe: 'Write every step to this JSON-lines file' })
      .option('render', { type: 'boolean', default: false, describe: 'Draw the env in the terminal' })
      .option('fps', { type: 'number', describe: "Frames per second for --render and --video [default: the env's]" })
      .option('video', { type: 'string', describe: 'Write the episodes as an animated GIF' })
      .option('config', { type: 'string', describe: 'Accepted for RLlib habits and checked against the checkpoint' })
      .option('run', { type: 'string', describe: 'Accepted for RLlib habits and checked against the checkpoint' })
      .option('env', { type: 'string', describe: 'For a checkpoint trained on a custom env module: your copy of that module (a checkpoint never runs code it names)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace an existing --out or --video file' })
      .example('$0 rollout checkpoint-20 --steps 2000', 'The book\'s replay')
      .example('$0 rollout latest --episodes 3 --video cartpole.gif', 'Record three episodes'),
  handler: async (args) => {
    checkIntegerFlag('steps', args.steps, 1);
    checkIntegerFlag('episodes', args.episodes, 1);
    if (args.fps !== undefined && !(args.fps >= 0)) throw new UserError(`--fps must be a number >= 0, got ${args.fps}`);
    const outFile = args.out === undefined ? null : checkOutputFile('--out', args.out, args.force);
    const videoFile = args.video === undefined ? null : checkOutputFile('--video', args.video, args.force);
    if (outFile && outFile === videoFile) throw new UserError('--out and --video name the same file; name two files');
    const policy = await CheckpointPolicy.load(args.checkpoint, { env: args.env });
    checkAgainstCheckpoint(policy, args);

    const recording: { gif: GifRecorder | null } = { gif: null };
    const frameFps = (env: Env) => args.fps ?? env.metadata?.render_fps ?? 30;
    let lastFrameAt = 0;
    let checkedPicture = false;
    const onFrame =
      args.render || videoFile
        ? async (env: Env) => {
            const frame = renderFrame(env);
            if (!frame) {
              if (!checkedPicture) throw new UserError(`${policy.envId} has no picture to draw; drop --render and --video`);
              return;
            }
            checkedPicture = true;
            if (videoFile) {
              recording.gif ??= new GifRecorder(frameFps(env) || 30);
              recording.gif.add(frame);
            }
            if (args.render) {
              const fps = frameFps(env);
              const wait = fps > 0 ? lastFrameAt + 1000 / fps - performance.now() : 0;
              if (wait > 0) await sleep(wait);
              lastFrameAt = performance.now();
              process.stderr.write(`\x1b[H${frameToAnsi(frame, Math.min(process.stderr.columns || 80, 120), colorEnabled(process.stderr))}\n`);
            }
          }
        : undefined;
    if (args.render) process.stderr.write('\x1b[2J');

    const tmpOut = outFile ? `${outFile}.tmp-${process.pid}` : null;
    const out = tmpOut ? createWriteStream(tmpOut) : null;
    let writeError: Error | null = null;
    out?.on('error', (error) => (writeError ??= error));
    try {
      const summary = await replayPolicy(policy, {
        steps: args.steps,
        episodes: args.episodes,
        explore: args.explore,
        seed: args.seed,
        onStep: out ? (record: StepRecord) => out.write(`${JSON.stringify(record)}\n`) : undefined,
        onEpisode: (episode) =>
          process.stdout.write(args.json ? `${JSON.stringify(episode)}\n` : `Episode #${episode.episode}: reward: ${episode.reward.toFixed(1)}\n`),
        onFrame,
      });
      if (out && tmpOut && outFile) {
        await new Promise<void>((resolve) => out.end(() => resolve()));
        if (writeError) throw new UserError(`--out ${args.out} could not be written: ${errorMessage(writeError)}`);
        renameSync(tmpOut, outFile);
      }
      if (recording.gif && videoFile) {
        try {
          recording.gif.save(videoFile);
        } catch (error) {
          throw new UserError(`--video ${args.video} could not be written: ${errorMessage(error)}`);
        }
      }
      if (!args.json) {
        const rewards = summary.episodes.map((e) => e.reward);
        const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
        process.stdout.write(
          `${renderTable(
            ['episodes', 'mean reward', 'min reward', 'max reward', 'mean length', 'steps/s'],
            [[summary.episodes.length, mean(rewards).toFixed(2), Math.min(...rewards).toFixed(1), Math.max(...rewards).toFixed(1), mean(summary.episodes.map((e) => e.length)).toFixed(1), Math.round(summary.steps / summary.seconds)]],
            ['right', 'right', 'right', 'right', 'right', 'right'],
          )}\n`,
        );
      }
      process.stderr.write(
        `replayed ${displayPath(policy.manifestPath)} (${policy.envId}, iteration ${policy.iteration}, ${args.explore ? 'sampled' : 'greedy'} actions, seed ${summary.seed})` +
          `${args.out ? `; steps in ${args.out}` : ''}${args.video ? `; ${recording.gif?.frames ?? 0} frames in ${args.video}` : ''}\n`,
      );
    } finally {
      if (tmpOut) rmSync(tmpOut, { force: true });
    }
  },
};
