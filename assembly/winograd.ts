// Winograd F(2x2, 3x3) for 3x3, stride-1, dilation-1, ungrouped conv2d, NHWC (Lavin & Gray 2015).
//
// The output is cut into 2x2 tiles; tile (n, th, tw) reads the 4x4 input patch at (2·th − pt, 2·tw − pl)
// (0 outside the image) and writes the outputs of its 2x2 block that lie inside y. With
//   U = G g Gᵀ (filter, 4x4 per (c, f)),  V = Bᵀ d B (input patch, 4x4 per (tile, c)),
//   M = U ⊙ V summed over c,              y = Aᵀ M A (2x2 per (tile, f)),
// the sum over c of each of the 16 positions ξ is a GEMM: M_ξ (tiles, F) = V_ξ (tiles, C) · U_ξ (C, F),
// run on gemm.ts's micro-kernel. 16 multiplies per 4 outputs instead of 36: 2.25x fewer FLOPs in the
// products, for transforms that are O(C + F) per tile. Transforms run four channels (or filters) at a time
// in f32x4; a tail of 1..3 goes through the same math lane by lane.
//
// Layouts: U is (16, C, F) — the filter plan, made once per weight version by the caller (or into scratch);
// V is (16, TB, C) and M is (16, TB, F) for a block of TB tiles, sized to stay in L2.
// A call handles tiles [t0, t0 + tn) of all N·TH·TW, so threads (and a batch of one) split by tiles.
import { gemm_run, gemm_run_scratch_bytes } from './gemm';
import { MATRIX } from './conv-geometry';
import { activate_f32x4, load_tail, store_tail } from './activation-math';

// Tails of 1..3 channels go through a call, so the transforms' many loads and stores carry no copy of them.
@inline function ld(p: usize, k: i32): v128 {
  return k == 4 ? v128.load(p) : ld_tail(p, k);
}

@inline function st(p: usize, k: i32, v: v128): void {
  if (k == 4) v128.store(p, v);
  else st_tail(p, k, v);
}

function ld_tail(p: usize, k: i32): v128 {
  return load_tail(p, k, f32x4.splat(0));
}

function st_tail(p: usize, k: i32, v: v128): void {
  store_tail(p, k, v);
}

// Tiles per block: V and M blocks (16·TB·(C + F) floats) within ~512 KiB, a multiple of 4 (the GEMM's MR).
function tile_block(C: i32, F: i32): i32 {
  const tb = (8192 / max(C + F, 1)) & ~3;
  return min(max(tb, 16), 256);
}

export function winograd_filter_bytes(C: i32, F: i32): i32 {
  return 16 * C * F * 4;
}

// U (16, C, F) = G g Gᵀ for every (c, f); w is (3, 3, C, F). G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
// Once per weight version (each step in training, ~0.1 % of it): plain scalar code, shared with the
// flipped transform below.
export function winograd_filter_f32(w: usize, u: usize, C: i32, F: i32): void {
  filter_transform(w, u, C, F, false);
}

// U' (16, F, C) for the input gradient dx = conv(dy, w'), w'[kh][kw][f][c] = w[2−kh][2−kw][c][f] (the
// 'full' convolution of dy with the flipped filters, channels and filters swapped).
export function winograd_filter_flipped_f32(w: usize, u: usize, C: i32, F: i32): void {
  filter_transform(w, u, C, F, true);
}

