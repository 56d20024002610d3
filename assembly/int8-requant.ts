// The u8 output stage shared by the int8 GEMM (int8-gemm.ts) and the int8 Winograd convs (int8-winograd.ts,
// int8-winograd-f43.ts), and the Winograd convs' store of a tile's pixels (emitPixels).
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

// The output stage of the Winograd convs (int8-winograd.ts, int8-winograd-f43.ts): a tile's sums (bias
// included) are staged in scratch, `rows` × `cols` pixels of F channels (pixel (r, q) at
// src + r·srcRow + q·srcPixel, channels 0..F↑16 readable), then written to y (pixel (r, q) at
// dst + r·dstRow + q·dstPixel) in one loop per tile instead of one inlined output stage per 4 channels
// of each pixel, whose per-call work (the mode and shift tests, the constants reloaded) cost as much as
// the requantization itself. u8 with shift ≥ 33, the usual case, 16 channels at a time: the zero point
// added in i16 with saturation and the clamp on the bytes — the same bytes as the clamp in i32 of
// requant, since 0 ≤ qmin ≤ qmax ≤ 127 and 0 ≤ zero ≤ 127 make every saturation fall outside the
// clamp. Other shifts and f32 outputs: 4 channels at a time through emitRest.
export function emitPixels(
  src: usize, srcRow: usize, srcPixel: usize, rows: i32, cols: i32,
  dst: usize, dstRow: usize, dstPixel: usize,
  f: i32, mode: i32, mult: usize, shift: i32, zero: i32, qmin: i32, qmax: i32,
): void {
  if (mode == 0 && shift >= 33) {
    const round = i32x4.splat(1 << (shift - 33));
    const sh = shift - 32;
    const vz = i16x8.splat(<i16>zero), lo = i8x16.splat(<i8>qmin), hi = i8x16.splat(<i8>qmax);
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        const s = src + <usize>r * srcRow + <usize>q * srcPixel;
        const d = dst + <usize>r * dstRow + <usize>q * dstPixel;
        for (let c = 0; c < f; c += 16) {
          const sc = s + (<usize>c << 2), mc = mult + (<usize>c << 2);
          const a0 = highRound(v128.load(sc), v128.load(mc), round, sh);
          const a1 = highRound(v128.load(sc, 16), v128.load(mc, 16), round, sh);
          const a2 = highRound(v128.load(sc, 32), v128.load(mc, 32), round, sh);
          const a3 = highRound(v128.load(sc, 48), v128.load(mc, 48), round, sh);
          const b = i8x16.narrow_i16x8_u(i16x8.add_sat_s(i16x8.narrow_i32x4_s(a0, a1), vz), i16x8.add_sat_s(i16x8.narrow_i32x4_s(a2, a3), vz));
          const v = i8x16.min_u(i8x16.max_u(b, lo), hi);
          if (c + 16 <= f) v128.store(d + c, v);
          else {
            const k = f - c;
            const rest = k >= 8 ? i64x2.extract_lane(v, 1) : i64x2.extract_lane(v, 0);
            if (k >= 8) v128.store64_lane(d + c, v, 0);
            for (let j = k & 7, at = d + c + (k & 8); j > 0; j--, at++) {
              store<u8>(at, <u8>(rest >>> (<i64>((k & 7) - j) << 3)));
            }
          }
        }
      }
    }
    return;
  }
  const round = requantRound(shift);
  const vz = i32x4.splat(zero), vmin = i32x4.splat(qmin), vmax = i32x4.splat(qmax);
  const elem: usize = mode == 0 ? 1 : 4;
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      const s = src + <usize>r * srcRow + <usize>q * srcPixel;
      const d = dst + <usize>r * dstRow + <usize>q * dstPixel;
      for (let c = 0; c < f; c += 4) {
        emitRest(d + <usize>c * elem, min(4, f - c), mode, v128.load(s + (<usize>c << 2)), v128.load(mult + (<usize>c << 2)), round, shift, vz, vmin, vmax);
      }
    }
  }
}

// (H + round) >> sh, H the high words of acc·m0: requant's shift ≥ 33 path before the zero point and clamp.
@inline export function highRound(acc: v128, m0: v128, round: v128, sh: i32): v128 {
  const lo = i64x2.extmul_low_i32x4_s(acc, m0);
  const hi = i64x2.extmul_high_i32x4_s(acc, m0);
  return i32x4.shr_s(i32x4.add(i8x16.shuffle(lo, hi, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31), round), sh);
}

// k (1..4) output channels of one pixel from their sums acc: u8 (mode 0) or f32 (mode 1), as int8_gemm.
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
