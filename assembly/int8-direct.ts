// Direct int8 conv2d for a short reduction K = KH·KW·C: a first layer on few channels (MNIST's 3x3 on one
// channel: K = 9). The GEMM path (int8-gemm.ts) pads K to 16 and goes through im2col rows and a panel
// packing pass; here each group of 4 output pixels writes its panel straight from the image, K padded only
// to 2 (10 for K = 9), and runs the same 4×8 tile (int8-tile.ts), so the sums are the GEMM's exactly.
// DOT16 layout (i32x4.dot_i16x8_s) in every build, as the Winograd conv: with K this short the panel
// writes, not the products, set the time.
// With `pool`, the 4 pixels are one window of a 2x2 stride-2 max pooling (valid: only the ⌊OH/2⌋·⌊OW/2⌋
// windows inside y), the tile writes the max of the 4 sums, requantized once: the same bytes as pooling
// the requantized outputs, the output stage being monotonic. y is then (N, ⌊OH/2⌋, ⌊OW/2⌋, F).
// The panel is written step by step for the 4 rows at once, from a table of tap offsets, when the 4
// windows lie inside the image (MNIST at batch 64: 1.15 ms against 4.0 ms for a row at a time with the
// offsets recomputed per tap); windows across the border go row by row, reading the zero point outside.
// Weights: int8_pack_weights_kp with kp = int8_direct_k(K), DOT16 layout.
import { INT8_DOT16, NR, gemmTiles } from './int8-tile';

/** K rounded up to the k pair of a DOT16 step. */
export function int8_direct_k(k: i32): i32 {
  return (k + 1) & ~1;
}

/** Bytes of the packed weights of a direct conv, K×N. */
export function int8_direct_weights_bytes(k: i32, n: i32): i32 {
  return ((n + NR - 1) / NR) * int8_direct_k(k) * NR * 2;
}

// Panels of 4 rows the MNIST-style path (rowPanel below) gathers before one gemmTiles call.
const BATCH: i32 = 8;

/** Scratch bytes int8_direct_conv2d needs for one thread: BATCH panels of 4 rows, then the tap offsets (i32). */
export function int8_direct_scratch_bytes(k: i32): i32 {
  return (8 * BATCH + 4) * int8_direct_k(k);
}

/** Work units of a batch: groups of 4 output pixels, ceil(N·OH·OW / 4), or the N·⌊OH/2⌋·⌊OW/2⌋ pooling windows. */
export function int8_direct_quads(n: i32, oh: i32, ow: i32, pool: i32): i32 {
  return pool ? n * (oh >> 1) * (ow >> 1) : (n * oh * ow + 3) >> 2;
}

/**
 * y = out(conv(x (N,H,W,C) u8, packed w) + bias) for work units [q0, q0+qn) (int8_direct_quads); the
 * output stage (mode 0 u8, 1 f32, and its arguments) as int8_gemm's. pool = 1: 2x2 max pooling fused.
 */
