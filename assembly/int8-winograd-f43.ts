// The transforms of the int8 Winograd F(4x4, 3x3) (int8-winograd.ts runs the tiles and the 36 products per
// tile): the same integers as the direct int8 conv, bit for bit, with 36 products per 4x4 outputs instead of
// F(2,3)'s 64. Points 0, ±1, ±2, ∞ as the f32 F(4,3) (winograd-f43.ts: Bᵀ, G, Aᵀ there).
//
// Exact in integers. G has fractions (⅙, 1/24); scaling its rows by D = (24, 24, 24, 24, 24, 8) gives the
// integer rows D G = [6 0 0; −4 −4 −4; −4 4 −4; 1 2 4; 1 −2 4; 0 0 8] (abs row sums 6, 12, 12, 7, 7, 8),
// so U'' = (DG) g (DG)ᵀ is integral with |U''| ≤ 12·12·127 = 18288 (i16), and U = G g Gᵀ = U''_ij / (D_i D_j).
// As 576 / (D_i D_j) = e_i e_j with e = 24 / D = (1, 1, 1, 1, 1, 3):
//   576·y = Aᵀ diag(e) M'' diag(e) A,   M'' = Σ_c U'' ⊙ V,
// the usual output transform but for a 3 on its last column (A' = diag(e) A). V = Bᵀ d B on x in 0..127:
// each V is Σ b_ri b_sj d_ij, at most 127 × the sum of the positive (or negative) products of rows r, s of
// Bᵀ: ≤ 68·127 = 8636 (Bᵀ's row 1 with itself). So U'' and V are i16, and the products run on the DOT16
// micro-kernel as F(2,3)'s do (a pair of products: 2·18288·8636 < 2^31).
// Everything after is i32 arithmetic that wraps: exact modulo 2^32, so 576·y is right modulo 2^32 whatever
// M'' reaches. 9 is invertible modulo 2^32 (9 · 0x38E38E39 = 2·2^32 + 1) and 576 = 64·9, so
// (576·y · 0x38E38E39) mod 2^32 = 64·y mod 2^32, and an arithmetic shift by 6 gives y exactly while
// |y| < 2^25, i.e. 127·128·9·C < 2^25: C ≤ 229 (WINOGRAD4_MAX_C in src/quantize/int8-gemm.ts checks it).

import { emitPixels } from './int8-requant';

const ROW6: usize = 6 * 16; // bytes of one row of a 6x6 staging tile of v128

// Row i of the integer filter transform times (x0, x1, x2): F(4,3)'s DG, D = (24, 24, 24, 24, 24, 8), or
// F(2,3)'s G' = 2G = [2 0 0; 1 1 1; 1 −1 1; 0 0 2] (int8-winograd.ts). Not inlined: the filters are
// transformed once per weight version, and inlined copies of the switch would cost the bundle its bytes.
function dg(x0: i32, x1: i32, x2: i32, i: i32, tile: i32): i32 {
  if (tile == 2) {
    switch (i) {
      case 0: return 2 * x0;
      case 1: return x0 + x1 + x2;
      case 2: return x0 - x1 + x2;
      default: return 2 * x2;
    }
  }
  switch (i) {
    case 0: return 6 * x0;
    case 1: return -4 * (x0 + x1 + x2);
    case 2: return 4 * (x1 - x0 - x2);
    case 3: return x0 + 2 * x1 + 4 * x2;
    case 4: return x0 - 2 * x1 + 4 * x2;
    default: return 8 * x2;
  }
}

/**
 * One (c, f) of the integer filters, (tile+2)² i16 (ξ = (tile+2)·i + j at d + ξ·plane): F(4,3)'s
 * U'' = (DG) g (DG)ᵀ or F(2,3)'s U = G' g G'ᵀ, from the 3x3 taps at s (`tap` apart).
 */
export function filterTile(s: usize, tap: usize, d: usize, plane: usize, tile: i32): void {
  const n = tile + 2;
  const g00: i32 = load<i8>(s), g01: i32 = load<i8>(s + tap), g02: i32 = load<i8>(s + 2 * tap);
  const g10: i32 = load<i8>(s + 3 * tap), g11: i32 = load<i8>(s + 4 * tap), g12: i32 = load<i8>(s + 5 * tap);
  const g20: i32 = load<i8>(s + 6 * tap), g21: i32 = load<i8>(s + 7 * tap), g22: i32 = load<i8>(s + 8 * tap);
  for (let i = 0; i < n; i++) {
    // Row i of (DG) g (one value per column of g), then times (DG)ᵀ.
    const h0 = dg(g00, g10, g20, i, tile), h1 = dg(g01, g11, g21, i, tile), h2 = dg(g02, g12, g22, i, tile);
    for (let j = 0; j < n; j++) store<i16>(d + <usize>(n * i + j) * plane, <i16>dg(h0, h1, h2, j, tile));
  }
}

