// Losses (each returns the MEAN loss as f64 and, when the gradient pointer is not 0, overwrites it with the
// gradient of that mean) and the accuracy count. Predictions are (rows, classes) row-major.
// Sparse labels are float class indices, one per row. A kernel that finds a label that is not an integer in
// [0, classes) returns -1 - row before reading or writing anything, so the caller can say which row.
// Formulas follow TensorFlow.js (tfjs-layers losses.ts): probabilities are normalised per row and clipped
// to [eps, 1 - eps] with eps = 1e-7, and the clip passes no gradient where it is active.
import { row_max_f32, row_exp_sum_f32 } from './activation-math';

const EPS: f32 = 1e-7;
const ONE_MINUS_EPS: f32 = <f32>(1.0 - 1e-7);

// Row index of the first label that is not an integer class index in [0, classes), or -1.
function first_bad_label(labels: usize, rows: i32, classes: i32): i32 {
  for (let r = 0; r < rows; r++) {
    const l = load<f32>(labels + (<usize>r << 2));
    // Written so that NaN fails too.
    if (!(l >= 0 && l < <f32>classes) || <f32>(<i32>l) != l) return r;
  }
  return -1;
}

// y[i] = x[i] * s - t[i] * u over n floats (t = 0: y = x * s).
@inline function scale_sub_row(x: usize, y: usize, t: usize, n: i32, s: f32, u: f32): void {
  const sv = f32x4.splat(s);
  const uv = f32x4.splat(u);
  let i = 0;
  if (t) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.sub(f32x4.mul(v128.load(x + o), sv), f32x4.mul(v128.load(t + o), uv)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, load<f32>(x + o) * s - load<f32>(t + o) * u);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.mul(v128.load(x + o), sv));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, load<f32>(x + o) * s);
    }
  }
}

// ---- Softmax + cross-entropy from logits (fused) ----
// loss_r = logsumexp(x_r) - x_r[label]; dlogits = (softmax(x) - onehot) / rows. dlogits may be logits.
export function softmax_xent_sparse_f32(logits: usize, labels: usize, dlogits: usize, rows: i32, classes: i32): f64 {
  const bad = first_bad_label(labels, rows, classes);
  if (bad >= 0) return <f64>(-1 - bad);
  const stride = <usize>classes << 2;
  const invRows = <f32>(1.0 / <f64>rows);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = logits + <usize>r * stride;
    const dr = dlogits ? dlogits + <usize>r * stride : 0;
    const label = <usize><i32>load<f32>(labels + (<usize>r << 2));
    const xl = load<f32>(xr + (label << 2)); // read before dr (maybe xr) is overwritten
    const m = row_max_f32(xr, classes);
    const s = row_exp_sum_f32(xr, dr, classes, m);
    total += <f64>(Mathf.log(<f32>s) + (m - xl)); // s is in [1, classes]: f32 log is plenty
    if (dr) {
      scale_sub_row(dr, dr, 0, classes, <f32>(<f64>invRows / s), 0);
      store<f32>(dr + (label << 2), load<f32>(dr + (label << 2)) - invRows);
    }
  }
  return total / <f64>rows;
}

