// Winograd F(m x m, 3x3), m = 2 or 4, for 3x3, stride-1, dilation-1, ungrouped conv2d, NHWC (Lavin & Gray 2015).
//
// The output is cut into m x m tiles; tile (n, th, tw) reads the α x α input patch (α = m + 2) at
// (m·th − pt, m·tw − pl) (0 outside the image) and writes the outputs of its m x m block that lie inside y.
// With U = G g Gᵀ (filter, α x α per (c, f)), V = Bᵀ d B (input patch, α x α per (tile, c)),
//   M = U ⊙ V summed over c,  y = Aᵀ M A (m x m per (tile, f)),
// the sum over c of each of the P = α² positions ξ is a GEMM: M_ξ (tiles, F) = V_ξ (tiles, C) · U_ξ (C, F),
// run on gemm.ts's micro-kernel. F(2,3): 16 multiplies per 4 outputs instead of 36 (2.25x fewer); F(4,3):
// 36 per 16 (4x fewer), for transforms that are O(C + F) per tile. This file walks the tiles and runs the
// products; the transforms of one tile are in winograd-f23.ts and winograd-f43.ts (f32x4 over channels).
//
// Layouts: U is (P, C, F) — the filter plan, made once per weight version by the caller (or into scratch);
// V is (P, TB, C) and M is (P, TB, F) for a block of TB tiles, sized to stay in L2.
// A call handles tiles [t0, t0 + tn) of all N·TH·TW, so threads (and a batch of one) split by tiles.
import { gemm_run, gemm_run_scratch_bytes, gemm_pack_b, gemm_packed_b_bytes } from './gemm';
import { MATRIX, PACKED } from './conv-geometry';
import { filter_tile_f23, input_tile_f23, output_tile_f23, dy_tile_f23, dx_tile_f23, dw_tile_f23 } from './winograd-f23';
import { filter_tile_f43, input_tile_f43, output_tile_f43, dy_tile_f43, dx_tile_f43, dw_tile_f43, filter_tile2_f43, dw_tile2_f43 } from './winograd-f43';

// Two neighbouring f32 at p as f64x2.
@inline function ld2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

// Transformed positions per tile: α² = (m + 2)².
@inline function positions(m: i32): i32 {
  return (m + 2) * (m + 2);
}

// Staging tiles of the F(4,3) transforms: two 6x6 of f32x4.
const TMP_BYTES = 2 * 36 * 16;

// Tiles per block: V and M blocks (P·TB·(C + F) floats) within ~512 KiB, a multiple of 4 (the GEMM's MR).
function tile_block(C: i32, F: i32, m: i32): i32 {
  const tb = (131072 / positions(m) / max(C + F, 1)) & ~3;
  return min(max(tb, 16), 256);
}

export function winograd_filter_bytes(C: i32, F: i32, m: i32): i32 {
  return positions(m) * C * F * 4;
}

