// Dense-layer kernels in AssemblyScript, compiled to WebAssembly SIMD by `npm run build`
// (the build:kernel script: asc --enable simd -O3). Not TypeScript for tsc: tsconfig excludes
// this folder. Every argument is a byte offset into the imported memory or a size; all arrays are
// row-major f32: x [batch, nIn], w [nIn, nOut] (the LayersModel kernel layout), y [batch, nOut].
// Batch-major with f32x4 over the output units: the whole minibatch goes through one call per
// layer, which is what makes small networks fast (tfjs pays ~5 us of dispatch per op instead).

const LINEAR: i32 = 0;
const TANH: i32 = 1;
const RELU: i32 = 2;

// @ts-ignore: decorator
@inline function activate(v: f32, act: i32): f32 {
  if (act == TANH) return Mathf.tanh(v);
  if (act == RELU) return v > 0 ? v : 0;
  return v;
}

/** y = act(x w + bias). */
export function dense_forward(x: usize, w: usize, bias: usize, y: usize, batch: i32, nIn: i32, nOut: i32, act: i32): void {
  const rowW = <usize>nOut << 2;
  for (let b = 0; b < batch; b++) {
    const xRow = x + ((<usize>b * <usize>nIn) << 2);
    const yRow = y + ((<usize>b * <usize>nOut) << 2);
    let o = 0;
    // 16 outputs at a time: four f32x4 accumulators stay in registers over the inputs.
    for (; o + 16 <= nOut; o += 16) {
      const col = <usize>o << 2;
      let a0 = v128.load(bias + col);
      let a1 = v128.load(bias + col, 16);
      let a2 = v128.load(bias + col, 32);
      let a3 = v128.load(bias + col, 48);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        const xs = f32x4.splat(load<f32>(xRow + (<usize>i << 2)));
        a0 = f32x4.add(a0, f32x4.mul(xs, v128.load(wp)));
        a1 = f32x4.add(a1, f32x4.mul(xs, v128.load(wp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(xs, v128.load(wp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(xs, v128.load(wp, 48)));
        wp += rowW;
      }
      v128.store(yRow + col, a0);
      v128.store(yRow + col, a1, 16);
      v128.store(yRow + col, a2, 32);
      v128.store(yRow + col, a3, 48);
    }
    for (; o + 4 <= nOut; o += 4) {
      const col = <usize>o << 2;
      let a0 = v128.load(bias + col);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xRow + (<usize>i << 2))), v128.load(wp)));
        wp += rowW;
      }
      v128.store(yRow + col, a0);
    }
    for (; o < nOut; o++) {
      const col = <usize>o << 2;
      let a: f32 = load<f32>(bias + col);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        a += load<f32>(xRow + (<usize>i << 2)) * load<f32>(wp);
        wp += rowW;
      }
      store<f32>(yRow + col, a);
    }
    if (act != LINEAR) {
      for (let j = 0; j < nOut; j++) {
        const p = yRow + (<usize>j << 2);
        store<f32>(p, activate(load<f32>(p), act));
      }
    }
  }
}

/** dy becomes the gradient before the activation, in place: dy * act'(.) expressed through y. */
export function activation_backward(y: usize, dy: usize, n: i32, act: i32): void {
  if (act == LINEAR) return;
  let k = 0;
  if (act == TANH) {
    const one = f32x4.splat(1);
    for (; k + 4 <= n; k += 4) {
      const off = <usize>k << 2;
      const yv = v128.load(y + off);
      v128.store(dy + off, f32x4.mul(v128.load(dy + off), f32x4.sub(one, f32x4.mul(yv, yv))));
    }
    for (; k < n; k++) {
      const off = <usize>k << 2;
      const yv = load<f32>(y + off);
      store<f32>(dy + off, load<f32>(dy + off) * (1 - yv * yv));
    }
  } else {
    // relu: the gradient passes where the output is positive (tfjs: step(x) for x > 0).
    const zero = f32x4.splat(0);
    for (; k + 4 <= n; k += 4) {
      const off = <usize>k << 2;
      v128.store(dy + off, v128.and(v128.load(dy + off), f32x4.gt(v128.load(y + off), zero)));
    }
    for (; k < n; k++) {
      const off = <usize>k << 2;
      if (!(load<f32>(y + off) > 0)) store<f32>(dy + off, 0);
    }
  }
}

