// The thread of one SGD worker: holds a Replica and runs what the driver asks, one request at a
// time. Errors go back as values (a thrown error loses its class between threads); a worker that
// fails first tells its peers through the all-reduce, so nobody waits at a barrier for it.
import { parentPort } from 'node:worker_threads';
import { runReplicaOp, type ReplicaReply, type ReplicaRequest } from './replica_ops.js';
import type { Replica } from './replica.js';

const port = parentPort;
if (!port) throw new Error('sgd worker_thread.js runs as a worker thread');
const state: { replica: Replica | null } = { replica: null };
port.on('message', (request: ReplicaRequest) => {
  void runReplicaOp(state, request, (step, steps) => port.postMessage({ progress: { step, steps } })).then((reply: ReplicaReply) => port.postMessage(reply));
});
