// A ReplicaThread module for replica_thread.test.ts: doubles slot 0 into slot 1; slot 0 = 7 reads
// the posted message (an array) and writes its sum; slot 0 = 9 first sleeps 80 ms (a slow
// request); a negative slot 0 throws.
import { workerData } from 'node:worker_threads';
import { serveReplica, type ReplicaChannel } from '../../src/nn/replica_thread.js';

serveReplica((workerData as { channel: ReplicaChannel }).channel, (slots, receive) => {
  if (slots[0] < 0) throw new Error('asked to fail');
  if (slots[0] === 9) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80);
  if (slots[0] === 7) slots[1] = (receive() as number[]).reduce((a, b) => a + b, 0);
  else slots[1] = 2 * slots[0];
});