// One cell of a patch: c bytes from src (cell inside the image) or the zero point. 8 bytes at a time
// while C is a multiple of 8 (src and d are then whole 8-byte groups), byte by byte otherwise.
@inline function copyCell(d: usize, src: usize, c: i32, cp: i32, cell: bool, zeroIn: i32): void {
  if (cp == c) {
    const z = i8x16.splat(<i8>zeroIn);
    for (let k = 0; k < c; k += 8) v128.store64_lane(d + k, cell ? v128.load64_zero(src + k) : z, 0);
  } else {
    // Byte loops, not memory.copy/fill: those are calls into the engine, slow for a few bytes.
    for (let k = 0; k < c; k++) store<u8>(d + k, cell ? load<u8>(src + k) : <u8>zeroIn);
  }
}

// The α x α input patch whose top-left cell is (ih0, iw0) of image n: x itself where the patch lies inside the
// image and C is a multiple of 8, else a copy in `patch` (cells of C rounded up to 8, the zero point outside
// the image). Read the result with pixel C and row W·C, or, when it is `patch`, pixel CP and row α·CP. Shared
// by the F(2,3) and F(4,3) input transforms.
export function tilePatch(x: usize, n: i32, ih0: i32, iw0: i32, h: i32, w: i32, c: i32, alpha: i32, zeroIn: i32, patch: usize): usize {
  const cp = (c + 7) & ~7;
  // May point outside the image where not inside: then only the cells inside are read.
  const p = x + <usize>n * <usize>h * <usize>w * <usize>c + <usize>(ih0 * w + iw0) * <usize>c;
  if (ih0 >= 0 && iw0 >= 0 && ih0 + alpha <= h && iw0 + alpha <= w && cp == c) return p;
  const rowBytes = <usize>w * <usize>c;
  for (let r = 0; r < alpha; r++) {
    for (let q = 0; q < alpha; q++) {
      copyCell(patch + <usize>(r * alpha + q) * <usize>cp, p + <usize>r * rowBytes + <usize>q * <usize>c, c, cp,
               <u32>(ih0 + r) < <u32>h && <u32>(iw0 + q) < <u32>w, zeroIn);
    }
  }
  return patch;
}

// Bᵀ (x0..x5) for 8 lanes of i16, the six results stored `stride` bytes apart from out:
// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].
// i16 adds wrap, but every result fits i16 (see the top), so the wrapped partial sums still give it.
@inline function bt6(x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128, out: usize, stride: usize): void {
  const a = i16x8.sub(x4, x2); // x4 − x2
  const b = i16x8.sub(x3, x1); // x3 − x1
  const c = i16x8.shl(i16x8.add(x1, x2), 2); // 4(x1 + x2)
  const e = i16x8.shl(i16x8.sub(x1, x2), 2); // 4(x1 − x2)
  v128.store(out, i16x8.add(i16x8.sub(i16x8.shl(x0, 2), i16x8.add(i16x8.shl(x2, 2), x2)), x4));
  v128.store(out + stride, i16x8.sub(i16x8.add(x3, x4), c));
  v128.store(out + 2 * stride, i16x8.add(i16x8.sub(x4, x3), e));
  v128.store(out + 3 * stride, i16x8.add(a, i16x8.shl(b, 1)));
  v128.store(out + 4 * stride, i16x8.sub(a, i16x8.shl(b, 1)));
  v128.store(out + 5 * stride, i16x8.add(i16x8.sub(i16x8.shl(x1, 2), i16x8.add(i16x8.shl(x3, 2), x3)), x5));
}

/**
 * V[ξ][t][k] = (Bᵀ d B)[ξ] for tiles t0..t0+tb (tile i's rows at v + i·KP·2, ξ planes vPlane apart), k < C
 * rounded up to 8; channels past C as in int8-winograd.ts's F(2,3). A tile whose 6x6 patch crosses the
 * border, or any tile when C is not a multiple of 8, first copies its patch into `patch` (the zero point
 * outside the image). Two passes through `tmp` (36 v128): columns, then rows.
 */