function filter_transform(w: usize, u: usize, C: i32, F: i32, flipped: bool): void {
  const plane = <usize>C * <usize>F << 2; // bytes of one (C, F) matrix: one tap of w, one ξ of U
  // Tap (r, q) of g is w's tap (r, q), or (2−r, 2−q) flipped: a step of ±plane from the first one read.
  const first: usize = flipped ? 8 * plane : 0;
  const step: usize = flipped ? <usize>0 - plane : plane; // wraps: a step back
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f++) {
      const s = w + ((<usize>c * <usize>F + <usize>f) << 2) + first;
      const g00 = load<f32>(s), g01 = load<f32>(s + step), g02 = load<f32>(s + 2 * step);
      const g10 = load<f32>(s + 3 * step), g11 = load<f32>(s + 4 * step), g12 = load<f32>(s + 5 * step);
      const g20 = load<f32>(s + 6 * step), g21 = load<f32>(s + 7 * step), g22 = load<f32>(s + 8 * step);
      const a0 = g00 + g20, a1 = g01 + g21, a2 = g02 + g22;
      const d = u + ((flipped ? <usize>f * <usize>C + <usize>c : <usize>c * <usize>F + <usize>f) << 2);
      // Rows of G g (r0 = g0, r1 = ½(g0 + g1 + g2), r2 = ½(g0 − g1 + g2), r3 = g2), each times Gᵀ.
      filter_row_scalar(d, plane, g00, g01, g02);
      filter_row_scalar(d + 4 * plane, plane, <f32>0.5 * (a0 + g10), <f32>0.5 * (a1 + g11), <f32>0.5 * (a2 + g12));
      filter_row_scalar(d + 8 * plane, plane, <f32>0.5 * (a0 - g10), <f32>0.5 * (a1 - g11), <f32>0.5 * (a2 - g12));
      filter_row_scalar(d + 12 * plane, plane, g20, g21, g22);
    }
  }
}

@inline function filter_row_scalar(d: usize, plane: usize, x0: f32, x1: f32, x2: f32): void {
  const s = x0 + x2;
  store<f32>(d, x0);
  store<f32>(d + plane, <f32>0.5 * (s + x1));
  store<f32>(d + 2 * plane, <f32>0.5 * (s - x1));
  store<f32>(d + 3 * plane, x2);
}

export function winograd_forward_scratch_bytes(C: i32, F: i32): i32 {
  const tb = tile_block(C, F);
  return 16 * tb * (C + F) * 4 + gemm_run_scratch_bytes(tb, F, C) + 128;
}

// y tiles [t0, t0 + tn) of act(conv(x, w) + b), from U (winograd_filter_f32). x (N,H,W,C), y (N,OH,OW,F);
// b = 0 means no bias. scratch: winograd_forward_scratch_bytes(C, F).
export function winograd_forward_f32(x: usize, u: usize, b: usize, y: usize,
                                     N: i32, H: i32, W: i32, C: i32, F: i32, OH: i32, OW: i32, pt: i32, pl: i32,
                                     t0: i32, tn: i32, act: i32, alpha: f32, scratch: usize): void {
  const TB = tile_block(C, F);
  const v = (scratch + 63) & ~<usize>63;
  const m = v + (<usize>(16 * TB * C) << 2);
  const gemmScratch = m + (<usize>(16 * TB * F) << 2);
  const vPlane = <usize>TB * <usize>C << 2;
  const mPlane = <usize>TB * <usize>F << 2;
  const uPlane = <usize>C * <usize>F << 2;
  for (let b0 = 0; b0 < tn; b0 += TB) {
    const tb = min(TB, tn - b0);
    input_transform(x, v, vPlane, H, W, C, OH, OW, pt, pl, t0 + b0, tb);
    for (let xi = 0; xi < 16; xi++) {
      gemm_run(tb, F, C, MATRIX, v + <usize>xi * vPlane, C, false, MATRIX, u + <usize>xi * uPlane, F, false,
               MATRIX, m + <usize>xi * mPlane, F, false, 0, 0, 0, 0, gemmScratch);
    }
    output_transform(m, mPlane, b, y, F, OH, OW, t0 + b0, tb, act, alpha);
  }
}

// Bit j (j < 4) set when position start + j lies in [0, size): which rows (or columns) of a tile's 4x4 input
// patch are inside the image; the rest read as 0 (input transform) or are dropped (dx scatter).
@inline function patchMask(start: i32, size: i32): i32 {
  let mask = 0;
  for (let j = 0; j < 4; j++) if (<u32>(start + j) < <u32>size) mask |= 1 << j;
  return mask;
}

