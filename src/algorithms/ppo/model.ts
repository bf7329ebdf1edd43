// PPO's networks as RLlib's FullyConnectedNetwork builds them: a policy network whose outputs are
// the action distribution's inputs (logits, or Gaussian means then log-stds) and a value network,
// separate or sharing the hidden layers (vf_share_layers). With free_log_std the log-stds are free
// parameters appended after the layers (RLlib's AppendBiasLayer), saved as the `log_std` array.
import { Box, Discrete, type Space } from '../../envs/spaces.js';
import { denseLayout, type ModelLayout } from '../../nn/layout.js';
import { MlpKernel, type KernelPlacement } from '../../nn/mlp.js';
import type { ModelConfig } from './defaults.js';

/** The model keys PPO's networks follow (free_log_std defaults to false). */
export type PPOModelOptions = Omit<ModelConfig, 'free_log_std'> & { free_log_std?: boolean };

export interface PPOModelLayout extends ModelLayout {
  /** Distribution inputs per sample: logits (Discrete) or means then log-stds (Box). */
  policyOutputs: number;
  /** With free_log_std: where the action dimensions' log-stds sit in the flat weights (after all layers). */
  logStdOffset: number | null;
  policyPath: number[];
  valuePath: number[];
  options: PPOModelOptions;
}

export function policyOutputSize(space: Space): number {
  if (space instanceof Discrete) return space.n;
  if (space instanceof Box) return 2 * space.size;
  throw new TypeError('unsupported action space');
}

/** What PPO's learner takes for an action space: n for a Discrete space (categorical), 0 for a Box space (diagonal Gaussian). */
export function numActions(actionSpace: Space): number {
  return actionSpace instanceof Discrete ? actionSpace.n : 0;
}

export function ppoModelLayout(observationSize: number, actionSpace: Space, options: PPOModelOptions): PPOModelLayout {
  const distInputs = policyOutputSize(actionSpace);
  const freeLogStd = options.free_log_std === true && actionSpace instanceof Box;
  const { fcnet_hiddens: hiddens, fcnet_activation: activation } = options;
  // Layer names as the checkpoints have always had them: fc_<i>, fc_out, value_fc_<i>, value_out.
  const layout = denseLayout(
    observationSize,
    [
      { name: 'policy', inputSize: observationSize, hiddens, activation, outputSize: freeLogStd ? distInputs / 2 : distInputs, hiddenPrefix: '', outputName: 'fc_out' },
      {
        name: 'value',
        inputSize: observationSize,
        hiddens,
        activation,
        outputSize: 1,
        hiddenPrefix: 'value_',
        outputName: 'value_out',
        ...(options.vf_share_layers ? { shareHiddensWith: 'policy' } : {}),
      },
    ],
    { params: freeLogStd ? { log_std: distInputs / 2 } : {}, sizeSetting: { key: 'model.fcnet_hiddens', hiddens } },
  );
  return {
    ...layout,
    policyOutputs: distInputs,
    logStdOffset: freeLogStd ? layout.params.log_std.offset : null,
    policyPath: layout.networks.policy.path,
    valuePath: layout.networks.value.path,
    options,
  };
}

/** Rows of [means, logStd] from means (batch x d) and one log-std vector: free_log_std's distribution inputs. */
export function appendLogStd(means: Float32Array, logStd: Float32Array, batch: number, distInputs: Float32Array): void {
  const d = logStd.length;
  for (let b = 0; b < batch; b++) {
    for (let k = 0; k < d; k++) {
      distInputs[b * 2 * d + k] = means[b * d + k];
      distInputs[b * 2 * d + d + k] = logStd[k];
    }
  }
}

/**
 * PPO's two networks on the kernel for learning: distInputs (with free_log_std's log-stds
 * appended) and values after forward(); the caller fills dDistInputs and dValues before backward().
 */
export class PPONetworks {
  readonly kernel: MlpKernel;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** Observations of the rows to run (maxBatch x observationSize). */
  readonly input: Float32Array;
  readonly distInputs: Float32Array;
  readonly dDistInputs: Float32Array;
  readonly values: Float32Array;
  readonly dValues: Float32Array;

  /** placement: a replica in a shared memory (the learner's halves; see src/nn/replicas.ts). */
  constructor(
    readonly layout: PPOModelLayout,
    readonly maxBatch: number,
    placement?: KernelPlacement,
  ) {
    this.kernel = new MlpKernel(layout, maxBatch, placement);
    this.params = this.kernel.params;
    this.grads = this.kernel.grads;
    this.input = this.kernel.input('obs');
    const free = layout.logStdOffset !== null;
    this.distInputs = free ? new Float32Array(maxBatch * layout.policyOutputs) : this.kernel.output('policy');
    this.dDistInputs = free ? new Float32Array(maxBatch * layout.policyOutputs) : this.kernel.dOutput('policy');
    this.values = this.kernel.output('value');
    this.dValues = this.kernel.dOutput('value');
  }

  /** Both networks, or one of them (policy: false or value: false). */
  forward(batch: number, which: NetworkChoice = {}): void {
    this.kernel.forward(batch, chosenNetworks(which));
    const off = this.layout.logStdOffset;
    if (off !== null && which.policy !== false) appendLogStd(this.kernel.output('policy'), this.params.subarray(off, off + this.layout.policyOutputs / 2), batch, this.distInputs);
  }

  /** Gradients from dDistInputs and dValues; a network left out (false) gets zero gradients for its layers. */
  backward(batch: number, which: NetworkChoice = {}): void {
    const { logStdOffset, policyOutputs } = this.layout;
    if (logStdOffset !== null && which.policy !== false) {
      // free_log_std: the means' gradients go down the network, the log-stds' are summed over rows.
      const d = policyOutputs / 2;
      const dMeans = this.kernel.dOutput('policy');
      for (let j = 0; j < d; j++) this.grads[logStdOffset + j] = 0;
      for (let r = 0; r < batch; r++) {
        for (let j = 0; j < d; j++) {
          dMeans[r * d + j] = this.dDistInputs[r * policyOutputs + j];
          this.grads[logStdOffset + j] += this.dDistInputs[r * policyOutputs + d + j];
        }
      }
    }
    this.kernel.backward(batch, chosenNetworks(which));
  }
}

/** Which of PPO's networks to run: both unless one is set to false. */
export interface NetworkChoice {
  policy?: boolean;
  value?: boolean;
}

const BOTH = ['policy', 'value'];
const POLICY = ['policy'];
const VALUE = ['value'];

function chosenNetworks(which: NetworkChoice): string[] {
  if (which.policy === false && which.value === false) throw new RangeError('no network chosen');
  if (which.policy === false) return VALUE;
  return which.value === false ? POLICY : BOTH;
}
