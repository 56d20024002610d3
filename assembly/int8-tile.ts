// The register tile of the int8 kernels (int8-gemm.ts, int8-direct.ts) and its output stage: 4 rows × 8
// columns of i32 sums, then bias and requantization to u8, a scale to f32, or raw i32 (see int8-gemm.ts).
// Not exported by the module (int8.ts does not re-export this file): v128 arguments.
import { highRound, requant, requantRound } from './int8-requant';

export const NR: i32 = 8;
export const INT8_DOT16: i32 = 0;
export const INT8_DOT8: i32 = 1;
export const INT8_DOT8I16: i32 = 2;

/** The layout this build can run: DOT8 and DOT8I16 need the relaxed build. */
@inline export function layoutOf(layout: i32): i32 {
  return ASC_FEATURE_RELAXED_SIMD && (layout == INT8_DOT8 || layout == INT8_DOT8I16) ? layout : INT8_DOT16;
}

// acc + the sums of each 4 products w·x (i8 × 7-bit) by the i8 dot to i16 (pmaddubsw on x64: pair sums
// within ±2·127·128, so never saturated) widened by pairs: DOT8I16, the same sums as DOT8's
// i32x4.relaxed_dot_i8x16_i7x16_add_s in three instructions where V8 has no one-instruction form
// (x64 without AVX-VNNI: Node 20 runs this 1.3x faster than DOT16, its DOT8 1.8x slower).
@inline function dotI16(w: v128, x: v128, acc: v128): v128 {
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, x)));
}


// One row of the tile's output: 8 columns (cols of them valid) from two accumulators.
@inline function storeRow(
  c0: v128, c1: v128, bias: usize, mult: usize, out: usize, cols: i32,
  mode: i32, shift: i32, round: v128, zero: v128, qmin: v128, qmax: v128,
): void {
  if (mode == 2) {
    // Raw i32 sums, no bias (the Winograd products, int8-winograd.ts).
    if (cols == NR) {
      v128.store(out, c0);
      v128.store(out, c1, 16);
    } else {
      for (let j = 0; j < cols; j++) store<i32>(out + (<usize>j << 2), j < 4 ? laneI32(c0, j) : laneI32(c1, j - 4));
    }
    return;
  }
  const a0 = i32x4.add(c0, v128.load(bias));
  const a1 = i32x4.add(c1, v128.load(bias, 16));
  if (mode == 0) {
    const r0 = requant(a0, v128.load(mult), round, shift, zero, qmin, qmax);
    const r1 = requant(a1, v128.load(mult, 16), round, shift, zero, qmin, qmax);
    const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(r0, r1), i16x8.splat(0));
    if (cols == NR) v128.store64_lane(out, bytes, 0);
    else {
      const bits = i64x2.extract_lane(bytes, 0);
      for (let j = 0; j < cols; j++) store<u8>(out + j, <u8>(bits >>> (<i64>j << 3)));
    }
  } else {
    const f0 = f32x4.mul(f32x4.convert_i32x4_s(a0), v128.load(mult));
    const f1 = f32x4.mul(f32x4.convert_i32x4_s(a1), v128.load(mult, 16));
    if (cols == NR) {
      v128.store(out, f0);
      v128.store(out, f1, 16);
    } else {
      for (let j = 0; j < cols; j++) store<f32>(out + (<usize>j << 2), j < 4 ? laneF32(f0, j) : laneF32(f1, j - 4));
    }
  }
}

// Rows r and r+1 of a tile (sums a0 a1, c0 c1; `rows` of them stored, 1 or more: a second row past the
// tile's holds whatever sums it holds, computed and dropped) as u8: requant's shift ≥ 33
// path with the zero point added in saturating i16 and the clamp on the bytes, as emitPixels.
@inline function storeRows(
  a0: v128, a1: v128, c0: v128, c1: v128, b0: v128, b1: v128, m0: v128, m1: v128, round: v128, sh: i32,
  zero16: v128, lo8: v128, hi8: v128, out: usize, ld: usize, rows: i32,
): void {
  const r0 = i16x8.add_sat_s(i16x8.narrow_i32x4_s(highRound(i32x4.add(a0, b0), m0, round, sh), highRound(i32x4.add(a1, b1), m1, round, sh)), zero16);
  const r1 = i16x8.add_sat_s(i16x8.narrow_i32x4_s(highRound(i32x4.add(c0, b0), m0, round, sh), highRound(i32x4.add(c1, b1), m1, round, sh)), zero16);
  const v = i8x16.min_u(i8x16.max_u(i8x16.narrow_i16x8_u(r0, r1), lo8), hi8);
  v128.store64_lane(out, v, 0);
  if (rows > 1) v128.store64_lane(out + ld, v, 1);
}