// U (P, C, F) = G g Gᵀ for every f and the channels c0..c0+cn; w is (3, 3, C, F). Flipped: U' (P, F, C) for
// the input gradient dx = conv(dy, w'), w'[kh][kw][f][c] = w[2−kh][2−kw][c][f] (the 'full' convolution of dy
// with the flipped filters, channels and filters swapped). Once per weight version (each step in training:
// ~0.14 µs per (c, f), f64 divisions): scalar code, or for F(4,3) two filters at a time in f64x2 lanes (the
// same arithmetic). Each (c, f) is computed alone, so threads split by channels (bitwise the same U).
export function winograd_filter_f32(w: usize, u: usize, C: i32, F: i32, m: i32, c0: i32, cn: i32, flipped: bool): void {
  const plane = <usize>C * <usize>F << 2; // bytes of one (C, F) matrix: one tap of w, one ξ of U
  // Tap (r, q) of g is w's tap (r, q), or (2−r, 2−q) flipped: a step of ±plane from the first one read.
  const first: usize = flipped ? 8 * plane : 0;
  const step: usize = flipped ? <usize>0 - plane : plane; // wraps: a step back
  for (let c = c0; c < c0 + cn; c++) {
    let f = 0;
    for (; m == 4 && f + 2 <= F; f += 2) {
      const s = w + ((<usize>c * <usize>F + <usize>f) << 2) + first;
      const g00 = ld2(s), g01 = ld2(s + step), g02 = ld2(s + 2 * step);
      const g10 = ld2(s + 3 * step), g11 = ld2(s + 4 * step), g12 = ld2(s + 5 * step);
      const g20 = ld2(s + 6 * step), g21 = ld2(s + 7 * step), g22 = ld2(s + 8 * step);
      // Lane 1 (filter f + 1) of U: the next value, or flipped the next row of (F, C).
      const d = u + ((flipped ? <usize>f * <usize>C + <usize>c : <usize>c * <usize>F + <usize>f) << 2);
      filter_tile2_f43(d, plane, flipped ? <usize>C << 2 : 4, g00, g01, g02, g10, g11, g12, g20, g21, g22);
    }
    for (; f < F; f++) {
      const s = w + ((<usize>c * <usize>F + <usize>f) << 2) + first;
      const g00 = load<f32>(s), g01 = load<f32>(s + step), g02 = load<f32>(s + 2 * step);
      const g10 = load<f32>(s + 3 * step), g11 = load<f32>(s + 4 * step), g12 = load<f32>(s + 5 * step);
      const g20 = load<f32>(s + 6 * step), g21 = load<f32>(s + 7 * step), g22 = load<f32>(s + 8 * step);
      const d = u + ((flipped ? <usize>f * <usize>C + <usize>c : <usize>c * <usize>F + <usize>f) << 2);
      if (m == 2) filter_tile_f23(d, plane, g00, g01, g02, g10, g11, g12, g20, g21, g22);
      else filter_tile_f43(d, plane, g00, g01, g02, g10, g11, g12, g20, g21, g22);
    }
  }
}

export function winograd_forward_scratch_bytes(C: i32, F: i32, m: i32): i32 {
  const tb = tile_block(C, F, m);
  return positions(m) * tb * (C + F) * 4 + TMP_BYTES + gemm_run_scratch_bytes(tb, F, C) + 128;
}

// Bytes of U packed for the forward's products (winograd_pack_filters_f32); 0 where C is too deep to pack once.
export function winograd_packed_filter_bytes(C: i32, F: i32, m: i32): i32 {
  return positions(m) * gemm_packed_b_bytes(C, F);
}

// U (P, C, F) packed into up, each position's (C, F) as the products' GEMM packs its B, so forwards read it
// as is (bKind PACKED) instead of packing it again in every call and part: once per weight version.
// Positions [xi0, xi0 + xin) only: threads split by positions.
export function winograd_pack_filters_f32(u: usize, up: usize, C: i32, F: i32, m: i32, xi0: i32, xin: i32): void {
  const uPlane = <usize>C * <usize>F << 2, upPlane = <usize>gemm_packed_b_bytes(C, F);
  for (let xi = xi0; xi < xi0 + xin; xi++) gemm_pack_b(u + <usize>xi * uPlane, F, C, F, up + <usize>xi * upPlane, false);
}

// The same for the backward's dx products, which read U_ξᵀ (F, C): 0 bytes where F is too deep.
export function winograd_packed_filter_t_bytes(C: i32, F: i32, m: i32): i32 {
  return positions(m) * gemm_packed_b_bytes(F, C);
}

export function winograd_pack_filters_t_f32(u: usize, up: usize, C: i32, F: i32, m: i32, xi0: i32, xin: i32): void {
  const uPlane = <usize>C * <usize>F << 2, upPlane = <usize>gemm_packed_b_bytes(F, C);
  for (let xi = xi0; xi < xi0 + xin; xi++) gemm_pack_b(u + <usize>xi * uPlane, F, F, C, up + <usize>xi * upPlane, true);
}

