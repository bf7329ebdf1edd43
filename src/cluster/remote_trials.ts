// The driver's side of Tune trials on a cluster: each launch is a BullMQ job that some node
// takes; the node's messages come back through a Redis list and are handed to the runner as a
// trial thread's would be. The driver writes the trial's result files itself (result.json,
// progress.csv, params.json in its local_dir) and copies each checkpoint there, as Ray Tune syncs
// trial folders to the driver.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ClusterAddress } from './address.js';
import { isConnectionError, redisClient } from './connection.js';
import { decode, encode } from './codec.js';
import { packCheckpoint, unpackCheckpoint, type FolderBundle } from './folder_bundle.js';
import { attemptKey, checkpointKey, decisionsKey, driverKey, eventsKey, launchKey, RUN_KEY_TTL_S, TRIAL_QUEUE } from './keys.js';
import type { DecisionEvent, TrialEvent, TrialJob } from './trial_job.js';
import type { TrialHandle, TrialLauncher, TrialListener } from '../tune/trial_launcher.js';
import type { RunnerMessage, TrialTask } from '../tune/trial_thread.js';
import { ResultWriter } from '../metrics/result_writer.js';
import { pruneCheckpoints } from '../checkpoint/resolve.js';
import { UserError, errorMessage } from '../utils/errors.js';
import { readNodes } from './status.js';
import { logger } from '../utils/log.js';

interface Launched {
  task: TrialTask;
  listener: TrialListener;
  jobId: string;
  attempt: string | null;
  starts: number;
  restored: boolean;
  writer: ResultWriter | null;
  interruptWaiting: boolean;
}

const DRIVER_HEARTBEAT_MS = 5_000;

