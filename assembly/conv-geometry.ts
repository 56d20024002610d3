// The geometry of a convolution, as the GEMM's im2col operands read it: one descriptor in memory (the
// first bytes of a conv call's scratch), passed to gemm_run by pointer — no module globals, so calls on
// different threads never share state.
//
// x is (N,H,W,cs) with this conv seeing channels [0, c) of each pixel (x already points at the group's
// first channel: grouped convs run one GEMM per group with cs = all channels, c = channels per group).
// The kernel is (KH,KW,c,·); the output (N,OH,OW,·). Input pixel of output (oh, ow) and tap (kh, kw):
// (oh·sh − pt + kh·dh, ow·sw − pl + kw·dw); outside the image it reads 0.
@unmanaged export class Im2col {
  x: usize;
  h: i32;
  w: i32;
  c: i32;
  cs: i32;
  oh: i32;
  ow: i32;
  kh: i32;
  kw: i32;
  sh: i32;
  sw: i32;
  pt: i32;
  pl: i32;
  dh: i32;
  dw: i32;
}

// Bytes reserved for one descriptor at the start of a scratch buffer (a cache line or two).
export const IM2COL_BYTES: i32 = 128;

// Writes the descriptor at `at` and returns its address.
export function im2col_at(at: usize, x: usize, h: i32, w: i32, c: i32, cs: i32, oh: i32, ow: i32, kh: i32, kw: i32,
                          sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32): usize {
  const g = changetype<Im2col>(at);
  g.x = x; g.h = h; g.w = w; g.c = c; g.cs = cs; g.oh = oh; g.ow = ow; g.kh = kh; g.kw = kw;
  g.sh = sh; g.sw = sw; g.pt = pt; g.pl = pl; g.dh = dh; g.dw = dw;
  return at;
}

// How gemm_run reads an operand: a row-major matrix (pointer, leading dimension, transposed or not), the
// im2col matrix of a conv input (A or B; rows output pixels, columns (kh,kw,c)), or, for C, the im2col-shaped
// gradient scatter-added into the conv input gradient (col2im fused into the store); or, for B, panels
// packed beforehand (gemm_pack_b: K ≤ 384, one slice).
export const MATRIX: i32 = 0;
export const IM2COL: i32 = 1;
export const COL2IM: i32 = 2;
export const PACKED: i32 = 3;
