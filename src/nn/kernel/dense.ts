// Dense-layer kernels in AssemblyScript, compiled to WebAssembly SIMD by `npm run build` (the
// build:kernel script: asc --enable simd -O3). Not TypeScript for tsc: tsconfig excludes this
// folder. Every argument is a byte offset into the imported memory or a size; all arrays are
// row-major f32: x [batch, nIn], w [nIn, nOut] (the LayersModel kernel layout), y [batch, nOut].
// Batch-major with f32x4 over the output units: the whole minibatch goes through one call per
// layer, which is what makes small networks fast (tfjs pays ~5 us of dispatch per op instead).

const LINEAR: i32 = 0;
const TANH: i32 = 1;
const RELU: i32 = 2;

// tanh(x) = x P(x^2) / Q(x^2) on [-7.9053, 7.9053], clamped outside: Eigen's float tanh
// (generic_fast_tanh_float), within 4e-7 of Math.tanh everywhere.
const T1: f32 = 4.89352455891786e-3;
const T3: f32 = 6.37261928875436e-4;
const T5: f32 = 1.48572235717979e-5;
const T7: f32 = 5.12229709037114e-8;
const T9: f32 = -8.60467152213735e-11;
const T11: f32 = 2.00018790482477e-13;
const T13: f32 = -2.76076847742355e-16;
const B0: f32 = 4.89352518554385e-3;
const B2: f32 = 2.268434632439e-3;
const B4: f32 = 1.18534705686654e-4;
const B6: f32 = 1.19825839466702e-6;
const TANH_CLAMP: f32 = 7.90531110763549805;

// @ts-ignore: decorator
@inline function tanh4(v: v128): v128 {
  const x = f32x4.max(f32x4.min(v, f32x4.splat(TANH_CLAMP)), f32x4.splat(-TANH_CLAMP));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(T13);
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(T11));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(T9));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(T7));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(T5));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(T3));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(T1));
  p = f32x4.mul(p, x);
  let q = f32x4.splat(B6);
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(B4));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(B2));
  q = f32x4.add(f32x4.mul(q, x2), f32x4.splat(B0));
  return f32x4.div(p, q);
}

// @ts-ignore: decorator
@inline function fma(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

// The starting value of an output block: what y holds (accumulate), the bias, or zero.
// @ts-ignore: decorator
@inline function start4(y: usize, bias: usize, col: usize, accumulate: i32): v128 {
  if (accumulate) return v128.load(y + col);
  if (bias) return v128.load(bias + col);
  return f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function start1(y: usize, bias: usize, col: usize, accumulate: i32): f32 {
  if (accumulate) return load<f32>(y + col);
  if (bias) return load<f32>(bias + col);
  return 0;
}

/**
 * y = x w (+ bias, when bias is not 0) (+ y, with accumulate). Four rows at a time share each
 * load of w: 4 rows x 8 outputs = 8 f32x4 accumulators, which stay in registers.
 */
function matmul(x: usize, w: usize, bias: usize, y: usize, batch: i32, nIn: i32, nOut: i32, accumulate: i32): void {
  const rowW = <usize>nOut << 2;
  const rowX = <usize>nIn << 2;
  let b = 0;
  for (; b + 4 <= batch; b += 4) {
    const x0 = x + <usize>b * rowX;
    const x1 = x0 + rowX;
    const x2 = x1 + rowX;
    const x3 = x2 + rowX;
    const y0 = y + <usize>b * rowW;
    const y1 = y0 + rowW;
    const y2 = y1 + rowW;
    const y3 = y2 + rowW;
    let o = 0;
    for (; o + 8 <= nOut; o += 8) {
      const col = <usize>o << 2;
      let a00 = start4(y0, bias, col, accumulate);
      let a01 = start4(y0, bias, col + 16, accumulate);
      let a10 = start4(y1, bias, col, accumulate);
      let a11 = start4(y1, bias, col + 16, accumulate);
      let a20 = start4(y2, bias, col, accumulate);
      let a21 = start4(y2, bias, col + 16, accumulate);
      let a30 = start4(y3, bias, col, accumulate);
      let a31 = start4(y3, bias, col + 16, accumulate);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        const off = <usize>i << 2;
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        let s = v128.load32_splat(x0 + off);
        a00 = fma(a00, s, w0);
        a01 = fma(a01, s, w1);
        s = v128.load32_splat(x1 + off);
        a10 = fma(a10, s, w0);
        a11 = fma(a11, s, w1);
        s = v128.load32_splat(x2 + off);
        a20 = fma(a20, s, w0);
        a21 = fma(a21, s, w1);
        s = v128.load32_splat(x3 + off);
        a30 = fma(a30, s, w0);
        a31 = fma(a31, s, w1);
        wp += rowW;
      }
      v128.store(y0 + col, a00);
      v128.store(y0 + col, a01, 16);
      v128.store(y1 + col, a10);
      v128.store(y1 + col, a11, 16);
      v128.store(y2 + col, a20);
      v128.store(y2 + col, a21, 16);
      v128.store(y3 + col, a30);
      v128.store(y3 + col, a31, 16);
    }
    for (; o + 4 <= nOut; o += 4) {
      const col = <usize>o << 2;
      let a0 = start4(y0, bias, col, accumulate);
      let a1 = start4(y1, bias, col, accumulate);
      let a2 = start4(y2, bias, col, accumulate);
      let a3 = start4(y3, bias, col, accumulate);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        const off = <usize>i << 2;
        const w0 = v128.load(wp);
        a0 = fma(a0, v128.load32_splat(x0 + off), w0);
        a1 = fma(a1, v128.load32_splat(x1 + off), w0);
        a2 = fma(a2, v128.load32_splat(x2 + off), w0);
        a3 = fma(a3, v128.load32_splat(x3 + off), w0);
        wp += rowW;
      }
      v128.store(y0 + col, a0);
      v128.store(y1 + col, a1);
      v128.store(y2 + col, a2);
      v128.store(y3 + col, a3);
    }
    for (; o < nOut; o++) {
      const col = <usize>o << 2;
      let a0 = start1(y0, bias, col, accumulate);
      let a1 = start1(y1, bias, col, accumulate);
      let a2 = start1(y2, bias, col, accumulate);
      let a3 = start1(y3, bias, col, accumulate);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        const off = <usize>i << 2;
        const wv = load<f32>(wp);
        a0 += load<f32>(x0 + off) * wv;
        a1 += load<f32>(x1 + off) * wv;
        a2 += load<f32>(x2 + off) * wv;
        a3 += load<f32>(x3 + off) * wv;
        wp += rowW;
      }
      store<f32>(y0 + col, a0);
      store<f32>(y1 + col, a1);
      store<f32>(y2 + col, a2);
      store<f32>(y3 + col, a3);
    }
  }
  for (; b < batch; b++) {
    const xRow = x + <usize>b * rowX;
    const yRow = y + <usize>b * rowW;
    let o = 0;
    for (; o + 4 <= nOut; o += 4) {
      const col = <usize>o << 2;
      let a0 = start4(yRow, bias, col, accumulate);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        a0 = fma(a0, f32x4.splat(load<f32>(xRow + (<usize>i << 2))), v128.load(wp));
        wp += rowW;
      }
      v128.store(yRow + col, a0);
    }
    for (; o < nOut; o++) {
      const col = <usize>o << 2;
      let a = start1(yRow, bias, col, accumulate);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        a += load<f32>(xRow + (<usize>i << 2)) * load<f32>(wp);
        wp += rowW;
      }
      store<f32>(yRow + col, a);
    }
  }
}