// loss_r = Σ_j t_j (logsumexp(x_r) - x_j); its gradient is (softmax(x)·Σt - t) / rows, which is the usual
// (softmax - t) / rows when each target row sums to 1. dlogits may be logits.
export function softmax_xent_dense_f32(logits: usize, targets: usize, dlogits: usize, rows: i32, classes: i32): f64 {
  const stride = <usize>classes << 2;
  const invRows = <f32>(1.0 / <f64>rows);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o0 = <usize>r * stride;
    const xr = logits + o0;
    const tr = targets + o0;
    const dr = dlogits ? dlogits + o0 : 0;
    const m = row_max_f32(xr, classes);
    // Σ t and Σ t·(x - m), before the exponentials may overwrite x.
    const mv = f32x4.splat(m);
    let tv = f32x4.splat(0);
    let txv = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= classes; i += 4) {
      const o = <usize>i << 2;
      const t = v128.load(tr + o);
      tv = f32x4.add(tv, t);
      txv = f32x4.add(txv, f32x4.mul(t, f32x4.sub(v128.load(xr + o), mv)));
    }
    let tsum = f32x4.extract_lane(tv, 0) + f32x4.extract_lane(tv, 1) + f32x4.extract_lane(tv, 2) + f32x4.extract_lane(tv, 3);
    let tx = f32x4.extract_lane(txv, 0) + f32x4.extract_lane(txv, 1) + f32x4.extract_lane(txv, 2) + f32x4.extract_lane(txv, 3);
    for (; i < classes; i++) {
      const o = <usize>i << 2;
      const t = load<f32>(tr + o);
      tsum += t;
      tx += t * (load<f32>(xr + o) - m);
    }
    const s = row_exp_sum_f32(xr, dr, classes, m);
    total += <f64>(tsum * Mathf.log(<f32>s) - tx);
    if (dr) scale_sub_row(dr, dr, tr, classes, <f32>(<f64>tsum * <f64>invRows / s), invRows);
  }
  return total / <f64>rows;
}

// ---- Cross-entropy from probabilities (TF.js: q = p / Σp, clipped, loss_r = -Σ t log q) ----
// With g_j = dL/dq_j (= -t_j/q_j, or 0 where clipped): dL/dp_k = (g_k - Σ_j g_j q_j) / Σp.

@inline function clip_passes(q: f32): bool {
  return q >= EPS && q <= ONE_MINUS_EPS;
}

@inline function clip(q: f32): f32 {
  return min(max(q, EPS), ONE_MINUS_EPS);
}

function row_sum(x: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(x + (<usize>i << 2)));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(x + (<usize>i << 2));
  return s;
}

export function prob_xent_dense_f32(probs: usize, targets: usize, dprobs: usize, rows: i32, classes: i32): f64 {
  const stride = <usize>classes << 2;
  const invRows = <f32>(1.0 / <f64>rows);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o0 = <usize>r * stride;
    const pr = probs + o0;
    const tr = targets + o0;
    const sum = row_sum(pr, classes);
    let rowLoss: f32 = 0;
    let gq: f32 = 0; // Σ_j g_j q_j = -Σ t_j over the unclipped j
    for (let j = 0; j < classes; j++) {
      const o = <usize>j << 2;
      const q = load<f32>(pr + o) / sum;
      const t = load<f32>(tr + o);
      if (t != 0) rowLoss -= t * Mathf.log(clip(q));
      if (clip_passes(q)) gq -= t;
    }
    total += <f64>rowLoss;
    if (dprobs) {
      const dr = dprobs + o0;
      const scale = invRows / sum;
      for (let j = 0; j < classes; j++) {
        const o = <usize>j << 2;
        const q = load<f32>(pr + o) / sum;
        const g: f32 = clip_passes(q) ? -load<f32>(tr + o) / q : 0;
        store<f32>(dr + o, (g - gq) * scale);
      }
    }
  }
  return total / <f64>rows;
}

export function prob_xent_sparse_f32(probs: usize, labels: usize, dprobs: usize, rows: i32, classes: i32): f64 {
  const bad = first_bad_label(labels, rows, classes);
  if (bad >= 0) return <f64>(-1 - bad);
  const stride = <usize>classes << 2;
  const invRows = <f32>(1.0 / <f64>rows);
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o0 = <usize>r * stride;
    const pr = probs + o0;
    const label = <usize><i32>load<f32>(labels + (<usize>r << 2));
    const sum = row_sum(pr, classes);
    const q = load<f32>(pr + (label << 2)) / sum;
    total -= <f64>Mathf.log(clip(q));
    if (dprobs) {
      const dr = dprobs + o0;
      const scale = invRows / sum;
      if (clip_passes(q)) {
        // g is -1/q at the label and 0 elsewhere; Σ g q = -1.
        const others = f32x4.splat(scale);
        let j = 0;
        for (; j + 4 <= classes; j += 4) v128.store(dr + (<usize>j << 2), others);
        for (; j < classes; j++) store<f32>(dr + (<usize>j << 2), scale);
        store<f32>(dr + (label << 2), (1 - 1 / q) * scale);
      } else {
        memory.fill(dr, 0, stride);
      }
    }
  }
  return total / <f64>rows;
}