export class RemoteTrialLauncher implements TrialLauncher {
  readonly runId = randomUUID();
  private readonly launched = new Map<string, Launched>();
  private launches = 0;
  private closed = false;
  private readonly pumping: Promise<void>;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    private readonly commands: Redis,
    private readonly blocking: Redis,
    private readonly queue: Queue,
  ) {
    const beat = () => commands.set(driverKey(this.runId), String(process.pid), 'EX', Math.ceil((3 * DRIVER_HEARTBEAT_MS) / 1000));
    void beat();
    this.heartbeat = setInterval(() => void beat().catch(() => {}), DRIVER_HEARTBEAT_MS);
    this.pumping = this.pump();
  }

  /** Opens the run on the cluster at `address`, with the CPUs of the nodes there now (Tune's accounting across nodes). */
  static async open(address: ClusterAddress): Promise<{ launcher: RemoteTrialLauncher; cpus: number; maxTrialCpus: number }> {
    const commands = redisClient(address);
    const nodes = await readNodes(commands);
    if (nodes.length === 0) {
      commands.disconnect();
      throw new UserError(`no rl worker has joined the cluster at ${address.display}: start \`rl worker --address ${address.display}\` on each machine first`);
    }
    const queue = new Queue(TRIAL_QUEUE, { connection: commands });
    queue.on('error', () => {}); // a lost connection is reported once, by watchRedis
    const launcher = new RemoteTrialLauncher(commands, redisClient(address), queue);
    return { launcher, cpus: nodes.reduce((n, node) => n + node.cpus, 0), maxTrialCpus: Math.max(...nodes.map((node) => node.cpus)) };
  }

  launch(task: TrialTask, cpus: number, listener: TrialListener): TrialHandle {
    const jobId = `${this.runId}.${task.id}.${++this.launches}`;
    const state: Launched = { task, listener, jobId, attempt: null, starts: 0, restored: false, writer: null, interruptWaiting: false };
    this.launched.set(task.id, state);
    const { dir: _dir, restore, ...portable } = task;
    void (async () => {
      const trial = (key: (run: string, trial: string) => string) => key(this.runId, task.id);
      const setup = this.commands.multi().set(trial(launchKey), jobId, 'EX', RUN_KEY_TTL_S).del(trial(decisionsKey));
      if (restore) setup.set(trial(checkpointKey), encode(packCheckpoint(task.dir, restore)), 'EX', RUN_KEY_TTL_S);
      else setup.del(trial(checkpointKey));
      await setup.exec();
      const job: TrialJob = { runId: this.runId, launch: jobId, cpus, task: portable };
      await this.queue.add('trial', job, { jobId, removeOnComplete: true, removeOnFail: true });
    })().catch((error: Error) => listener.crashed(`could not queue the trial: ${errorMessage(error)}`, error.stack));
    return { send: (message) => void this.send(state, message), stop: () => void this.stop(state) };
  }

  private async send(state: Launched, message: RunnerMessage): Promise<void> {
    if (state.attempt === null) {
      if (message.type !== 'interrupt') return;
      // Not started yet: take the job back; if a node has just taken it, interrupt once it says so.
      if ((await this.queue.remove(state.jobId)) === 1) state.listener.message({ type: 'done', interrupted: true });
      else state.interruptWaiting = true;
      return;
    }
    const key = decisionsKey(this.runId, state.task.id);
    await this.commands.multi().rpush(key, encode({ attempt: state.attempt, message } satisfies DecisionEvent)).expire(key, RUN_KEY_TTL_S).exec();
  }

  /** The trial ended, or the runner gave up on it: its keys go, so that neither a re-run of its job nor its old node runs it on. */
  private async stop(state: Launched): Promise<void> {
    if (this.launched.get(state.task.id) !== state) return;
    this.launched.delete(state.task.id);
    const trial = (key: (run: string, trial: string) => string) => key(this.runId, state.task.id);
    await this.commands.del(trial(launchKey), trial(attemptKey), trial(checkpointKey), trial(decisionsKey));
    await this.queue.remove(state.jobId).catch(() => 0); // still waiting, or locked by a node (which then sees its attempt gone)
  }

  private async pump(): Promise<void> {
    while (!this.closed) {
      let popped: [Buffer, Buffer] | null;
      try {
        popped = await this.blocking.blpopBuffer(eventsKey(this.runId), 1);
      } catch (error) {
        if (!this.closed && !isConnectionError(error)) logger.warn(`cluster events: ${errorMessage(error)}`);
        continue;
      }
      if (!popped) continue;
      const event = decode<TrialEvent>(popped[1]);
      const state = this.launched.get(event.trial);
      if (!state) continue;
      try {
        await this.handle(state, event);
      } catch (error) {
        state.listener.crashed(errorMessage(error), error instanceof Error ? error.stack : undefined);
      }
    }
  }

  private async handle(state: Launched, event: TrialEvent): Promise<void> {
    if (event.type === 'start') {
      state.attempt = event.attempt;
      state.starts += 1;
      state.restored = event.restored;
      state.writer = null;
      state.listener.placed?.(event.node, state.starts > 1);
      if (state.interruptWaiting) await this.send(state, { type: 'interrupt' });
      return;
    }
    if (event.attempt !== state.attempt) return; // from a node since replaced
    const { message } = event;
    if (message.type === 'result') {
      // A re-run from a checkpoint reports from the iteration after it: the files keep the rows up to there.
      if (!state.writer) {
        state.writer = new ResultWriter(state.task.dir);
        const iteration = message.result.training_iteration;
        state.writer.start(event.params ?? state.task.config, state.restored && typeof iteration === 'number' ? iteration - 1 : null);
      }
      state.writer.write(message.result);
      state.listener.message(message);
    } else if (message.type === 'checkpoint') {
      const saved = await this.commands.getBuffer(checkpointKey(this.runId, state.task.id));
      if (!saved) return;
      const entry = unpackCheckpoint(state.task.dir, decode<FolderBundle>(saved));
      if (state.task.keepCheckpointsNum) pruneCheckpoints(state.task.dir, state.task.keepCheckpointsNum, [path.dirname(entry)]);
      state.listener.message({ type: 'checkpoint', path: entry });
    } else {
      state.listener.message(message);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.pumping;
    await this.commands.del(driverKey(this.runId), eventsKey(this.runId));
    await this.queue.close();
    this.commands.disconnect();
    this.blocking.disconnect();
  }
}
