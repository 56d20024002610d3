// The math of every activation, as inline f32x4 functions, for the kernels that apply or fuse one
// (activations.ts here; gemm and conv may fuse one into their epilogue with `activate_f32x4`).
import { madd } from './simd';

// This file is deliberately NOT re-exported by index.ts: functions taking v128 must not become wasm exports.
//
// Activation codes (shared by every kernel that takes `act: i32`):
//   0 linear, 1 relu, 2 relu6, 3 leakyRelu(alpha), 4 elu(alpha), 5 sigmoid, 6 tanh,
//   7 hardSigmoid(alpha): clamp(alpha·x + 0.5, 0, 1) (TF.js's hardSigmoid with alpha 0.2, PyTorch's with 1/6),
//   8 hardSwish: x·relu6(x + 3)/6 (PyTorch's nn.Hardswish, Keras 3's hard_swish).
// Every derivative is computed from the OUTPUT y, so a layer keeps only its output — except hardSwish's,
// which is not a function of y (y in (-0.375, 0) comes from two x): its backward reads the INPUT x in
// place of y, and layers keep x for it (src/layers/activations.ts).

export const ACT_LINEAR: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_RELU6: i32 = 2;
export const ACT_LEAKY_RELU: i32 = 3;
export const ACT_ELU: i32 = 4;
export const ACT_SIGMOID: i32 = 5;
export const ACT_TANH: i32 = 6;
export const ACT_HARD_SIGMOID: i32 = 7;
export const ACT_HARD_SWISH: i32 = 8;

// e^x for x <= 88.7 (larger x is clamped, so the result stays finite), about 1 ulp.
@inline export function exp_f32x4(x: v128): v128 {
  return exp_core(x, false);
}

// e^x - 1 for x <= 88.7 without the cancellation of exp(x) - 1 near 0 (elu keeps relative precision).
@inline export function expm1_f32x4(x: v128): v128 {
  return exp_core(x, true);
}

// Cephes expf: x = n·ln2 + r with |r| <= ln2/2, e^r = 1 + r + r²·p(r) with a degree-5 polynomial p, then 2^n
// built in the exponent bits. 2^n is applied in two halves so results down in the subnormal range stay
// right and x < -104 gives 0 instead of garbage. With `minusOne`, lanes where n = 0 return r + r²·p(r)
// directly (no 1 - 1 cancellation); other lanes have |e^x - 1| >= 0.29, so subtracting 1 loses nothing.
// Written for V8's x64 code: pmin/pmax are one instruction each (min/max are several), and n is rounded
// with the 1.5·2^23 trick instead of nearest + trunc_sat (the latter is a long sequence).
@inline function exp_core(x: v128, minusOne: bool): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(88.7));
  const magic = f32x4.splat(12582912.0); // 1.5·2^23: adding it rounds to an integer held in the low bits
  const t = madd(x, f32x4.splat(1.44269504088896341), magic);
  const n = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = madd(n, f32x4.splat(2.12194440e-4), r);
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const em1 = madd(p, f32x4.mul(r, r), r); // e^r - 1
  // 2^n = 2^h · 2^(n-h) with h = n>>1: each half stays a normal float for n in [-150, 128].
  const ni = i32x4.sub(t, magic); // the integer n, from the bit patterns
  const h = i32x4.shr_s(ni, 1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(h, bias), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, h), bias), 23);
  const e = f32x4.mul(f32x4.mul(f32x4.add(em1, f32x4.splat(1.0)), s1), s2);
  if (!minusOne) return e;
  return v128.bitselect(em1, f32x4.sub(e, f32x4.splat(1.0)), i32x4.eq(ni, i32x4.splat(0)));
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
  p = madd(p, z, f32x4.splat(2.06390887954e-2));
  p = madd(p, z, f32x4.splat(-5.37397155531e-2));
  p = madd(p, z, f32x4.splat(1.33314422036e-1));
  p = madd(p, z, f32x4.splat(-3.33332819422e-1));
  const small = madd(f32x4.mul(p, z), x, x);
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000))); // big >= 0: copy x's sign
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

