// The u8 output stage shared by the int8 GEMM (int8-gemm.ts) and the int8 Winograd convs (int8-winograd.ts,
// int8-winograd-f43.ts), and the Winograd convs' store of one pixel's channels (emit).
// Not exported by the module (index.ts does not re-export this file): v128 arguments.

// Four lanes of i32 (acc) requantized to i32 in [qmin, qmax]: (acc·m0 + 2^(shift-1)) >> shift in i64, with
// `round` from requantRound(shift). With shift ≥ 33 (multipliers below 1/4: the usual case) only the high
// words H of the products are taken — a shuffle — and r = (H + 2^(shift-33)) >> (shift-32) in i32, exact:
// with acc·m0 = H·2^32 + L, 0 ≤ L < 2^32, the sum is (H + 2^(shift−33) + L/2^32) / 2^(shift−32), and a
// fraction below 1 added to an integer never changes its floor after division by a power of two. This
// skips the two i64 adds and avoids i64x2.shr_s (no single x64 SSE instruction). Up to 32: i64 adds and shifts.
@inline export function requant(acc: v128, m0: v128, round: v128, shift: i32, zero: v128, qmin: v128, qmax: v128): v128 {
  if (shift < 33) return requantI64(acc, m0, round, shift, zero, qmin, qmax);
  const lo = i64x2.extmul_low_i32x4_s(acc, m0);
  const hi = i64x2.extmul_high_i32x4_s(acc, m0);
  const r = i32x4.shr_s(i32x4.add(i8x16.shuffle(lo, hi, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31), round), shift - 32);
  return i32x4.min_s(i32x4.max_s(i32x4.add(r, zero), qmin), qmax);
}

// The rare shifts (multipliers ≥ 1/4): one shared copy, not one per inlined requant.
function requantI64(acc: v128, m0: v128, round: v128, shift: i32, zero: v128, qmin: v128, qmax: v128): v128 {
  const lo = i64x2.shr_s(i64x2.add(i64x2.extmul_low_i32x4_s(acc, m0), round), shift);
  const hi = i64x2.shr_s(i64x2.add(i64x2.extmul_high_i32x4_s(acc, m0), round), shift);
  const r = i8x16.shuffle(lo, hi, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  return i32x4.min_s(i32x4.max_s(i32x4.add(r, zero), qmin), qmax);
}

/** The rounding term requant takes for `shift`: 2^(shift-33) in i32 lanes from 33 on, else 2^(shift-1) in i64 lanes (0 for 0). */
@inline export function requantRound(shift: i32): v128 {
  return shift >= 33 ? i32x4.splat(1 << (shift - 33)) : i64x2.splat(shift > 0 ? <i64>1 << (shift - 1) : 0);
}

// k (1..4) output channels of one pixel from their sums acc: u8 (mode 0) or f32 (mode 1), as int8_gemm.
// Inlined at each Winograd output stage for 4 u8 channels only; the rest (f32 outputs, a last partial group
// of channels) goes through one shared copy, emitRest, to keep the wasm small.
@inline export function emit(d: usize, k: i32, mode: i32, acc: v128, mv: v128, round: v128, shift: i32, vz: v128, vmin: v128, vmax: v128): void {
  if (mode == 0 && k == 4) {
    const r = requant(acc, mv, round, shift, vz, vmin, vmax);
    v128.store32_lane(d, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(r, r), i16x8.splat(0)), 0);
  } else {
    emitRest(d, k, mode, acc, mv, round, shift, vz, vmin, vmax);
  }
}

function emitRest(d: usize, k: i32, mode: i32, acc: v128, mv: v128, round: v128, shift: i32, vz: v128, vmin: v128, vmax: v128): void {
  if (mode == 0) {
    const r = requant(acc, mv, round, shift, vz, vmin, vmax);
    const bits = i32x4.extract_lane(i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(r, r), i16x8.splat(0)), 0);
    for (let j = 0; j < k; j++) store<u8>(d + j, <u8>(bits >>> (j << 3)));
  } else {
    const v = f32x4.mul(f32x4.convert_i32x4_s(acc), mv);
    if (k == 4) v128.store(d, v);
    else {
      store<f32>(d, f32x4.extract_lane(v, 0));
      if (k > 1) store<f32>(d + 4, f32x4.extract_lane(v, 1));
      if (k > 2) store<f32>(d + 8, f32x4.extract_lane(v, 2));
    }
  }
}
