// Elementwise activations, softmax over the last axis, bias add and its gradient.
// Activation codes and the per-lane math live in activation-math.ts (shared with kernels that fuse one):
//   0 linear, 1 relu, 2 relu6, 3 leakyRelu(alpha), 4 elu(alpha), 5 sigmoid, 6 tanh, 7 hardSigmoid(alpha),
//   8 hardSwish (its backward takes the input x in place of y).
import {
  activate_f32x4, activate_grad_f32x4, load_tail, store_tail, row_max_f32, row_exp_sum_f32,
  ACT_RELU, ACT_RELU6, ACT_LEAKY_RELU, ACT_ELU, ACT_SIGMOID, ACT_TANH, ACT_HARD_SIGMOID, ACT_HARD_SWISH,
} from './activation-math';

// One loop per activation: inlined with a constant `act`, the switch inside folds away. For the exp-based
// activations the last 1-3 floats run through the same loop body (a partial load/store), which keeps one
// copy of the exp code (2.7 KB) at no measurable cost; cheap ones get a branch-free main loop and a tail.
@inline function forward_loop(x: usize, y: usize, n: i32, act: i32, alpha: f32): void {
  let i = 0;
  if (act < ACT_ELU || act >= ACT_HARD_SIGMOID) { // no exp: a branch-free main loop and a tail
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, activate_f32x4(v128.load(x + o), act, alpha));
    }
  }
  for (; i < n; i += 4) {
    const o = <usize>i << 2;
    const k = n - i;
    const v = k >= 4 ? v128.load(x + o) : load_tail(x + o, k, f32x4.splat(0));
    const r = activate_f32x4(v, act, alpha);
    if (k >= 4) v128.store(y + o, r);
    else store_tail(y + o, k, r);
  }
}

// Backward bodies are a few instructions: a separate tail keeps the main loop free of branches (measured
// 25-30 % faster than one loop body with a partial last vector).
@inline function backward_loop(y: usize, dy: usize, dx: usize, n: i32, act: i32, alpha: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, activate_grad_f32x4(v128.load(y + o), v128.load(dy + o), act, alpha));
  }
  if (i < n) {
    const o = <usize>i << 2;
    const zero = f32x4.splat(0);
    store_tail(dx + o, n - i, activate_grad_f32x4(load_tail(y + o, n - i, zero), load_tail(dy + o, n - i, zero), act, alpha));
  }
}

// y = f(x) over n floats; y may be x.
export function activation_forward_f32(x: usize, y: usize, n: i32, act: i32, alpha: f32): void {
  switch (act) {
    case ACT_RELU: forward_loop(x, y, n, ACT_RELU, alpha); break;
    case ACT_RELU6: forward_loop(x, y, n, ACT_RELU6, alpha); break;
    case ACT_LEAKY_RELU: forward_loop(x, y, n, ACT_LEAKY_RELU, alpha); break;
    case ACT_ELU: forward_loop(x, y, n, ACT_ELU, alpha); break;
    case ACT_SIGMOID: forward_loop(x, y, n, ACT_SIGMOID, alpha); break;
    case ACT_TANH: forward_loop(x, y, n, ACT_TANH, alpha); break;
    case ACT_HARD_SIGMOID: forward_loop(x, y, n, ACT_HARD_SIGMOID, alpha); break;
    case ACT_HARD_SWISH: forward_loop(x, y, n, ACT_HARD_SWISH, alpha); break;
    default: if (y != x) memory.copy(y, x, <usize>n << 2);
  }
}

// dx = dy · f'(y) over n floats, from the activation's output y (hardSwish: its input x); dx may be dy.
export function activation_backward_f32(y: usize, dy: usize, dx: usize, n: i32, act: i32, alpha: f32): void {
  switch (act) {
    case ACT_RELU: backward_loop(y, dy, dx, n, ACT_RELU, alpha); break;
    case ACT_RELU6: backward_loop(y, dy, dx, n, ACT_RELU6, alpha); break;
    case ACT_LEAKY_RELU: backward_loop(y, dy, dx, n, ACT_LEAKY_RELU, alpha); break;
    case ACT_ELU: backward_loop(y, dy, dx, n, ACT_ELU, alpha); break;
    case ACT_SIGMOID: backward_loop(y, dy, dx, n, ACT_SIGMOID, alpha); break;
    case ACT_TANH: backward_loop(y, dy, dx, n, ACT_TANH, alpha); break;
    case ACT_HARD_SIGMOID: backward_loop(y, dy, dx, n, ACT_HARD_SIGMOID, alpha); break;
    case ACT_HARD_SWISH: backward_loop(y, dy, dx, n, ACT_HARD_SWISH, alpha); break;
    default: if (dx != dy) memory.copy(dx, dy, <usize>n << 2);
  }
}

// y[i] = x[i] * s over n floats (y may be x).
@inline function scale_row(x: usize, y: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) * s);
  }
}

