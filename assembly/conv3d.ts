// conv3d, NDHWC: x (N,D,H,W,C), w (KD,KH,KW,C,F) as Keras, y (N,OD,OH,OW,F). An explicit im2col in blocks
// of output pixels (rows (n,od,oh,ow), columns (kd,kh,kw,c)), each block a GEMM on the micro-kernel of
// gemm.ts; at ≥ 32 filters the copy is a few % of the products. Forward and backward share the geometry:
//
//   forward   y[rows]  = cols · w (+ bias, act)
//   backward  dw      += colsᵀ · dy[rows]        (the first block overwrites)
//             db       = Σ_rows dy
//             dx      += col2im(dy[rows] · wᵀ)   (dx zeroed first)
// Input voxel of output (od, oh, ow) and tap (kd, kh, kw): (od·sd − pf + kd·dd, oh·sh − pt + kh·dh,
// ow·sw − pl + kw·dw); outside the volume it reads 0 (and its gradient is dropped).
import { gemm_run, gemm_run_scratch_bytes } from './gemm';
import { MATRIX } from './conv-geometry';
import { bias_grad_f32 } from './activations';

// The 3D geometry, read by the im2col copy and the col2im scatter (one descriptor at the start of scratch).
@unmanaged class Conv3d {
  x: usize;
  d: i32; h: i32; w: i32; c: i32;
  od: i32; oh: i32; ow: i32;
  kd: i32; kh: i32; kw: i32;
  sd: i32; sh: i32; sw: i32;
  pf: i32; pt: i32; pl: i32;
  dd: i32; dh: i32; dw: i32;
}

const GEOMETRY_BYTES: usize = 128;

// Output pixels per block: the block's columns (rows·K floats) stay around 384 KiB, in L2.
function block_rows(M: i32, K: i32): i32 {
  const rows = max(96, min(960, (98304 / max(K, 1)) & ~7));
  return min(rows, max(M, 1));
}

export function conv3d_scratch_bytes(N: i32, C: i32, F: i32, KD: i32, KH: i32, KW: i32, OD: i32, OH: i32, OW: i32): i32 {
  const M = N * OD * OH * OW;
  const K = KD * KH * KW * C;
  const rows = block_rows(M, K);
  const forward = gemm_run_scratch_bytes(rows, F, K);
  const dw = gemm_run_scratch_bytes(K, F, rows);
  const dx = gemm_run_scratch_bytes(rows, K, F);
  return <i32>GEOMETRY_BYTES + rows * K * 4 + max(forward, max(dw, dx)) + 256;
}

// Visits the taps of output pixel p: f(column offset in floats of the tap's C values, address of the voxel
// in g.x or 0 when the tap lies in the padding). Rows of the block are pixels p0..p0+rows.
@inline function for_taps(g: Conv3d, p: i32, cols: usize, K: i32, scatter: bool): void {
  const C = g.c;
  const OW = g.ow, OH = g.oh, OD = g.od;
  const ow = p % OW;
  let t = p / OW;
  const oh = t % OH;
  t /= OH;
  const od = t % OD;
  const n = t / OD;
  const voxelBytes = <usize>C << 2;
  const image = g.x + <usize>n * <usize>g.d * <usize>g.h * <usize>g.w * voxelBytes;
  let col = cols;
  for (let kd = 0; kd < g.kd; kd++) {
    const id = od * g.sd - g.pf + kd * g.dd;
    for (let kh = 0; kh < g.kh; kh++) {
      const ih = oh * g.sh - g.pt + kh * g.dh;
      for (let kw = 0; kw < g.kw; kw++) {
        const iw = ow * g.sw - g.pl + kw * g.dw;
        const inside = <u32>id < <u32>g.d && <u32>ih < <u32>g.h && <u32>iw < <u32>g.w;
        const voxel = image + <usize>((id * g.h + ih) * g.w + iw) * voxelBytes;
        if (scatter) {
          // dx[voxel, :] += dcol[p, tap, :]
          if (inside) {
            let c = 0;
            for (; c + 4 <= C; c += 4) {
              const o = <usize>c << 2;
              v128.store(voxel + o, f32x4.add(v128.load(voxel + o), v128.load(col + o)));
            }
            for (; c < C; c++) {
              const o = <usize>c << 2;
              store<f32>(voxel + o, load<f32>(voxel + o) + load<f32>(col + o));
            }
          }
        } else if (inside) memory.copy(col, voxel, voxelBytes);
        else memory.fill(col, 0, voxelBytes);
        col += voxelBytes;
      }
    }
  }
}

function im2col(g: Conv3d, p0: i32, rows: i32, cols: usize, K: i32): void {
  for (let r = 0; r < rows; r++) for_taps(g, p0 + r, cols + (<usize>r * <usize>K << 2), K, false);
}

function col2im(g: Conv3d, p0: i32, rows: i32, dcol: usize, K: i32): void {
  for (let r = 0; r < rows; r++) for_taps(g, p0 + r, dcol + (<usize>r * <usize>K << 2), K, true);
}