// V[ξ][t][c] = (Bᵀ d B)[ξ] for tiles t0..t0+tb, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
function input_transform(x: usize, v: usize, vPlane: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                         pt: i32, pl: i32, t0: i32, tb: i32): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const pixel = <usize>C << 2;
  const rowBytes = <usize>W * pixel;
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const ih0 = 2 * th - pt, iw0 = 2 * tw - pl;
    const image = x + <usize>n * <usize>H * rowBytes;
    const inside = ih0 >= 0 && ih0 + 4 <= H && iw0 >= 0 && iw0 + 4 <= W;
    const rowMask = patchMask(ih0, H), colMask = patchMask(iw0, W);
    const p = image + <usize>(ih0 * W + iw0) * pixel; // may point outside when masked: never read there
    const dst = v + (<usize>i * <usize>C << 2);
    for (let c = 0; c < C; c += 4) {
      const k = min(4, C - c);
      const o = <usize>c << 2;
      // Bᵀ d: column by column j, rows combined (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
      let e00: v128, e01: v128, e02: v128, e03: v128, e10: v128, e11: v128, e12: v128, e13: v128;
      let e20: v128, e21: v128, e22: v128, e23: v128, e30: v128, e31: v128, e32: v128, e33: v128;
      if (inside) {
        e00 = ld(p + o, k); e01 = ld(p + pixel + o, k); e02 = ld(p + 2 * pixel + o, k); e03 = ld(p + 3 * pixel + o, k);
        const p1 = p + rowBytes, p2 = p + 2 * rowBytes, p3 = p + 3 * rowBytes;
        e10 = ld(p1 + o, k); e11 = ld(p1 + pixel + o, k); e12 = ld(p1 + 2 * pixel + o, k); e13 = ld(p1 + 3 * pixel + o, k);
        e20 = ld(p2 + o, k); e21 = ld(p2 + pixel + o, k); e22 = ld(p2 + 2 * pixel + o, k); e23 = ld(p2 + 3 * pixel + o, k);
        e30 = ld(p3 + o, k); e31 = ld(p3 + pixel + o, k); e32 = ld(p3 + 2 * pixel + o, k); e33 = ld(p3 + 3 * pixel + o, k);
      } else {
        e00 = at(p, 0, 0, rowBytes, pixel, o, k, rowMask, colMask); e01 = at(p, 0, 1, rowBytes, pixel, o, k, rowMask, colMask);
        e02 = at(p, 0, 2, rowBytes, pixel, o, k, rowMask, colMask); e03 = at(p, 0, 3, rowBytes, pixel, o, k, rowMask, colMask);
        e10 = at(p, 1, 0, rowBytes, pixel, o, k, rowMask, colMask); e11 = at(p, 1, 1, rowBytes, pixel, o, k, rowMask, colMask);
        e12 = at(p, 1, 2, rowBytes, pixel, o, k, rowMask, colMask); e13 = at(p, 1, 3, rowBytes, pixel, o, k, rowMask, colMask);
        e20 = at(p, 2, 0, rowBytes, pixel, o, k, rowMask, colMask); e21 = at(p, 2, 1, rowBytes, pixel, o, k, rowMask, colMask);
        e22 = at(p, 2, 2, rowBytes, pixel, o, k, rowMask, colMask); e23 = at(p, 2, 3, rowBytes, pixel, o, k, rowMask, colMask);
        e30 = at(p, 3, 0, rowBytes, pixel, o, k, rowMask, colMask); e31 = at(p, 3, 1, rowBytes, pixel, o, k, rowMask, colMask);
        e32 = at(p, 3, 2, rowBytes, pixel, o, k, rowMask, colMask); e33 = at(p, 3, 3, rowBytes, pixel, o, k, rowMask, colMask);
      }
      // Rows of Bᵀ d.
      const r00 = f32x4.sub(e00, e20), r01 = f32x4.sub(e01, e21), r02 = f32x4.sub(e02, e22), r03 = f32x4.sub(e03, e23);
      const r10 = f32x4.add(e10, e20), r11 = f32x4.add(e11, e21), r12 = f32x4.add(e12, e22), r13 = f32x4.add(e13, e23);
      const r20 = f32x4.sub(e20, e10), r21 = f32x4.sub(e21, e11), r22 = f32x4.sub(e22, e12), r23 = f32x4.sub(e23, e13);
      const r30 = f32x4.sub(e10, e30), r31 = f32x4.sub(e11, e31), r32 = f32x4.sub(e12, e32), r33 = f32x4.sub(e13, e33);
      const d = dst + o;
      input_row(d, vPlane, k, r00, r01, r02, r03);
      input_row(d + 4 * vPlane, vPlane, k, r10, r11, r12, r13);
      input_row(d + 8 * vPlane, vPlane, k, r20, r21, r22, r23);
      input_row(d + 12 * vPlane, vPlane, k, r30, r31, r32, r33);
    }
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}

