// The PPO learner's thread (learner.ts): half 1 of every minibatch, on a replica of the networks
// in the learner's shared memory, until the learner is disposed.
import { workerData } from 'node:worker_threads';
import { serveReplica, type ReplicaChannel } from '../../nn/replica_thread.js';
import { LearnerHalf, runHalfFromSlots, type LearnerThreadData } from './learner.js';
import { PPONetworks } from './model.js';

const data = workerData as LearnerThreadData & { channel: ReplicaChannel };
const kernel = new PPONetworks(data.layout, data.rows, data.placement);
const half = new LearnerHalf(kernel, data.layout, data.numActions, data.hp, data.rowsBuffer);
serveReplica(data.channel, (slots) => runHalfFromSlots(half, slots));