// y = f(x) for activation `act`. Meant to be inlined with a constant `act`, so only one branch remains.
@inline export function activate_f32x4(x: v128, act: i32, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  switch (act) {
    case ACT_RELU:
      return f32x4.pmax(x, zero); // pmax: one instruction, and NaN still passes through
    case ACT_RELU6:
      return f32x4.pmin(f32x4.pmax(x, zero), f32x4.splat(6.0));
    case ACT_LEAKY_RELU:
      return v128.bitselect(x, f32x4.mul(x, f32x4.splat(alpha)), f32x4.gt(x, zero));
    case ACT_ELU: {
      // exp only of min(x, 0): the positive side is x itself.
      const em1 = expm1_f32x4(f32x4.pmin(x, zero));
      return v128.bitselect(x, f32x4.mul(em1, f32x4.splat(alpha)), f32x4.gt(x, zero));
    }
    case ACT_SIGMOID:
      return sigmoid_f32x4(x);
    case ACT_TANH:
      return tanh_f32x4(x);
    case ACT_HARD_SIGMOID: // x first in pmax/pmin, as relu: NaN passes through
      return f32x4.pmin(f32x4.pmax(madd(x, f32x4.splat(alpha), f32x4.splat(0.5)), zero), f32x4.splat(1.0));
    case ACT_HARD_SWISH: {
      // PyTorch's order of operations: x · min(max(x + 3, 0), 6) / 6 (the /6 as a multiply).
      const r6 = f32x4.pmin(f32x4.pmax(f32x4.add(x, f32x4.splat(3.0)), zero), f32x4.splat(6.0));
      return f32x4.mul(f32x4.mul(x, r6), f32x4.splat(<f32>(1.0 / 6.0)));
    }
    default:
      return x;
  }
}

// activate_f32x4 where `act` is known only at run time, inlined for relu and none (the common ones) and a
// call for the rest: each inlined copy of every activation costs ~2 KB of wasm, and the Winograd output
// stages that use it activate a handful of vectors per tile.
@inline export function activate_runtime_f32x4(x: v128, act: i32, alpha: f32): v128 {
  if (act == ACT_RELU) return f32x4.pmax(x, f32x4.splat(0));
  return act ? activate_call_f32x4(x, act, alpha) : x;
}

function activate_call_f32x4(x: v128, act: i32, alpha: f32): v128 {
  return activate_f32x4(x, act, alpha);
}

// dx = dy · f'(x), with f' written in terms of the output y = f(x).
//   relu: y > 0 · relu6: 0 < y < 6 · leakyRelu: y > 0 ? 1 : alpha (alpha >= 0) · elu: y > 0 ? 1 : y + alpha
//   sigmoid: y(1 - y) · tanh: 1 - y² · hardSigmoid: 0 < y < 1 ? alpha : 0
//   hardSwish, from the INPUT x (passed as y): x < -3 ? 0 : x <= 3 ? x/3 + 1/2 : 1 (PyTorch's choice at the kinks)
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
    case ACT_HARD_SIGMOID:
      return v128.and(f32x4.mul(dy, f32x4.splat(alpha)), v128.and(f32x4.gt(y, zero), f32x4.lt(y, f32x4.splat(1.0))));
    case ACT_HARD_SWISH: {
      const x = y;
      const mid = madd(x, f32x4.splat(<f32>(1.0 / 3.0)), f32x4.splat(0.5));
      const slope = v128.bitselect(mid, f32x4.splat(1.0), f32x4.le(x, f32x4.splat(3.0)));
      return v128.and(f32x4.mul(dy, slope), f32x4.ge(x, f32x4.splat(-3.0)));
    }
    default:
      return dy;
  }
}

// Tails of 1 to 3 floats go through the same f32x4 math as main loops (one exp for the whole tail, and the
// same rounding), loaded lane by lane so nothing past the buffer is read or written.
@inline export function load_tail(p: usize, k: i32, fill: v128): v128 {
  let v = f32x4.replace_lane(fill, 0, load<f32>(p));
  if (k > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (k > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline export function store_tail(p: usize, k: i32, v: v128): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (k > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (k > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// Row helpers for softmax and the fused softmax losses (plain functions: not exported by the module).

// Largest value of a row of `cols` floats (pmax: one instruction; a NaN still poisons the softmax via exp).
export function row_max_f32(x: usize, cols: i32): f32 {
  let i = 0;
  const ninf = f32x4.splat(-Infinity);
  let mv = ninf;
  for (; i + 4 <= cols; i += 4) mv = f32x4.pmax(mv, v128.load(x + (<usize>i << 2)));
  if (i < cols) mv = f32x4.pmax(mv, load_tail(x + (<usize>i << 2), cols - i, ninf));
  return max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
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
  const k = cols - i;
  if (k > 0) {
    const o = <usize>i << 2;
    const e = exp_f32x4(f32x4.sub(load_tail(x + o, k, sv), sv));
    if (y) store_tail(y + o, k, e);
    s += <f64>f32x4.extract_lane(e, 0);
    if (k > 1) s += <f64>f32x4.extract_lane(e, 1);
    if (k > 2) s += <f64>f32x4.extract_lane(e, 2);
  }
  return s;
}
