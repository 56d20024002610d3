// conv2d, NHWC, as GEMMs on the micro-kernel of gemm.ts. x is (N,H,W,C), w is (KH,KW,C,F) — which is
// exactly a (K = KH·KW·C, F) matrix — and y is (N,OH,OW,F), i.e. an (M = N·OH·OW, F) matrix.
//
//   forward   y  = im2col(x) · w (+ bias, act)   im2col rows are packed straight from x (implicit GEMM)
//   backward  dw = (dyᵀ · im2col(x))ᵀ            im2col as the B operand (8 channels per pixel per load)
//             db = Σ_rows dy
//             dx = col2im(dy · wᵀ)               with C % 8 == 0 each tile of dy·wᵀ is scatter-added into dx
//                                                in the GEMM's epilogue; otherwise in row blocks through scratch
// A 1x1, stride-1, unpadded conv is a plain GEMM on x itself.
// Input pixel of output (oh, ow) and kernel tap (kh, kw): (oh·sh − padTop + kh·dh, ow·sw − padLeft + kw·dw).
import { set_im2col, use_im2col_for_a, use_im2col_for_b, use_col2im_for_c, col2im_table_bytes, set_a_matrix, gemm_run, gemm_run_scratch_bytes } from './gemm';
import { bias_grad_f32 } from './activations';
import { conv2d_direct_forward, conv2d_direct_forward_scratch_bytes, conv2d_direct_dw, conv2d_direct_dw_scratch_bytes } from './conv-few-channels';

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
                                             sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  // The larger of the two: a 1x1 conv with few channels may still take the pointwise GEMM.
  return max(gemm_run_scratch_bytes(N * OH * OW, F, KH * KW * C), conv2d_direct_forward_scratch_bytes(C, F, KH, KW, OH, OW, sh, sw, dh, dw));
}

// y = act(conv(x, w) + b); b = 0 means no bias.
export function conv2d_forward_f32(x: usize, w: usize, b: usize, y: usize,
                                   N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                   sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                   act: i32, alpha: f32, scratch: usize): void {
  const M = N * OH * OW;
  const K = KH * KW * C;
  if (is_pointwise(H, W, KH, KW, OH, OW, sh, sw, pt, pl)) set_a_matrix(x, C, false);
  else if (direct_forward(C, K)) {
    conv2d_direct_forward(x, w, b, y, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, act, alpha, scratch);
    return;
  } else {
    set_im2col(x, H, W, C, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw);
    use_im2col_for_a();
  }
  gemm_run(M, F, K, w, F, false, y, F, false, b, act, alpha, scratch);
}

export function conv2d_backward_scratch_bytes(N: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                              sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  const M = N * OH * OW;
  const K = KH * KW * C;
  // Each region below is 64-byte aligned inside the scratch: up to 63 bytes lost per region.
  const forW = gemm_run_scratch_bytes(F, K, M) + F * K * 4 + 128;
  const rows = min(M, DX_ROWS);
  const forX = gemm_run_scratch_bytes(rows, K, F) + rows * K * 4 + 128;
  const forXFused = col2im_table_bytes(KH, KW) + C * 4 + gemm_run_scratch_bytes(M, K, F) + 128;
  return max(max(max(forW, forX), forXFused), conv2d_direct_dw_scratch_bytes(C, F, KH, KW, OH, OW, sh, sw, dh, dw));
}