// Element (r, s) of the patch, 0 where its row or column is outside the image.
@inline function at(p: usize, r: i32, s: i32, rowBytes: usize, pixel: usize, o: usize, k: i32, rowMask: i32, colMask: i32): v128 {
  if (((rowMask >> r) & (colMask >> s) & 1) == 0) return f32x4.splat(0);
  return ld(p + <usize>r * rowBytes + <usize>s * pixel + o, k);
}

// One row of (Bᵀ d) B from one row (x0..x3) of Bᵀ d: four ξ, `plane` bytes apart.
@inline function input_row(d: usize, plane: usize, k: i32, x0: v128, x1: v128, x2: v128, x3: v128): void {
  st(d, k, f32x4.sub(x0, x2));
  st(d + plane, k, f32x4.add(x1, x2));
  st(d + 2 * plane, k, f32x4.sub(x2, x1));
  st(d + 3 * plane, k, f32x4.sub(x1, x3));
}

// y = act(Aᵀ M A + b) for tiles t0..t0+tb, Aᵀ = [1 1 1 0; 0 1 −1 −1]; outputs past OH/OW are dropped.
function output_transform(m: usize, mPlane: usize, b: usize, y: usize, F: i32, OH: i32, OW: i32,
                          t0: i32, tb: i32, act: i32, alpha: f32): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const pixel = <usize>F << 2;
  const rowBytes = <usize>OW * pixel;
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const oh = 2 * th, ow = 2 * tw;
    const down = oh + 1 < OH, right = ow + 1 < OW;
    const out = y + <usize>n * <usize>OH * rowBytes + <usize>oh * rowBytes + <usize>ow * pixel;
    const src = m + (<usize>i * <usize>F << 2);
    for (let f = 0; f < F; f += 4) {
      const k = min(4, F - f);
      const o = <usize>f << 2;
      const s = src + o;
      // Aᵀ M: rows q0 = m0 + m1 + m2, q1 = m1 − m2 − m3 (per column j).
      const m00 = ld(s, k), m01 = ld(s + mPlane, k), m02 = ld(s + 2 * mPlane, k), m03 = ld(s + 3 * mPlane, k);
      const m10 = ld(s + 4 * mPlane, k), m11 = ld(s + 5 * mPlane, k), m12 = ld(s + 6 * mPlane, k), m13 = ld(s + 7 * mPlane, k);
      const m20 = ld(s + 8 * mPlane, k), m21 = ld(s + 9 * mPlane, k), m22 = ld(s + 10 * mPlane, k), m23 = ld(s + 11 * mPlane, k);
      const m30 = ld(s + 12 * mPlane, k), m31 = ld(s + 13 * mPlane, k), m32 = ld(s + 14 * mPlane, k), m33 = ld(s + 15 * mPlane, k);
      const q00 = f32x4.add(f32x4.add(m00, m10), m20), q01 = f32x4.add(f32x4.add(m01, m11), m21);
      const q02 = f32x4.add(f32x4.add(m02, m12), m22), q03 = f32x4.add(f32x4.add(m03, m13), m23);
      const q10 = f32x4.sub(f32x4.sub(m10, m20), m30), q11 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const q12 = f32x4.sub(f32x4.sub(m12, m22), m32), q13 = f32x4.sub(f32x4.sub(m13, m23), m33);
      const bias = b ? ld(b + o, k) : f32x4.splat(0);
      const y00 = f32x4.add(f32x4.add(f32x4.add(q00, q01), q02), bias);
      const y01 = f32x4.add(f32x4.sub(f32x4.sub(q01, q02), q03), bias);
      const y10 = f32x4.add(f32x4.add(f32x4.add(q10, q11), q12), bias);
      const y11 = f32x4.add(f32x4.sub(f32x4.sub(q11, q12), q13), bias);
      const d = out + o;
      st(d, k, activate_f32x4(y00, act, alpha));
      if (right) st(d + pixel, k, activate_f32x4(y01, act, alpha));
      if (down) {
        st(d + rowBytes, k, activate_f32x4(y10, act, alpha));
        if (right) st(d + rowBytes + pixel, k, activate_f32x4(y11, act, alpha));
      }
    }
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}