/** y = act(x w + bias). */
export function dense_forward(x: usize, w: usize, bias: usize, y: usize, batch: i32, nIn: i32, nOut: i32, act: i32): void {
  matmul(x, w, bias, y, batch, nIn, nOut, 0);
  const n = batch * nOut;
  if (act == TANH) {
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      const p = y + (<usize>k << 2);
      v128.store(p, tanh4(v128.load(p)));
    }
    for (; k < n; k++) {
      const p = y + (<usize>k << 2);
      store<f32>(p, f32x4.extract_lane(tanh4(v128.load32_splat(p)), 0));
    }
  } else if (act == RELU) {
    let k = 0;
    const zero = f32x4.splat(0);
    for (; k + 4 <= n; k += 4) {
      const p = y + (<usize>k << 2);
      v128.store(p, f32x4.max(v128.load(p), zero));
    }
    for (; k < n; k++) {
      const p = y + (<usize>k << 2);
      const v = load<f32>(p);
      store<f32>(p, v > 0 ? v : 0);
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

/** dst [cols, rows] = src [rows, cols] transposed. */
function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = src + ((<usize>r * <usize>cols) << 2);
    for (let c = 0; c < cols; c++) store<f32>(dst + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(row + (<usize>c << 2)));
  }
}

/**
 * dw = x^T dz and dbias = column sums of dz (both overwritten); scratch holds batch x max(nIn, nOut)
 * floats. x^T and dz^T... are formed once so the product runs through matmul's blocked loops.
 */
export function dense_grad_params(x: usize, dz: usize, dw: usize, dbias: usize, batch: i32, nIn: i32, nOut: i32, scratch: usize): void {
  // dw [nIn, nOut] = xT [nIn, batch] dz [batch, nOut]
  transpose(x, scratch, batch, nIn);
  matmul(scratch, dz, 0, dw, nIn, batch, nOut, 0);
  const rowZ = <usize>nOut << 2;
  let o = 0;
  for (; o + 4 <= nOut; o += 4) {
    let a = f32x4.splat(0);
    let zp = dz + (<usize>o << 2);
    for (let b = 0; b < batch; b++) {
      a = f32x4.add(a, v128.load(zp));
      zp += rowZ;
    }
    v128.store(dbias + (<usize>o << 2), a);
  }
  for (; o < nOut; o++) {
    let a: f32 = 0;
    let zp = dz + (<usize>o << 2);
    for (let b = 0; b < batch; b++) {
      a += load<f32>(zp);
      zp += rowZ;
    }
    store<f32>(dbias + (<usize>o << 2), a);
  }
}

/** dx = dz w^T, written (accumulate 0) or added to dx (accumulate 1, for a shared trunk); scratch holds nIn x nOut floats. */
export function dense_grad_input(dz: usize, w: usize, dx: usize, batch: i32, nIn: i32, nOut: i32, accumulate: i32, scratch: usize): void {
  // dx [batch, nIn] = dz [batch, nOut] wT [nOut, nIn]
  transpose(w, scratch, nIn, nOut);
  matmul(dz, scratch, 0, dx, batch, nOut, nIn, accumulate);
}
