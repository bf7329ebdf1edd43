// A trained policy as a checkpoint describes it, for replaying and serving: the env, the model
// layout, the weights, the observation filter, all read without tfjs and run with the plain
// TypeScript forward pass.
import { loadCheckpoint } from '../checkpoint/load.js';
import { displayPath } from '../checkpoint/format.js';
import { checkpointEnv } from '../checkpoint/env.js';
import { resolvePPOConfig } from '../config/index.js';
import { VectorEnv } from '../envs/vector_env.js';
import { Box, Discrete, type Space } from '../envs/spaces.js';
import { ForwardPass, modelLayout, type ModelLayout } from './model.js';
import { distributionFor, type ActionDistribution } from './distributions.js';
import { MeanStdFilter, filterStateProblem, type FilterState } from './filter.js';
import { weightsFromCheckpoint } from './saved_weights.js';
import { logger } from '../utils/log.js';
import type { PPOConfig } from '../algorithms/ppo/defaults.js';
import type { Random } from '../utils/random.js';
import { UserError } from '../utils/errors.js';

export class CheckpointPolicy {
  private readonly forward: ForwardPass;
  private readonly filter: MeanStdFilter | null;
  private scratchObs = new Float32Array(0);
  private scratchInputs = new Float32Array(0);
  private scratchActions = new Float32Array(0);

  private constructor(
    readonly manifestPath: string,
    readonly algorithm: string,
    readonly envId: string,
    readonly config: PPOConfig,
    readonly iteration: number,
    readonly layout: ModelLayout,
    weights: Float32Array,
    filter: FilterState | null,
    readonly observation_space: Box,
    readonly action_space: Space,
    readonly distribution: ActionDistribution,
  ) {
    this.forward = new ForwardPass(layout, weights);
    this.filter = filter ? MeanStdFilter.fromState(filter) : null;
  }

  /**
   * Loads and verifies a checkpoint (any form resolveCheckpointPath accepts). Nothing in it is run:
   * its config is checked as `rl train` checks one, its networks against that config, and a custom
   * env is loaded only from the module the caller names in `options.env`.
   */
  static async load(checkpoint: string, options: { env?: string } = {}): Promise<CheckpointPolicy> {
    const loaded = await loadCheckpoint(checkpoint);
    const source = displayPath(loaded.manifestPath);
    const { envId, warning } = await checkpointEnv(source, loaded.manifest.env, loaded.manifest.env_module, options.env);
    if (warning) logger.warn(warning);
    const config = resolvePPOConfig([{ source, config: { ...loaded.manifest.config, env: envId } }]);
    const probe = new VectorEnv(envId, 1, { kwargs: config.env_config ?? {} });
    const layout = modelLayout(probe.observationSize, probe.action_space, config.model);
    const weights = weightsFromCheckpoint(layout, loaded, source);
    const problem = filterStateProblem(loaded.manifest.filter, probe.observationSize);
    if (problem) throw new UserError(`${source} is damaged: its observation filter ${problem}`);
    const filter = loaded.manifest.filter as FilterState | null;
    return new CheckpointPolicy(
      loaded.manifestPath,
      loaded.manifest.algorithm,
      envId,
      config,
      loaded.manifest.iteration,
      layout,
      weights,
      filter,
      probe.observation_space,
      probe.action_space,
      distributionFor(probe.action_space),
    );
  }

  /** Floats per env action (1 for Discrete). */
  get actionSize(): number {
    return this.distribution.actionSize;
  }

  /**
   * Env actions for a batch of raw observations: greedy (argmax, or the Gaussian mean) unless
   * explore, in which case sampled with rng. Box actions are clipped to the space, Discrete
   * ones offset by the space's start.
   */
  computeActions(observations: Float32Array, batch: number, explore: boolean, rng: Random | null, out: Float32Array): void {
    const O = this.layout.observationSize;
    const P = this.layout.policyOutputs;
    const A = this.distribution.actionSize;
    if (this.scratchObs.length < batch * O) {
      this.scratchObs = new Float32Array(batch * O);
      this.scratchInputs = new Float32Array(batch * P);
      this.scratchActions = new Float32Array(batch * A);
    }
    if (this.filter) for (let b = 0; b < batch; b++) this.filter.apply(observations, b * O, this.scratchObs, b * O, false);
    this.forward.policy(this.filter ? this.scratchObs : observations, batch, this.scratchInputs);
    for (let b = 0; b < batch; b++) {
      if (explore) {
        if (!rng) throw new RangeError('explore needs a random generator');
        this.distribution.sample(this.scratchInputs, b * P, rng, this.scratchActions, b * A);
      } else {
        this.distribution.deterministic(this.scratchInputs, b * P, this.scratchActions, b * A);
      }
    }
    const space = this.action_space;
    for (let i = 0; i < batch * A; i++) {
      let a = this.scratchActions[i];
      if (space instanceof Box) a = Math.min(Math.max(a, space.low[i % A]), space.high[i % A]);
      else if (space instanceof Discrete) a += space.start;
      out[i] = a;
    }
  }
}