export function inputTransform43(
  x: usize, v: usize, vPlane: usize, h: i32, w: i32, c: i32, kp: i32, TH: i32, TW: i32,
  padTop: i32, padLeft: i32, t0: i32, tb: i32, zeroIn: i32, patch: usize, tmp: usize,
): void {
  const cp = (c + 7) & ~7;
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const p = tilePatch(x, n, 4 * th - padTop, 4 * tw - padLeft, h, w, c, 6, zeroIn, patch);
    const copied = p == patch;
    const pixel = copied ? <usize>cp : <usize>c, rowBytes = copied ? <usize>cp * 6 : <usize>w * <usize>c;
    const dst = v + <usize>i * <usize>kp * 2;
    for (let o: usize = 0; o < <usize>cp; o += 8) {
      // Bᵀ d: column q of d (six rows) into column q of tmp.
      for (let q: usize = 0, s = p + o; q < 6; q++, s += pixel) {
        bt6(v128.load8x8_u(s), v128.load8x8_u(s + rowBytes), v128.load8x8_u(s + 2 * rowBytes),
          v128.load8x8_u(s + 3 * rowBytes), v128.load8x8_u(s + 4 * rowBytes), v128.load8x8_u(s + 5 * rowBytes), tmp + (q << 4), ROW6);
      }
      // (Bᵀ d) B: row r of tmp into ξ = 6r..6r+5.
      for (let r: usize = 0; r < 6; r++) {
        const s = tmp + r * ROW6;
        bt6(v128.load(s), v128.load(s, 16), v128.load(s, 32), v128.load(s, 48), v128.load(s, 64), v128.load(s, 80),
          dst + (o << 1) + 6 * r * vPlane, vPlane);
      }
    }
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}

// A'ᵀ (m0..m5) = Aᵀ diag(1, 1, 1, 1, 1, 3) (m0..m5) for 4 lanes of i32, the four results stored 16 bytes
// apart from out: Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
@inline function at4(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize): void {
  const a = i32x4.add(m1, m2), b = i32x4.sub(m1, m2);
  const c = i32x4.add(m3, m4), d = i32x4.sub(m3, m4);
  v128.store(out, i32x4.add(i32x4.add(m0, a), c));
  v128.store(out, i32x4.add(b, i32x4.shl(d, 1)), 16);
  v128.store(out, i32x4.add(a, i32x4.shl(c, 2)), 32);
  v128.store(out, i32x4.add(i32x4.add(b, i32x4.shl(d, 3)), i32x4.add(m5, i32x4.shl(m5, 1))), 48);
}

// at4 on one row of the column results, each 576·y mod 2^32 made y + bias (× 9⁻¹ mod 2^32, >> 6) and
// stored `stride` bytes apart from out (the staged pixels of emitPixels).
@inline function at4y(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize, stride: usize, inv9: v128, b: v128): void {
  const a = i32x4.add(m1, m2), e = i32x4.sub(m1, m2);
  const c = i32x4.add(m3, m4), d = i32x4.sub(m3, m4);
  v128.store(out, i32x4.add(i32x4.shr_s(i32x4.mul(i32x4.add(i32x4.add(m0, a), c), inv9), 6), b));
  v128.store(out + stride, i32x4.add(i32x4.shr_s(i32x4.mul(i32x4.add(e, i32x4.shl(d, 1)), inv9), 6), b));
  v128.store(out + 2 * stride, i32x4.add(i32x4.shr_s(i32x4.mul(i32x4.add(a, i32x4.shl(c, 2)), inv9), 6), b));
  v128.store(out + 3 * stride, i32x4.add(i32x4.shr_s(i32x4.mul(i32x4.add(i32x4.add(e, i32x4.shl(d, 3)), i32x4.add(m5, i32x4.shl(m5, 1))), inv9), 6), b));
}

/**
 * y = out(A'ᵀ M A' / 576 + bias) for tiles t0..t0+tb (M's ξ planes mPlane apart, tile i's row at
 * m + i·F·4); y (OH, OW) from the region's first output on, outputs past its rh × rw dropped. With pool
 * (the whole output): the tile's four 2x2 windows, each the max of its
 * four sums, at pooled pixels (2·th + a, 2·tw + b) inside the pooled (OH/2, OW/2).
 * Each tile's sums + bias are staged in `st` (16 pixels of F↑16 i32) and written by emitPixels.
 */
