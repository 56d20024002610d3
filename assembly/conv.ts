// conv2d, NHWC, as GEMMs on the micro-kernel of gemm.ts. x is (N,H,W,C), w is (KH,KW,C/groups,F) — which
// is exactly a (K = KH·KW·C/groups, F) matrix — and y is (N,OH,OW,F), i.e. an (M = N·OH·OW, F) matrix.
//
//   forward   y  = im2col(x) · w (+ bias, act)   im2col rows are packed straight from x (implicit GEMM)
//   backward  dw = (dyᵀ · im2col(x))ᵀ            im2col as the B operand (8 channels per pixel per load)
//             db = Σ_rows dy
//             dx = col2im(dy · wᵀ)               with C % 8 == 0 each tile of dy·wᵀ is scatter-added into dx
//                                                in the GEMM's epilogue; otherwise in row blocks through scratch
// A 1x1, stride-1, unpadded conv is a plain GEMM on x itself.
// Grouped convs (groups > 1, as Keras: group g maps channels [g·C/groups, …) to filters [g·F/groups, …))
// run one GEMM per group on strided views: the im2col geometry reads C/groups of every pixel's C channels,
// w, y and dy are column blocks of their matrices (leading dimension F).
// Input pixel of output (oh, ow) and kernel tap (kh, kw): (oh·sh − padTop + kh·dh, ow·sw − padLeft + kw·dw).
import { gemm_run, gemm_run_scratch_bytes, gemm_col2im_scratch_bytes } from './gemm';
import { Im2col, IM2COL_BYTES, im2col_at, MATRIX, IM2COL, COL2IM } from './conv-geometry';
import { bias_grad_f32 } from './activations';
import { conv2d_direct_forward, conv2d_direct_forward_scratch_bytes, conv2d_direct_dw, conv2d_direct_dw_maxpool2, conv2d_direct_dw_scratch_bytes } from './conv-few-channels';

// With few input channels, forward and dw run directly on x (conv-few-channels.ts) instead of as GEMMs on
// packed im2col panels: with K = KH·KW·C small, packing costs as much as the products. Thresholds measured
// at batch 64 (relaxed build, GFLOP/s GEMM → direct): forward 28x28 C=1 5x5 6 filters 6 → 23, C=3 3x3
// 22 → 37, C=16 3x3 (K=144) 43 → 47, but 14x14 C=8 5x5 (K=200) 43 → 40 and C=32 3x3 53 → 44;
// dw C=1..8 2-3x faster, C=12 28 → 43, C=16 even, C=32 51 → 41.
@inline function direct_forward(C: i32, K: i32): bool {
  return C <= 4 || (C <= 16 && K <= 144);
}

@inline function direct_dw(C: i32): bool {
  return C < 16;
}

// Output rows (pixels) per block of dx = dy·wᵀ: the block's columns stay in cache for the scatter.
const DX_ROWS: i32 = 480;

@inline function is_pointwise(H: i32, W: i32, KH: i32, KW: i32, OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32): bool {
  return KH == 1 && KW == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && OH == H && OW == W;
}

export function conv2d_forward_scratch_bytes(N: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                             sh: i32, sw: i32, dh: i32, dw: i32, groups: i32): i32 {
  const gemm = gemm_run_scratch_bytes(N * OH * OW, F / groups, KH * KW * (C / groups));
  // The larger of the two: a 1x1 conv with few channels may still take the pointwise GEMM.
  const direct = groups == 1 ? conv2d_direct_forward_scratch_bytes(C, F, KH, KW, OH, OW, sh, sw, dh, dw) : 0;
  return IM2COL_BYTES + max(gemm, direct);
}

// y = act(conv(x, w) + b); b = 0 means no bias. w is (KH,KW,C/groups,F).
export function conv2d_forward_f32(x: usize, w: usize, b: usize, y: usize,
                                   N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                   sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, groups: i32,
                                   act: i32, alpha: f32, scratch: usize): void {
  const M = N * OH * OW;
  const Cg = C / groups;
  const Fg = F / groups;
  const K = KH * KW * Cg;
  const pointwise = is_pointwise(H, W, KH, KW, OH, OW, sh, sw, pt, pl);
  if (!pointwise && groups == 1 && direct_forward(C, K)) {
    conv2d_direct_forward(x, w, b, y, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, act, alpha, scratch);
    return;
  }
  const geom = (scratch + 63) & ~<usize>63;
  const gemmScratch = geom + IM2COL_BYTES;
  for (let g = 0; g < groups; g++) {
    const xg = x + (<usize>(g * Cg) << 2);
    const fOff = <usize>(g * Fg) << 2;
    im2col_at(geom, xg, H, W, Cg, C, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw);
    gemm_run(M, Fg, K, pointwise ? MATRIX : IM2COL, xg, C, false, MATRIX, w + fOff, F, false,
             MATRIX, y + fOff, F, false, b ? b + fOff : 0, act, alpha, geom, gemmScratch);
  }
}

