// Replicas of one network on one shared WebAssembly memory, for data-parallel minibatch steps:
// each replica runs forward and backward on its share of a minibatch's rows (in its own thread,
// or one after the other), the gradients are summed in a fixed order (replica 0's, then 1's, ...,
// MlpKernel.addGradients) into replica 0's, and Adam updates the one set of weights all replicas read. The sum is the same
// whichever thread ran which replica and whenever each finished, so results depend only on the
// seed (not on timing or on how many threads ran).
import type { ModelLayout } from './layout.js';
import { checkKernelMemory, planMemory, sharedMemory, type KernelPlacement } from './mlp.js';

/** Byte offsets of the shared weights, Adam's moments and each replica's regions. */
function planReplicas(layout: ModelLayout, rowsPerReplica: number[]) {
  const floatBytes = (n: number) => Math.ceil((n * 4) / 16) * 16;
  const paramsPtr = 64;
  const mPtr = paramsPtr + floatBytes(layout.totalSize);
  const vPtr = mPtr + floatBytes(layout.totalSize);
  const bases: number[] = [];
  let top = vPtr + floatBytes(layout.totalSize);
  for (const rows of rowsPerReplica) {
    bases.push(top);
    top = planMemory(layout, rows, top, paramsPtr).top;
  }
  return { paramsPtr, mPtr, vPtr, bases, top };
}

/** Rows of each of the two replicas for a minibatch of n rows: the first takes the odd one. */
export function splitRows(n: number): [number, number] {
  const first = Math.ceil(n / 2);
  return [first, n - first];
}

/** The shared memory, Adam's moments and each replica's placement (build each replica with new MlpKernel(layout, rows, placement(i)), in any thread). */
export class MlpReplicas {
  readonly memory: WebAssembly.Memory;
  /** Adam's moments for the shared weights (views of the memory). */
  readonly m: Float32Array;
  readonly v: Float32Array;
  private readonly plan: ReturnType<typeof planReplicas>;

  constructor(
    readonly layout: ModelLayout,
    readonly rowsPerReplica: number[],
  ) {
    this.plan = planReplicas(layout, rowsPerReplica);
    checkKernelMemory(layout, rowsPerReplica.reduce((a, b) => a + b, 0), this.plan.top);
    this.memory = sharedMemory(this.plan.top);
    this.m = new Float32Array(this.memory.buffer, this.plan.mPtr, layout.totalSize);
    this.v = new Float32Array(this.memory.buffer, this.plan.vPtr, layout.totalSize);
  }

  placement(index: number): KernelPlacement {
    return { memory: this.memory, base: this.plan.bases[index], paramsPtr: this.plan.paramsPtr };
  }
}
