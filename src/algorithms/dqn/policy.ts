// DQN's policy wherever actions are needed: the online Q network's forward pass (one kernel call
// for all of a worker's envs) and the greedy action argmax_a Q(s, a); the rollout worker replaces
// it with a random one with probability epsilon (execution/exploration.ts). At each fragment's
// end, n-step returns per episode piece (postprocessing.ts) and the bootstrap discount column.
import type { AlgorithmPolicy, PolicyContext } from '../algorithm.js';
import { ForwardPass } from '../../policy/model.js';
import type { ModelLayout } from '../../nn/layout.js';
import { Discrete } from '../../envs/spaces.js';
import type { SampleBatch } from '../../execution/sample_batch.js';
import type { Random } from '../../utils/random.js';
import { argmaxRows, combineDueling, qModelLayout, qNetworkNames } from './q_network.js';
import { postprocessNStep } from '../../execution/n_step.js';
import type { DQNConfig } from './defaults.js';

/** gamma^k of each n-step row: the factor on its bootstrapped value (added by postprocess). */

export class DQNPolicy implements AlgorithmPolicy {
  readonly layout: ModelLayout;
  readonly actionSize = 1;
  readonly extraColumns: Record<string, number> = {};
  readonly numActions: number;
  private readonly forward: ForwardPass;
  private readonly names: string[];
  private q: Float32Array;
  private readonly nStep: number;
  private readonly gamma: number;

  constructor({ observationSize, actionSpace, config, batch }: PolicyContext<DQNConfig>) {
    if (!(actionSpace instanceof Discrete)) throw new TypeError('DQN needs a Discrete action space');
    this.numActions = actionSpace.n;
    this.layout = qModelLayout(observationSize, actionSpace.n, { ...config.model, hiddens: config.hiddens, dueling: config.dueling });
    this.names = qNetworkNames(config.dueling);
    this.forward = new ForwardPass(this.layout, new Float32Array(this.layout.totalSize), batch);
    this.q = new Float32Array(batch * this.numActions);
    this.nStep = config.n_step;
    this.gamma = config.gamma;
  }

  setWeights(weights: Float32Array): void {
    this.forward.setWeights(weights);
  }

  /** Q(s, .) of `rows` observations (a view, valid until the next call). */
  qValues(obs: Float32Array, rows: number): Float32Array {
    const n = this.numActions;
    this.forward.run(rows, this.names, { obs });
    if (this.names.length === 1) return this.forward.output('q');
    if (this.q.length < rows * n) this.q = new Float32Array(rows * n);
    combineDueling(this.forward.output('q'), this.forward.output('q_value'), rows, n, this.q);
    return this.q;
  }

  /** argmax_a Q(s, a), stochastic or not: epsilon-greedy exploration is the rollout worker's. */
  computeActions(obs: Float32Array, rows: number, _stochastic: boolean, _rng: Random, actions: Float32Array): void {
    argmaxRows(this.qValues(obs, rows), rows, this.numActions, actions);
  }

  /** n-step rewards, new_obs and terminated per episode piece, and each row's discount gamma^k. */
  postprocess(batch: SampleBatch, segments: [number, number][]): void {
    postprocessNStep(batch, segments, this.nStep, this.gamma);
  }
}

/** The registry entry's makePolicy, also listed in ../policies.ts for threads that only act. */
export function makeDQNPolicy(context: PolicyContext<DQNConfig>): AlgorithmPolicy {
  return new DQNPolicy(context);
}
