// Loads the dense-layer kernel (src/nn/kernel/dense.ts, compiled by `npm run build` into
// dist/src/nn/kernel/dense.wasm) synchronously, so constructors can use it, in the main thread
// and in worker threads alike. The module imports a shared memory: replicas of a network in
// several threads can work on one set of weights.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface DenseKernelExports {
  dense_forward(x: number, w: number, bias: number, y: number, batch: number, nIn: number, nOut: number, act: number, scratch: number): void;
  activation_backward(y: number, dy: number, n: number, act: number): void;
  dense_grad_params(x: number, dz: number, dw: number, dbias: number, batch: number, nIn: number, nOut: number, scratch: number): void;
  dense_grad_input(dz: number, w: number, dx: number, batch: number, nIn: number, nOut: number, accumulate: number, scratch: number): void;
  add_into(dst: number, src: number, n: number): void;
  zero_floats(ptr: number, n: number): void;
  adam_update(params: number, grads: number, m: number, v: number, n: number, lrT: number, b1: number, c1: number, b2: number, c2: number, eps: number): void;
  tfjs_adam(params: number, out: number, sums: number, m: number, v: number, n: number, rows: number, b1: number, c1: number, b2: number, c2: number, a1: number, a2: number, eps: number, minusLr: number): void;
  tfjs_sgd(params: number, out: number, sums: number, n: number, rows: number, c: number): void;
  copy_floats(dst: number, src: number, n: number): void;
}

const WASM_URL = new URL('./kernel/dense.wasm', import.meta.url);
let compiled: WebAssembly.Module | null = null;

function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(WASM_URL);
    } catch {
      throw new Error(`the dense-layer kernel ${fileURLToPath(WASM_URL)} is missing: run npm run build`);
    }
    compiled = new WebAssembly.Module(new Uint8Array(bytes)); // a copy typed as ArrayBuffer-backed, as the DOM typings want
  }
  return compiled;
}

/** A kernel instance over the given memory. */
export function instantiateKernel(memory: WebAssembly.Memory): DenseKernelExports {
  const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
  return instance.exports as unknown as DenseKernelExports;
}