export function int8_direct_conv2d(
  x: usize, n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  oh: i32, ow: i32, q0: i32, qn: i32, zeroIn: i32,
  packed: usize, f: i32, bias: usize, y: usize, mode: i32, mult: usize,
  shift: i32, zero: i32, qmin: i32, qmax: i32, scratch: usize, pool: i32,
): void {
  const k = kh * kw * c;
  const kd = int8_direct_k(k);
  const elem: usize = mode == 0 ? 1 : 4;
  const pixelBytes = <usize>f * elem;
  if (qn <= 0) return;
  const panel = scratch;
  // Byte offset of each tap from its window's first cell, in (kh, kw, c) order; taps past K read that
  // first cell (their weights are 0).
  const taps = scratch + <usize>(8 * BATCH * kd);
  for (let t = 0; t < kd; t++) store<i32>(taps + (<usize>t << 2), 0);
  for (let i = 0, t = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let ch = 0; ch < c; ch++, t++) store<i32>(taps + (<usize>t << 2), (i * dilationH * w + j * dilationW) * c + ch);
    }
  }
  const spanH = (kh - 1) * dilationH, spanW = (kw - 1) * dilationW;
  // The first work unit's place: pooling window (b, ty, tx), or pixel (b, oy, ox).
  const th = oh >> 1, tw = ow >> 1;
  const pixels = n * oh * ow;
  let b: i32, py: i32, px: i32;
  if (pool) {
    px = q0 % tw;
    py = (q0 / tw) % th;
    b = q0 / (tw * th);
  } else {
    const p = 4 * q0;
    b = p / (oh * ow);
    py = (p / ow) % oh;
    px = p % ow;
  }
  // One channel, a 3x3 window, unit steps along the row (MNIST's first layer): 4 pixels side by side in a
  // row read 6 bytes of each of 3 image rows, so the panel is 5 shuffles of the three rows widened to i16.
  const rowPanel = !pool && c == 1 && kh == 3 && kw == 3 && strideW == 1 && dilationH == 1 && dilationW == 1;
  const zero16 = i16x8.splat(0);
  // Row panels gathered so far (consecutive work units, so consecutive outputs from pendOut on): one
  // gemmTiles call for BATCH of them, not one per 4 pixels (its setup cost as much as a panel's products).
  let pend = 0;
  let pendOut: usize = 0;
  for (let q = q0; q < q0 + qn; q++) {
    const rows = pool ? 4 : min(4, pixels - 4 * q);
    const unit: i32 = pool ? q : 4 * q; // y's first pixel of this work unit
    const out = y + <usize>unit * pixelBytes;
    if (rowPanel && rows == 4 && px + 4 <= ow) {
      const iy = py * strideH - padTop, ix = px - padLeft;
      // The 8-byte row loads read 2 bytes past the 6 used: past the image only on its last row.
      if (iy >= 0 && ix >= 0 && iy + 3 <= h && ix + 6 <= w && (ix + 8 <= w || iy + 3 < h || b + 1 < n)) {
        const r0p = x + (<usize>b * h + iy) * w + ix;
        const r0 = v128.load8x8_u(r0p), r1 = v128.load8x8_u(r0p + w), r2 = v128.load8x8_u(r0p + 2 * w);
        // Step s holds taps (2s, 2s+1) of pixels 0..3; taps in (kh, kw) order, the 10th is padding (kd = 10).
        const pp = panel + <usize>(pend * 80);
        v128.store(pp, i8x16.shuffle(r0, r0, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9));
        v128.store(pp, i8x16.shuffle(r0, r1, 4, 5, 16, 17, 6, 7, 18, 19, 8, 9, 20, 21, 10, 11, 22, 23), 16);
        v128.store(pp, i8x16.shuffle(r1, r1, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9, 8, 9, 10, 11), 32);
        v128.store(pp, i8x16.shuffle(r2, r2, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9), 48);
        v128.store(pp, i8x16.shuffle(r2, zero16, 4, 5, 16, 17, 6, 7, 16, 17, 8, 9, 16, 17, 10, 11, 16, 17), 64);
        if (pend == 0) pendOut = out;
        if (++pend == BATCH) {
          gemmTiles(4 * BATCH, f, kd, panel, packed, bias, pendOut, f, mode, mult, shift, zero, qmin, qmax, INT8_DOT16, false);
          pend = 0;
        }
        px += 4;
        if (px == ow) {
          px = 0;
          if (++py == oh) { py = 0; b++; }
        }
        continue;
      }
    }
    if (pend > 0) {
      gemmTiles(4 * pend, f, kd, panel, packed, bias, pendOut, f, mode, mult, shift, zero, qmin, qmax, INT8_DOT16, false);
      pend = 0;
    }
    // The 4 rows' pixels (b, oy, ox) as window corners in x; all 4 windows inside the image is the usual case.
    let c0: usize = 0, c1: usize = 0, c2: usize = 0, c3: usize = 0;
    let insideMask = 0;
    for (let r = 0; r < rows; r++) {
      const oy = pool ? 2 * py + (r >> 1) : py;
      const ox = pool ? 2 * px + (r & 1) : px;
      const iy = oy * strideH - padTop, ix = ox * strideW - padLeft;
      const corner = x + ((<usize>b * h + iy) * w + ix) * c;
      if (r == 0) c0 = corner; else if (r == 1) c1 = corner; else if (r == 2) c2 = corner; else c3 = corner;
      if (iy >= 0 && ix >= 0 && iy + spanH < h && ix + spanW < w) insideMask |= 1 << r;
      else borderRow(panel + (<usize>r << 2), corner, taps, k, kd, c, kw, iy, ix, h, w, dilationH, dilationW, zeroIn);
      if (!pool || r == 3) {
        if (++px == (pool ? tw : ow)) {
          px = 0;
          if (++py == (pool ? th : oh)) { py = 0; b++; }
        }
      }
    }
    const inside = insideMask == 15;
    if (!inside) {
      if (insideMask & 1) insideRow(panel, c0, taps, kd);
      if (insideMask & 2) insideRow(panel + 4, c1, taps, kd);
      if (insideMask & 4) insideRow(panel + 8, c2, taps, kd);
      if (insideMask & 8) insideRow(panel + 12, c3, taps, kd);
    }
    if (inside) {
      // Step by step, the 4 rows' k groups side by side: 16 bytes per step.
      for (let t = 0; t < kd; t += 2) {
        const o = taps + (<usize>t << 2);
        const o0 = <usize>load<i32>(o), o1 = <usize>load<i32>(o, 4);
        const at = panel + (<usize>t << 3);
        store<u32>(at, <u32>load<u8>(c0 + o0) | (<u32>load<u8>(c0 + o1) << 16));
        store<u32>(at, <u32>load<u8>(c1 + o0) | (<u32>load<u8>(c1 + o1) << 16), 4);
        store<u32>(at, <u32>load<u8>(c2 + o0) | (<u32>load<u8>(c2 + o1) << 16), 8);
        store<u32>(at, <u32>load<u8>(c3 + o0) | (<u32>load<u8>(c3 + o1) << 16), 12);
      }
    }
    gemmTiles(pool ? 4 : rows, f, kd, panel, packed, bias, out, f, mode, mult, shift, zero, qmin, qmax, INT8_DOT16, pool != 0);
  }
  if (pend > 0) gemmTiles(4 * pend, f, kd, panel, packed, bias, pendOut, f, mode, mult, shift, zero, qmin, qmax, INT8_DOT16, false);
}