export function outputTransform43(
  m: usize, mPlane: usize, f: i32, oh: i32, ow: i32, rh: i32, rw: i32, TH: i32, TW: i32, pool: i32, t0: i32, tb: i32,
  y: usize, bias: usize, mode: i32, mult: usize, shift: i32, zero: i32, qmin: i32, qmax: i32, tmp: usize, c: i32, st: usize,
): void {
  const exact = c <= 25; // 576·127·128·9·C < 2^31
  const elem: usize = mode == 0 ? 1 : 4;
  const pixel = <usize>f * elem;
  const outH = pool ? oh >> 1 : oh, outW = pool ? ow >> 1 : ow;
  const limH = pool ? outH : rh, limW = pool ? outW : rw;
  const rowBytes = <usize>outW * pixel;
  const inv9 = i32x4.splat(0x38E38E39);
  // Staged pixel (r, q) at st + (r·side + q)·sp.
  const sp = <usize>((f + 15) & ~15) << 2;
  // Outputs of a tile per side: 4, or 2 pooled.
  const side = pool ? 2 : 4;
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const oy = side * th, ox = side * tw;
    const rows = min(side, limH - oy), cols = min(side, limW - ox);
    const src = m + <usize>i * <usize>f * 4;
    const q: usize = 6 * mPlane;
    for (let fi = 0; fi < f; fi += 4) {
      // A'ᵀ M: column j of M (six ξ rows, 6·mPlane apart) into column j of tmp (4 rows of 6 v128).
      for (let j: usize = 0, s = src + (<usize>fi << 2); j < 6; j++, s += mPlane) {
        at4(v128.load(s), v128.load(s + q), v128.load(s + 2 * q), v128.load(s + 3 * q), v128.load(s + 4 * q),
          v128.load(s + 5 * q), tmp + ROW6 * 6 + (j << 6));
      }
      const b = v128.load(bias + (<usize>fi << 2));
      const sf = st + (<usize>fi << 2);
      if (pool) {
        // Pooled row r: tile rows 2r and 2r+1 of (A'ᵀ M) A' in registers, the max of each 2x2 window as
        // 64·y (then >> 6). While 576·|y| < 2^31 (C ≤ 25) the sums 576·y are exact: their max first.
        for (let r = 0; r < rows; r++) {
          let h0 = i32x4.splat(i32.MIN_VALUE), h1 = h0;
          for (let half = 0; half < 2; half++) {
            const s = tmp + ROW6 * 6 + (<usize>(2 * r + half) << 4);
            const m0 = v128.load(s), m1 = v128.load(s, 64), m2 = v128.load(s, 128);
            const m3 = v128.load(s, 192), m4 = v128.load(s, 256), m5 = v128.load(s, 320);
            const a = i32x4.add(m1, m2), e = i32x4.sub(m1, m2);
            const c = i32x4.add(m3, m4), d = i32x4.sub(m3, m4);
            let y0 = i32x4.add(i32x4.add(m0, a), c), y1 = i32x4.add(e, i32x4.shl(d, 1));
            let y2 = i32x4.add(a, i32x4.shl(c, 2)), y3 = i32x4.add(i32x4.add(e, i32x4.shl(d, 3)), i32x4.add(m5, i32x4.shl(m5, 1)));
            if (!exact) {
              y0 = i32x4.mul(y0, inv9); y1 = i32x4.mul(y1, inv9);
              y2 = i32x4.mul(y2, inv9); y3 = i32x4.mul(y3, inv9);
            }
            h0 = i32x4.max_s(h0, i32x4.max_s(y0, y1));
            h1 = i32x4.max_s(h1, i32x4.max_s(y2, y3));
          }
          if (exact) {
            h0 = i32x4.mul(h0, inv9);
            h1 = i32x4.mul(h1, inv9);
          }
          const at = sf + <usize>(2 * r) * sp;
          v128.store(at, i32x4.add(i32x4.shr_s(h0, 6), b));
          v128.store(at + sp, i32x4.add(i32x4.shr_s(h1, 6), b));
        }
        continue;
      }
      // (A'ᵀ M) A': row r of the staged column results into the staged pixels of row r, as y + bias.
      for (let r: usize = 0; r < <usize>rows; r++) {
        const s = tmp + ROW6 * 6 + (r << 4);
        at4y(v128.load(s), v128.load(s, 64), v128.load(s, 128), v128.load(s, 192), v128.load(s, 256), v128.load(s, 320),
          sf + r * 4 * sp, sp, inv9, b);
      }
    }
    emitPixels(st, <usize>side * sp, sp, rows, cols, y + (<usize>n * <usize>outH + <usize>oy) * rowBytes + <usize>ox * pixel,
      rowBytes, pixel, f, mode, mult, shift, zero, qmin, qmax);
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}