/** dw = x^T dz and dbias = column sums of dz (both overwritten). */
export function dense_grad_params(x: usize, dz: usize, dw: usize, dbias: usize, batch: i32, nIn: i32, nOut: i32): void {
  const rowZ = <usize>nOut << 2;
  const rowX = <usize>nIn << 2;
  for (let i = 0; i < nIn; i++) {
    const xCol = x + (<usize>i << 2);
    const dwRow = dw + ((<usize>i * <usize>nOut) << 2);
    let o = 0;
    for (; o + 16 <= nOut; o += 16) {
      const col = <usize>o << 2;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0);
      let zp = dz + col;
      let xp = xCol;
      for (let b = 0; b < batch; b++) {
        const xs = f32x4.splat(load<f32>(xp));
        a0 = f32x4.add(a0, f32x4.mul(xs, v128.load(zp)));
        a1 = f32x4.add(a1, f32x4.mul(xs, v128.load(zp, 16)));
        a2 = f32x4.add(a2, f32x4.mul(xs, v128.load(zp, 32)));
        a3 = f32x4.add(a3, f32x4.mul(xs, v128.load(zp, 48)));
        zp += rowZ;
        xp += rowX;
      }
      v128.store(dwRow + col, a0);
      v128.store(dwRow + col, a1, 16);
      v128.store(dwRow + col, a2, 32);
      v128.store(dwRow + col, a3, 48);
    }
    for (; o + 4 <= nOut; o += 4) {
      const col = <usize>o << 2;
      let a0 = f32x4.splat(0);
      let zp = dz + col;
      let xp = xCol;
      for (let b = 0; b < batch; b++) {
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xp)), v128.load(zp)));
        zp += rowZ;
        xp += rowX;
      }
      v128.store(dwRow + col, a0);
    }
    for (; o < nOut; o++) {
      const col = <usize>o << 2;
      let a: f32 = 0;
      let zp = dz + col;
      let xp = xCol;
      for (let b = 0; b < batch; b++) {
        a += load<f32>(xp) * load<f32>(zp);
        zp += rowZ;
        xp += rowX;
      }
      store<f32>(dwRow + col, a);
    }
  }
  for (let o = 0; o < nOut; o++) {
    let a: f32 = 0;
    let zp = dz + (<usize>o << 2);
    for (let b = 0; b < batch; b++) {
      a += load<f32>(zp);
      zp += rowZ;
    }
    store<f32>(dbias + (<usize>o << 2), a);
  }
}

/** dx = dz w^T, written (accumulate 0) or added to dx (accumulate 1, for a shared trunk). */
export function dense_grad_input(dz: usize, w: usize, dx: usize, batch: i32, nIn: i32, nOut: i32, accumulate: i32): void {
  for (let b = 0; b < batch; b++) {
    const zRow = dz + ((<usize>b * <usize>nOut) << 2);
    const dxRow = dx + ((<usize>b * <usize>nIn) << 2);
    for (let i = 0; i < nIn; i++) {
      const wRow = w + ((<usize>i * <usize>nOut) << 2);
      let acc = f32x4.splat(0);
      let o = 0;
      for (; o + 4 <= nOut; o += 4) {
        const col = <usize>o << 2;
        acc = f32x4.add(acc, f32x4.mul(v128.load(zRow + col), v128.load(wRow + col)));
      }
      let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      for (; o < nOut; o++) {
        const col = <usize>o << 2;
        s += load<f32>(zRow + col) * load<f32>(wRow + col);
      }
      const p = dxRow + (<usize>i << 2);
      store<f32>(p, accumulate ? load<f32>(p) + s : s);
    }
  }
}