// ---- Mean squared error over all n elements (Keras: mean over the last axis, then over rows) ----
// dpred = 2 (pred - target) / n; dpred may be pred.
export function mse_f32(pred: usize, target: usize, dpred: usize, n: i32): f64 {
  const scale = f32x4.splat(<f32>(2.0 / <f64>n));
  let total: f64 = 0;
  let i = 0;
  // f32 lanes are flushed into the f64 total every 256 elements so long sums stay accurate.
  while (i + 4 <= n) {
    const end = min(n & ~3, i + 256);
    let acc = f32x4.splat(0);
    for (; i < end; i += 4) {
      const o = <usize>i << 2;
      const d = f32x4.sub(v128.load(pred + o), v128.load(target + o));
      acc = f32x4.add(acc, f32x4.mul(d, d));
      if (dpred) v128.store(dpred + o, f32x4.mul(d, scale));
    }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(pred + o) - load<f32>(target + o);
    total += <f64>(d * d);
    if (dpred) store<f32>(dpred + o, d * f32x4.extract_lane(scale, 0));
  }
  return total / <f64>n;
}

// ---- Binary cross-entropy on probabilities, mean over all n elements ----
// y = clip(p); loss = -(t log y + (1 - t) log(1 - y)); dp = (y - t) / (y (1 - y)) / n, 0 where clipped.
export function bce_f32(probs: usize, targets: usize, dprobs: usize, n: i32): f64 {
  const invN = <f32>(1.0 / <f64>n);
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(probs + o);
    const t = load<f32>(targets + o);
    const y = clip(p);
    total -= <f64>(t * Mathf.log(y) + (1 - t) * Mathf.log(1 - y));
    if (dprobs) store<f32>(dprobs + o, clip_passes(p) ? (y - t) / (y * (1 - y)) * invN : 0);
  }
  return total / <f64>n;
}

// ---- Accuracy ----
// Rows where argmax(pred) equals the label (sparse) or argmax(target) (dense); ties go to the first index,
// as tf.argMax. One-column predictions are binary: correct when target == (pred > 0.5 ? 1 : 0).
// Returns -1 - row for a sparse label outside [0, classes) (multi-class only).

function row_argmax(x: usize, n: i32): i32 {
  let best = load<f32>(x);
  let at = 0;
  for (let j = 1; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v > best) {
      best = v;
      at = j;
    }
  }
  return at;
}

export function count_correct_f32(pred: usize, labels: usize, rows: i32, classes: i32, sparse: i32): i32 {
  let correct = 0;
  if (classes == 1) {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r << 2;
      const predicted: f32 = load<f32>(pred + o) > 0.5 ? 1 : 0;
      if (load<f32>(labels + o) == predicted) correct++;
    }
    return correct;
  }
  const stride = <usize>classes << 2;
  if (sparse) {
    const bad = first_bad_label(labels, rows, classes);
    if (bad >= 0) return -1 - bad;
    for (let r = 0; r < rows; r++) {
      if (row_argmax(pred + <usize>r * stride, classes) == <i32>load<f32>(labels + (<usize>r << 2))) correct++;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * stride;
      if (row_argmax(pred + o, classes) == row_argmax(labels + o, classes)) correct++;
    }
  }
  return correct;
}