// ---- backward: dw, db and dx in one pass over the tiles of the forward ----
//
// The forward is y_t = Aᵀ [Σ_c U ⊙ V_t] A per tile t, so with Ŷ_t = A dy_t Aᵀ (4x4 from the tile's 2x2 of dy):
//   dU_ξ (C, F) = Σ_t V_ξ[t]ᵀ Ŷ_ξ[t]   — a GEMM over the tiles, then dw = Gᵀ dU G (once, at the end);
//   dV_ξ (t, C) = Ŷ_ξ (t, F) · U_ξᵀ     — a GEMM per ξ, then dx patch = B dV Bᵀ, added into dx.
// The gradient of the Winograd forward is the exact conv gradient (the transforms are exact in real
// arithmetic), and it runs on the forward's tiles: one Ŷ transform feeds both GEMMs, and 'valid' convs need
// no padded 'full' conv for dx. dy outside y (a half tile) is 0, as is x outside the image.

// Bytes of one part's dU accumulator and db sums: (16, C, F) then F floats, rounded up to 64 bytes.
export function winograd_dw_part_bytes(C: i32, F: i32): i32 {
  return ((16 * C * F + F) * 4 + 63) & ~63;
}

export function winograd_backward_scratch_bytes(C: i32, F: i32): i32 {
  const tb = tile_block(C, F);
  const g = max(gemm_run_scratch_bytes(C, F, tb), gemm_run_scratch_bytes(tb, C, F));
  return 16 * tb * (C + F) * 4 + g + 128;
}

// Images [n0, n0 + nn) of the backward of winograd_forward_f32. dy (N,OH,OW,F); with y ≠ 0 (the forward's
// output, relu), dy is masked where y ≤ 0 first (the relu's backward, fused). dx ≠ 0: dx of those images
// (N,H,W,C), overwritten, from U (winograd_filter_f32). dwp ≠ 0: this part's dU (16, C, F) and db sums (F),
// overwritten (winograd_dw_finish_f32 turns parts into dw, db). scratch: winograd_backward_scratch_bytes.
export function winograd_backward_f32(x: usize, u: usize, dy: usize, y: usize, dx: usize, dwp: usize,
                                      N: i32, H: i32, W: i32, C: i32, F: i32, OH: i32, OW: i32, pt: i32, pl: i32,
                                      n0: i32, nn: i32, scratch: usize): void {
  const TB = tile_block(C, F);
  const v = (scratch + 63) & ~<usize>63;
  const yh = v + (<usize>(16 * TB * C) << 2);
  const gemmScratch = yh + (<usize>(16 * TB * F) << 2);
  const vPlane = <usize>TB * <usize>C << 2;
  const yPlane = <usize>TB * <usize>F << 2;
  const uPlane = <usize>C * <usize>F << 2;
  const tiles = ((OH + 1) >> 1) * ((OW + 1) >> 1);
  const t0 = n0 * tiles, tn = nn * tiles;
  const db = dwp + <usize>16 * uPlane;
  if (dwp) memory.fill(db, 0, <usize>F << 2);
  if (dwp && tn == 0) memory.fill(dwp, 0, <usize>16 * uPlane);
  if (dx) memory.fill(dx + <usize>n0 * <usize>H * <usize>W * <usize>C * 4, 0, <usize>nn * <usize>H * <usize>W * <usize>C * 4);
  for (let b0 = 0; b0 < tn; b0 += TB) {
    const tb = min(TB, tn - b0);
    dy_transform(dy, y, yh, yPlane, dwp ? db : 0, F, OH, OW, t0 + b0, tb);
    if (dwp) {
      input_transform(x, v, vPlane, H, W, C, OH, OW, pt, pl, t0 + b0, tb);
      for (let xi = 0; xi < 16; xi++) {
        // dU_ξ (C, F) [+]= V_ξᵀ (C, tb) · Ŷ_ξ (tb, F)
        gemm_run(C, F, tb, MATRIX, v + <usize>xi * vPlane, C, true, MATRIX, yh + <usize>xi * yPlane, F, false,
                 MATRIX, dwp + <usize>xi * uPlane, F, b0 > 0, 0, 0, 0, 0, gemmScratch);
      }
    }
    if (dx) {
      for (let xi = 0; xi < 16; xi++) {
        // dV_ξ (tb, C) = Ŷ_ξ (tb, F) · U_ξᵀ (F, C), into V's block (done with)
        gemm_run(tb, C, F, MATRIX, yh + <usize>xi * yPlane, F, false, MATRIX, u + <usize>xi * uPlane, F, true,
                 MATRIX, v + <usize>xi * vPlane, C, false, 0, 0, 0, 0, gemmScratch);
      }
      dx_scatter(v, vPlane, dx, H, W, C, OH, OW, pt, pl, t0 + b0, tb);
    }
  }
}