// Lane j (0..3, not a constant) of an i32x4.
@inline function laneI32(v: v128, j: i32): i32 {
  if (j == 0) return i32x4.extract_lane(v, 0);
  if (j == 1) return i32x4.extract_lane(v, 1);
  if (j == 2) return i32x4.extract_lane(v, 2);
  return i32x4.extract_lane(v, 3);
}

// Lane j (0..3, not a constant) of an f32x4.
@inline function laneF32(v: v128, j: i32): f32 {
  if (j == 0) return f32x4.extract_lane(v, 0);
  if (j == 1) return f32x4.extract_lane(v, 1);
  if (j == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}

// One 4×8 tile: a panel of 4 rows × one packed block of 8 columns, `rows` and `cols` of it stored. With
// `pool`, the 4 rows are one 2x2 max-pooling window and one row is stored: the max of the 4 sums, which
// gives the same output as pooling the outputs (the output stage is monotonic: m0, scales ≥ 0).
@inline export function int8Tile(
  a: usize, b: usize, kp: i32, layout: i32, pool: bool,
  bias: usize, mult: usize, out: usize, ldcBytes: usize, rows: i32, cols: i32,
  mode: i32, shift: i32, round: v128, zero: v128, qmin: v128, qmax: v128, zero16: v128, lo8: v128, hi8: v128,
): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  let ap = a;
  let bp = b;
  const steps = layout != INT8_DOT16 ? kp >> 2 : kp >> 1;
  if (rows == 1 && !pool) {
    // One row (a batch-1 dense layer, a last panel of one row): its own products only, a quarter of the
    // tile's (batch-1 1024->128 dense: 17 -> 6 us). Stored by the loop below, which stores one row.
    if (ASC_FEATURE_RELAXED_SIMD && layout == INT8_DOT8I16) {
      for (let s = 0; s < steps; s++, ap += 16, bp += 32) {
        const x = v128.load32_splat(ap);
        c00 = dotI16(v128.load(bp), x, c00);
        c01 = dotI16(v128.load(bp, 16), x, c01);
      }
    } else {
      for (let s = 0; s < steps; s++, ap += 16, bp += 32) {
        const x = v128.load32_splat(ap);
        if (ASC_FEATURE_RELAXED_SIMD && layout == INT8_DOT8) {
          c00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(bp), x, c00);
          c01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(bp, 16), x, c01);
        } else {
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(v128.load(bp), x));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(v128.load(bp, 16), x));
        }
      }
    }
  } else if (ASC_FEATURE_RELAXED_SIMD && layout == INT8_DOT8I16) {
    // DOT8's loop with dotI16.
    for (let s = 0; s < steps; s++, ap += 16, bp += 32) {
      const w0 = v128.load(bp);
      const w1 = v128.load(bp, 16);
      let x = v128.load32_splat(ap);
      c00 = dotI16(w0, x, c00);
      c01 = dotI16(w1, x, c01);
      x = v128.load32_splat(ap, 4);
      c10 = dotI16(w0, x, c10);
      c11 = dotI16(w1, x, c11);
      x = v128.load32_splat(ap, 8);
      c20 = dotI16(w0, x, c20);
      c21 = dotI16(w1, x, c21);
      x = v128.load32_splat(ap, 12);
      c30 = dotI16(w0, x, c30);
      c31 = dotI16(w1, x, c31);
    }
  } else if (ASC_FEATURE_RELAXED_SIMD && layout == INT8_DOT8) {
    // 4 k per step: each row's 4 activation bytes splat, against 8 columns × 4 k of weights.
    for (let s = 0; s < steps; s++, ap += 16, bp += 32) {
      const w0 = v128.load(bp);
      const w1 = v128.load(bp, 16);
      let x = v128.load32_splat(ap);
      c00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x, c00);
      c01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x, c01);
      x = v128.load32_splat(ap, 4);
      c10 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x, c10);
      c11 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x, c11);
      x = v128.load32_splat(ap, 8);
      c20 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x, c20);
      c21 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x, c21);
      x = v128.load32_splat(ap, 12);
      c30 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x, c30);
      c31 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x, c31);
    }
  } else {
    // 2 k per step: each row's pair of i16 activations splat, against 8 columns × 2 k (i16). The first
    // step sets the sums (MNIST's first conv has 5 steps: a fifth of its adds).
    let w0 = v128.load(bp), w1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = i32x4.dot_i16x8_s(w0, x);
    c01 = i32x4.dot_i16x8_s(w1, x);
    x = v128.load32_splat(ap, 4);
    c10 = i32x4.dot_i16x8_s(w0, x);
    c11 = i32x4.dot_i16x8_s(w1, x);
    x = v128.load32_splat(ap, 8);
    c20 = i32x4.dot_i16x8_s(w0, x);
    c21 = i32x4.dot_i16x8_s(w1, x);
    x = v128.load32_splat(ap, 12);
    c30 = i32x4.dot_i16x8_s(w0, x);
    c31 = i32x4.dot_i16x8_s(w1, x);
    ap += 16;
    bp += 32;
    for (let s = 1; s < steps; s++, ap += 16, bp += 32) {
      w0 = v128.load(bp);
      w1 = v128.load(bp, 16);
      x = v128.load32_splat(ap);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(w0, x));
      c01 = i32x4.add(c01, i32x4.dot_i16x8_s(w1, x));
      x = v128.load32_splat(ap, 4);
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(w0, x));
      c11 = i32x4.add(c11, i32x4.dot_i16x8_s(w1, x));
      x = v128.load32_splat(ap, 8);
      c20 = i32x4.add(c20, i32x4.dot_i16x8_s(w0, x));
      c21 = i32x4.add(c21, i32x4.dot_i16x8_s(w1, x));
      x = v128.load32_splat(ap, 12);
      c30 = i32x4.add(c30, i32x4.dot_i16x8_s(w0, x));
      c31 = i32x4.add(c31, i32x4.dot_i16x8_s(w1, x));
    }
  }
  let n = rows;
  if (pool) {
    c00 = i32x4.max_s(i32x4.max_s(c00, c10), i32x4.max_s(c20, c30));
    c01 = i32x4.max_s(i32x4.max_s(c01, c11), i32x4.max_s(c21, c31));
    n = 1;
  }
  if (mode == 0 && shift >= 33 && cols == NR) {
    // u8, the usual shift, 8 columns: two rows at a time, bias and multipliers loaded once per tile, the
    // zero point and clamp on 16 bytes as emitPixels does (int8-requant.ts; the same bytes as requant).
    const b0 = v128.load(bias), b1 = v128.load(bias, 16), m0 = v128.load(mult), m1 = v128.load(mult, 16);
    const sh = shift - 32;
    // One inlined copy in a loop: rows 2 and 3 move up.
    for (let r = 0, o = out; r < n; r += 2, o += 2 * ldcBytes) {
      storeRows(c00, c01, c10, c11, b0, b1, m0, m1, round, sh, zero16, lo8, hi8, o, ldcBytes, n - r);
      c00 = c20; c01 = c21;
      c10 = c30; c11 = c31;
    }
    return;
  }
  // One output stage in a loop (not one inlined copy per row): the rows move up through (c00, c01).
  for (let r = 0, o = out; r < n; r++, o += ldcBytes) {
    storeRow(c00, c01, bias, mult, o, cols, mode, shift, round, zero, qmin, qmax);
    c00 = c10; c01 = c11;
    c10 = c20; c11 = c21;
    c20 = c30; c21 = c31;
  }
}

