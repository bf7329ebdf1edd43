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
@inline function horner(p: v128, x2: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(p, x2), f32x4.splat(c));
}

/**
 * tanh4 of the 16 floats at a, in place, four vectors in lockstep: each step of the four Horner
 * chains is issued together, so the core works on four independent chains at once instead of
 * waiting on one (38 us instead of 55 for 32k values on this project's machine). The same
 * operations per lane as tanh4, so the same bits.
 */
// @ts-ignore: decorator
@inline function tanh16(a: usize): void {
  const hi = f32x4.splat(TANH_CLAMP);
  const lo = f32x4.splat(-TANH_CLAMP);
  const x0 = f32x4.max(f32x4.min(v128.load(a), hi), lo);
  const x1 = f32x4.max(f32x4.min(v128.load(a, 16), hi), lo);
  const x2 = f32x4.max(f32x4.min(v128.load(a, 32), hi), lo);
  const x3 = f32x4.max(f32x4.min(v128.load(a, 48), hi), lo);
  const s0 = f32x4.mul(x0, x0);
  const s1 = f32x4.mul(x1, x1);
  const s2 = f32x4.mul(x2, x2);
  const s3 = f32x4.mul(x3, x3);
  const t13 = f32x4.splat(T13);
  let p0 = horner(t13, s0, T11), p1 = horner(t13, s1, T11), p2 = horner(t13, s2, T11), p3 = horner(t13, s3, T11);
  p0 = horner(p0, s0, T9); p1 = horner(p1, s1, T9); p2 = horner(p2, s2, T9); p3 = horner(p3, s3, T9);
  p0 = horner(p0, s0, T7); p1 = horner(p1, s1, T7); p2 = horner(p2, s2, T7); p3 = horner(p3, s3, T7);
  p0 = horner(p0, s0, T5); p1 = horner(p1, s1, T5); p2 = horner(p2, s2, T5); p3 = horner(p3, s3, T5);
  p0 = horner(p0, s0, T3); p1 = horner(p1, s1, T3); p2 = horner(p2, s2, T3); p3 = horner(p3, s3, T3);
  p0 = horner(p0, s0, T1); p1 = horner(p1, s1, T1); p2 = horner(p2, s2, T1); p3 = horner(p3, s3, T1);
  p0 = f32x4.mul(p0, x0); p1 = f32x4.mul(p1, x1); p2 = f32x4.mul(p2, x2); p3 = f32x4.mul(p3, x3);
  const b6 = f32x4.splat(B6);
  let q0 = horner(b6, s0, B4), q1 = horner(b6, s1, B4), q2 = horner(b6, s2, B4), q3 = horner(b6, s3, B4);
  q0 = horner(q0, s0, B2); q1 = horner(q1, s1, B2); q2 = horner(q2, s2, B2); q3 = horner(q3, s3, B2);
  q0 = horner(q0, s0, B0); q1 = horner(q1, s1, B0); q2 = horner(q2, s2, B0); q3 = horner(q3, s3, B0);
  v128.store(a, f32x4.div(p0, q0));
  v128.store(a, f32x4.div(p1, q1), 16);
  v128.store(a, f32x4.div(p2, q2), 32);
  v128.store(a, f32x4.div(p3, q3), 48);
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
 * y = x w (+ bias, when bias is not 0) (+ y, with accumulate), where element (b, i) of x is at
 * x + b rowX + i colX bytes: x's rows (rowX = nIn * 4, colX = 4) or, for x^T, its columns
 * (rowX = 4, colX = the row's bytes), so no transpose is formed. Four rows at a time share each
 * load of w: 4 rows x 8 outputs = 8 f32x4 accumulators, which stay in registers.
 */
function matmul(x: usize, rowX: usize, colX: usize, w: usize, bias: usize, y: usize, batch: i32, nIn: i32, nOut: i32, accumulate: i32): void {
  const rowW = <usize>nOut << 2;
  const row2 = rowX << 1;
  const row3 = row2 + rowX;
  let b = 0;
  for (; b + 4 <= batch; b += 4) {
    const x0 = x + <usize>b * rowX;
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
      let xp = x0;
      for (let i = 0; i < nIn; i++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        let s = v128.load32_splat(xp);
        a00 = fma(a00, s, w0);
        a01 = fma(a01, s, w1);
        s = v128.load32_splat(xp + rowX);
        a10 = fma(a10, s, w0);
        a11 = fma(a11, s, w1);
        s = v128.load32_splat(xp + row2);
        a20 = fma(a20, s, w0);
        a21 = fma(a21, s, w1);
        s = v128.load32_splat(xp + row3);
        a30 = fma(a30, s, w0);
        a31 = fma(a31, s, w1);
        wp += rowW;
        xp += colX;
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
      let xp = x0;
      for (let i = 0; i < nIn; i++) {
        const w0 = v128.load(wp);
        a0 = fma(a0, v128.load32_splat(xp), w0);
        a1 = fma(a1, v128.load32_splat(xp + rowX), w0);
        a2 = fma(a2, v128.load32_splat(xp + row2), w0);
        a3 = fma(a3, v128.load32_splat(xp + row3), w0);
        wp += rowW;
        xp += colX;
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
      let xp = x0;
      for (let i = 0; i < nIn; i++) {
        const wv = load<f32>(wp);
        a0 += load<f32>(xp) * wv;
        a1 += load<f32>(xp + rowX) * wv;
        a2 += load<f32>(xp + row2) * wv;
        a3 += load<f32>(xp + row3) * wv;
        wp += rowW;
        xp += colX;
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
    // single rows (a rollout step, the last rows of a batch): 16 outputs a pass, so that four
    // independent accumulators hide the latency of each one's chain of adds (each output's sum is
    // still taken in the same order, so the results are the same bits)
    for (; o + 16 <= nOut; o += 16) {
      const col = <usize>o << 2;
      let a0 = start4(yRow, bias, col, accumulate);
      let a1 = start4(yRow, bias, col + 16, accumulate);
      let a2 = start4(yRow, bias, col + 32, accumulate);
      let a3 = start4(yRow, bias, col + 48, accumulate);
      let wp = w + col;
      let xp = xRow;
      for (let i = 0; i < nIn; i++) {
        const s = v128.load32_splat(xp);
        a0 = fma(a0, s, v128.load(wp));
        a1 = fma(a1, s, v128.load(wp, 16));
        a2 = fma(a2, s, v128.load(wp, 32));
        a3 = fma(a3, s, v128.load(wp, 48));
        wp += rowW;
        xp += colX;
      }
      v128.store(yRow + col, a0);
      v128.store(yRow + col, a1, 16);
      v128.store(yRow + col, a2, 32);
      v128.store(yRow + col, a3, 48);
    }
    for (; o + 4 <= nOut; o += 4) {
      const col = <usize>o << 2;
      let a0 = start4(yRow, bias, col, accumulate);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        a0 = fma(a0, v128.load32_splat(xRow + <usize>i * colX), v128.load(wp));
        wp += rowW;
      }
      v128.store(yRow + col, a0);
    }
    for (; o < nOut; o++) {
      const col = <usize>o << 2;
      let a = start1(yRow, bias, col, accumulate);
      let wp = w + col;
      for (let i = 0; i < nIn; i++) {
        a += load<f32>(xRow + <usize>i * colX) * load<f32>(wp);
        wp += rowW;
      }
      store<f32>(yRow + col, a);
    }
  }
}

/**
 * y = act(x w + bias). Narrow layers (fewer than 4 outputs: policy logits, V(s)) leave matmul's
 * f32x4 over the outputs idle: they form w^T in scratch (nIn x nOut floats) and take dot products
 * along the inputs (matmul_nt), then add the bias, three to four times as fast for 256 inputs.
 */
export function dense_forward(x: usize, w: usize, bias: usize, y: usize, batch: i32, nIn: i32, nOut: i32, act: i32, scratch: usize): void {
  if (nOut < 4 && (nIn & 3) == 0) {
    transpose(w, scratch, nIn, nOut);
    matmul_nt(x, scratch, y, batch, nOut, nIn, 0);
    for (let b = 0; b < batch; b++) {
      const row = y + ((<usize>b * <usize>nOut) << 2);
      for (let o = 0; o < nOut; o++) store<f32>(row + (<usize>o << 2), load<f32>(row + (<usize>o << 2)) + load<f32>(bias + (<usize>o << 2)));
    }
  } else matmul(x, <usize>nIn << 2, 4, w, bias, y, batch, nIn, nOut, 0);
  const n = batch * nOut;
  if (act == TANH) {
    let k = 0;
    for (; k + 16 <= n; k += 16) tanh16(y + (<usize>k << 2));
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

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  const pairs = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(pairs, 0) + f32x4.extract_lane(pairs, 1);
}

/**
 * y [rows, cols] = a [rows, inner] b^T, b being [cols, inner] (both row-major), written or added to y:
 * dot products along contiguous rows, 4 rows x 2 columns of f32x4 accumulators per pass, so
 * each load of b serves four rows. For inner a multiple of 4.
 */
function matmul_nt(a: usize, b: usize, y: usize, rows: i32, cols: i32, inner: i32, accumulate: i32): void {
  const rowA = <usize>inner << 2;
  const rowY = <usize>cols << 2;
  const row2 = rowA << 1;
  const row3 = row2 + rowA;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a0 = a + <usize>r * rowA;
    const y0 = y + <usize>r * rowY;
    let c = 0;
    for (; c + 2 <= cols; c += 2) {
      const b0 = b + <usize>c * rowA;
      let s00 = f32x4.splat(0);
      let s01 = f32x4.splat(0);
      let s10 = f32x4.splat(0);
      let s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0);
      let s21 = f32x4.splat(0);
      let s30 = f32x4.splat(0);
      let s31 = f32x4.splat(0);
      for (let k: usize = 0; k < rowA; k += 16) {
        const u = v128.load(b0 + k);
        const v = v128.load(b0 + rowA + k);
        let x = v128.load(a0 + k);
        s00 = fma(s00, x, u);
        s01 = fma(s01, x, v);
        x = v128.load(a0 + rowA + k);
        s10 = fma(s10, x, u);
        s11 = fma(s11, x, v);
        x = v128.load(a0 + row2 + k);
        s20 = fma(s20, x, u);
        s21 = fma(s21, x, v);
        x = v128.load(a0 + row3 + k);
        s30 = fma(s30, x, u);
        s31 = fma(s31, x, v);
      }
      const p = y0 + (<usize>c << 2);
      store<f32>(p, (accumulate ? load<f32>(p) : 0) + hsum(s00));
      store<f32>(p, (accumulate ? load<f32>(p, 4) : 0) + hsum(s01), 4);
      store<f32>(p + rowY, (accumulate ? load<f32>(p + rowY) : 0) + hsum(s10));
      store<f32>(p + rowY, (accumulate ? load<f32>(p + rowY, 4) : 0) + hsum(s11), 4);
      store<f32>(p + 2 * rowY, (accumulate ? load<f32>(p + 2 * rowY) : 0) + hsum(s20));
      store<f32>(p + 2 * rowY, (accumulate ? load<f32>(p + 2 * rowY, 4) : 0) + hsum(s21), 4);
      store<f32>(p + 3 * rowY, (accumulate ? load<f32>(p + 3 * rowY) : 0) + hsum(s30));
      store<f32>(p + 3 * rowY, (accumulate ? load<f32>(p + 3 * rowY, 4) : 0) + hsum(s31), 4);
    }
    for (; c < cols; c++) {
      for (let j = 0; j < 4; j++) dot_into(a0 + <usize>j * rowA, b + <usize>c * rowA, y0 + <usize>j * rowY + (<usize>c << 2), rowA, accumulate);
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < cols; c++) dot_into(a + <usize>r * rowA, b + <usize>c * rowA, y + <usize>r * rowY + (<usize>c << 2), rowA, accumulate);
  }
}

/** *p (+)= the dot product of the bytes-long rows at a and b (f32x4 lanes, then their sum, as matmul_nt). */
function dot_into(a: usize, b: usize, p: usize, bytes: usize, accumulate: i32): void {
  let s = f32x4.splat(0);
  for (let k: usize = 0; k < bytes; k += 16) s = fma(s, v128.load(a + k), v128.load(b + k));
  store<f32>(p, (accumulate ? load<f32>(p) : 0) + hsum(s));
}

/**
 * dw = x^T dz and dbias = column sums of dz (both overwritten). x^T is read in place through
 * matmul's strides. For narrow layers (an output layer of a few units, where matmul's f32x4
 * over the outputs has nothing to work on) dw^T = dz^T x goes into scratch (nIn x nOut floats)
 * with f32x4 over the inputs, then is transposed into dw: each weight's gradient is the same sum
 * in the same order over the rows, so the same bits, in a third of the time for two outputs.
 */
export function dense_grad_params(x: usize, dz: usize, dw: usize, dbias: usize, batch: i32, nIn: i32, nOut: i32, scratch: usize): void {
  if (nOut < 4) {
    // dw^T [nOut, nIn] = dz^T [nOut, batch] x [batch, nIn]: row o of dz^T is column o of dz
    matmul(dz, 4, <usize>nOut << 2, x, 0, scratch, nOut, batch, nIn, 0);
    transpose(scratch, dw, nOut, nIn);
  } else {
    // dw [nIn, nOut] = xT [nIn, batch] dz [batch, nOut]: row i of x^T is column i of x
    matmul(x, 4, <usize>nIn << 2, dz, 0, dw, nIn, batch, nOut, 0);
  }
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

/**
 * dx = dz w^T, written (accumulate 0) or added to dx (accumulate 1, for a shared trunk). For
 * nOut a multiple of 4 (hidden layers), dot products along w's rows; for other widths (output
 * layers, a few units) w^T is formed in scratch (nIn x nOut floats) and multiplied by matmul.
 */
export function dense_grad_input(dz: usize, w: usize, dx: usize, batch: i32, nIn: i32, nOut: i32, accumulate: i32, scratch: usize): void {
  if ((nOut & 3) == 0 && nOut >= 8) {
    matmul_nt(dz, w, dx, batch, nIn, nOut, accumulate);
    return;
  }
  // dx [batch, nIn] = dz [batch, nOut] wT [nOut, nIn]
  transpose(w, scratch, nIn, nOut);
  matmul(dz, <usize>nOut << 2, 4, scratch, 0, dx, batch, nOut, nIn, accumulate);
}

/** n floats at ptr set to zero (a Float32Array's fill() on shared memory took ten times as long). */
export function zero_floats(ptr: usize, n: i32): void {
  memory.fill(ptr, 0, <usize>n << 2);
}

/** dst[0, n) = src[0, n) (floats; the ranges do not overlap). */
export function copy_floats(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** dst[k] += src[k] for n floats: the sum of two partial gradients, in that order. */
export function add_into(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const off = <usize>k << 2;
    v128.store(dst + off, f32x4.add(v128.load(dst + off), v128.load(src + off)));
  }
  for (; k < n; k++) {
    const off = <usize>k << 2;
    store<f32>(dst + off, load<f32>(dst + off) + load<f32>(src + off));
  }
}

/**
 * Adam's update of n params from grads with moments m, v, in f32 as TensorFlow's AdamOptimizer
 * does for float32 variables (FlatAdam in TypeScript works in f64: they agree to about 1e-7):
 *   m = b1 m + c1 g;  v = b2 v + c2 g g;  p -= lrT m / (sqrt(v) + eps)
 * with c1 = 1 - b1 and c2 = 1 - b2 worked out in f64 by the caller (in f32, 1 - 0.999 is 5e-5 off).
 */
export function adam_update(params: usize, grads: usize, m: usize, v: usize, n: i32, lrT: f32, b1: f32, c1: f32, b2: f32, c2: f32, eps: f32): void {
  const B1 = f32x4.splat(b1);
  const C1 = f32x4.splat(c1);
  const B2 = f32x4.splat(b2);
  const C2 = f32x4.splat(c2);
  const LR = f32x4.splat(lrT);
  const EPS = f32x4.splat(eps);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const off = <usize>k << 2;
    const g = v128.load(grads + off);
    const m1 = f32x4.add(f32x4.mul(B1, v128.load(m + off)), f32x4.mul(C1, g));
    const v1 = f32x4.add(f32x4.mul(B2, v128.load(v + off)), f32x4.mul(f32x4.mul(C2, g), g));
    v128.store(m + off, m1);
    v128.store(v + off, v1);
    const step = f32x4.div(f32x4.mul(LR, m1), f32x4.add(f32x4.sqrt(v1), EPS));
    v128.store(params + off, f32x4.sub(v128.load(params + off), step));
  }
  for (; k < n; k++) {
    const off = <usize>k << 2;
    const g = load<f32>(grads + off);
    const m1 = b1 * load<f32>(m + off) + c1 * g;
    const v1 = b2 * load<f32>(v + off) + c2 * g * g;
    store<f32>(m + off, m1);
    store<f32>(v + off, v1);
    store<f32>(params + off, load<f32>(params + off) - (lrT * m1) / (Mathf.sqrt(v1) + eps));
  }
}

/**
 * tfjs's AdamOptimizer.applyGradients (tfjs-core adam_optimizer.ts) over n weights, float32 op for
 * op, so the weights are the bits tfjs makes: g = sum / rows, m = m b1 + g c1, v = v b2 + g^2 c2,
 * w = (m / a1) / (sqrt(v / a2) + eps) * minusLr + w, with c = 1 - b and a = 1 - b^t as tfjs rounds
 * them. rl sgd's workers each run it on their chunk of the summed gradients. The new weights go
 * to out, which may be params, or sums (each sum is read before its weight is written).
 */
export function tfjs_adam(params: usize, out: usize, sums: usize, m: usize, v: usize, n: i32, rows: f32, b1: f32, c1: f32, b2: f32, c2: f32, a1: f32, a2: f32, eps: f32, minusLr: f32): void {
  const R = f32x4.splat(rows);
  const B1 = f32x4.splat(b1);
  const C1 = f32x4.splat(c1);
  const B2 = f32x4.splat(b2);
  const C2 = f32x4.splat(c2);
  const A1 = f32x4.splat(a1);
  const A2 = f32x4.splat(a2);
  const EPS = f32x4.splat(eps);
  const LR = f32x4.splat(minusLr);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const off = <usize>k << 2;
    const g = f32x4.div(v128.load(sums + off), R);
    const m1 = f32x4.add(f32x4.mul(v128.load(m + off), B1), f32x4.mul(g, C1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + off), B2), f32x4.mul(f32x4.mul(g, g), C2));
    v128.store(m + off, m1);
    v128.store(v + off, v1);
    const step = f32x4.mul(f32x4.div(f32x4.div(m1, A1), f32x4.add(f32x4.sqrt(f32x4.div(v1, A2)), EPS)), LR);
    v128.store(out + off, f32x4.add(step, v128.load(params + off)));
  }
  for (; k < n; k++) {
    const off = <usize>k << 2;
    const g = load<f32>(sums + off) / rows;
    const m1 = load<f32>(m + off) * b1 + g * c1;
    const v1 = load<f32>(v + off) * b2 + g * g * c2;
    store<f32>(m + off, m1);
    store<f32>(v + off, v1);
    store<f32>(out + off, ((m1 / a1) / (Mathf.sqrt(v1 / a2) + eps)) * minusLr + load<f32>(params + off));
  }
}

/** tfjs's SGDOptimizer.applyGradients over n weights: w = c (sum / rows) + w, c = -lr as a float32; out as tfjs_adam's. */
export function tfjs_sgd(params: usize, out: usize, sums: usize, n: i32, rows: f32, c: f32): void {
  for (let k = 0; k < n; k++) {
    const off = <usize>k << 2;
    store<f32>(out + off, c * (load<f32>(sums + off) / rows) + load<f32>(params + off));
  }
}