// y tiles [t0, t0 + tn), filters [f0, f0 + fn) of act(conv(x, w) + b) by F(m x m, 3x3), then tiles
// [t1, t1 + tn1), filters [f1, f1 + fn1) (none: fn1 = 0), from U (winograd_filter_f32 with the same m), or
// packed U (packed: winograd_pack_filters_f32; f0, f1 multiples of 8). x (N,H,W,C), y (N,OH,OW,F); b = 0
// means no bias. Each output value is the same sum whatever the range (tiles and filters are independent
// columns and rows of the products), so threads may split by tiles or, where the tiles are few (batch 1),
// take whole blocks of tiles each and split the tiles left over by filters (the second range; each part
// makes the input transform of those tiles itself). scratch: winograd_forward_scratch_bytes(C, F, m).
// pool (m = 4; a conv → 2x2/2 max pool, src/model/conv-pool.ts): y is the pooled output (N, ⌊OH/2⌋, ⌊OW/2⌋,
// F); am ≠ 0 (training) gets its winners, as maxpool3d_forward_f32 records them (element indices into the
// conv's (N, OH, OW, F) output, which is never written).
export function winograd_forward_f32(x: usize, u: usize, b: usize, y: usize,
                                     N: i32, H: i32, W: i32, C: i32, F: i32, OH: i32, OW: i32, pt: i32, pl: i32,
                                     t0: i32, tn: i32, f0: i32, fn: i32, t1: i32, tn1: i32, f1: i32, fn1: i32,
                                     act: i32, alpha: f32, m: i32, packed: bool, pool: bool, scratch: usize, am: usize): void {
  forward_range(x, u, b, y, H, W, C, F, OH, OW, pt, pl, t0, tn, f0, fn, act, alpha, m, packed, pool, scratch, am);
  if (fn1 > 0) forward_range(x, u, b, y, H, W, C, F, OH, OW, pt, pl, t1, tn1, f1, fn1, act, alpha, m, packed, pool, scratch, am);
}

function forward_range(x: usize, u: usize, b: usize, y: usize, H: i32, W: i32, C: i32, F: i32, OH: i32, OW: i32,
                       pt: i32, pl: i32, t0: i32, tn: i32, f0: i32, fn: i32, act: i32, alpha: f32, m: i32,
                       packed: bool, pool: bool, scratch: usize, am: usize): void {
  const P = positions(m);
  const TB = tile_block(C, F, m);
  const v = (scratch + 63) & ~<usize>63;
  const mm = v + (<usize>(P * TB * C) << 2);
  const tmp = mm + (<usize>(P * TB * F) << 2);
  const gemmScratch = tmp + TMP_BYTES;
  const vPlane = <usize>TB * <usize>C << 2;
  const mPlane = <usize>TB * <usize>fn << 2; // M blocks hold the part's filters only
  const fOff = <usize>f0 << 2;
  // The part's filters of U_ξ: a column offset, or (packed) whole panels on.
  const uPlane = packed ? <usize>gemm_packed_b_bytes(C, F) : <usize>C * <usize>F << 2;
  const uPart = u + (packed ? <usize>gemm_packed_b_bytes(C, f0) : fOff);
  for (let b0 = 0; b0 < tn; b0 += TB) {
    const tb = min(TB, tn - b0);
    input_transform(m, x, v, vPlane, H, W, C, OH, OW, pt, pl, t0 + b0, tb, tmp);
    gemm_run(tb, fn, C, MATRIX, v, C, false, packed ? PACKED : MATRIX, uPart, F, false,
             MATRIX, mm, fn, false, 0, 0, 0, 0, gemmScratch, P, vPlane, uPlane, mPlane);
    if (pool) output_pool_transform(mm, mPlane, b ? b + fOff : 0, y + fOff, am ? am + fOff : 0, f0, F, fn, OH, OW, t0 + b0, tb, act, alpha, tmp);
    else output_transform(m, mm, mPlane, b ? b + fOff : 0, y + fOff, F, fn, OH, OW, t0 + b0, tb, act, alpha, tmp);
  }
}

// The tiles of a block are walked the same way by every transform: tile t of N·TH·TW (TH = ⌈OH/m⌉,
// TW = ⌈OW/m⌉, row-major per image) is image t / (TH·TW), output row m·th, column m·tw.
@inline function tiles_wide(OW: i32, m: i32): i32 {
  return (OW + m - 1) / m;
}

@inline function tiles_per_image(OH: i32, OW: i32, m: i32): i32 {
  return tiles_wide(OW, m) * ((OH + m - 1) / m);
}

