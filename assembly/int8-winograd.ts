// Winograd F(2x2, 3x3) for int8 conv2d (3x3, stride 1, dilation 1, NHWC): the same integers as the direct
// int8 conv (int8-gemm.ts), bit for bit, with 16 products per 2x2 outputs instead of 36.
//
// Exact in integers: with G' = 2G = [2 0 0; 1 1 1; 1 −1 1; 0 0 2], U = G' g G'ᵀ = 4·(G g Gᵀ) is integral,
// so Aᵀ[Σ_c U ⊙ V]A = 4 × the direct sum, and an arithmetic shift by 2 gives the direct sum exactly.
// Ranges: x 0..127 gives V = Bᵀ d B in −508..508 and w −127..127 gives U in −1143..1143: both i16, so the
// products run on int8_gemm's DOT16 micro-kernel (i32x4.dot_i16x8_s) in every build. i32 adds wrap, and
// the result 4·acc fits i32 while |acc| ≤ 127·127·9·C < 2^29, i.e. C ≤ 3,600 (the caller checks): then
// the wrapped intermediate sums still give it exactly. Cells outside the image read the input zero point,
// as the direct conv's im2col does, so the bias with the zero point folded in (int8-gemm.ts) applies as is.
//
// Per block of TB tiles: V (16, TB, KP) i16 row-major, then per ξ its 4-row panels (int8_pack_panels) times
// U_ξ (packed as int8_pack_weights packs DOT16) into M_ξ (TB, F) i32 (int8_gemm mode 2), then
// y = requant(Aᵀ M A / 4 + bias) (or f32) for the outputs of each tile that lie inside y. A call handles
// tiles [t0, t0 + tn) of all N·ceil(OH/2)·ceil(OW/2), so threads (and a batch of one) split by tiles.
// With `pool`, a 2x2 stride-2 max pooling (valid) follows: a tile is exactly one pooling window, so only
// the N·floor(OH/2)·floor(OW/2) tiles the pooling reads are computed, and each writes the max of its four
// sums, requantized once — the same bytes as pooling the requantized outputs, the output stage being
// monotonic. y is then the pooled (N, OH/2, OW/2, F).
import { INT8_DOT16, int8_gemm, int8_pack_panels, int8_packed_weights_bytes, int8_padded_k } from './int8-gemm';
import { emitPixels } from './int8-requant';
import { filterTile, inputTransform43, outputTransform43, tilePatch } from './int8-winograd-f43';

// F(4x4, 3x3) runs through the same loops with 6x6 tiles (36 ξ) and its own transforms (int8-winograd-f43.ts);
// `tile` (2 or 4) picks the output tile side in every function below.

// ξ planes (products per tile) of a tile side: 16 for F(2,3), 36 for F(4,3).
@inline function planesOf(tile: i32): i32 {
  return tile == 4 ? 36 : 16;
}

/** Bytes of the packed Winograd filters U for C input and F output channels (16 or 36 DOT16-packed K=C × F). */
export function int8_wino_filter_bytes(c: i32, f: i32, tile: i32): i32 {
  return planesOf(tile) * int8_packed_weights_bytes(c, f, INT8_DOT16);
}

// Byte offset of element (k, n) in a DOT16-packed K×N matrix: blocks of 8 columns, [KP/2][8 columns][2 k] i16.
@inline function packedAt(k: i32, n: i32, kp: i32): usize {
  return ((<usize>(n >> 3) * <usize>kp * 8) + <usize>((k >> 1) * 16 + (n & 7) * 2 + (k & 1))) << 1;
}

/** U = G' g G'ᵀ (tile 4: U'' of int8-winograd-f43.ts) for every (c, f) of w (int8, [3][3][C][F], Keras layout), packed per ξ into dst. */
export function int8_wino_filter(w: usize, c: i32, f: i32, dst: usize, tile: i32): void {
  const plane = <usize>int8_packed_weights_bytes(c, f, INT8_DOT16);
  const kp = int8_padded_k(c);
  memory.fill(dst, 0, plane * <usize>planesOf(tile));
  const tap = <usize>c * <usize>f;
  for (let ci = 0; ci < c; ci++) {
    for (let fi = 0; fi < f; fi++) {
      filterTile(w + <usize>ci * <usize>f + <usize>fi, tap, dst + packedAt(ci, fi, kp), plane, tile);
    }
  }
}

