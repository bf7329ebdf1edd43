// The one WebAssembly memory rl sgd's workers share when their replicas run on the kernel: the
// weights every replica's forward reads in place, Adam's moments, then one region per worker for
// its kernel (gradients, rows, activations: planMemory in src/nn/mlp.ts). A step copies nothing:
// each worker's backward writes its gradients where the others sum them, each worker sums and
// steps its own chunk of the weights (ZeRO stage 1, Rajbhandari et al. 2020), and the next
// forward reads the stepped weights where they are.
import { sharedMemory, type KernelPlacement } from '../nn/mlp.js';

const BASE = 64;
const floatBytes = (n: number) => Math.ceil((4 * n) / 16) * 16;

/** Byte offsets in the shared memory (plain numbers: the plan crosses to worker threads). */
export interface SharedKernelPlan {
  parameters: number;
  weightsPtr: number;
  mPtr: number;
  vPtr: number;
  /** Where each worker's kernel region starts. */
  bases: number[];
  top: number;
}

export interface SharedKernelMemory {
  memory: WebAssembly.Memory;
  plan: SharedKernelPlan;
}

/** regionBytes: one worker's kernel region (planMemory(layout, rows, 0, 0).top). */
export function allocateSharedKernel(parameters: number, regionBytes: number, workers: number): SharedKernelMemory {
  const weightsPtr = BASE;
  const mPtr = weightsPtr + floatBytes(parameters);
  const vPtr = mPtr + floatBytes(parameters);
  const first = vPtr + floatBytes(parameters);
  const region = Math.ceil(regionBytes / 16) * 16;
  const bases = Array.from({ length: workers }, (_, rank) => first + rank * region);
  const top = first + workers * region;
  return { memory: sharedMemory(top), plan: { parameters, weightsPtr, mPtr, vPtr, bases, top } };
}

/** Where a worker's kernel lives: its region, reading the shared weights. */
export function placementOf(shared: SharedKernelMemory, rank: number): KernelPlacement {
  return { memory: shared.memory, base: shared.plan.bases[rank], paramsPtr: shared.plan.weightsPtr };
}

/** Worker `rank`'s chunk [start, end) of the weights: the one it sums and steps. */
export function chunkOf(parameters: number, rank: number, workers: number): [number, number] {
  return [Math.floor((rank * parameters) / workers), Math.floor(((rank + 1) * parameters) / workers)];
}