// One panel row (4-byte units 16 bytes apart) of a window inside the image: one load per tap.
function insideRow(row: usize, corner: usize, taps: usize, kd: i32): void {
  for (let t = 0; t < kd; t += 2) {
    const o = taps + (<usize>t << 2);
    store<u32>(row + (<usize>t << 3), <u32>load<u8>(corner + load<i32>(o)) | (<u32>load<u8>(corner + load<i32>(o, 4)) << 16));
  }
}

// One panel row of a window that crosses the border: cells outside the image read the zero point.
function borderRow(
  row: usize, corner: usize, taps: usize, k: i32, kd: i32, c: i32, kw: i32, iy: i32, ix: i32, h: i32, w: i32,
  dilationH: i32, dilationW: i32, zeroIn: i32,
): void {
  for (let t = 0; t < kd; t++) {
    let v = 0;
    if (t < k) {
      const cell = t / c;
      const cy = iy + (cell / kw) * dilationH, cx = ix + (cell % kw) * dilationW;
      v = <u32>cy < <u32>h && <u32>cx < <u32>w ? <i32>load<u8>(corner + load<i32>(taps + (<usize>t << 2))) : zeroIn;
    }
    store<u16>(row + (<usize>(t >> 1) << 4) + (<usize>(t & 1) << 1), <u16>v);
  }
}