// Bit j (j < len) set when position start + j lies in [0, size): which rows (or columns) of a tile's input
// patch are inside the image; the rest read as 0 (input transform) or are dropped (dx scatter).
@inline function patchMask(start: i32, size: i32, len: i32): i32 {
  let mask = 0;
  for (let j = 0; j < len; j++) if (<u32>(start + j) < <u32>size) mask |= 1 << j;
  return mask;
}

// V[ξ][t][c] = (Bᵀ d B)[ξ] for tiles t0..t0+tb.
function input_transform(m: i32, x: usize, v: usize, vPlane: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                         pt: i32, pl: i32, t0: i32, tb: i32, tmp: usize): void {
  const TW = tiles_wide(OW, m), per = tiles_per_image(OH, OW, m);
  const pixel = <usize>C << 2;
  const rowBytes = <usize>W * pixel;
  for (let i = 0; i < tb; i++) {
    const t = t0 + i, n = t / per, r = t % per;
    const ih0 = m * (r / TW) - pt, iw0 = m * (r % TW) - pl;
    const rowMask = patchMask(ih0, H, m + 2), colMask = patchMask(iw0, W, m + 2);
    const p = x + <usize>n * <usize>H * rowBytes + <usize>(ih0 * W + iw0) * pixel; // outside only where masked
    const dst = v + (<usize>i * <usize>C << 2);
    if (m == 2) input_tile_f23(p, rowBytes, pixel, rowMask, colMask, C, dst, vPlane, tmp);
    else input_tile_f43(p, rowBytes, pixel, rowMask, colMask, C, dst, vPlane, tmp);
  }
}

// y = act(Aᵀ M A + b) for tiles t0..t0+tb and the fn filters of M (y and b point at the first of them; y has
// F channels); outputs past OH/OW are dropped.
function output_transform(m: i32, mm: usize, mPlane: usize, b: usize, y: usize, F: i32, fn: i32, OH: i32, OW: i32,
                          t0: i32, tb: i32, act: i32, alpha: f32, tmp: usize): void {
  const TW = tiles_wide(OW, m), per = tiles_per_image(OH, OW, m);
  const pixel = <usize>F << 2;
  const rowBytes = <usize>OW * pixel;
  for (let i = 0; i < tb; i++) {
    const t = t0 + i, n = t / per, r = t % per;
    const oh = m * (r / TW), ow = m * (r % TW);
    const rows = min(m, OH - oh), cols = min(m, OW - ow);
    const out = y + <usize>n * <usize>OH * rowBytes + <usize>oh * rowBytes + <usize>ow * pixel;
    const src = mm + (<usize>i * <usize>fn << 2);
    if (m == 2) output_tile_f23(src, mPlane, b, out, rowBytes, pixel, fn, rows, cols, act, alpha, tmp);
    else output_tile_f43(src, mPlane, b, out, rowBytes, pixel, fn, rows, cols, act, alpha, tmp, 0, 0, 0, 0);
  }
}

// output_transform for a conv → 2x2/2 max pool (m = 4): the tiles' pooled outputs into y and (am ≠ 0) their
// winners into am (both (N, ⌊OH/2⌋, ⌊OW/2⌋, F), pointing at filter f0); a last odd row or column is dropped,
// as the pool drops it.
function output_pool_transform(mm: usize, mPlane: usize, b: usize, y: usize, am: usize, f0: i32, F: i32, fn: i32, OH: i32,
                               OW: i32, t0: i32, tb: i32, act: i32, alpha: f32, tmp: usize): void {
  const TW = tiles_wide(OW, 4), per = tiles_per_image(OH, OW, 4);
  const PH = OH >> 1, PW = OW >> 1;
  const pixel = <usize>F << 2;
  const rowBytes = <usize>PW * pixel;
  for (let i = 0; i < tb; i++) {
    const t = t0 + i, n = t / per, r = t % per;
    const oh = 4 * (r / TW), ow = 4 * (r % TW);
    const prows = min(2, PH - (oh >> 1)), pcols = min(2, PW - (ow >> 1));
    if (prows <= 0 || pcols <= 0) continue; // a last tile of only the dropped row or column
    const at = <usize>(n * PH + (oh >> 1)) * rowBytes + <usize>(ow >> 1) * pixel;
    const cell = ((n * OH + oh) * OW + ow) * F + f0;
    output_tile_f43(mm + (<usize>i * <usize>fn << 2), mPlane, b, y + at, rowBytes, pixel, fn, prows, pcols, act, alpha, tmp,
                    am ? am + at : 0, cell, OW * F, F);
  }
}

