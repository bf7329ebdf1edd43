// SAC's policy wherever actions are needed: the policy network's forward pass (one kernel call
// for all of a worker's envs), actions from the squashed Gaussian or the categorical (sampled
// while training: RLlib 1.x's SAC samples from its policy from the first step; greedy for
// rl rollout / rl serve: the squashed mean or the argmax), and n-step postprocessing.
import type { AlgorithmPolicy, PolicyContext } from '../algorithm.js';
import { ForwardPass } from '../../policy/model.js';
import { ACTIONS, NEW_OBS, OBS, REWARDS, TERMINATED, addColumn, column, type SampleBatch } from '../../execution/sample_batch.js';
import type { Transitions } from '../../execution/replay_buffer.js';
import type { ModelLayout } from '../../nn/layout.js';
import type { Random } from '../../utils/random.js';
import { adjustNStep } from '../../execution/n_step.js';
import { SACActions } from './actions.js';
import { sacPolicyLayout } from './model.js';
import type { SACConfig } from './defaults.js';

/** The column postprocessing adds: gamma^k, the factor on the bootstrapped value of an n-step row. */
export const DISCOUNTS = 'discounts';

export class SACPolicy implements AlgorithmPolicy {
  readonly layout: ModelLayout;
  readonly actionSize: number;
  readonly extraColumns: Record<string, number> = {};
  private readonly forward: ForwardPass;
  private readonly actions: SACActions;
  private readonly config: Pick<SACConfig, 'n_step' | 'gamma' | 'no_done_at_end'>;

  constructor({ observationSize, actionSpace, config, batch }: PolicyContext<SACConfig>) {
    this.layout = sacPolicyLayout(observationSize, actionSpace, config);
    this.actions = new SACActions(actionSpace);
    this.actionSize = this.actions.actionSize;
    this.forward = new ForwardPass(this.layout, new Float32Array(this.layout.totalSize), batch);
    this.config = config;
  }

  setWeights(weights: Float32Array): void {
    this.forward.setWeights(weights);
  }

  computeActions(obs: Float32Array, rows: number, stochastic: boolean, rng: Random, actions: Float32Array): void {
    this.forward.run(rows, ['policy'], { obs });
    this.actions.compute(this.forward.output('policy'), rows, stochastic, rng, actions);
  }

  /**
   * RLlib's postprocess_nstep: each segment's rows become n-step transitions (rewards summed,
   * new_obs and terminated of the row n-1 steps on, discounts gamma^k); no_done_at_end clears
   * terminated first, as RLlib's sampler then never reports done.
   */
  postprocess(batch: SampleBatch, segments: [number, number][]): void {
    const transitions = transitionsOf(batch, addColumn(batch, DISCOUNTS));
    const { n_step: nStep, gamma, no_done_at_end: noDoneAtEnd } = this.config;
    if (noDoneAtEnd) transitions.terminated.fill(0);
    for (const [start, end] of segments) adjustNStep(transitions, start, end, nStep, gamma, batch.widths[OBS]);
  }
}

/** The replay buffer's view of a postprocessed batch (its columns, not copies). */
export function transitionsOf(batch: SampleBatch, discounts = column(batch, DISCOUNTS)): Transitions {
  return {
    count: batch.count,
    obs: column(batch, OBS),
    actions: column(batch, ACTIONS),
    rewards: column(batch, REWARDS),
    nextObs: column(batch, NEW_OBS),
    terminated: column(batch, TERMINATED),
    discounts,
  };
}