// Tiles per block: V and M (planes·TB·(2·KP + 4·F) bytes) within ~256 KiB, a multiple of 4 (the panel height).
function tileBlock(kp: i32, f: i32, planes: i32): i32 {
  const tb = (262144 / planes / (2 * kp + 4 * f)) & ~3;
  return min(max(tb, 4), 256);
}

/** Scratch bytes int8_wino_conv2d needs for one thread. */
export function int8_wino_scratch_bytes(c: i32, f: i32, tile: i32): i32 {
  const kp = int8_padded_k(c);
  const planes = planesOf(tile);
  const tb = tileBlock(kp, f, planes);
  const fp = (f + 15) & ~15;
  // zero bias, V (planes of TB + 4 rows: a last partial panel reads up to 3 rows past tb), panels, M (and
  // 16 bytes its last 4-lane loads may read past), one 6x6 patch of KP channels (inputTransform), the
  // staging tiles of the F(4,3) transforms (1 KiB), a tile's staged outputs (16 pixels of F↑16 i32).
  return 4 * fp + planes * (tb + 4) * kp * 2 + (tb + 4) * kp * 2 + planes * tb * f * 4 + 16 + 36 * kp + 1024 + 64 * fp + 64;
}

/**
 * Tiles of one image: ceil(OH/t)·ceil(OW/t) for tile side t; with the pooling fused, F(2,3)'s
 * floor(OH/2)·floor(OW/2) (one window each), F(4,3)'s ceil(PH/2)·ceil(PW/2) of the pooled (PH, PW).
 */
export function int8_wino_tiles(oh: i32, ow: i32, pool: i32, tile: i32): i32 {
  if (tile == 4) return pool ? (((oh >> 1) + 1) >> 1) * (((ow >> 1) + 1) >> 1) : ((oh + 3) >> 2) * ((ow + 3) >> 2);
  return pool ? (oh >> 1) * (ow >> 1) : ((oh + 1) >> 1) * ((ow + 1) >> 1);
}

/**
 * y (N,OH,OW,F) tiles [t0, t0+tn) = requant(conv3x3(x (N,H,W,C) u8) + bias), U from int8_wino_filter; the
 * output stage (mode 0 u8, 1 f32, and its arguments) as int8_gemm's. pool = 1: 2x2 max pooling fused, y
 * (N, OH/2, OW/2, F) (see the top of this file). Unpooled, the tiles may cover a region of the output
 * only: origin = oy0·65536 + ox0, size = rows·65536 + columns (0, 0: all of it), so that F(4,3) takes
 * the part its tiles fill and F(2,3) the edges (src/quantize/int8-gemm.ts, winogradRegions).
 */
