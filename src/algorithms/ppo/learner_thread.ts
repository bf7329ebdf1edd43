// The PPO learner's thread (learner.ts), on replica 1 of the networks in the learner's shared
// memory, until the learner is disposed: splitting by rows, half 1 of every minibatch; splitting by
// network, the value network's epochs of every iteration.
import { workerData } from 'node:worker_threads';
import { serveReplica, type ReplicaChannel } from '../../nn/replica_thread.js';
import { LearnerHalf, runHalfFromSlots, type LearnerThreadData } from './learner.js';
import { PPONetworks } from './model.js';
import { ValueLearner, valueRequestServer } from './value_learner.js';

const data = workerData as LearnerThreadData & { channel: ReplicaChannel };
const kernel = new PPONetworks(data.layout, data.rows, data.placement);
if (data.split === 'networks') {
  const moments = (byteOffset: number) => new Float32Array(data.placement.memory.buffer, byteOffset, data.layout.totalSize);
  const learner = new ValueLearner(kernel, data.hp, moments(data.moments.m), moments(data.moments.v));
  serveReplica(data.channel, valueRequestServer(learner));
} else {
  const half = new LearnerHalf(kernel, data.layout, data.numActions, data.hp, data.rowsBuffer ?? undefined);
  serveReplica(data.channel, (slots) => runHalfFromSlots(half, slots));
}