/**
 * The tiles of c (M,N) = out(a·b + bias): int8_gemm's loops (see int8-gemm.ts), one function for it and the
 * direct conv (int8-direct.ts) so the wasm carries one copy of the inlined tile. With `pool`, M = 4: the
 * one panel is a 2x2 pooling window and one row of c is written.
 */
export function gemmTiles(
  m: i32, n: i32, kp: i32, a: usize, b: usize, bias: usize,
  c: usize, ldc: i32, mode: i32, mult: usize,
  shift: i32, zero: i32, qmin: i32, qmax: i32, layout: i32, pool: bool,
): void {
  const e: usize = layout != INT8_DOT16 ? 1 : 2;
  const elem: usize = mode == 0 ? 1 : 4;
  const ldcBytes = <usize>ldc * elem;
  const blockBytes = <usize>kp * NR * e;
  const panelBytes = <usize>kp * 4 * e;
  const round = requantRound(shift);
  const vz = i32x4.splat(zero), vmin = i32x4.splat(qmin), vmax = i32x4.splat(qmax);
  const zero16 = i16x8.splat(<i16>zero), lo8 = i8x16.splat(<i8>qmin), hi8 = i8x16.splat(<i8>qmax);
  // Column blocks outside, panels inside: one block of b (KP·16 bytes) stays in L1 while the panels of a
  // (the caller keeps M small: MC rows of im2col) stream past it.
  for (let j = 0, blk = 0; j < n; j += NR, blk++) {
    const block = b + <usize>blk * blockBytes;
    const cols = min(NR, n - j);
    for (let i = 0, panel = a; i < m; i += 4, panel += panelBytes) {
      int8Tile(panel, block, kp, layout, pool,
        bias + (<usize>j << 2), mult + (<usize>j << 2), c + <usize>i * ldcBytes + <usize>j * elem, ldcBytes, min(4, m - i), cols,
        mode, shift, round, vz, vmin, vmax, zero16, lo8, hi8);
    }
  }
}