export function int8_wino_conv2d(
  x: usize, h: i32, w: i32, c: i32, padTop: i32, padLeft: i32, oh: i32, ow: i32, t0: i32, tn: i32, zeroIn: i32,
  u: usize, f: i32, bias: usize, y: usize, mode: i32, mult: usize,
  shift: i32, zero: i32, qmin: i32, qmax: i32, scratch: usize, pool: i32, tile: i32, origin: i32, size: i32,
): void {
  const four = tile == 4;
  const planes = planesOf(tile);
  // The output region the tiles cover (unpooled only): rows oy0.. and columns ox0.., rh × rw.
  const oy0 = origin >>> 16, ox0 = origin & 0xffff;
  const rh = size ? size >>> 16 : oh, rw = size ? size & 0xffff : ow;
  const TH = four ? (pool ? ((oh >> 1) + 1) >> 1 : (rh + 3) >> 2) : pool ? oh >> 1 : (rh + 1) >> 1;
  const TW = four ? (pool ? ((ow >> 1) + 1) >> 1 : (rw + 3) >> 2) : pool ? ow >> 1 : (rw + 1) >> 1;
  const yr = y + (<usize>oy0 * <usize>ow + <usize>ox0) * <usize>f * (mode == 0 ? 1 : 4);
  const kp = int8_padded_k(c);
  const TB = tileBlock(kp, f, planes);
  const fp = (f + 15) & ~15;
  const zeros = (scratch + 63) & ~<usize>63;
  memory.fill(zeros, 0, <usize>fp * 4);
  const rowBytes = <usize>kp * 2;
  const vPlane = <usize>(TB + 4) * rowBytes;
  const v = zeros + <usize>fp * 4;
  const panels = v + <usize>planes * vPlane;
  const m = panels + <usize>(TB + 4) * rowBytes;
  const mPlane = <usize>TB * <usize>f * 4;
  const uPlane = <usize>int8_packed_weights_bytes(c, f, INT8_DOT16);
  const patch = m + <usize>planes * mPlane + 16;
  const tmp = patch + 36 * <usize>kp;
  const st = tmp + 1024;
  for (let b0 = 0; b0 < tn; b0 += TB) {
    const tb = min(TB, tn - b0);
    if (four) inputTransform43(x, v, vPlane, h, w, c, kp, TH, TW, padTop - oy0, padLeft - ox0, t0 + b0, tb, zeroIn, patch, tmp);
    else inputTransform(x, v, vPlane, h, w, c, kp, TH, TW, padTop - oy0, padLeft - ox0, t0 + b0, tb, zeroIn, patch);
    for (let xi = 0; xi < planes; xi++) {
      int8_pack_panels(v + <usize>xi * vPlane, <i32>rowBytes, tb, <i32>rowBytes, panels);
      const uXi = u + <usize>xi * uPlane, mXi = m + <usize>xi * mPlane;
      const full = (tb & ~3) * ((f & 7) == 0 ? 1 : 0);
      if (full) products(full, f, kp, panels, uXi, mXi);
      if (full < tb) {
        // Rows past the last whole panel, or F not a multiple of 8: the general tile.
        const r0 = full;
        int8_gemm(tb - r0, f, kp, panels + <usize>r0 * rowBytes, uXi, zeros, mXi + <usize>r0 * <usize>f * 4, f, 2, 0, 0, 0, 0, 0, INT8_DOT16);
      }
    }
    if (four) outputTransform43(m, mPlane, f, oh, ow, rh, rw, TH, TW, pool, t0 + b0, tb, yr, bias, mode, mult, shift, zero, qmin, qmax, tmp, c, st);
    else outputTransform(m, mPlane, f, oh, ow, rh, rw, TH, TW, pool, t0 + b0, tb, yr, bias, mode, mult, shift, zero, qmin, qmax, st);
  }
}

// M (rows, F) i32 = panels (rows/4 panels of KP) · U_ξ (DOT16-packed, F/8 blocks): the int8 GEMM's 4×8 DOT16
// tile for whole tiles only (rows % 4 == 0, F % 8 == 0), with raw stores and nothing else in the loop:
// with K = C as short as 16, the general tile's per-tile work (its output stage's arguments, branches and
// spills) cost as much as the products.
function products(rows: i32, f: i32, kp: i32, panels: usize, u: usize, m: usize): void {
  const steps = kp >> 1;
  const blockBytes = <usize>kp << 4;
  const panelBytes = <usize>kp << 3;
  const ld = <usize>f << 2;
  for (let j = 0; j < f; j += 8) {
    const block = u + <usize>(j >> 3) * blockBytes;
    let out = m + (<usize>j << 2);
    let panel = panels;
    for (let i = 0; i < rows; i += 4, panel += panelBytes, out += ld << 2) {
      // The first step sets the sums (no zeros to add to: with K = 16 that is 8 of the tile's 64 adds).
      let w0 = v128.load(block), w1 = v128.load(block, 16);
      let x = v128.load32_splat(panel);
      let c00 = i32x4.dot_i16x8_s(w0, x), c01 = i32x4.dot_i16x8_s(w1, x);
      x = v128.load32_splat(panel, 4);
      let c10 = i32x4.dot_i16x8_s(w0, x), c11 = i32x4.dot_i16x8_s(w1, x);
      x = v128.load32_splat(panel, 8);
      let c20 = i32x4.dot_i16x8_s(w0, x), c21 = i32x4.dot_i16x8_s(w1, x);
      x = v128.load32_splat(panel, 12);
      let c30 = i32x4.dot_i16x8_s(w0, x), c31 = i32x4.dot_i16x8_s(w1, x);
      let ap = panel + 16, bp = block + 32;
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
      v128.store(out, c00);
      v128.store(out, c01, 16);
      v128.store(out + ld, c10);
      v128.store(out + ld, c11, 16);
      v128.store(out + 2 * ld, c20);
      v128.store(out + 2 * ld, c21, 16);
      v128.store(out + 3 * ld, c30);
      v128.store(out + 3 * ld, c31, 16);
    }
  }
}