// Ŷ[ξ][t][f] = (A dy_t Aᵀ)[ξ], A = [1 0; 1 1; 1 −1; 0 −1]; dy_t is the tile's 2x2 of dy (0 past OH/OW), masked
// by y > 0 when y ≠ 0. db ≠ 0: db[f] += the tile's sum.
function dy_transform(dy: usize, y: usize, yh: usize, plane: usize, db: usize, F: i32, OH: i32, OW: i32,
                      t0: i32, tb: i32): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const pixel = <usize>F << 2;
  const rowBytes = <usize>OW * pixel;
  const zero = f32x4.splat(0);
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const oh = 2 * th, ow = 2 * tw;
    const down = oh + 1 < OH, right = ow + 1 < OW;
    const off = <usize>n * <usize>OH * rowBytes + <usize>oh * rowBytes + <usize>ow * pixel;
    const src = dy + off;
    const dst = yh + (<usize>i * <usize>F << 2);
    for (let f = 0; f < F; f += 4) {
      const k = min(4, F - f);
      const o = <usize>f << 2;
      let a = ld(src + o, k);
      let b = right ? ld(src + pixel + o, k) : zero;
      let c = down ? ld(src + rowBytes + o, k) : zero;
      let d = down && right ? ld(src + rowBytes + pixel + o, k) : zero;
      if (y) {
        const q = y + off + o;
        a = v128.and(a, f32x4.gt(ld(q, k), zero));
        if (right) b = v128.and(b, f32x4.gt(ld(q + pixel, k), zero));
        if (down) c = v128.and(c, f32x4.gt(ld(q + rowBytes, k), zero));
        if (down && right) d = v128.and(d, f32x4.gt(ld(q + rowBytes + pixel, k), zero));
      }
      if (db) st(db + o, k, f32x4.add(ld(db + o, k), f32x4.add(f32x4.add(a, b), f32x4.add(c, d))));
      // Rows of A dy: r0 = (a, b), r1 = (a + c, b + d), r2 = (a − c, b − d), r3 = (−c, −d); then each row
      // (p, q) → (p, p + q, p − q, −q).
      const s0 = f32x4.add(a, c), s1 = f32x4.add(b, d), e0 = f32x4.sub(a, c), e1 = f32x4.sub(b, d);
      const dd = dst + o;
      yhat_row(dd, plane, k, a, b);
      yhat_row(dd + 4 * plane, plane, k, s0, s1);
      yhat_row(dd + 8 * plane, plane, k, e0, e1);
      yhat_row(dd + 12 * plane, plane, k, f32x4.neg(c), f32x4.neg(d));
    }
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}