// ---- backward: dw, db and dx in one pass over the tiles of the forward ----
//
// The forward is y_t = Aᵀ [Σ_c U ⊙ V_t] A per tile t, so with Ŷ_t = A dy_t Aᵀ (α x α from the tile's m x m of dy):
//   dU_ξ (C, F) = Σ_t V_ξ[t]ᵀ Ŷ_ξ[t]   — a GEMM over the tiles, then dw = Gᵀ dU G (once, at the end);
//   dV_ξ (t, C) = Ŷ_ξ (t, F) · U_ξᵀ     — a GEMM per ξ, then dx patch = B dV Bᵀ, added into dx.
// The gradient of the Winograd forward is the exact conv gradient (the transforms are exact in real
// arithmetic), and it runs on the forward's tiles: one Ŷ transform feeds both GEMMs, and 'valid' convs need
// no padded 'full' conv for dx. dy outside y (a half tile) is 0, as is x outside the image.

// Bytes of one part's dU accumulator and db sums: (P, C, F) then F floats, rounded up to 64 bytes.
export function winograd_dw_part_bytes(C: i32, F: i32, m: i32): i32 {
  return ((positions(m) * C * F + F) * 4 + 63) & ~63;
}

export function winograd_backward_scratch_bytes(C: i32, F: i32, m: i32): i32 {
  const tb = tile_block(C, F, m);
  const g = max(gemm_run_scratch_bytes(C, F, tb), gemm_run_scratch_bytes(tb, C, F));
  return positions(m) * tb * (C + F) * 4 + TMP_BYTES + g + 128;
}

// Images [n0, n0 + nn) of the backward of winograd_forward_f32 (same m). dy (N,OH,OW,F); with y ≠ 0 (the
// forward's output, relu), dy is masked where y ≤ 0 first (the relu's backward, fused). dx ≠ 0: dx of those
// images (N,H,W,C), overwritten, from U (winograd_filter_f32). dwp ≠ 0: this part's dU (P, C, F) and db sums
// (F), overwritten (winograd_dw_finish_f32 turns parts into dw, db). scratch: winograd_backward_scratch_bytes.
// am ≠ 0 (m = 4): the backward of winograd_forward_f32 with am: dy and y are the pooled gradient and output
// (N, ⌊OH/2⌋, ⌊OW/2⌋, F), am their winners; the conv's dy is made tile by tile from them.
// upT ≠ 0: U packed for the dx products (winograd_pack_filters_t_f32).
export function winograd_backward_f32(x: usize, u: usize, dy: usize, y: usize, dx: usize, dwp: usize,
                                      N: i32, H: i32, W: i32, C: i32, F: i32, OH: i32, OW: i32, pt: i32, pl: i32,
                                      n0: i32, nn: i32, m: i32, scratch: usize, am: usize, upT: usize): void {
  const P = positions(m);
  const TB = tile_block(C, F, m);
  const v = (scratch + 63) & ~<usize>63;
  const yh = v + (<usize>(P * TB * C) << 2);
  const tmp = yh + (<usize>(P * TB * F) << 2);
  const gemmScratch = tmp + TMP_BYTES;
  const vPlane = <usize>TB * <usize>C << 2;
  const yPlane = <usize>TB * <usize>F << 2;
  const uPlane = <usize>C * <usize>F << 2;
  const per = tiles_per_image(OH, OW, m);
  const t0 = n0 * per, tn = nn * per;
  const db = dwp + <usize>P * uPlane;
  if (dwp) memory.fill(db, 0, <usize>F << 2);
  if (dwp && tn == 0) memory.fill(dwp, 0, <usize>P * uPlane);
  if (dx) memory.fill(dx + <usize>n0 * <usize>H * <usize>W * <usize>C * 4, 0, <usize>nn * <usize>H * <usize>W * <usize>C * 4);
  for (let b0 = 0; b0 < tn; b0 += TB) {
    const tb = min(TB, tn - b0);
    if (am) dy_pool_transform(dy, y, am, yh, yPlane, dwp ? db : 0, F, OH, OW, t0 + b0, tb, tmp);
    else dy_transform(m, dy, y, yh, yPlane, dwp ? db : 0, F, OH, OW, t0 + b0, tb, tmp);
    if (dwp) {
      input_transform(m, x, v, vPlane, H, W, C, OH, OW, pt, pl, t0 + b0, tb, tmp);
      // dU_ξ (C, F) [+]= V_ξᵀ (C, tb) · Ŷ_ξ (tb, F), for each ξ
      gemm_run(C, F, tb, MATRIX, v, C, true, MATRIX, yh, F, false, MATRIX, dwp, F, b0 > 0, 0, 0, 0, 0, gemmScratch,
               P, vPlane, yPlane, uPlane);
    }
    if (dx) {
      // dV_ξ (tb, C) = Ŷ_ξ (tb, F) · U_ξᵀ (F, C), into V's block (done with), for each ξ
      gemm_run(tb, C, F, MATRIX, yh, F, false, upT ? PACKED : MATRIX, upT ? upT : u, F, true, MATRIX, v, C, false, 0, 0, 0, 0,
               gemmScratch, P, yPlane, upT ? <usize>gemm_packed_b_bytes(F, C) : uPlane, vPlane);
      dx_scatter(m, v, vPlane, dx, H, W, C, OH, OW, pt, pl, t0 + b0, tb, tmp);
    }
  }
}

