// The thread of one SGD worker: holds a Replica and runs what the driver asks, one request at a
// time. Errors go back as values (a thrown error loses its class between threads); a worker that
// fails first tells its peers through the all-reduce, so nobody waits at a barrier for it.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { runReplicaOp, type ReplicaReply, type ReplicaRequest } from './replica_ops.js';
import type { Replica } from './replica.js';

/**
 * At most one progress message in this long (ms), besides an epoch's first step (which starts the
 * bar) and its last: a message every step woke the driver's thread, which then took a core from the workers.
 */
const PROGRESS_MS = 100;

const port = parentPort;
if (!port) throw new Error('sgd worker_thread.js runs as a worker thread');
const state: { replica: Replica | null } = { replica: null };
let postedAt = -Infinity;
const onStep = (workerData as { reportsProgress?: boolean } | null)?.reportsProgress
  ? (step: number, steps: number | null) => {
      const now = performance.now();
      if (step !== 1 && step !== steps && now - postedAt < PROGRESS_MS) return;
      postedAt = now;
      port.postMessage({ progress: { step, steps } });
    }
  : undefined;
port.on('message', (request: ReplicaRequest) => {
  void runReplicaOp(state, request, onStep).then((reply: ReplicaReply) => port.postMessage(reply));
});
