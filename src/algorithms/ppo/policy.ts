// PPO's policy wherever actions are needed: the policy and value networks' forward pass (one
// kernel call for all of a worker's envs), actions sampled from the distribution (or its mode
// for greedy replay), the sampling-time columns PPO's loss needs, and GAE at each fragment's end.
import type { AlgorithmPolicy, PolicyContext } from '../algorithm.js';
import { ForwardPass } from '../../policy/model.js';
import { distributionFor, type ActionDistribution } from '../../policy/distributions.js';
import { NEW_OBS, REWARDS, TERMINATED, addColumn, column, type SampleBatch } from '../../execution/sample_batch.js';
import type { Random } from '../../utils/random.js';
import { appendLogStd, ppoModelLayout, type PPOModelLayout } from './model.js';
import { computeAdvantages, type AdvantageOptions } from './postprocessing.js';
import type { PPOConfig } from './defaults.js';

/** RLlib's column names for what PPO records while sampling and adds when postprocessing. */
export const ACTION_LOGP = 'action_logp';
export const ACTION_DIST_INPUTS = 'action_dist_inputs';
export const VF_PREDS = 'vf_preds';
export const ADVANTAGES = 'advantages';
export const VALUE_TARGETS = 'value_targets';

export class PPOPolicy implements AlgorithmPolicy {
  readonly layout: PPOModelLayout;
  readonly distribution: ActionDistribution;
  readonly actionSize: number;
  readonly extraColumns: Record<string, number>;
  private readonly forward: ForwardPass;
  private readonly advantages: AdvantageOptions;
  private distInputs: Float32Array;
  private readonly singleObs: Float32Array;

  constructor({ observationSize, actionSpace, config, batch }: PolicyContext<PPOConfig>) {
    this.layout = ppoModelLayout(observationSize, actionSpace, config.model);
    this.distribution = distributionFor(actionSpace);
    this.actionSize = this.distribution.actionSize;
    this.extraColumns = { [ACTION_LOGP]: 1, [ACTION_DIST_INPUTS]: this.layout.policyOutputs, [VF_PREDS]: 1 };
    this.forward = new ForwardPass(this.layout, new Float32Array(this.layout.totalSize), batch);
    this.advantages = { gamma: config.gamma, lambda: config.lambda, useGae: config.use_gae, useCritic: config.use_critic };
    this.distInputs = new Float32Array(batch * this.layout.policyOutputs);
    this.singleObs = new Float32Array(observationSize);
  }

  setWeights(weights: Float32Array): void {
    this.forward.setWeights(weights);
  }

  /** The distribution inputs (logits, or means then log-stds) of `rows` observations, after a forward pass over `networks`. */
  private policyOutputs(obs: Float32Array, rows: number, withValue: boolean): Float32Array {
    const P = this.layout.policyOutputs;
    if (this.distInputs.length < rows * P) this.distInputs = new Float32Array(rows * P);
    this.forward.run(rows, withValue ? ['policy', 'value'] : ['policy'], { obs });
    const off = this.layout.logStdOffset;
    if (off === null) this.distInputs.set(this.forward.output('policy').subarray(0, rows * P));
    else appendLogStd(this.forward.output('policy'), this.forward.weights.subarray(off, off + P / 2), rows, this.distInputs);
    return this.distInputs;
  }

  computeActions(obs: Float32Array, rows: number, stochastic: boolean, rng: Random, actions: Float32Array, extras: Record<string, Float32Array>): void {
    const P = this.layout.policyOutputs;
    const A = this.actionSize;
    const vfPreds = extras[VF_PREDS];
    const distInputs = this.policyOutputs(obs, rows, vfPreds !== undefined);
    if (vfPreds) vfPreds.set(this.forward.output('value').subarray(0, rows));
    extras[ACTION_DIST_INPUTS]?.set(distInputs.subarray(0, rows * P));
    const logp = extras[ACTION_LOGP];
    for (let i = 0; i < rows; i++) {
      if (stochastic) {
        const lp = this.distribution.sample(distInputs, i * P, rng, actions, i * A);
        if (logp) logp[i] = lp;
      } else {
        this.distribution.deterministic(distInputs, i * P, actions, i * A);
        if (logp) logp[i] = this.distribution.logp(distInputs, i * P, actions, i * A);
      }
    }
  }

  /** V(s) of one filtered observation. */
  value(obs: Float32Array, offset: number): number {
    this.singleObs.set(obs.subarray(offset, offset + this.singleObs.length));
    this.forward.run(1, ['value'], { obs: this.singleObs });
    return this.forward.output('value')[0];
  }

  /**
   * GAE per segment (RLlib's compute_gae_for_sample_batch): the last reward bootstraps with 0 where
   * the episode terminated, else with V(new_obs) of its last row (truncation, or the fragment cut).
   */
  postprocess(batch: SampleBatch, segments: [number, number][]): void {
    const rewards = column(batch, REWARDS);
    const vfPreds = column(batch, VF_PREDS);
    const terminated = column(batch, TERMINATED);
    const newObs = column(batch, NEW_OBS);
    const advantages = addColumn(batch, ADVANTAGES);
    const valueTargets = addColumn(batch, VALUE_TARGETS);
    const O = batch.widths[NEW_OBS];
    for (const [start, end] of segments) {
      const last = end - 1;
      const lastValue = terminated[last] === 1 ? 0 : this.value(newObs, last * O);
      computeAdvantages(rewards, vfPreds, lastValue, this.advantages, advantages, valueTargets, start, end);
    }
  }
}

/** The registry entry's makePolicy, also listed in ../policies.ts for threads that only act. */
export function makePPOPolicy(context: PolicyContext<PPOConfig>): AlgorithmPolicy {
  return new PPOPolicy(context);
}
