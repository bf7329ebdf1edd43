// A trained policy as a checkpoint describes it, for replaying and serving: the algorithm the
// manifest names (its policy from the registry, with its greedy action), the env, the networks'
// weights and the observation filter, all read without tfjs and run with the kernel's forward
// pass (src/nn), one call per batch.
import path from 'node:path';
import { loadCheckpoint } from '../checkpoint/load.js';
import { displayPath } from '../checkpoint/format.js';
import { checkpointEnv } from '../checkpoint/env.js';
import { resolveConfig } from '../config/resolve.js';
import type { CommonConfig } from '../config/common.js';
import { VectorEnv } from '../envs/vector_env.js';
import type { Space } from '../envs/spaces.js';
import type { ModelLayout } from '../nn/layout.js';
import { getAlgorithm } from '../algorithms/registry.js';
import { SGD_RUN } from '../tune/sgd_trial.js';
import type { Algorithm, AlgorithmPolicy } from '../algorithms/algorithm.js';
import { EnvActions } from '../execution/env_actions.js';
import { MeanStdFilter, filterStateProblem, type FilterState } from './filter.js';
import { weightsFromCheckpoint } from './saved_weights.js';
import { logger } from '../utils/log.js';
import type { Random } from '../utils/random.js';
import { UserError } from '../utils/errors.js';

export class CheckpointPolicy {
  private readonly filter: MeanStdFilter | null;
  private readonly envActions: EnvActions;
  private scratchObs = new Float32Array(0);
  private scratchActions = new Float32Array(0);

  private constructor(
    readonly manifestPath: string,
    readonly algorithm: Algorithm,
    readonly envId: string,
    readonly config: CommonConfig,
    readonly iteration: number,
    private readonly policy: AlgorithmPolicy,
    filter: FilterState | null,
    readonly action_space: Space,
  ) {
    this.filter = filter ? MeanStdFilter.fromState(filter) : null;
    // Replayed and served actions always stay within a Box space's bounds.
    this.envActions = new EnvActions(action_space, true);
  }

  /**
   * Loads and verifies a checkpoint (any form resolveCheckpointPath accepts). Nothing in it is run:
   * its algorithm is looked up in the registry by name, its config checked as `rl train` checks
   * one, its networks against that config, and a custom env is loaded only from the module the
   * caller names in `options.env`.
   */
  static async load(checkpoint: string, options: { env?: string } = {}): Promise<CheckpointPolicy> {
    const loaded = await loadCheckpoint(checkpoint);
    const source = displayPath(loaded.manifestPath);
    if (loaded.manifest.algorithm === SGD_RUN) {
      const model = displayPath(path.join(path.dirname(loaded.manifestPath), 'model'));
      throw new UserError(`${source} was written by rl sgd: a model, not a policy with an env; serve it with rl serve ${model}`);
    }
    const algorithm = getAlgorithm(loaded.manifest.algorithm, `${source} was trained with an algorithm this rl does not have:`);
    const { envId, warning } = await checkpointEnv(source, loaded.manifest.env, loaded.manifest.env_module, options.env);
    if (warning) logger.warn(warning);
    const config = resolveConfig(algorithm.config, [{ source, config: { ...loaded.manifest.config, env: envId } }]);
    const probe = new VectorEnv(envId, 1, { kwargs: config.env_config ?? {} });
    probe.close();
    const policy = algorithm.makePolicy({ observationSize: probe.observationSize, actionSpace: probe.action_space, config, batch: 1 });
    policy.setWeights(weightsFromCheckpoint(policy.layout, loaded, source));
    const problem = filterStateProblem(loaded.manifest.filter, probe.observationSize);
    if (problem) throw new UserError(`${source} is damaged: its observation filter ${problem}`);
    return new CheckpointPolicy(
      loaded.manifestPath,
      algorithm,
      envId,
      config,
      loaded.manifest.iteration,
      policy,
      loaded.manifest.filter as FilterState | null,
      probe.action_space,
    );
  }

  /** The networks of the algorithm's policy. */
  get layout(): ModelLayout {
    return this.policy.layout;
  }

  /** Floats per env action (1 for Discrete). */
  get actionSize(): number {
    return this.policy.actionSize;
  }

  /**
   * Env actions for a batch of raw observations: the algorithm's greedy action (argmax of logits
   * or Q, the Gaussian or squashed mean) unless explore, in which case sampled with rng. Box
   * actions are clipped to the space, Discrete ones offset by the space's start.
   */
  computeActions(observations: Float32Array, batch: number, explore: boolean, rng: Random | null, out: Float32Array): void {
    const O = this.layout.observationSize;
    const A = this.actionSize;
    if (this.scratchObs.length < batch * O) {
      this.scratchObs = new Float32Array(batch * O);
      this.scratchActions = new Float32Array(batch * A);
    }
    if (explore && !rng) throw new RangeError('explore needs a random generator');
    if (this.filter) for (let b = 0; b < batch; b++) this.filter.apply(observations, b * O, this.scratchObs, b * O, false);
    this.policy.computeActions(this.filter ? this.scratchObs : observations, batch, explore, rng as Random, this.scratchActions, {});
    this.envActions.convert(this.scratchActions, 0, out, 0, batch);
  }
}