function yhat_row(d: usize, plane: usize, k: i32, p: v128, q: v128): void {
  st(d, k, p);
  st(d + plane, k, f32x4.add(p, q));
  st(d + 2 * plane, k, f32x4.sub(p, q));
  st(d + 3 * plane, k, f32x4.neg(q));
}

// dx patch of tile t = B dV_t Bᵀ (4x4, from dV[ξ][t][c]), added into dx at the tile's input patch (parts
// outside the image dropped). Bᵀ's columns give: q0 = p0, q1 = p1 − p2 + p3, q2 = p1 + p2 − p0, q3 = −p3.
function dx_scatter(dv: usize, plane: usize, dx: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                    pt: i32, pl: i32, t0: i32, tb: i32): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const pixel = <usize>C << 2;
  const rowBytes = <usize>W * pixel;
  let tw = t0 % TW;
  let t = t0 / TW;
  let th = t % TH;
  let n = t / TH;
  for (let i = 0; i < tb; i++) {
    const ih0 = 2 * th - pt, iw0 = 2 * tw - pl;
    const rowMask = patchMask(ih0, H), colMask = patchMask(iw0, W);
    const p = dx + <usize>n * <usize>H * rowBytes + <usize>(ih0 * W + iw0) * pixel; // masked where outside
    const src = dv + (<usize>i * <usize>C << 2);
    for (let c = 0; c < C; c += 4) {
      const k = min(4, C - c);
      const o = <usize>c << 2;
      const s = src + o;
      const m00 = ld(s, k), m01 = ld(s + plane, k), m02 = ld(s + 2 * plane, k), m03 = ld(s + 3 * plane, k);
      const m10 = ld(s + 4 * plane, k), m11 = ld(s + 5 * plane, k), m12 = ld(s + 6 * plane, k), m13 = ld(s + 7 * plane, k);
      const m20 = ld(s + 8 * plane, k), m21 = ld(s + 9 * plane, k), m22 = ld(s + 10 * plane, k), m23 = ld(s + 11 * plane, k);
      const m30 = ld(s + 12 * plane, k), m31 = ld(s + 13 * plane, k), m32 = ld(s + 14 * plane, k), m33 = ld(s + 15 * plane, k);
      // Rows of B dV: r0 = m0, r1 = m1 − m2 + m3, r2 = m1 + m2 − m0, r3 = −m3 (per column).
      if (rowMask & 1) scatter_row(p + o, pixel, k, colMask, m00, m01, m02, m03);
      if (rowMask & 2) {
        scatter_row(p + rowBytes + o, pixel, k, colMask, f32x4.add(f32x4.sub(m10, m20), m30), f32x4.add(f32x4.sub(m11, m21), m31),
                    f32x4.add(f32x4.sub(m12, m22), m32), f32x4.add(f32x4.sub(m13, m23), m33));
      }
      if (rowMask & 4) {
        scatter_row(p + 2 * rowBytes + o, pixel, k, colMask, f32x4.sub(f32x4.add(m10, m20), m00), f32x4.sub(f32x4.add(m11, m21), m01),
                    f32x4.sub(f32x4.add(m12, m22), m02), f32x4.sub(f32x4.add(m13, m23), m03));
      }
      if (rowMask & 8) scatter_row(p + 3 * rowBytes + o, pixel, k, colMask, f32x4.neg(m30), f32x4.neg(m31), f32x4.neg(m32), f32x4.neg(m33));
    }
    if (++tw == TW) { tw = 0; if (++th == TH) { th = 0; n++; } }
  }
}

// One patch row (x0..x3 of B dV) times Bᵀ: (x0, x1 − x2 + x3, x1 + x2 − x0, −x3), added at the columns in `cols`.
function scatter_row(d: usize, pixel: usize, k: i32, cols: i32, x0: v128, x1: v128, x2: v128, x3: v128): void {
  if (cols & 1) st(d, k, f32x4.add(ld(d, k), x0));
  if (cols & 2) st(d + pixel, k, f32x4.add(ld(d + pixel, k), f32x4.add(f32x4.sub(x1, x2), x3)));
  if (cols & 4) st(d + 2 * pixel, k, f32x4.add(ld(d + 2 * pixel, k), f32x4.sub(f32x4.add(x1, x2), x0)));
  if (cols & 8) st(d + 3 * pixel, k, f32x4.sub(ld(d + 3 * pixel, k), x3));
}