// V[ξ][t][k] = (Bᵀ d B)[ξ] for tiles t0..t0+tb, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], for k < C
// rounded up to 8. Channels past C hold whatever the arithmetic gives (U is 0 there, and 0 times any i16
// adds 0), so nothing is cleared. A tile whose 4x4 patch crosses the border, or any tile when C is not a
// multiple of 8, first copies its patch into `patch` (the zero point outside the image, 8-channel rows),
// so one SIMD loop serves every tile.
function inputTransform(
  x: usize, v: usize, vPlane: usize, h: i32, w: i32, c: i32, kp: i32, TH: i32, TW: i32,
  padTop: i32, padLeft: i32, t0: i32, tb: i32, zeroIn: i32, patch: usize,
): void {
  const cp = (c + 7) & ~7;
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const p = tilePatch(x, n, 2 * th - padTop, 2 * tw - padLeft, h, w, c, 4, zeroIn, patch);
    const copied = p == patch;
    const pixel = copied ? <usize>cp : <usize>c, rowBytes = copied ? <usize>cp << 2 : <usize>w * <usize>c;
    const dst = v + <usize>i * <usize>kp * 2;
    const p1 = p + rowBytes, p2 = p + 2 * rowBytes, p3 = p + 3 * rowBytes;
    for (let o: usize = 0; o < <usize>cp; o += 8) {
      const e00 = v128.load8x8_u(p + o), e01 = v128.load8x8_u(p + pixel + o), e02 = v128.load8x8_u(p + 2 * pixel + o), e03 = v128.load8x8_u(p + 3 * pixel + o);
      const e10 = v128.load8x8_u(p1 + o), e11 = v128.load8x8_u(p1 + pixel + o), e12 = v128.load8x8_u(p1 + 2 * pixel + o), e13 = v128.load8x8_u(p1 + 3 * pixel + o);
      const e20 = v128.load8x8_u(p2 + o), e21 = v128.load8x8_u(p2 + pixel + o), e22 = v128.load8x8_u(p2 + 2 * pixel + o), e23 = v128.load8x8_u(p2 + 3 * pixel + o);
      const e30 = v128.load8x8_u(p3 + o), e31 = v128.load8x8_u(p3 + pixel + o), e32 = v128.load8x8_u(p3 + 2 * pixel + o), e33 = v128.load8x8_u(p3 + 3 * pixel + o);
      // Rows of Bᵀ d (over kh): d0 − d2, d1 + d2, d2 − d1, d1 − d3.
      const d = dst + (o << 1);
      inputRow(d, vPlane, i16x8.sub(e00, e20), i16x8.sub(e01, e21), i16x8.sub(e02, e22), i16x8.sub(e03, e23));
      inputRow(d + 4 * vPlane, vPlane, i16x8.add(e10, e20), i16x8.add(e11, e21), i16x8.add(e12, e22), i16x8.add(e13, e23));
      inputRow(d + 8 * vPlane, vPlane, i16x8.sub(e20, e10), i16x8.sub(e21, e11), i16x8.sub(e22, e12), i16x8.sub(e23, e13));
      inputRow(d + 12 * vPlane, vPlane, i16x8.sub(e10, e30), i16x8.sub(e11, e31), i16x8.sub(e12, e32), i16x8.sub(e13, e33));
    }
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}

// One row of (Bᵀ d) B from one row (x0..x3) of Bᵀ d: four ξ, `plane` bytes apart.
@inline function inputRow(d: usize, plane: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  v128.store(d, i16x8.sub(x0, x2));
  v128.store(d + plane, i16x8.add(x1, x2));
  v128.store(d + 2 * plane, i16x8.sub(x2, x1));
  v128.store(d + 3 * plane, i16x8.sub(x1, x3));
}