// Ŷ[ξ][t][f] = (A dy_t Aᵀ)[ξ], dy_t the tile's m x m of dy (0 past OH/OW), masked by y > 0 when y ≠ 0.
// db ≠ 0: db[f] += the tile's sum.
function dy_transform(m: i32, dy: usize, y: usize, yh: usize, plane: usize, db: usize, F: i32, OH: i32, OW: i32,
                      t0: i32, tb: i32, tmp: usize): void {
  const TW = tiles_wide(OW, m), per = tiles_per_image(OH, OW, m);
  const pixel = <usize>F << 2;
  const rowBytes = <usize>OW * pixel;
  for (let i = 0; i < tb; i++) {
    const t = t0 + i, n = t / per, r = t % per;
    const oh = m * (r / TW), ow = m * (r % TW);
    const rows = min(m, OH - oh), cols = min(m, OW - ow);
    const off = <usize>n * <usize>OH * rowBytes + <usize>oh * rowBytes + <usize>ow * pixel;
    const dst = yh + (<usize>i * <usize>F << 2);
    if (m == 2) dy_tile_f23(dy + off, y ? y + off : 0, rowBytes, pixel, rows, cols, F, dst, plane, db, tmp);
    else dy_tile_f43(dy + off, y ? y + off : 0, rowBytes, pixel, rows, cols, F, dst, plane, db, tmp, 0, 0, 0);
  }
}

// dy_transform (m = 4) from the pooled gradient dp, output y and winners am (N, ⌊OH/2⌋, ⌊OW/2⌋, F).
function dy_pool_transform(dp: usize, y: usize, am: usize, yh: usize, plane: usize, db: usize, F: i32, OH: i32, OW: i32,
                           t0: i32, tb: i32, tmp: usize): void {
  const TW = tiles_wide(OW, 4), per = tiles_per_image(OH, OW, 4);
  const PH = OH >> 1, PW = OW >> 1;
  const pixel = <usize>F << 2;
  const rowBytes = <usize>PW * pixel;
  for (let i = 0; i < tb; i++) {
    const t = t0 + i, n = t / per, r = t % per;
    const oh = 4 * (r / TW), ow = 4 * (r % TW);
    const prows = max(0, min(2, PH - (oh >> 1))), pcols = max(0, min(2, PW - (ow >> 1)));
    const off = <usize>(n * PH + (oh >> 1)) * rowBytes + <usize>(ow >> 1) * pixel;
    const cell = ((n * OH + oh) * OW + ow) * F;
    dy_tile_f43(dp + off, y ? y + off : 0, rowBytes, pixel, prows, pcols, F, yh + (<usize>i * <usize>F << 2), plane, db, tmp,
                am + off, cell, OW * F);
  }
}

