// One DD-PPO worker thread (RLlib 1.x's DDPPO rollout worker with its own torch DDP learner): it
// samples with its own envs, postprocesses and standardises its own samples, and runs PPO's
// minibatch SGD on them; each minibatch's gradient is replaced by the mean over all workers (an
// all-reduce over shared memory) before clipping and Adam, so every replica takes the same step
// and the weights stay bit-identical (keep_local_weights_in_sync). Requests come one at a time;
// errors go back as values (a thrown error loses its class between threads), and a worker that
// fails tells its peers through the all-reduce, so nobody waits at a barrier for it.
import { parentPort } from 'node:worker_threads';
import { RolloutWorker, type RolloutWorkerConfig, type SampleResult, type WorkerState } from '../../execution/rollout_worker.js';
import { column, type SampleBatch } from '../../execution/sample_batch.js';
import type { Exploration } from '../../execution/exploration.js';
import type { FilterState } from '../../policy/filter.js';
import { AllReduce, PeerAborted, type AllReduceMemory } from '../../sgd/allreduce.js';
import type { ThreadReply } from '../../sgd/request_thread.js';
import { UserError, errorMessage } from '../../utils/errors.js';
import { Random } from '../../utils/random.js';
import { learnerForConfig, type LearnerStats, type PPOLearner } from '../ppo/learner.js';
import type { PPOModelLayout } from '../ppo/model.js';
import { ADVANTAGES } from '../ppo/policy.js';
import { standardize } from '../ppo/postprocessing.js';
import type { DDPPOConfig } from './defaults.js';

export type WorkerRequest = { id: number } & (
  | { op: 'init'; rank: number; rollout: RolloutWorkerConfig; layout: PPOModelLayout; numActions: number; config: DDPPOConfig; weights: Float32Array; memory: AllReduceMemory }
  | { op: 'sample'; filter: FilterState | null; exploration: Exploration; state: WorkerState | null }
  | { op: 'learn'; lr: number; entropyCoeff: number; shuffleSeed: number; reportState: boolean }
  | { op: 'load'; weights: Float32Array; optimizer: Float32Array[] }
  | { op: 'weights' }
);

/** What learn returns: the worker's stats, and (when asked: worker 0) the weights and Adam state after the update. */
export interface LearnReply {
  stats: LearnerStats;
  steps: number;
  weights: Float32Array | null;
  optimizer: Float32Array[] | null;
}


/** Progress of worker 0's minibatch SGD. */
export interface ProgressMessage {
  progress: { done: number; total: number };
}

interface State {
  rank: number;
  rollout: RolloutWorker;
  learner: PPOLearner;
  allReduce: AllReduce;
  /** This iteration's samples, kept here: they never leave the thread. */
  batch: SampleBatch | null;
}

let state: State | null = null;

function initialized(): State {
  if (!state) throw new Error('the DD-PPO worker was not initialised');
  return state;
}

async function handle(request: WorkerRequest, post: (message: ProgressMessage) => void): Promise<unknown> {
  switch (request.op) {
    case 'init': {
      const allReduce = new AllReduce(request.memory, request.rank);
      const rollout = await RolloutWorker.create(request.rollout);
      // in-thread learner (thread: false): this worker thread is the learner
      const learner = learnerForConfig(request.layout, request.numActions, request.config, request.weights, { thread: false, reduceGradients: (grads) => allReduce.mean(grads) });
      state = { rank: request.rank, rollout, learner, allReduce, batch: null };
      return null;
    }
    case 'sample': {
      const s = initialized();
      if (request.state) s.rollout.setState(request.state);
      const result = s.rollout.sample(s.learner.getWeights(), request.filter, request.exploration);
      s.batch = result.batch;
      // the driver counts the steps; the rows stay here
      return { ...result, batch: { count: result.batch.count, widths: {}, columns: {} } } satisfies SampleResult;
    }
    case 'learn': {
      const s = initialized();
      const batch = s.batch;
      if (!batch) throw new Error('learn before sample');
      s.batch = null;
      // RLlib standardises advantages on each worker's own batch
      standardize(column(batch, ADVANTAGES));
      const onProgress = s.rank === 0 ? (done: number, total: number) => post({ progress: { done, total } }) : undefined;
      const stats = s.learner.learnOnBatch(batch, request.lr, request.entropyCoeff, new Random(request.shuffleSeed), onProgress);
      return {
        stats,
        steps: batch.count,
        weights: request.reportState ? s.learner.getWeights() : null,
        optimizer: request.reportState ? s.learner.getOptimizerState() : null,
      } satisfies LearnReply;
    }
    case 'load': {
      const s = initialized();
      s.learner.setWeights(request.weights);
      s.learner.setOptimizerState(request.optimizer);
      return null;
    }
    case 'weights':
      return initialized().learner.getWeights();
  }
}

const port = parentPort;
if (port) {
  port.on('message', (request: WorkerRequest) => {
    void handle(request, (message) => port.postMessage(message)).then(
      (ok) => port.postMessage({ id: request.id, ok } satisfies ThreadReply),
      (error: unknown) => {
        if (error instanceof PeerAborted) return port.postMessage({ id: request.id, peerAborted: true } satisfies ThreadReply);
        state?.allReduce.abort();
        port.postMessage({ id: request.id, error: errorMessage(error), user: error instanceof UserError } satisfies ThreadReply);
      },
    );
  });
}
