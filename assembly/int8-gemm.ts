// Integer GEMM for quantized inference: c (M,N) = requant(a (M,KP) · b (KP,N) + bias).
//
// Two layouts (`layout`), chosen at run time by src/ops/int8-gemm.ts from a measurement, because which is
// faster depends on the engine: V8 with AVX-VNNI (Chromium) runs the relaxed i8 dot as one instruction,
// Node 20's V8 emulates it and runs i16 dot products twice as fast — and its baseline tier (Liftoff)
// miscompiles the DOT8 loop below (rows of the tile come out wrong), so src/quantize/int8-gemm.ts checks
// DOT8 against DOT16 on a known product, cold and hot, before it uses it.
//   DOT16 (0, both builds): i32x4.dot_i16x8_s, 8 MACs per op, on i16 activations; b is packed in blocks of
//     8 columns as [KP/2][8 columns][2 k] i16.
//   DOT8 (1, relaxed build only): i32x4.relaxed_dot_i8x16_i7x16_add_s, 16 MACs per op, on u8 activations;
//     b is packed as [KP/4][8 columns][4 k] i8.
//   DOT8I16 (2, relaxed build only): DOT8's packing and sums, by i16x8.relaxed_dot_i8x16_i7x16_s and a
//     widening pairwise add (int8-tile.ts: faster than both others where V8 has no one-op DOT8).
// a is packed in panels of 4 rows (as GEMMs pack A): [KP/g][4 rows][g k] with g = 2 (DOT16) or 4 (DOT8),
// so one step of the inner loop reads 16 bytes of a — one 32-bit unit per row, splat — and 32 bytes of b.
// One pointer with constant offsets: measured 1.7x faster than four row pointers. KP is K rounded up to
// 16; a row's elements past K may hold anything, b is zero there.
// a: activations, 7-bit (0..127): the relaxed op takes its second operand as 7-bit (an 8-bit one gives
//    implementation-defined results), so activations are 7-bit for both layouts and both builds, which
//    then compute the same exact integer sums.
// b: weights, int8 in -127..127, packed once by int8_pack_weights.
// bias: i32 [N rounded up to 8], the quantized bias with the input zero point folded in.
// Output, mode 0 (u8): y = clamp(zero + ((acc·m0[n] + 2^(shift-1)) >> shift), qmin, qmax), m0 i32 [N↑8];
//         mode 1 (f32): y = f32(acc) · scale[n], scale f32 [N↑8];
//         mode 2 (i32): y = acc, the bias not added (the int8 Winograd conv's products, int8-winograd.ts).
// `ldc` is in elements (bytes for u8, floats for f32).
//
// Register tile (int8-tile.ts): 4 rows × 8 columns = eight i32x4 accumulators, over the whole of KP (no K blocking:
// the sums are exact in i32 for any K below 133,000).

import { INT8_DOT16, NR, gemmTiles, layoutOf } from './int8-tile';
export { INT8_DOT16, INT8_DOT8 } from './int8-tile';

/** 1 when `layout` runs on this build. */
export function int8_layout_supported(layout: i32): i32 {
  return layoutOf(layout) == layout ? 1 : 0;
}

/** K rounded up to what the micro-kernel and the panel packing step over. */
export function int8_padded_k(k: i32): i32 {
  return (k + 15) & ~15;
}

/** Bytes per element of a packed activation row (im2col) in `layout`. */
export function int8_a_bytes(layout: i32): i32 {
  return layoutOf(layout) != INT8_DOT16 ? 1 : 2;
}

/** Bytes of the packed weights for K×N. */
export function int8_packed_weights_bytes(k: i32, n: i32, layout: i32): i32 {
  const blocks = (n + NR - 1) / NR;
  return blocks * int8_padded_k(k) * NR * int8_a_bytes(layout);
}

/** Packs w (int8, K×N row-major: Keras's dense [in, units] and conv [kh·kw·c, filters]) into dst. */
export function int8_pack_weights(w: usize, k: i32, n: i32, dst: usize, layout: i32): void {
  int8_pack_weights_kp(w, k, n, int8_padded_k(k), dst, layout);
}