// dx patch of tile t = B dV_t Bᵀ (α x α, from dV[ξ][t][c]), added into dx at the tile's input patch (parts
// outside the image dropped).
function dx_scatter(m: i32, dv: usize, plane: usize, dx: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                    pt: i32, pl: i32, t0: i32, tb: i32, tmp: usize): void {
  const TW = tiles_wide(OW, m), per = tiles_per_image(OH, OW, m);
  const pixel = <usize>C << 2;
  const rowBytes = <usize>W * pixel;
  for (let i = 0; i < tb; i++) {
    const t = t0 + i, n = t / per, r = t % per;
    const ih0 = m * (r / TW) - pt, iw0 = m * (r % TW) - pl;
    const rowMask = patchMask(ih0, H, m + 2), colMask = patchMask(iw0, W, m + 2);
    const p = dx + <usize>n * <usize>H * rowBytes + <usize>(ih0 * W + iw0) * pixel; // masked where outside
    const src = dv + (<usize>i * <usize>C << 2);
    if (m == 2) dx_tile_f23(src, plane, C, p, rowBytes, pixel, rowMask, colMask, tmp);
    else dx_tile_f43(src, plane, C, p, rowBytes, pixel, rowMask, colMask, tmp);
  }
}

// dw (3, 3, C, F) [+]= Gᵀ (Σ parts dU) G and db (F) [+]= Σ parts' sums (db = 0: skipped), for the (c, f)
// pairs i0..i0+iN of the C·F (db with the pairs of c = 0, so once whatever the split). Parts are
// winograd_dw_part_bytes apart from dwp; the first part receives the sum (it is scratch). Each value is the
// same sum (parts in order) whatever the range, so threads split the pairs (bitwise the same dw). Once per
// step on P·C·F values.
export function winograd_dw_finish_f32(dwp: usize, parts: i32, dw: usize, db: usize, C: i32, F: i32,
                                       accumulate: bool, m: i32, i0: i32, iN: i32): void {
  const plane = <usize>C * <usize>F << 2;
  const partBytes = <usize>winograd_dw_part_bytes(C, F, m);
  const P = positions(m);
  const sums = dwp + <usize>P * plane;
  const start = <usize>i0 << 2, end = <usize>(i0 + iN) << 2;
  const last = <usize>parts * partBytes;
  for (let xi = 0; parts > 1 && xi <= P; xi++) {
    // The P planes of dU, then (xi == P) the db sums, if this range holds c = 0.
    const base = dwp + <usize>xi * plane;
    const to = xi < P ? end : i0 == 0 && db != 0 ? <usize>F << 2 : 0;
    let j: usize = xi < P ? start : 0;
    // Four at a time (the same adds: ~8x faster than one float a step, which made the finish on two threads
    // no faster than on one), then one; every part added in one pass, in part order (adding one part at a
    // time read and wrote the first part's planes once per part: 4 parts took 1.5x as long as 2).
    for (; j + 16 <= to; j += 16) {
      let sum = v128.load(base + j);
      for (let part = partBytes; part < last; part += partBytes) sum = f32x4.add(sum, v128.load(base + part + j));
      v128.store(base + j, sum);
    }
    for (; j < to; j += 4) {
      let sum = load<f32>(base + j);
      for (let part = partBytes; part < last; part += partBytes) sum += load<f32>(base + part + j);
      store<f32>(base + j, sum);
    }
  }
  let i: usize = <usize>i0;
  // F(4,3): two neighbouring pairs at a time in f64x2 lanes (the same arithmetic).
  for (; m == 4 && i + 2 <= <usize>(i0 + iN); i += 2) dw_tile2_f43(dwp + (i << 2), plane, dw + (i << 2), accumulate);
  for (; i < <usize>(i0 + iN); i++) {
    if (m == 2) dw_tile_f23(dwp + (i << 2), plane, dw + (i << 2), accumulate);
    else dw_tile_f43(dwp + (i << 2), plane, dw + (i << 2), accumulate);
  }
  if (!db || i0 != 0) return;
  for (let f = 0; f < F; f++) {
    const o = <usize>f << 2;
    const v = load<f32>(sums + o);
    store<f32>(db + o, accumulate ? load<f32>(db + o) + v : v);
  }
}
