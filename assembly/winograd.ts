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

@inline function ld(p: usize, k: i32): v128 {
  return k == 4 ? v128.load(p) : load_tail(p, k, f32x4.splat(0));
}

@inline function st(p: usize, k: i32, v: v128): void {
  if (k == 4) v128.store(p, v);
  else store_tail(p, k, v);
}

// Tiles per block: V and M blocks (16·TB·(C + F) floats) within ~512 KiB, a multiple of 4 (the GEMM's MR).
function tile_block(C: i32, F: i32): i32 {
  const tb = (8192 / max(C + F, 1)) & ~3;
  return min(max(tb, 16), 256);
}

export function winograd_filter_bytes(C: i32, F: i32): i32 {
  return 16 * C * F * 4;
}

// U (16, C, F) = G g Gᵀ for every (c, f); w is (3, 3, C, F).
// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
export function winograd_filter_f32(w: usize, u: usize, C: i32, F: i32): void {
  const plane = <usize>C * <usize>F << 2; // bytes of one (C, F) matrix: one tap of w, one ξ of U
  const half = f32x4.splat(0.5);
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f += 4) {
      const k = min(4, F - f);
      const off = (<usize>c * <usize>F + <usize>f) << 2;
      const s = w + off;
      // g rows (kh) of three taps (kw); Gg is 4x3, then (Gg)Gᵀ is 4x4.
      const g00 = ld(s, k), g01 = ld(s + plane, k), g02 = ld(s + 2 * plane, k);
      const g10 = ld(s + 3 * plane, k), g11 = ld(s + 4 * plane, k), g12 = ld(s + 5 * plane, k);
      const g20 = ld(s + 6 * plane, k), g21 = ld(s + 7 * plane, k), g22 = ld(s + 8 * plane, k);
      // Gg, row by row: r0 = g0, r1 = ½(g0+g1+g2), r2 = ½(g0−g1+g2), r3 = g2 (per column kw).
      const a0 = f32x4.add(g00, g20), a1 = f32x4.add(g01, g21), a2 = f32x4.add(g02, g22);
      const r10 = f32x4.mul(half, f32x4.add(a0, g10)), r11 = f32x4.mul(half, f32x4.add(a1, g11)), r12 = f32x4.mul(half, f32x4.add(a2, g12));
      const r20 = f32x4.mul(half, f32x4.sub(a0, g10)), r21 = f32x4.mul(half, f32x4.sub(a1, g11)), r22 = f32x4.mul(half, f32x4.sub(a2, g12));
      const d = u + off;
      filter_row(d, plane, k, half, g00, g01, g02);
      filter_row(d + 4 * plane, plane, k, half, r10, r11, r12);
      filter_row(d + 8 * plane, plane, k, half, r20, r21, r22);
      filter_row(d + 12 * plane, plane, k, half, g20, g21, g22);
    }
  }
}

// U' (16, F, C) for the input gradient dx = conv(dy, w'), w'[kh][kw][f][c] = w[2−kh][2−kw][c][f] (the
// 'full' convolution of dy with the flipped filters, channels and filters swapped). Once per weight
// version, so plain scalar code: G g' Gᵀ per (f, c), the same arithmetic as winograd_filter_f32.
export function winograd_filter_flipped_f32(w: usize, u: usize, C: i32, F: i32): void {
  const plane = <usize>C * <usize>F << 2;
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const s = w + ((<usize>c * <usize>F + <usize>f) << 2);
      // g'[r][q] = w tap (2−r, 2−q).
      const g00 = load<f32>(s + 8 * plane), g01 = load<f32>(s + 7 * plane), g02 = load<f32>(s + 6 * plane);
      const g10 = load<f32>(s + 5 * plane), g11 = load<f32>(s + 4 * plane), g12 = load<f32>(s + 3 * plane);
      const g20 = load<f32>(s + 2 * plane), g21 = load<f32>(s + plane), g22 = load<f32>(s);
      const a0 = g00 + g20, a1 = g01 + g21, a2 = g02 + g22;
      const d = u + ((<usize>f * <usize>C + <usize>c) << 2);
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

// One row of (Gg)Gᵀ from one row (x0, x1, x2) of Gg: four ξ, `plane` bytes apart.
@inline function filter_row(d: usize, plane: usize, k: i32, half: v128, x0: v128, x1: v128, x2: v128): void {
  const s = f32x4.add(x0, x2);
  st(d, k, x0);
  st(d + plane, k, f32x4.mul(half, f32x4.add(s, x1)));
  st(d + 2 * plane, k, f32x4.mul(half, f32x4.sub(s, x1)));
  st(d + 3 * plane, k, x2);
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
    // Rows and columns of the patch that fall outside read 0: a mask per row/column.
    let rowMask = 0, colMask = 0;
    for (let j = 0; j < 4; j++) {
      if (<u32>(ih0 + j) < <u32>H) rowMask |= 1 << j;
      if (<u32>(iw0 + j) < <u32>W) colMask |= 1 << j;
    }
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