/**
 * int8_pack_weights with K padded to `kp` (a multiple of the layout's k group, 2 or 4) instead of 16: the
 * direct conv (int8-direct.ts) steps over K in groups, not in panels of 16 bytes.
 */
export function int8_pack_weights_kp(w: usize, k: i32, n: i32, kp: i32, dst: usize, layout: i32): void {
  const dot8 = layoutOf(layout) != INT8_DOT16;
  const blocks = (n + NR - 1) / NR;
  const group = dot8 ? 4 : 2; // k values side by side for one column
  let out = dst;
  for (let blk = 0; blk < blocks; blk++) {
    for (let k0 = 0; k0 < kp; k0 += group) {
      for (let col = 0; col < NR; col++) {
        const j = blk * NR + col;
        for (let g = 0; g < group; g++) {
          const kk = k0 + g;
          const v: i32 = j < n && kk < k ? <i32>load<i8>(w + <usize>kk * n + j) : 0;
          if (dot8) {
            store<i8>(out, <i8>v);
            out += 1;
          } else {
            store<i16>(out, <i16>v);
            out += 2;
          }
        }
      }
    }
  }
}

/**
 * c (M,N) = requant(a·b + bias), see the top of this file: a is panel-packed (int8_pack_panels), M rows
 * in ceil(M/4) panels. mode 0 writes u8 (m0 and shift, zero, qmin, qmax used), mode 1 writes f32 (mult
 * holds the f32 scales). ldc in elements.
 */
export function int8_gemm(
  m: i32, n: i32, kp: i32, a: usize, b: usize, bias: usize,
  c: usize, ldc: i32, mode: i32, mult: usize,
  shift: i32, zero: i32, qmin: i32, qmax: i32, layout: i32,
): void {
  gemmTiles(m, n, kp, a, b, bias, c, ldc, mode, mult, shift, zero, qmin, qmax, layoutOf(layout), false);
}

/**
 * Packs `rows` rows of a row-major matrix (row stride `rowBytes`, KP·e bytes used per row) into panels of 4
 * rows: [KP·e/4][4 rows][4 bytes] — a 4×4 transpose of 32-bit units per 16 bytes. A last partial panel
 * takes whatever follows the rows in memory (those sums are never stored).
 */
