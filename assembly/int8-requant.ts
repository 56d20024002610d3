// The u8 output stage shared by the int8 GEMM (int8-gemm.ts) and the int8 Winograd conv (int8-winograd.ts).
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

