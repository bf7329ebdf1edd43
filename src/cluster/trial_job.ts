// A node's side of a Tune trial: the BullMQ job runs the trial in a worker thread
// (src/tune/trial_thread.ts, as rl tune does locally), in a scratch folder of this machine.
// Results go to the driver through Redis and its decisions come back the same way; each checkpoint
// is packed into Redis, where the driver copies it into its local_dir and where a re-run of the job
// (BullMQ moves the job of a node that died back to the queue) finds it to continue from.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker as Thread } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import type { RunnerMessage, TrialMessage, TrialTask } from '../tune/trial_thread.js';
import { decode, encode } from './codec.js';
import { packCheckpoint, unpackCheckpoint, type FolderBundle } from './folder_bundle.js';
import { modulesOf, refusedModule } from './modules.js';
import { attemptKey, checkpointKey, decisionsKey, driverKey, eventsKey, launchKey, RUN_KEY_TTL_S } from './keys.js';

/** A trial job's data: the trial's task without its folders, which are this machine's. */
export interface TrialJob {
  runId: string;
  launch: string;
  cpus: number;
  task: Omit<TrialTask, 'dir' | 'restore'>;
}

/** What a node tells the driver. checkpoint messages carry the entry's path relative to the trial's folder. */
export type TrialEvent =
  | { trial: string; attempt: string; type: 'start'; node: string; restored: boolean }
  | { trial: string; attempt: string; type: 'message'; message: TrialMessage; params?: unknown };

/** The driver's answers, for one attempt: abort ends it at once (the trial failed too often elsewhere). */
export type DecisionEvent = { attempt: string; message: RunnerMessage | { type: 'abort' } };

const DECISION_POLL_S = 2;

/**
 * Runs one trial job to its end. Returns 'stale' when the trial has already ended (a job of a node
 * that died after its trial finished), 'done' otherwise. `redis` is a connection this call may block on.
 */
export async function runTrialJob(job: TrialJob, node: { id: string; modules: string[] }, commands: Redis, blocking: Redis): Promise<'stale' | 'done'> {
  const { runId, task } = job;
  const nodeId = node.id;
  if ((await commands.get(launchKey(runId, task.id))) !== job.launch) return 'stale';
  const attempt = randomUUID();
  const dir = path.join(os.tmpdir(), `rl-node-${nodeId}`, runId, `${task.id}-${attempt.slice(0, 8)}`);
  mkdirSync(dir, { recursive: true });
  try {
    await commands.multi().set(attemptKey(runId, task.id), attempt, 'EX', RUN_KEY_TTL_S).del(decisionsKey(runId, task.id)).exec();
    const saved = await commands.getBuffer(checkpointKey(runId, task.id));
    const restore = saved ? unpackCheckpoint(dir, decode<FolderBundle>(saved)) : null;
    const send = async (event: TrialEvent) => {
      await commands.multi().rpush(eventsKey(runId), encode(event)).expire(eventsKey(runId), RUN_KEY_TTL_S).exec();
    };
    await send({ trial: task.id, attempt, type: 'start', node: nodeId, restored: restore !== null });
    const refused = refusedModule(modulesOf(task.run, task.config, task.module), node.modules, nodeId);
    if (refused) {
      await send({ trial: task.id, attempt, type: 'message', message: { type: 'error', message: refused } });
      return 'done';
    }
    await runThread({ ...task, dir, restore }, async (message) => {
      if (message.type === 'checkpoint') {
        const bundle = packCheckpoint(dir, message.path);
        await commands.set(checkpointKey(runId, task.id), encode(bundle), 'EX', RUN_KEY_TTL_S);
        await send({ trial: task.id, attempt, type: 'message', message: { type: 'checkpoint', path: bundle.entry } });
      } else if (message.type === 'result') {
        await send({ trial: task.id, attempt, type: 'message', message, params: paramsOf(dir) });
      } else {
        await send({ trial: task.id, attempt, type: 'message', message });
      }
    }, () => nextDecision(blocking, runId, task.id, attempt, commands));
    return 'done';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function paramsOf(dir: string): unknown {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'params.json'), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The driver's next answer for this attempt. While none comes, checks that the attempt is still the
 * trial's and that the driver is alive; if not, the trial is interrupted (it checkpoints and ends).
 */
async function nextDecision(blocking: Redis, runId: string, trialId: string, attempt: string, commands: Redis): Promise<DecisionEvent['message']> {
  for (;;) {
    const popped = await blocking.blpopBuffer(decisionsKey(runId, trialId), DECISION_POLL_S);
    if (popped) {
      const decision = decode<DecisionEvent>(popped[1]);
      if (decision.attempt === attempt) return decision.message;
      continue;
    }
    const [current, driver] = await Promise.all([commands.get(attemptKey(runId, trialId)), commands.exists(driverKey(runId))]);
    if (current !== attempt) return { type: 'abort' };
    if (driver === 0) return { type: 'interrupt' };
  }
}

/**
 * The trial thread, its messages handled one at a time (in order: a checkpoint reaches the driver
 * before the trial's end), a decision fetched after each result.
 */
function runThread(task: TrialTask, forward: (message: TrialMessage) => Promise<void>, decide: () => Promise<DecisionEvent['message']>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const thread = new Thread(new URL('../tune/trial_thread.js', import.meta.url), { workerData: task });
    let queue = Promise.resolve();
    let ended = false;
    const end = (error?: unknown) => {
      if (ended) return;
      ended = true;
      void thread.terminate();
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve();
    };
    const handle = async (message: TrialMessage) => {
      await forward(message);
      if (message.type === 'done' || message.type === 'error') return end();
      if (message.type !== 'result') return;
      const decision = await decide();
      if (decision.type === 'abort') return end();
      thread.postMessage(decision);
    };
    thread.on('message', (message: TrialMessage) => {
      queue = queue.then(() => (ended ? undefined : handle(message))).catch(end);
    });
    thread.on('error', (error) => {
      queue = queue.then(() => forward({ type: 'error', message: error.message, stack: error.stack })).then(() => end(), end);
    });
    thread.on('exit', (code) => {
      queue = queue.then(() => (ended ? undefined : forward({ type: 'error', message: `trial thread exited with code ${code}` }))).then(() => end(), end);
    });
  });
}