// 1 when conv2d_forward_f32 takes the direct loop for these sizes (then it cannot be split by filters).
// conv2d_forward_f32 on the direct few-channel loop with a 2x2 stride-2 max pool fused (y is
// (N, OH/2, OW/2, F)): only where conv2d_forward_is_direct says the conv takes that loop.
// argmax ≠ 0 (training): the pool's winners too, element indices into the conv's output counted from
// indexBase; conv2d_backward_maxpool2_f32 is the backward.
export function conv2d_forward_maxpool2_f32(x: usize, w: usize, b: usize, y: usize,
                                            N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                            sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                            act: i32, alpha: f32, argmax: usize, indexBase: i32, scratch: usize): void {
  conv2d_direct_forward(x, w, b, y, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, act, alpha, scratch, true, argmax, indexBase);
}

export function conv2d_backward_maxpool2_scratch_bytes(C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                                       sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  return conv2d_direct_dw_scratch_bytes(C, F, KH, KW, OH, OW, sh, sw, dh, dw);
}

// dw (KH,KW,C,F) and db (F; 0: none), overwritten, of conv2d_forward_maxpool2_f32 with argmax, from dp (the
// pooled gradient), argmax and yp (the pooled output; masked = 1: a relu conv, masked where yp ≤ 0).
export function conv2d_backward_maxpool2_f32(x: usize, dp: usize, argmax: usize, yp: usize, dwt: usize, db: usize,
                                             N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                             sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                             masked: i32, indexBase: i32, scratch: usize): void {
  conv2d_direct_dw_maxpool2(x, dp, argmax, yp, dwt, db, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, masked != 0, indexBase, scratch);
}

export function conv2d_forward_is_direct(H: i32, W: i32, C: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                         sh: i32, sw: i32, pt: i32, pl: i32, groups: i32): i32 {
  return !is_pointwise(H, W, KH, KW, OH, OW, sh, sw, pt, pl) && groups == 1 && direct_forward(C, KH * KW * C) ? 1 : 0;
}

// Filters [f0, f0 + fn) of an ungrouped conv2d_forward_f32 on the im2col GEMM: threads split one image (or a
// batch smaller than the pool) by filters. scratch: conv2d_forward_scratch_bytes with F = fn.
export function conv2d_forward_filters_f32(x: usize, w: usize, b: usize, y: usize,
                                           N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                           sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                           f0: i32, fn: i32, act: i32, alpha: f32, scratch: usize): void {
  const pointwise = is_pointwise(H, W, KH, KW, OH, OW, sh, sw, pt, pl);
  const geom = (scratch + 63) & ~<usize>63;
  const fOff = <usize>f0 << 2;
  im2col_at(geom, x, H, W, C, C, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw);
  gemm_run(N * OH * OW, fn, KH * KW * C, pointwise ? MATRIX : IM2COL, x, C, false, MATRIX, w + fOff, F, false,
           MATRIX, y + fOff, F, false, b ? b + fOff : 0, act, alpha, geom, geom + IM2COL_BYTES);
}

export function conv2d_backward_scratch_bytes(N: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                              sh: i32, sw: i32, dh: i32, dw: i32, groups: i32): i32 {
  const M = N * OH * OW;
  const Cg = C / groups;
  const Fg = F / groups;
  const K = KH * KW * Cg;
  // Each region below is 64-byte aligned inside the scratch: up to 63 bytes lost per region.
  const forW = gemm_run_scratch_bytes(Fg, K, M) + Fg * K * 4 + 128;
  const rows = min(M, DX_ROWS);
  const forX = gemm_run_scratch_bytes(rows, K, Fg) + rows * K * 4 + 128;
  const forXFused = gemm_col2im_scratch_bytes(M, K, Fg, KH, KW, Cg);
  const direct = groups == 1 ? conv2d_direct_dw_scratch_bytes(C, F, KH, KW, OH, OW, sh, sw, dh, dw) : 0;
  return IM2COL_BYTES + 64 + max(max(max(forW, forX), forXFused), direct);
}

