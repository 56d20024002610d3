// The u8 output stage shared by the int8 GEMM (int8-gemm.ts) and the int8 Winograd convs (int8-winograd.ts,
// int8-winograd-f43.ts), and the Winograd convs' store of one pixel's channels (emit).
// Not exported by the module (index.ts does not re-export this file): v128 arguments.

// Four lanes of i32 (acc) requantized to i32 in [qmin, qmax]: (acc·m0 + 2^(shift-1)) >> shift in i64.
// With shift ≥ 32 (multipliers below 1/2: the usual case) the shift is split into taking the high words
// — a shuffle — and an i32 shift by shift-32 (exact: floor(floor(v / 2^32) / 2^s) = floor(v / 2^(32+s))),
// which avoids i64x2.shr_s (no single x64 SSE instruction).
@inline export function requant(acc: v128, m0: v128, round: v128, shift: i32, zero: v128, qmin: v128, qmax: v128): v128 {
  let lo = i64x2.add(i64x2.extmul_low_i32x4_s(acc, m0), round);
  let hi = i64x2.add(i64x2.extmul_high_i32x4_s(acc, m0), round);
  let r: v128;
  if (shift >= 32) {
    r = i32x4.shr_s(i8x16.shuffle(lo, hi, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31), shift - 32);
  } else {
    lo = i64x2.shr_s(lo, shift);
    hi = i64x2.shr_s(hi, shift);
    r = i8x16.shuffle(lo, hi, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  }
  return i32x4.min_s(i32x4.max_s(i32x4.add(r, zero), qmin), qmax);
}

// k (1..4) output channels of one pixel from their sums acc: u8 (mode 0) or f32 (mode 1), as int8_gemm.
@inline export function emit(d: usize, k: i32, mode: i32, acc: v128, mv: v128, round: v128, shift: i32, vz: v128, vmin: v128, vmax: v128): void {
  if (mode == 0) {
    const r = requant(acc, mv, round, shift, vz, vmin, vmax);
    const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(r, r), i16x8.splat(0));
    if (k == 4) v128.store32_lane(d, bytes, 0);
    else {
      const bits = i32x4.extract_lane(bytes, 0);
      for (let j = 0; j < k; j++) store<u8>(d + j, <u8>(bits >>> (j << 3)));
    }
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
