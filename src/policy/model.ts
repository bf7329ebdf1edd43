// The forward pass of a model's named networks for inference (rollout workers, `rl rollout`,
// `rl serve`) on the WebAssembly kernel: one call runs a whole batch (all envs of a worker, a
// serve batch) through the networks asked for. Inference never needs tfjs.
import { MlpKernel } from '../nn/mlp.js';
import type { ModelLayout } from '../nn/layout.js';

export { denseLayout, initialWeights, networkOf, networkRange, MAX_MODEL_BYTES } from '../nn/layout.js';
export type { Activation, DenseLayer, ModelLayout, NetworkLayout, NetworkSpec } from '../nn/layout.js';

/** Its room grows with the largest batch seen. */
export class ForwardPass {
  private kernel: MlpKernel;

  constructor(
    readonly layout: ModelLayout,
    weights: Float32Array,
    batch = 1,
  ) {
    this.kernel = new MlpKernel(layout, batch);
    this.setWeights(weights);
  }

  /** The flat weights the kernel runs with (a view: free parameters such as log_std are read from here). */
  get weights(): Float32Array {
    return this.kernel.params;
  }

  setWeights(weights: Float32Array): void {
    if (weights.length !== this.layout.totalSize) {
      throw new RangeError(`weights have ${weights.length} values; the model needs ${this.layout.totalSize}`);
    }
    this.kernel.params.set(weights);
  }

  /**
   * Runs `batch` rows through the given networks, each input's rows taken from `inputs` (by input
   * name, 'obs' for observations); returns nothing: read the results with output().
   */
  run(batch: number, networks: readonly string[], inputs: Record<string, Float32Array>): void {
    if (batch > this.kernel.maxBatch) {
      const grown = new MlpKernel(this.layout, Math.max(batch, 2 * this.kernel.maxBatch));
      grown.params.set(this.kernel.params);
      this.kernel = grown;
    }
    for (const [name, rows] of Object.entries(inputs)) {
      const size = batch * (rows.length === 0 ? 0 : this.kernel.input(name).length / this.kernel.maxBatch);
      this.kernel.input(name).set(rows.length === size ? rows : rows.subarray(0, size));
    }
    this.kernel.forward(batch, networks);
  }

  /** A network's outputs after run() (a view: valid until the next run). */
  output(network: string): Float32Array {
    return this.kernel.output(network);
  }
}