// dx (N,H,W,C), dw (KH,KW,C/groups,F), db (F) from x, w and dy (N,OH,OW,F); a 0 pointer skips that output.
// Outputs are overwritten.
export function conv2d_backward_f32(x: usize, w: usize, dy: usize, dx: usize, dwt: usize, db: usize,
                                    N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                    sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, groups: i32, scratch: usize): void {
  const M = N * OH * OW;
  const Cg = C / groups;
  const Fg = F / groups;
  const K = KH * KW * Cg;
  const pointwise = is_pointwise(H, W, KH, KW, OH, OW, sh, sw, pt, pl);
  const geom = (scratch + 63) & ~<usize>63;
  const work = geom + IM2COL_BYTES;
  if (dwt && !pointwise && groups == 1 && direct_dw(C)) {
    conv2d_direct_dw(x, dy, dwt, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, work);
  } else if (dwt) {
    // dwᵀ (Fg,K) = dyᵀ (Fg,M) · im2col(x) (M,K), then transposed into dw (K,F)'s columns of the group. This
    // way round the im2col operand is packed 8 channels wide (B panels) rather than 4 (A panels).
    const dwT = (work + 63) & ~<usize>63;
    const gemmScratch = (dwT + (<usize>Fg * <usize>K << 2) + 63) & ~<usize>63;
    for (let g = 0; g < groups; g++) {
      const xg = x + (<usize>(g * Cg) << 2);
      im2col_at(geom, xg, H, W, Cg, C, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw);
      gemm_run(Fg, K, M, MATRIX, dy + (<usize>(g * Fg) << 2), F, true, pointwise ? MATRIX : IM2COL, xg, C, false,
               MATRIX, dwT, K, false, 0, 0, 0, geom, gemmScratch);
      const dst = dwt + (<usize>(g * Fg) << 2);
      for (let i = 0; i < K; i++) {
        for (let f = 0; f < Fg; f++) {
          store<f32>(dst + ((<usize>i * <usize>F + <usize>f) << 2), load<f32>(dwT + ((<usize>f * <usize>K + <usize>i) << 2)));
        }
      }
    }
  }
  if (db) bias_grad_f32(dy, db, M, F);
  if (!dx) return;
  if (!pointwise) memory.fill(dx, 0, <usize>N * <usize>H * <usize>W * <usize>C << 2);
  if (M == 0 || F == 0) return;
  for (let g = 0; g < groups; g++) {
    const dxg = dx + (<usize>(g * Cg) << 2);
    const dyg = dy + (<usize>(g * Fg) << 2);
    const wg = w + (<usize>(g * Fg) << 2);
    im2col_at(geom, dxg, H, W, Cg, C, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw);
    if (pointwise) {
      // dx (M,Cg) = dy (M,Fg) · wᵀ (Fg,Cg)
      gemm_run(M, Cg, Fg, MATRIX, dyg, F, false, MATRIX, wg, F, true, MATRIX, dxg, C, false, 0, 0, 0, geom, work);
    } else if (Cg % 8 == 0) {
      // dy (M,Fg) · wᵀ (Fg,K), each finished tile scatter-added into dx (col2im in the GEMM's epilogue).
      gemm_run(M, K, Fg, MATRIX, dyg, F, false, MATRIX, wg, F, true, COL2IM, dxg, 0, false, 0, 0, 0, geom, work);
    } else {
      const rows = min(M, DX_ROWS);
      const gemmScratch = (work + 63) & ~<usize>63;
      const dcol = (gemmScratch + <usize>gemm_run_scratch_bytes(rows, K, Fg) + 63) & ~<usize>63;
      for (let p0 = 0; p0 < M; p0 += DX_ROWS) {
        const pb = min(DX_ROWS, M - p0);
        // dcol (pb,K) = dy[p0..p0+pb] (pb,Fg) · wᵀ (Fg,K)
        gemm_run(pb, K, Fg, MATRIX, dyg + (<usize>p0 * <usize>F << 2), F, false, MATRIX, wg, F, true,
                 MATRIX, dcol, K, false, 0, 0, 0, geom, gemmScratch);
        col2im_add(changetype<Im2col>(geom), dcol, p0, pb);
      }
    }
  }
}

// dx[n, ih, iw, :c] += dcol[p, (kh,kw), :] for every output pixel p of the block and every tap inside the
// image; dx is the geometry's x (pixels cs channels apart).
function col2im_add(g: Im2col, dcol: usize, p0: i32, pb: i32): void {
  const H = g.h, W = g.w, C = g.c, KH = g.kh, KW = g.kw, OH = g.oh, OW = g.ow;
  const sh = g.sh, sw = g.sw, pt = g.pt, pl = g.pl, dh = g.dh, dw = g.dw;
  const K = KH * KW * C;
  const rowBytes = <usize>C << 2;
  const pixelBytes = <usize>g.cs << 2;
  let ow = p0 % OW;
  let t = p0 / OW;
  let oh = t % OH;
  let n = t / OH;
  for (let p = 0; p < pb; p++) {
    const src0 = dcol + (<usize>p * <usize>K << 2);
    const image = g.x + <usize>n * <usize>H * <usize>W * pixelBytes;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * sh - pt + kh * dh;
      if (<u32>ih >= <u32>H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * sw - pl + kw * dw;
        if (<u32>iw >= <u32>W) continue;
        const dst = image + <usize>(ih * W + iw) * pixelBytes;
        const src = src0 + <usize>(kh * KW + kw) * rowBytes;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
        }
      }
    }
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
  }
}
