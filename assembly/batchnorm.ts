// Batch normalization over the last axis: x is (rows, C) where rows = every other axis (N*H*W for images).
// Per channel c: y = gamma * (x - mean) / sqrt(var + eps) + beta.
//
// Per-channel sums are accumulated in f64 (two f64x2 lanes per f32x4 of channels) in a scratch buffer the
// caller provides, rows outer and channels inner so x is read once, in order. Training statistics are
// one pass over x: sums of (x - k) and (x - k)^2 with k = x's first row, a shift that keeps the
// variance exact even when |mean| >> std. Writing y is then a sub and a madd per element with a
// per-channel scale = gamma * invStd (f32, also in scratch).

import { madd } from './simd';

// Lanes 0-1 / 2-3 of an f32x4 as an f64x2.
@inline function promoteLow(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
}

// sumA[c] = Σ_r (a[r,c] - ka[c]),  sumAB[c] = Σ_r (a[r,c] - ka[c]) * (b[r,c] - kb[c])   (f64 accumulators)
function channelSums(a: usize, ka: usize, b: usize, kb: usize, rows: i32, c: i32, sumA: usize, sumAB: usize): void {
  memory.fill(sumA, 0, <usize>c << 3);
  memory.fill(sumAB, 0, <usize>c << 3);
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const ar = a + <usize>r * rowBytes;
    const br = b + <usize>r * rowBytes;
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      const da = f32x4.sub(v128.load(ar + o), v128.load(ka + o));
      const db = f32x4.sub(v128.load(br + o), v128.load(kb + o));
      const aLo = promoteLow(da);
      const aHi = promoteHigh(da);
      const s = sumA + (<usize>ch << 3);
      const q = sumAB + (<usize>ch << 3);
      v128.store(s, f64x2.add(v128.load(s), aLo));
      v128.store(s + 16, f64x2.add(v128.load(s + 16), aHi));
      v128.store(q, f64x2.add(v128.load(q), f64x2.mul(aLo, promoteLow(db))));
      v128.store(q + 16, f64x2.add(v128.load(q + 16), f64x2.mul(aHi, promoteHigh(db))));
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      const da = <f64>(load<f32>(ar + o) - load<f32>(ka + o));
      const db = <f64>(load<f32>(br + o) - load<f32>(kb + o));
      const s = sumA + (<usize>ch << 3);
      const q = sumAB + (<usize>ch << 3);
      store<f64>(s, load<f64>(s) + da);
      store<f64>(q, load<f64>(q) + da * db);
    }
  }
}

// out[r,c] = (x[r,c] - center[c]) * scale[c] + shift[c]. Centering first (rather than folding the mean
// into shift) keeps the result accurate when |mean| >> std.
function normalizeRows(x: usize, out: usize, center: usize, scale: usize, shift: usize, rows: i32, c: i32): void {
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      const centered = f32x4.sub(v128.load(xr + o), v128.load(center + o));
      v128.store(yr + o, madd(centered, v128.load(scale + o), v128.load(shift + o)));
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      store<f32>(yr + o, (load<f32>(xr + o) - load<f32>(center + o)) * load<f32>(scale + o) + load<f32>(shift + o));
    }
  }
}

// Scratch bytes the kernels below need for C channels.
export function batchnorm_scratch_bytes(c: i32): i32 {
  return c * 32;
}

// Training forward. x, y are (rows, C); gamma, beta, savedMean, savedInvStd, movingMean, movingVariance are (C).
// Saves the batch mean and 1/sqrt(var + eps) for backward, and moves the moving statistics toward the batch's:
// moving = moving * momentum + batch * (1 - momentum), where the batch variance is multiplied by
// varianceFactor first (1: biased variance, as TF.js and Keras 3; rows/(rows-1): unbiased, as tf.keras' fused op).
// y may be x. scratch: batchnorm_scratch_bytes(C).
export function batchnorm_train_forward_f32(
  x: usize, gamma: usize, beta: usize, y: usize, savedMean: usize, savedInvStd: usize,
  movingMean: usize, movingVariance: usize, rows: i32, c: i32,
  momentum: f32, epsilon: f32, varianceFactor: f32, scratch: usize,
): void {
  const sum = scratch;
  const sumSq = scratch + (<usize>c << 3);
  const scale = scratch + (<usize>c << 4);
  // Shift by the first row (k): Σ(x-k) and Σ(x-k)^2 give mean and variance without cancellation.
  channelSums(x, x, x, x, rows, c, sum, sumSq);
  const invRows = 1.0 / <f64>rows;
  const keep = <f64>momentum;
  const blend = 1.0 - keep;
  for (let ch = 0; ch < c; ch++) {
    const o = <usize>ch << 2;
    const d = load<f64>(sum + (<usize>ch << 3)) * invRows; // mean - k
    let variance = load<f64>(sumSq + (<usize>ch << 3)) * invRows - d * d;
    if (variance < 0) variance = 0;
    const mean = <f64>load<f32>(x + o) + d;
    const invStd = 1.0 / Math.sqrt(variance + <f64>epsilon);
    store<f32>(savedMean + o, <f32>mean);
    store<f32>(savedInvStd + o, <f32>invStd);
    store<f32>(movingMean + o, <f32>(<f64>load<f32>(movingMean + o) * keep + mean * blend));
    store<f32>(movingVariance + o, <f32>(<f64>load<f32>(movingVariance + o) * keep + variance * <f64>varianceFactor * blend));
    store<f32>(scale + o, <f32>(<f64>load<f32>(gamma + o) * invStd));
  }
  // savedMean is read before y is written, so y may be x.
  normalizeRows(x, y, savedMean, scale, beta, rows, c);
}