// dx (N,H,W,C), dw (KH,KW,C,F), db (F) from x, w and dy (N,OH,OW,F); a 0 pointer skips that output.
// Outputs are overwritten.
export function conv2d_backward_f32(x: usize, w: usize, dy: usize, dx: usize, dwt: usize, db: usize,
                                    N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                    sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, scratch: usize): void {
  const M = N * OH * OW;
  const K = KH * KW * C;
  const pointwise = is_pointwise(H, W, KH, KW, OH, OW, sh, sw, pt, pl);
  if (dwt && !pointwise && direct_dw(C)) {
    conv2d_direct_dw(x, dy, dwt, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, scratch);
  } else if (dwt) {
    // dwᵀ (F,K) = dyᵀ (F,M) · im2col(x) (M,K), then transposed into dw (K,F). This way round the im2col
    // operand is packed 8 channels wide (B panels) rather than 4 (A panels).
    const dwT = (scratch + 63) & ~<usize>63;
    const gemmScratch = (dwT + (<usize>F * <usize>K << 2) + 63) & ~<usize>63;
    set_a_matrix(dy, F, true);
    if (!pointwise) {
      set_im2col(x, H, W, C, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw);
      use_im2col_for_b();
    }
    gemm_run(F, K, M, x, C, false, dwT, K, false, 0, 0, 0, gemmScratch);
    for (let i = 0; i < K; i++) {
      for (let f = 0; f < F; f++) {
        store<f32>(dwt + ((<usize>i * <usize>F + <usize>f) << 2), load<f32>(dwT + ((<usize>f * <usize>K + <usize>i) << 2)));
      }
    }
  }
  if (db) bias_grad_f32(dy, db, M, F);
  if (dx) {
    if (pointwise) {
      // dx (M,C) = dy (M,F) · wᵀ (F,C)
      set_a_matrix(dy, F, false);
      gemm_run(M, C, F, w, F, true, dx, C, false, 0, 0, 0, scratch);
      return;
    }
    memory.fill(dx, 0, <usize>N * <usize>H * <usize>W * <usize>C << 2);
    if (M == 0 || F == 0) return;
    if (C % 8 == 0) {
      // dy (M,F) · wᵀ (F,K), each finished tile scatter-added into dx (col2im in the GEMM's epilogue).
      set_a_matrix(dy, F, false);
      const table = (scratch + 63) & ~<usize>63;
      const dummy = (table + <usize>col2im_table_bytes(KH, KW) + 63) & ~<usize>63;
      set_im2col(x, H, W, C, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw);
      use_col2im_for_c(table, dummy);
      gemm_run(M, K, F, w, F, true, dx, 0, false, 0, 0, 0, dummy + (<usize>C << 2));
      return;
    }
    const rows = min(M, DX_ROWS);
    const gemmScratch = (scratch + 63) & ~<usize>63;
    const dcol = (gemmScratch + <usize>gemm_run_scratch_bytes(rows, K, F) + 63) & ~<usize>63;
    for (let p0 = 0; p0 < M; p0 += DX_ROWS) {
      const pb = min(DX_ROWS, M - p0);
      // dcol (pb,K) = dy[p0..p0+pb] (pb,F) · wᵀ (F,K)
      set_a_matrix(dy + (<usize>p0 * <usize>F << 2), F, false);
      gemm_run(pb, K, F, w, F, true, dcol, K, false, 0, 0, 0, gemmScratch);
      col2im_add(dcol, p0, pb, dx, H, W, C, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw);
    }
  }
}

// dx[n, ih, iw, :] += dcol[p, (kh,kw), :] for every output pixel p of the block and every tap inside the image.
function col2im_add(dcol: usize, p0: i32, pb: i32, dx: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32,
                    OH: i32, OW: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32): void {
  const K = KH * KW * C;
  const rowBytes = <usize>C << 2;
  let ow = p0 % OW;
  let t = p0 / OW;
  let oh = t % OH;
  let n = t / OH;
  for (let p = 0; p < pb; p++) {
    const src0 = dcol + (<usize>p * <usize>K << 2);
    const image = dx + <usize>n * <usize>H * <usize>W * rowBytes;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * sh - pt + kh * dh;
      if (<u32>ih >= <u32>H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * sw - pl + kw * dw;
        if (<u32>iw >= <u32>W) continue;
        const dst = image + <usize>(ih * W + iw) * rowBytes;
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