// y = out(Aᵀ M A / 4 + bias) for tiles t0..t0+tb, Aᵀ = [1 1 1 0; 0 1 −1 −1]; y (OH, OW) from the region's
// first output on, outputs past its rh × rw dropped.
// With pool: y = out(max of the tile's four sums + bias) at the tile's pooled pixel.
// Each tile's sums + bias are staged in `st` (4 pixels of F↑16 i32) and written by emitPixels.
function outputTransform(
  m: usize, mPlane: usize, f: i32, oh: i32, ow: i32, rh: i32, rw: i32, TH: i32, TW: i32, pool: i32, t0: i32, tb: i32,
  y: usize, bias: usize, mode: i32, mult: usize, shift: i32, zero: i32, qmin: i32, qmax: i32, st: usize,
): void {
  const elem: usize = mode == 0 ? 1 : 4;
  const pixel = <usize>f * elem;
  const rowBytes = <usize>(pool ? TW : ow) * pixel;
  const sp = <usize>((f + 15) & ~15) << 2;
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const oy = 2 * th, ox = 2 * tw;
    const out = pool
      ? y + (<usize>n * <usize>TH + <usize>th) * rowBytes + <usize>tw * pixel
      : y + (<usize>n * <usize>oh + <usize>oy) * rowBytes + <usize>ox * pixel;
    const src = m + <usize>i * <usize>f * 4;
    for (let fi = 0; fi < f; fi += 4) {
      const s = src + (<usize>fi << 2);
      // Aᵀ M (over ξ rows): q0 = m0 + m1 + m2, q1 = m1 − m2 − m3, per column j.
      const m00 = v128.load(s), m01 = v128.load(s + mPlane), m02 = v128.load(s + 2 * mPlane), m03 = v128.load(s + 3 * mPlane);
      const m10 = v128.load(s + 4 * mPlane), m11 = v128.load(s + 5 * mPlane), m12 = v128.load(s + 6 * mPlane), m13 = v128.load(s + 7 * mPlane);
      const m20 = v128.load(s + 8 * mPlane), m21 = v128.load(s + 9 * mPlane), m22 = v128.load(s + 10 * mPlane), m23 = v128.load(s + 11 * mPlane);
      const m30 = v128.load(s + 12 * mPlane), m31 = v128.load(s + 13 * mPlane), m32 = v128.load(s + 14 * mPlane), m33 = v128.load(s + 15 * mPlane);
      const q00 = i32x4.add(i32x4.add(m00, m10), m20), q01 = i32x4.add(i32x4.add(m01, m11), m21);
      const q02 = i32x4.add(i32x4.add(m02, m12), m22), q03 = i32x4.add(i32x4.add(m03, m13), m23);
      const q10 = i32x4.sub(i32x4.sub(m10, m20), m30), q11 = i32x4.sub(i32x4.sub(m11, m21), m31);
      const q12 = i32x4.sub(i32x4.sub(m12, m22), m32), q13 = i32x4.sub(i32x4.sub(m13, m23), m33);
      const b = v128.load(bias + (<usize>fi << 2));
      const d = st + (<usize>fi << 2);
      // The tile's four sums (AᵀMA, /4 exact); with pool one output, their max (all four inside: the tiles
      // are floor(OH/2)·floor(OW/2)).
      const s00 = i32x4.shr_s(i32x4.add(i32x4.add(q00, q01), q02), 2), s01 = i32x4.shr_s(i32x4.sub(i32x4.sub(q01, q02), q03), 2);
      const s10 = i32x4.shr_s(i32x4.add(i32x4.add(q10, q11), q12), 2), s11 = i32x4.shr_s(i32x4.sub(i32x4.sub(q11, q12), q13), 2);
      if (pool) {
        v128.store(d, i32x4.add(i32x4.max_s(i32x4.max_s(s00, s01), i32x4.max_s(s10, s11)), b));
        continue;
      }
      v128.store(d, i32x4.add(s00, b));
      v128.store(d + sp, i32x4.add(s01, b));
      v128.store(d + 2 * sp, i32x4.add(s10, b));
      v128.store(d + 3 * sp, i32x4.add(s11, b));
    }
    if (pool) emitPixels(st, sp, sp, 1, 1, out, rowBytes, pixel, f, mode, mult, shift, zero, qmin, qmax);
    else emitPixels(st, 2 * sp, sp, min(2, rh - oy), min(2, rw - ox), out, rowBytes, pixel, f, mode, mult, shift, zero, qmin, qmax);
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}
