// The requests a driver sends a replica, run the same way in a worker thread or in the driver's
// own thread (one worker given creators rather than a module path).
import { PeerAborted, type AllReduceMemory } from './allreduce.js';
import { Replica, type ReplicaInit, type SaveRequest } from './replica.js';
import type { SharedKernelMemory } from './shared_kernel.js';
import { UserError, errorMessage } from '../utils/errors.js';
import type { ThreadReply } from './request_thread.js';

export type ReplicaRequest =
  | { id: number; op: 'create'; init: ReplicaInit }
  | { id: number; op: 'attach'; memory: AllReduceMemory; shared: SharedKernelMemory | null }
  | { id: number; op: 'syncWeights' }
  | { id: number; op: 'train'; epoch: number }
  | { id: number; op: 'validate' }
  | { id: number; op: 'weights' }
  | { id: number; op: 'save'; request: SaveRequest }
  | { id: number; op: 'load'; manifestPath: string }
  | { id: number; op: 'dispose' };

/** ok: the result; error: what failed (user: the user's module or data, not a bug); peerAborted: another worker failed. */
export type ReplicaReply = ThreadReply;

export async function runReplicaOp(
  state: { replica: Replica | null },
  request: ReplicaRequest,
  onStep?: (step: number, steps: number | null) => void,
): Promise<ReplicaReply> {
  const { id } = request;
  try {
    if (request.op === 'create') {
      state.replica = await Replica.create(request.init);
      return { id, ok: state.replica.info() };
    }
    const replica = state.replica;
    if (!replica) throw new Error(`replica request '${request.op}' before 'create'`);
    switch (request.op) {
      case 'attach':
        return { id, ok: replica.attach(request.memory, request.shared) };
      case 'syncWeights':
        return { id, ok: replica.syncWeights() };
      case 'train':
        return { id, ok: await replica.trainEpoch(request.epoch, onStep) };
      case 'validate':
        return { id, ok: await replica.validate() };
      case 'weights':
        return { id, ok: replica.flatWeights() };
      case 'save':
        return { id, ok: await replica.save(request.request) };
      case 'load':
        return { id, ok: await replica.load(request.manifestPath) };
      case 'dispose':
        replica.dispose();
        state.replica = null;
        return { id, ok: null };
    }
  } catch (error) {
    if (error instanceof PeerAborted) return { id, peerAborted: true };
    state.replica?.abort();
    // Anything the module's code threw is the user's to fix; our own checks throw UserError.
    const user = error instanceof UserError || request.op === 'train' || request.op === 'validate' || request.op === 'create';
    return { id, error: errorMessage(error), user, stack: error instanceof Error ? error.stack : undefined };
  }
}