export function int8_pack_panels(src: usize, rowBytes: i32, rows: i32, kpBytes: i32, dst: usize): void {
  let out = dst;
  for (let i = 0; i < rows; i += 4) {
    const r0 = src + <usize>i * rowBytes;
    const r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    for (let j = 0; j < kpBytes; j += 16, out += 64) {
      const a = v128.load(r0 + j), b = v128.load(r1 + j), c = v128.load(r2 + j), d = v128.load(r3 + j);
      const ab01 = i8x16.shuffle(a, b, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
      const cd01 = i8x16.shuffle(c, d, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
      const ab23 = i8x16.shuffle(a, b, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
      const cd23 = i8x16.shuffle(c, d, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
      v128.store(out, i8x16.shuffle(ab01, cd01, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
      v128.store(out, i8x16.shuffle(ab01, cd01, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31), 16);
      v128.store(out, i8x16.shuffle(ab23, cd23, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), 32);
      v128.store(out, i8x16.shuffle(ab23, cd23, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31), 48);
    }
  }
}

// ---- conv2d: im2col rows (u8 for DOT8, widened to i16 for DOT16), then the GEMM ----

/** Rows of the im2col panel int8_conv2d packs at a time: MC × KP elements stay in L1/L2. */
const MC: i32 = 32;

/** Scratch bytes int8_conv2d needs for one thread: the im2col rows, then their panels. */
export function int8_conv2d_scratch_bytes(kh: i32, kw: i32, c: i32, layout: i32): i32 {
  return 2 * (MC + 4) * int8_padded_k(kh * kw * c) * int8_a_bytes(layout);
}

// Copies `len` activations, u8 → u8 or u8 → i16 (memory.copy is not used: it costs a call per cell).
@inline function copyRow(dst: usize, src: usize, len: i32, wide: bool): void {
  let j = 0;
  if (wide) {
    for (; j + 16 <= len; j += 16) {
      const v = v128.load(src + j);
      v128.store(dst + (<usize>j << 1), i16x8.extend_low_i8x16_u(v));
      v128.store(dst + (<usize>j << 1), i16x8.extend_high_i8x16_u(v), 16);
    }
    for (; j < len; j++) store<u16>(dst + (<usize>j << 1), <u16>load<u8>(src + j));
  } else {
    for (; j + 16 <= len; j += 16) v128.store(dst + j, v128.load(src + j));
    for (; j < len; j++) store<u8>(dst + j, load<u8>(src + j));
  }
}

@inline function fillRow(dst: usize, value: i32, len: i32, wide: bool): void {
  if (wide) for (let j = 0; j < len; j++) store<u16>(dst + (<usize>j << 1), <u16>value);
  else for (let j = 0; j < len; j++) store<u8>(dst + j, <u8>value);
}

/**
 * Rows [row0, row0+rows) of im2col(x) into dst (KP elements each, 1 or 2 bytes), in (kh, kw, c) order —
 * the order of the Keras kernel [KH, KW, C, F] seen as K×F. Padding cells hold the input zero point (the
 * quantized 0).
 */
export function int8_im2col(
  x: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  oh: i32, ow: i32, row0: i32, rows: i32, zero: i32, dst: usize, layout: i32,
): void {
  const wide = layoutOf(layout) == INT8_DOT16;
  const e: usize = wide ? 2 : 1;
  const k = kh * kw * c;
  const kp = int8_padded_k(k);
  const cell = <usize>c * e;
  let out = dst;
  for (let r = row0; r < row0 + rows; r++, out += <usize>kp * e) {
    const b = r / (oh * ow);
    const p = r - b * oh * ow;
    const oy = p / ow;
    const ox = p - oy * ow;
    let at = out;
    for (let i = 0; i < kh; i++) {
      const iy = oy * strideH - padTop + i * dilationH;
      for (let j = 0; j < kw; j++, at += cell) {
        const ix = ox * strideW - padLeft + j * dilationW;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) fillRow(at, zero, c, wide);
        else copyRow(at, x + ((<usize>b * h + iy) * w + ix) * c, c, wide);
      }
    }
    fillRow(out + <usize>k * e, 0, kp - k, wide);
  }
}

/**
 * y (N,OH,OW,F) = requant(conv(x (N,H,W,C) u8, packed w) + bias), over output rows [row0, row0+rows)
 * (a thread's share; rows of y count N·OH·OW). Arguments after `zeroIn` as int8_gemm. A dense layer is
 * the case H = W = KH = KW = 1.
 */
export function int8_conv2d(
  x: usize, h: i32, w: i32, c: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  oh: i32, ow: i32, row0: i32, rows: i32, zeroIn: i32,
  packed: usize, f: i32, bias: usize, y: usize, mode: i32, mult: usize,
  shift: i32, zero: i32, qmin: i32, qmax: i32, scratch: usize, layout: i32,
): void {
  const kp = int8_padded_k(kh * kw * c);
  const elem: usize = mode == 0 ? 1 : 4;
  const rowBytes = kp * int8_a_bytes(layout);
  const panels = scratch + <usize>(MC + 4) * rowBytes;
  for (let r = row0; r < row0 + rows; r += MC) {
    const count = min(MC, row0 + rows - r);
    int8_im2col(x, h, w, c, kh, kw, strideH, strideW, padTop, padLeft, dilationH, dilationW, oh, ow, r, count, zeroIn, scratch, layout);
    int8_pack_panels(scratch, rowBytes, count, rowBytes, panels);
    int8_gemm(count, f, kp, panels, packed, bias, y + <usize>r * f * elem, f, mode, mult, shift, zero, qmin, qmax, layout);
  }
}
