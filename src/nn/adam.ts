// Adam over one flat Float32Array of parameters, in the form TensorFlow's AdamOptimizer (which
// RLlib 1.x's tf policy uses) computes it (Kingma & Ba 2015, section 2, the "epsilon hat" form):
//   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t);  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   theta -= lr_t * m / (sqrt(v) + epsilon)
// Done in plain TypeScript because tfjs's optimizer issues ~8 kernel calls per variable, which on
// the wasm backend cost more than the whole update: measured 0.80 ms per step for the [40, 20]
// networks' 12 variables, against a few microseconds here.

export interface AdamState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export class FlatAdam {
  step = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(
    readonly size: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One update of params in place from grads. */
  apply(params: Float32Array, grads: Float32Array, lr: number): void {
    this.step += 1;
    const { beta1, beta2, epsilon, m, v } = this;
    // Math looked up once: under jest's vm context each global lookup in the loop costs ~1 us
    const math = Math;
    const lrT = (lr * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (lrT * m[i]) / (math.sqrt(v[i]) + epsilon);
    }
  }

  state(): AdamState {
    return { step: this.step, m: this.m.slice(), v: this.v.slice() };
  }

  load(state: AdamState): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new RangeError(`optimizer state has ${state.m.length} moments; the model has ${this.size} parameters`);
    }
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}

/** Scales grads in place so that their global norm is at most maxNorm (tf.clip_by_global_norm). */
export function clipByGlobalNorm(grads: Float32Array, maxNorm: number): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] *= scale;
  }
  return norm;
}
