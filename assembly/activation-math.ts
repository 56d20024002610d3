// The math of every activation, as inline f32x4 functions, for the kernels that apply or fuse one
// (activations.ts here; gemm and conv may fuse one into their epilogue with `activate_f32x4`).
// This file is deliberately NOT re-exported by index.ts: functions taking v128 must not become wasm exports.
//
// Activation codes (shared by every kernel that takes `act: i32`):
//   0 linear, 1 relu, 2 relu6, 3 leakyRelu(alpha), 4 elu(alpha), 5 sigmoid, 6 tanh.
// Every derivative is computed from the OUTPUT y, so a layer keeps only its output.

export const ACT_LINEAR: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_RELU6: i32 = 2;
export const ACT_LEAKY_RELU: i32 = 3;
export const ACT_ELU: i32 = 4;
export const ACT_SIGMOID: i32 = 5;
export const ACT_TANH: i32 = 6;

// e^x for x <= 88.7 (larger x is clamped, so the result stays finite), about 1 ulp.
// Cephes expf: x = n·ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial, then 2^n built in the
// exponent bits. 2^n is applied in two halves so results down in the subnormal range stay right and
// x < -104 gives 0 instead of garbage.
@inline export function exp_f32x4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-104.0)), f32x4.splat(88.7));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(n, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  p = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1.0));
  // 2^n = 2^h · 2^(n-h) with h = n>>1: each half stays a normal float for n in [-150, 128].
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const h = i32x4.shr_s(ni, 1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(h, bias), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

// 1 / (1 + e^-x) without overflow: with e = e^-|x| (never above 1), σ = 1/(1+e) for x >= 0 and
// e/(1+e) for x < 0, so both tails keep full relative precision.
@inline export function sigmoid_f32x4(x: v128): v128 {
  const e = exp_f32x4(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, f32x4.splat(0)));
}

// tanh: an odd polynomial for |x| < 0.625 (Cephes tanhf; avoids the cancellation of 1 - e),
// (1 - e)/(1 + e) with e = e^-2|x| elsewhere, sign restored from x.
@inline export function tanh_f32x4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp_f32x4(f32x4.mul(ax, f32x4.splat(-2.0)));
  const one = f32x4.splat(1.0);
  const big = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000))); // big >= 0: copy x's sign
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

// y = f(x) for activation `act`. Meant to be inlined with a constant `act`, so only one branch remains.
@inline export function activate_f32x4(x: v128, act: i32, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  switch (act) {
    case ACT_RELU:
      return f32x4.max(x, zero);
    case ACT_RELU6:
      return f32x4.min(f32x4.max(x, zero), f32x4.splat(6.0));
    case ACT_LEAKY_RELU:
      return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), f32x4.gt(x, zero));
    case ACT_ELU: {
      // exp only of min(x, 0): the positive side is x itself.
      const em1 = f32x4.sub(exp_f32x4(f32x4.min(x, zero)), f32x4.splat(1.0));
      return v128.bitselect(x, f32x4.mul(em1, f32x4.splat(alpha)), f32x4.gt(x, zero));
    }
    case ACT_SIGMOID:
      return sigmoid_f32x4(x);
    case ACT_TANH:
      return tanh_f32x4(x);
    default:
      return x;
  }
}

// dx = dy · f'(x), with f' written in terms of the output y = f(x).
//   relu: y > 0 · relu6: 0 < y < 6 · leakyRelu: y > 0 ? 1 : alpha (alpha >= 0) · elu: y > 0 ? 1 : y + alpha
//   sigmoid: y(1 - y) · tanh: 1 - y²
@inline export function activate_grad_f32x4(y: v128, dy: v128, act: i32, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  switch (act) {
    case ACT_RELU:
      return v128.and(dy, f32x4.gt(y, zero));
    case ACT_RELU6:
      return v128.and(dy, v128.and(f32x4.gt(y, zero), f32x4.lt(y, f32x4.splat(6.0))));
    case ACT_LEAKY_RELU:
      return v128.bitselect(dy, f32x4.mul(dy, f32x4.splat(alpha)), f32x4.gt(y, zero));
    case ACT_ELU:
      return v128.bitselect(dy, f32x4.mul(dy, f32x4.add(y, f32x4.splat(alpha))), f32x4.gt(y, zero));
    case ACT_SIGMOID:
      return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(f32x4.splat(1.0), y)));
    case ACT_TANH:
      return f32x4.mul(dy, f32x4.sub(f32x4.splat(1.0), f32x4.mul(y, y)));
    default:
      return dy;
  }
}

// Scalar forms for tails: the same f32x4 math on one lane, so tails round exactly like main loops.
@inline export function activate_f32(x: f32, act: i32, alpha: f32): f32 {
  return f32x4.extract_lane(activate_f32x4(f32x4.splat(x), act, alpha), 0);
}

@inline export function activate_grad_f32(y: f32, dy: f32, act: i32, alpha: f32): f32 {
  return f32x4.extract_lane(activate_grad_f32x4(f32x4.splat(y), f32x4.splat(dy), act, alpha), 0);
}

@inline export function exp_f32(x: f32): f32 {
  return f32x4.extract_lane(exp_f32x4(f32x4.splat(x)), 0);
}

// Row helpers for softmax and the fused softmax losses (plain functions: not exported by the module).

// Largest value of a row of `cols` floats.
export function row_max_f32(x: usize, cols: i32): f32 {
  let i = 0;
  let mv = f32x4.splat(-Infinity);
  for (; i + 4 <= cols; i += 4) mv = f32x4.max(mv, v128.load(x + (<usize>i << 2)));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (; i < cols; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
  return m;
}

// y[i] = exp(x[i] - shift) over one row (y = 0: only the sum); returns Σ exp (f32 lanes, summed in f64).
export function row_exp_sum_f32(x: usize, y: usize, cols: i32, shift: f32): f64 {
  const sv = f32x4.splat(shift);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= cols; i += 4) {
    const o = <usize>i << 2;
    const e = exp_f32x4(f32x4.sub(v128.load(x + o), sv));
    if (y) v128.store(y + o, e);
    acc = f32x4.add(acc, e);
  }
  let s = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1)
        + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  for (; i < cols; i++) {
    const o = <usize>i << 2;
    const e = exp_f32(load<f32>(x + o) - shift);
    if (y) store<f32>(y + o, e);
    s += <f64>e;
  }
  return s;
}