// Inference forward with the moving statistics. x, y are (rows, C); the rest are (C). y may be x.
// scratch: batchnorm_scratch_bytes(C).
export function batchnorm_infer_forward_f32(
  x: usize, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize, y: usize,
  rows: i32, c: i32, epsilon: f32, scratch: usize,
): void {
  const scale = scratch;
  for (let ch = 0; ch < c; ch++) {
    const o = <usize>ch << 2;
    store<f32>(scale + o, <f32>(<f64>load<f32>(gamma + o) / Math.sqrt(<f64>load<f32>(movingVariance + o) + <f64>epsilon)));
  }
  normalizeRows(x, y, movingMean, scale, beta, rows, c);
}

// Backward of the training forward. x, dy, dx are (rows, C); gamma, savedMean, savedInvStd, dgamma, dbeta are (C).
// With xhat = (x - mean) * invStd:
//   dbeta = Σ dy,   dgamma = Σ dy * xhat,
//   dx = gamma * invStd * (dy - dbeta/rows - xhat * dgamma/rows)
// which is folded per channel into dx = A*dy + B*(x - mean) + C0. Any of dx, dgamma, dbeta may be 0 (not wanted).
// dx may be dy. scratch: batchnorm_scratch_bytes(C).
export function batchnorm_backward_f32(
  x: usize, dy: usize, gamma: usize, savedMean: usize, savedInvStd: usize,
  dx: usize, dgamma: usize, dbeta: usize, rows: i32, c: i32, scratch: usize,
): void {
  const sumDy = scratch;
  const sumDyXc = scratch + (<usize>c << 3); // Σ dy * (x - mean)
  // dy is summed as is (a zero offset, kept in the f32 part of scratch) and x about the saved mean.
  const zeros = scratch + (<usize>c << 4);
  memory.fill(zeros, 0, <usize>c << 2);
  channelSums(dy, zeros, x, savedMean, rows, c, sumDy, sumDyXc);
  const invRows = 1.0 / <f64>rows;
  const coefA = zeros; // overwritten channel by channel after the sums are done
  const coefB = coefA + (<usize>c << 2);
  const coefC = coefB + (<usize>c << 2);
  for (let ch = 0; ch < c; ch++) {
    const o = <usize>ch << 2;
    const invStd = <f64>load<f32>(savedInvStd + o);
    const db = load<f64>(sumDy + (<usize>ch << 3));
    const dg = load<f64>(sumDyXc + (<usize>ch << 3)) * invStd;
    if (dbeta) store<f32>(dbeta + o, <f32>db);
    if (dgamma) store<f32>(dgamma + o, <f32>dg);
    const k = <f64>load<f32>(gamma + o) * invStd;
    store<f32>(coefA + o, <f32>k);
    store<f32>(coefB + o, <f32>(-k * dg * invRows * invStd)); // from -xhat * dgamma/rows
    store<f32>(coefC + o, <f32>(-k * db * invRows));
  }
  if (!dx) return;
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const dyr = dy + <usize>r * rowBytes;
    const dxr = dx + <usize>r * rowBytes;
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      const centered = f32x4.sub(v128.load(xr + o), v128.load(savedMean + o));
      const t = madd(centered, v128.load(coefB + o), v128.load(coefC + o));
      v128.store(dxr + o, madd(v128.load(dyr + o), v128.load(coefA + o), t));
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      store<f32>(dxr + o, load<f32>(dyr + o) * load<f32>(coefA + o) + (load<f32>(xr + o) - load<f32>(savedMean + o)) * load<f32>(coefB + o) + load<f32>(coefC + o));
    }
  }
}