function geometry(at: usize, x: usize, D: i32, H: i32, W: i32, C: i32, OD: i32, OH: i32, OW: i32,
                  KD: i32, KH: i32, KW: i32, sd: i32, sh: i32, sw: i32, pf: i32, pt: i32, pl: i32,
                  dd: i32, dh: i32, dw: i32): Conv3d {
  const g = changetype<Conv3d>(at);
  g.x = x; g.d = D; g.h = H; g.w = W; g.c = C; g.od = OD; g.oh = OH; g.ow = OW;
  g.kd = KD; g.kh = KH; g.kw = KW; g.sd = sd; g.sh = sh; g.sw = sw; g.pf = pf; g.pt = pt; g.pl = pl;
  g.dd = dd; g.dh = dh; g.dw = dw;
  return g;
}

// y = act(conv3d(x, w) + b); b = 0 means no bias.
export function conv3d_forward_f32(x: usize, w: usize, b: usize, y: usize,
                                   N: i32, D: i32, H: i32, W: i32, C: i32, F: i32,
                                   KD: i32, KH: i32, KW: i32, OD: i32, OH: i32, OW: i32,
                                   sd: i32, sh: i32, sw: i32, pf: i32, pt: i32, pl: i32, dd: i32, dh: i32, dw: i32,
                                   act: i32, alpha: f32, scratch: usize): void {
  const M = N * OD * OH * OW;
  const K = KD * KH * KW * C;
  const at = (scratch + 63) & ~<usize>63;
  const g = geometry(at, x, D, H, W, C, OD, OH, OW, KD, KH, KW, sd, sh, sw, pf, pt, pl, dd, dh, dw);
  const rows = block_rows(M, K);
  const cols = at + GEOMETRY_BYTES;
  const work = (cols + (<usize>rows * <usize>K << 2) + 63) & ~<usize>63;
  for (let p0 = 0; p0 < M; p0 += rows) {
    const pb = min(rows, M - p0);
    im2col(g, p0, pb, cols, K);
    gemm_run(pb, F, K, MATRIX, cols, K, false, MATRIX, w, F, false, MATRIX, y + (<usize>p0 * <usize>F << 2), F, false,
             b, act, alpha, 0, work);
  }
}

// dx (N,D,H,W,C), dw (KD,KH,KW,C,F), db (F) from x, w and dy (N,OD,OH,OW,F); a 0 pointer skips that output.
// Outputs are overwritten.
export function conv3d_backward_f32(x: usize, w: usize, dy: usize, dx: usize, dwt: usize, db: usize,
                                    N: i32, D: i32, H: i32, W: i32, C: i32, F: i32,
                                    KD: i32, KH: i32, KW: i32, OD: i32, OH: i32, OW: i32,
                                    sd: i32, sh: i32, sw: i32, pf: i32, pt: i32, pl: i32, dd: i32, dh: i32, dw: i32,
                                    scratch: usize): void {
  const M = N * OD * OH * OW;
  const K = KD * KH * KW * C;
  const at = (scratch + 63) & ~<usize>63;
  const rows = block_rows(M, K);
  const cols = at + GEOMETRY_BYTES;
  const work = (cols + (<usize>rows * <usize>K << 2) + 63) & ~<usize>63;
  if (db) bias_grad_f32(dy, db, M, F);
  if (dwt) {
    const g = geometry(at, x, D, H, W, C, OD, OH, OW, KD, KH, KW, sd, sh, sw, pf, pt, pl, dd, dh, dw);
    if (M == 0) memory.fill(dwt, 0, <usize>K * <usize>F << 2);
    for (let p0 = 0; p0 < M; p0 += rows) {
      const pb = min(rows, M - p0);
      im2col(g, p0, pb, cols, K);
      // dw (K,F) [+]= colsᵀ (K,pb) · dy[p0..] (pb,F)
      gemm_run(K, F, pb, MATRIX, cols, K, true, MATRIX, dy + (<usize>p0 * <usize>F << 2), F, false,
               MATRIX, dwt, F, p0 > 0, 0, 0, 0, 0, work);
    }
  }
  if (dx) {
    const g = geometry(at, dx, D, H, W, C, OD, OH, OW, KD, KH, KW, sd, sh, sw, pf, pt, pl, dd, dh, dw);
    memory.fill(dx, 0, <usize>N * <usize>D * <usize>H * <usize>W * <usize>C << 2);
    for (let p0 = 0; p0 < M; p0 += rows) {
      const pb = min(rows, M - p0);
      // dcol (pb,K) = dy[p0..] (pb,F) · wᵀ (F,K)
      gemm_run(pb, K, F, MATRIX, dy + (<usize>p0 * <usize>F << 2), F, false, MATRIX, w, F, true,
               MATRIX, cols, K, false, 0, 0, 0, 0, work);
      col2im(g, p0, pb, cols, K);
    }
  }
}
