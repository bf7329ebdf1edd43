// Where a trial runs. Locally each trial is a worker thread of this process; with --address it
// is a BullMQ job that a cluster node runs (src/cluster/remote_trials.ts). The runner sees the
// same messages either way.
import { Worker } from 'node:worker_threads';
import type { RunnerMessage, TrialMessage, TrialTask } from './trial_thread.js';

export interface TrialListener {
  message(message: TrialMessage): void;
  /** The trial's thread died: what it was doing is lost. */
  crashed(message: string, stack?: string): void;
  /** On a cluster: the trial started on `node`; `restarted` when its previous node died mid-trial and it continues from its last checkpoint. */
  placed?(node: string, restarted: boolean): void;
}

export interface TrialHandle {
  send(message: RunnerMessage): void;
  /** Ends the trial's thread or job (after its end, or to give up on it). */
  stop(): void;
}

export interface TrialLauncher {
  launch(task: TrialTask, cpus: number, listener: TrialListener): TrialHandle;
}

export const threadLauncher: TrialLauncher = {
  launch(task, _cpus, listener) {
    const worker = new Worker(new URL('./trial_thread.js', import.meta.url), { workerData: task });
    worker.on('message', (message: TrialMessage) => listener.message(message));
    worker.on('error', (error) => listener.crashed(error.message, error.stack));
    worker.on('exit', (code) => listener.crashed(`trial thread exited with code ${code}`));
    return { send: (message) => worker.postMessage(message), stop: () => void worker.terminate() };
  },
};
