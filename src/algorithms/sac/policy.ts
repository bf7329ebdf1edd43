// SAC's policy wherever actions are needed: the policy network's forward pass (one kernel call
// for all of a worker's envs), actions from the squashed Gaussian or the categorical (sampled
// while training: RLlib 1.x's SAC samples from its policy from the first step; greedy for
// rl rollout / rl serve: the squashed mean or the argmax), and n-step postprocessing.
import type { AlgorithmPolicy, PolicyContext } from '../algorithm.js';
import { ForwardPass } from '../../policy/model.js';
import type { SampleBatch } from '../../execution/sample_batch.js';
import type { ModelLayout } from '../../nn/layout.js';
import type { Random } from '../../utils/random.js';
import { postprocessNStep } from '../../execution/n_step.js';
import { SACActions } from './actions.js';
import { sacPolicyLayout } from './model.js';
import type { SACConfig } from './defaults.js';

/** The column postprocessing adds: gamma^k, the factor on the bootstrapped value of an n-step row. */

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
    const { n_step: nStep, gamma, no_done_at_end: noDoneAtEnd } = this.config;
    postprocessNStep(batch, segments, nStep, gamma, noDoneAtEnd);
  }
}

/** The registry entry's makePolicy, also listed in ../policies.ts for threads that only act. */
export function makeSACPolicy(context: PolicyContext<SACConfig>): AlgorithmPolicy {
  return new SACPolicy(context);
}
