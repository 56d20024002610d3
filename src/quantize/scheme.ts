// The arithmetic of post-training quantization, in plain JS (no memory, no kernels): how a range becomes
// a scale and zero point, how float weights become int8, and how a real multiplier becomes a fixed-point
// one. docs/ARCHITECTURE.md ("Quantized inference") states the scheme; the kernels follow it exactly.
import type { QuantParams } from './int8-tensor.js';

/** Activations are 7-bit (0..127) in both builds: the relaxed i8 dot product takes one operand as 7-bit. */
export const ACTIVATION_MAX = 127;
/** Weights are symmetric int8 without −128, so −w is always representable. */
export const WEIGHT_MAX = 127;

/**
 * Scale and zero point for real values in [min, max]. The range is widened to contain 0, so real 0 (the
 * padding value, ReLU's floor) is exactly the zero point.
 */
export function activationParams(min: number, max: number): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new Error(`simdnet quantize: an activation range is not finite ([${min}, ${max}]): the calibration data gives NaN or Infinity`);
  }
  if (hi - lo === 0) return { scale: 1, zero: 0 };
  const scale = Math.fround((hi - lo) / ACTIVATION_MAX);
  const zero = Math.min(ACTIVATION_MAX, Math.max(0, Math.round(-lo / scale)));
  return { scale, zero };
}

/**
 * int8 weights for w (K×N row-major: N output channels), symmetric: q = round(w / s), s = max|w| / 127 per
 * output channel (`perChannel`) or over the whole tensor. An all-zero channel gets scale 1.
 */
export function quantizeWeights(w: Float32Array, k: number, n: number, perChannel: boolean): { q: Int8Array; scales: Float32Array } {
  const absMax = new Float64Array(n);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) absMax[j] = Math.max(absMax[j], Math.abs(w[i * n + j]));
  }
  if (!perChannel) absMax.fill(absMax.reduce((a, b) => Math.max(a, b), 0));
  const scales = new Float32Array(n);
  for (let j = 0; j < n; j++) scales[j] = absMax[j] > 0 ? absMax[j] / WEIGHT_MAX : 1;
  const q = new Int8Array(k * n);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) q[i * n + j] = Math.max(-WEIGHT_MAX, Math.min(WEIGHT_MAX, Math.round(w[i * n + j] / scales[j])));
  }
  return { q, scales };
}

/**
 * The int32 bias of an int8 layer: round(b / (sIn·sW[n])) − zeroIn·Σ_k q[k][n]. Folding the zero point in
 * here lets the kernel multiply raw u8 activations.
 */
export function int32Bias(bias: Float32Array | null, q: Int8Array, k: number, n: number, inParams: QuantParams, scales: Float32Array): Int32Array {
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let colSum = 0;
    for (let i = 0; i < k; i++) colSum += q[i * n + j];
    const b = bias ? Math.round(bias[j] / (inParams.scale * scales[j])) : 0;
    out[j] = clampI32(b - inParams.zero * colSum);
  }
  return out;
}

function clampI32(v: number): number {
  return Math.max(-0x80000000, Math.min(0x7fffffff, v));
}

/**
 * Fixed-point form of real multipliers M[n] = sIn·sW[n] / sOut: m0[n] = round(M[n]·2^shift) with one shift
 * for the layer, the largest that keeps every m0 below 2^31 (and at most 62, so acc·m0 + 2^(shift−1)
 * stays inside i64). The kernel computes (acc·m0 + 2^(shift−1)) >> shift: a rounding, arithmetic shift.
 */
export function fixedPointMultipliers(real: Float64Array): { m0: Int32Array; shift: number } {
  let max = 0;
  for (const m of real) {
    if (!(m >= 0) || !Number.isFinite(m)) throw new Error(`simdnet quantize: a requantization multiplier is ${m}`);
    max = Math.max(max, m);
  }
  let shift = max > 0 ? 30 - Math.floor(Math.log2(max)) : 62;
  if (shift > 62) shift = 62;
  if (shift < 1) throw new Error(`simdnet quantize: a requantization multiplier (${max}) is too large: the output range is far smaller than the input's`);
  const m0 = new Int32Array(real.length);
  for (let j = 0; j < real.length; j++) m0[j] = Math.min(0x7fffffff, Math.round(real[j] * 2 ** shift));
  return { m0, shift };
}

/** The value at `percentile` (0..100) of a sorted sample, linearly interpolated. */
export function percentileOf(sorted: Float32Array, percentile: number): number {
  if (sorted.length === 0) return 0;
  const at = (percentile / 100) * (sorted.length - 1);
  const i = Math.floor(at);
  const f = at - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}
