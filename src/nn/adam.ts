// Adam on the kernel: FlatAdam's update (src/algorithms/ppo/adam.ts, TensorFlow's form) run by
// the WebAssembly kernel over a network's weights and gradients, with the moments in the kernel's
// memory. In f32 with f32x4 lanes, as TensorFlow computes it for float32 weights (FlatAdam's f64
// arithmetic agrees to about 1e-7); several times faster on [256, 256] networks, where FlatAdam's
// loop took a sixth of a minibatch step.
import type { AdamState } from '../algorithms/ppo/adam.js';
import type { MlpKernel } from './mlp.js';

export class KernelAdam {
  step = 0;

  constructor(
    /** The kernel whose params and grads are updated. */
    private readonly kernel: MlpKernel,
    /** The moments: views of the kernel's memory, one value per weight. */
    readonly m: Float32Array,
    readonly v: Float32Array,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {}

  /** One update of the kernel's params from its grads. */
  apply(lr: number): void {
    this.step += 1;
    const lrT = (lr * Math.sqrt(1 - this.beta2 ** this.step)) / (1 - this.beta1 ** this.step);
    this.kernel.adamUpdate(this.m, this.v, lrT, this.beta1, this.beta2, this.epsilon);
  }

  state(): AdamState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new RangeError(`optimizer state has ${state.m.length} moments; the model has ${this.m.length} parameters`);
    }
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}