// x, y are (rows, cols): y = exp(x - max) / Σ exp(x - max) per row; y may be x.
export function softmax_forward_f32(x: usize, y: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride;
    const yr = y + <usize>r * stride;
    const m = row_max_f32(xr, cols);
    const s = row_exp_sum_f32(xr, yr, cols, m);
    scale_row(yr, yr, cols, <f32>(1.0 / s));
  }
}

// y, dy, dx are (rows, cols): dx = y · (dy - Σ dy·y) per row; dx may be dy.
export function softmax_backward_f32(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = <usize>r * stride;
    let acc = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = o0 + (<usize>i << 2);
      acc = f32x4.add(acc, f32x4.mul(v128.load(dy + o), v128.load(y + o)));
    }
    let dot = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; i < cols; i++) {
      const o = o0 + (<usize>i << 2);
      dot += load<f32>(dy + o) * load<f32>(y + o);
    }
    const dv = f32x4.splat(dot);
    i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = o0 + (<usize>i << 2);
      v128.store(dx + o, f32x4.mul(v128.load(y + o), f32x4.sub(v128.load(dy + o), dv)));
    }
    for (; i < cols; i++) {
      const o = o0 + (<usize>i << 2);
      store<f32>(dx + o, load<f32>(y + o) * (load<f32>(dy + o) - dot));
    }
  }
}

// y is (rows, cols), b is (cols): y[r, c] += b[c].
export function bias_add_f32(y: usize, b: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const yr = y + <usize>r * stride;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(yr + o, f32x4.add(v128.load(yr + o), v128.load(b + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(yr + o, load<f32>(yr + o) + load<f32>(b + o));
    }
  }
}

// dy is (rows, cols), db is (cols): db[c] = Σ_r dy[r, c] (overwrites db).
// Narrow rows (cols < 32, where a row is only a few vectors): columns are taken 16 (then 4, then 1) at a
// time and summed down all rows in registers, which avoids a store-to-load chain through db on every row
// (8x faster for cols = 1, 2.5x for 5); sums run in blocks of 64 rows added into a running total, so
// float32 error grows with rows/64 + 64 rather than with rows. Wide rows are summed row after row into db
// (sequential reads; measured 2x faster than the strided column walk for cols = 64).
const BIAS_GRAD_BLOCK = 64;

export function bias_grad_f32(dy: usize, db: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  if (cols >= 32) {
    memory.fill(db, 0, stride);
    for (let r = 0; r < rows; r++) {
      const dr = dy + <usize>r * stride;
      let c = 0;
      for (; c + 4 <= cols; c += 4) {
        const o = <usize>c << 2;
        v128.store(db + o, f32x4.add(v128.load(db + o), v128.load(dr + o)));
      }
      for (; c < cols; c++) {
        const o = <usize>c << 2;
        store<f32>(db + o, load<f32>(db + o) + load<f32>(dr + o));
      }
    }
    return;
  }
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    const col = dy + (<usize>c << 2);
    let t0 = f32x4.splat(0), t1 = t0, t2 = t0, t3 = t0;
    for (let r0 = 0; r0 < rows; r0 += BIAS_GRAD_BLOCK) {
      const end = min(rows, r0 + BIAS_GRAD_BLOCK);
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      for (let r = r0; r < end; r++) {
        const p = col + <usize>r * stride;
        a0 = f32x4.add(a0, v128.load(p));
        a1 = f32x4.add(a1, v128.load(p, 16));
        a2 = f32x4.add(a2, v128.load(p, 32));
        a3 = f32x4.add(a3, v128.load(p, 48));
      }
      t0 = f32x4.add(t0, a0);
      t1 = f32x4.add(t1, a1);
      t2 = f32x4.add(t2, a2);
      t3 = f32x4.add(t3, a3);
    }
    const o = db + (<usize>c << 2);
    v128.store(o, t0);
    v128.store(o, t1, 16);
    v128.store(o, t2, 32);
    v128.store(o, t3, 48);
  }
  for (; c + 4 <= cols; c += 4) {
    const col = dy + (<usize>c << 2);
    let t = f32x4.splat(0);
    for (let r0 = 0; r0 < rows; r0 += BIAS_GRAD_BLOCK) {
      const end = min(rows, r0 + BIAS_GRAD_BLOCK);
      let a = f32x4.splat(0);
      for (let r = r0; r < end; r++) a = f32x4.add(a, v128.load(col + <usize>r * stride));
      t = f32x4.add(t, a);
    }
    v128.store(db + (<usize>c << 2), t);
  }
  for (; c < cols; c++) {
    const col = dy + (<usize>c << 2);
    let t: f32 = 0;
    for (let r0 = 0; r0 < rows; r0 += BIAS_GRAD_BLOCK) {
      const end = min(rows, r0 + BIAS_GRAD_BLOCK);
      let a: f32 = 0;
      for (let r = r0; r < end; r++) a += load<f32>(col + <usize>r * stride);
      t += a;
    }
    store<f32>(db + (<usize>c << 2), t);
  }
}
