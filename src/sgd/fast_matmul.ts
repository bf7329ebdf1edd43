// tfjs's wasm backend multiplies matrices with XNNPACK only when neither operand is transposed;
// with a transposed one, which is every Dense layer's backward pass (dW = x^T dy, dx = dy W^T),
// it runs a plain loop: measured on this project's 2-core machine, [128, 784]^T x [128, 128]
// took 15.4 ms against 1.9 ms for the forward pass's product of the same size, most of an MNIST
// training step. rl sgd's workers give the wasm backend a BatchMatMul that copies such an operand
// transposed (a fraction of a millisecond) and then takes the fast path. Same products, the floats
// summed in another order (to float tolerance, as a test checks against tfjs's own kernel).
import * as tf from '@tensorflow/tfjs';

type Backend = tf.KernelBackend & {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
};

interface MatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: Backend;
  attrs: { transposeA: boolean; transposeB: boolean };
}

const KERNEL = 'BatchMatMul';
const BACKEND = 'wasm';
let installed = false;

/** Replaces the wasm backend's BatchMatMul (once per thread; nothing when that backend is not registered). */
export function useFastTransposedMatMul(): void {
  if (installed) return;
  const original = tf.getKernel(KERNEL, BACKEND);
  if (!original) return;
  installed = true;
  const kernelFunc = original.kernelFunc as unknown as (args: MatMulArgs) => tf.TensorInfo;
  tf.unregisterKernel(KERNEL, BACKEND);
  tf.registerKernel({
    ...original,
    kernelFunc: ((args: MatMulArgs) => {
      const { inputs, backend, attrs } = args;
      const { a, b } = inputs;
      // matrices only (rank 2, or one matrix in a batch of 1); anything else as tfjs does it
      const matrix = (t: tf.TensorInfo) => t.shape.length === 2 || (t.shape.length === 3 && t.shape[0] === 1);
      if ((!attrs.transposeA && !attrs.transposeB) || !matrix(a) || !matrix(b) || a.dtype !== 'float32' || b.dtype !== 'float32') return kernelFunc(args);
      const made: tf.TensorInfo[] = [];
      const plain = (t: tf.TensorInfo, transposed: boolean) => {
        if (!transposed) return t;
        const copy = transposedCopy(backend, t);
        made.push(copy);
        return copy;
      };
      try {
        return kernelFunc({ inputs: { a: plain(a, attrs.transposeA), b: plain(b, attrs.transposeB) }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const t of made) backend.disposeData(t.dataId);
      }
    }) as unknown as tf.KernelFunc,
  });
}

/** A new tensor of t's last two dimensions swapped. */
function transposedCopy(backend: Backend, t: tf.TensorInfo): tf.TensorInfo {
  const rows = t.shape[t.shape.length - 2];
  const cols = t.shape[t.shape.length - 1];
  const shape = [...t.shape.slice(0, -2), cols, rows];
  const out = backend.makeOutput(shape, 'float32');
  // views taken after makeOutput, which may grow (and so move) the backend's heap
  const from = backend.typedArrayFromHeap(t);
  const to = backend.typedArrayFromHeap(out);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) to[c * rows + r] = from[row + c];
  }
  return out;
}