// dw (3, 3, C, F) [+]= Gᵀ (Σ parts dU) G and db (F) [+]= Σ parts' sums (db = 0: skipped). Parts are
// winograd_dw_part_bytes apart from dwp. Once per step on 16·C·F values: plain scalar code.
export function winograd_dw_finish_f32(dwp: usize, parts: i32, dw: usize, db: usize, C: i32, F: i32,
                                       accumulate: bool): void {
  const plane = <usize>C * <usize>F << 2;
  const partBytes = <usize>winograd_dw_part_bytes(C, F);
  for (let i: usize = 0; i < <usize>C * <usize>F; i++) {
    const s = dwp + (i << 2);
    // Gᵀ m, row by row of m (r0 = m0 + ½(m1 + m2), r1 = ½(m1 − m2), r2 = ½(m1 + m2) + m3) for each column j.
    const a0 = summed(s, parts, partBytes), b0 = summed(s + 4 * plane, parts, partBytes);
    const c0 = summed(s + 8 * plane, parts, partBytes), d0 = summed(s + 12 * plane, parts, partBytes);
    const a1 = summed(s + plane, parts, partBytes), b1 = summed(s + 5 * plane, parts, partBytes);
    const c1 = summed(s + 9 * plane, parts, partBytes), d1 = summed(s + 13 * plane, parts, partBytes);
    const a2 = summed(s + 2 * plane, parts, partBytes), b2 = summed(s + 6 * plane, parts, partBytes);
    const c2 = summed(s + 10 * plane, parts, partBytes), d2 = summed(s + 14 * plane, parts, partBytes);
    const a3 = summed(s + 3 * plane, parts, partBytes), b3 = summed(s + 7 * plane, parts, partBytes);
    const c3 = summed(s + 11 * plane, parts, partBytes), d3 = summed(s + 15 * plane, parts, partBytes);
    const h0 = <f32>0.5 * (b0 + c0), h1 = <f32>0.5 * (b1 + c1), h2 = <f32>0.5 * (b2 + c2), h3 = <f32>0.5 * (b3 + c3);
    const d = dw + (i << 2);
    dw_row(d, plane, accumulate, a0 + h0, a1 + h1, a2 + h2, a3 + h3);
    dw_row(d + 3 * plane, plane, accumulate, <f32>0.5 * (b0 - c0), <f32>0.5 * (b1 - c1), <f32>0.5 * (b2 - c2), <f32>0.5 * (b3 - c3));
    dw_row(d + 6 * plane, plane, accumulate, h0 + d0, h1 + d1, h2 + d2, h3 + d3);
  }
  if (!db) return;
  for (let f = 0; f < F; f++) {
    const o = <usize>f << 2;
    const v = summed(dwp + 16 * plane + o, parts, partBytes);
    store<f32>(db + o, accumulate ? load<f32>(db + o) + v : v);
  }
}

@inline function summed(p: usize, parts: i32, partBytes: usize): f32 {
  let v = load<f32>(p);
  for (let i = 1; i < parts; i++) v += load<f32>(p + <usize>i * partBytes);
  return v;
}

// One row of dw (three taps, `plane` bytes apart) from a row (x0..x3) of Gᵀ m: (x0 + ½(x1 + x2), ½(x1 − x2), ½(x1 + x2) + x3).
function dw_row(d: usize, plane: usize, accumulate: bool, x0: f32, x1: f32, x2: f32, x3: f32): void {
  const h = <f32>0.5 * (x1 + x2);
  const a = x0 + h, b = <f32>0.5 * (x1 - x2), c = h + x3;
  store<f32>(d, accumulate ? load<f32>(d) + a : a);
  store<f32>(d + plane, accumulate ? load<f32>(d + plane) + b : b);
  store<f32>(d + 2 * plane, accumulate ? load<f32>(d + 2 * plane) + c : c);
}
