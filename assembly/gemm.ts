// GEMM: C(M,N) (=|+=) op(A)(M,K) · op(B)(K,N) (+ bias(N)), then an activation — row-major, f32x4.
//
// Goto-style blocking: for each NC-wide column block and KC-deep slice, B is packed into NR-wide panels
// (k-major, NR floats per k); for each MC-tall row block, A is packed into MR-wide panels (k-major, MR
// floats per k). The micro-kernel keeps an MR×NR tile of C in f32x4 locals, splats one A value per row and
// multiplies it into two B vectors with `madd` (an FMA in the relaxed build). Packed panels are zero-padded
// to whole tiles, so the micro-kernel never branches on edges; partial tiles go through a small buffer at
// the start of the scratch. Kernels keep no state in memory of their own: calls with distinct scratch
// buffers may run on different threads.
//
// A and B can also be an im2col matrix packed straight from a conv input x (implicit GEMM: im2col is never
// materialised), described by an Im2col geometry (conv-geometry.ts) passed by pointer; only the packing
// routine differs:
//   A im2col  rows are output pixels, columns (kh,kw,c) — conv forward
//   B im2col  the same matrix as B (rows pixels, columns (kh,kw,c)) — conv backward for dwᵀ = dyᵀ·im2col
import { madd, ldk, stk } from './simd';
import { activation_forward_f32 } from './activations';
import { Im2col, MATRIX, IM2COL, COL2IM, PACKED } from './conv-geometry';

// Tile and block sizes. MR×NR = 4×8 is eight f32x4 accumulators; KC keeps an NR panel of B (KC·NR·4 bytes)
// in L1; MC·KC of A fits L2; NC·KC of B sits in L2/L3.
const MR: i32 = 4;
const NR: i32 = 8;
const KC_MAX: i32 = 384;
const MC: i32 = 96;
const NC: i32 = 1024;

// What the col2im store needs besides the geometry: `table` has room for KH·KW·MC addresses, `dummy` for
// c floats (rows whose tap falls in the padding are added there and never read). Both live at the start
// of gemm_run's scratch when C is COL2IM (gemm_col2im_scratch_bytes).
export function col2im_table_bytes(KH: i32, KW: i32): i32 {
  return KH * KW * MC * 4;
}

// table[tap·MC + r] = address of dx[n, ih, iw, 0] for the pixel of block row r and tap (kh, kw), or the dummy.
function col2im_rows(g: Im2col, table: usize, dummy: usize, dx: usize, ic: i32, mc: i32): void {
  const H = g.h, W = g.w, OH = g.oh, OW = g.ow, KW = g.kw, sh = g.sh, sw = g.sw, pt = g.pt, pl = g.pl, dh = g.dh, dw = g.dw;
  const rowBytes = <usize>g.cs << 2;
  const imageBytes = <usize>H * <usize>W * rowBytes;
  const kernelH = g.kh;
  const taps = kernelH * KW;
  let ow = ic % OW;
  let t = ic / OW;
  let oh = t % OH;
  let n = t / OH;
  const rows = round_up(mc, MR);
  const lastH = (kernelH - 1) * dh;
  const lastW = (KW - 1) * dw;
  const tapDown = <usize>dh * <usize>W * rowBytes;
  const tapRight = <usize>dw * rowBytes;
  const tapStride = <usize>MC << 2;
  for (let r = 0; r < rows; r++) {
    const ih0 = oh * sh - pt;
    const iw0 = ow * sw - pl;
    const image = dx + <usize>n * imageBytes;
    if (r < mc && ih0 >= 0 && ih0 + lastH < H && iw0 >= 0 && iw0 + lastW < W) {
      // Every tap inside the image (most pixels): addresses step by fixed amounts.
      let e = table + (<usize>r << 2);
      let rowStart = image + <usize>(ih0 * W + iw0) * rowBytes;
      for (let kh = 0; kh < kernelH; kh++) {
        let a = rowStart;
        for (let kw = 0; kw < KW; kw++) {
          store<u32>(e, <u32>a);
          e += tapStride;
          a += tapRight;
        }
        rowStart += tapDown;
      }
      if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
      continue;
    }
    let kh = 0;
    let kw = 0;
    for (let tap = 0; tap < taps; tap++) {
      const ih = ih0 + kh * dh;
      const iw = iw0 + kw * dw;
      const inside = r < mc && <u32>ih < <u32>H && <u32>iw < <u32>W;
      store<u32>(table + (<usize>(tap * MC + r) << 2), <u32>(inside ? image + <usize>(ih * W + iw) * rowBytes : dummy));
      if (++kw == KW) { kw = 0; kh++; }
    }
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
  }
}

@inline function round_up(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}

// Bytes from one packed B panel to the next: one cache line more than the panel, so that writing the same k
// row of many panels (pack_b_im2col) does not hit one L1 set over and over (4 KiB aliasing).
@inline function b_panel_stride(kc: i32): usize {
  return <usize>kc * NR * 4 + 64;
}

// K split into equal slices of at most KC_MAX (288 → 2×144 rather than 256 + 32).
@inline function kc_for(K: i32): i32 {
  if (K <= 0) return 4;
  const slices = (K + KC_MAX - 1) / KC_MAX;
  return round_up((K + slices - 1) / slices, 4);
}

// B (K, N), row-major with leading dimension ldb (or, transB, stored (N, ldb)), packed once into dst as
// gemm_run packs it (NR-wide panels, b_panel_stride(K) bytes apart) for later calls to read with bKind
// PACKED: a weight that many products share (Winograd's transformed filters, per weight version). K ≤ KC_MAX
// (one slice).
export function gemm_pack_b(b: usize, ldb: i32, K: i32, N: i32, dst: usize, transB: bool): void {
  pack_b(b, ldb, transB, 0, K, 0, N, dst);
}

// Bytes of gemm_pack_b's panels; 0 where K is too deep for one slice (the caller then packs per call).
export function gemm_packed_b_bytes(K: i32, N: i32): i32 {
  return K > KC_MAX ? 0 : <i32>b_panel_stride(K) * ((N + NR - 1) / NR);
}

// Bytes of scratch gemm_run needs for these sizes: a packed A block then a packed B block.
export function gemm_run_scratch_bytes(M: i32, N: i32, K: i32): i32 {
  const kc = max(kc_for(K), 1);
  const aBytes = round_up(round_up(min(M, MC), MR) * kc * 4, 64);
  const bBytes = <i32>b_panel_stride(kc) * (round_up(min(N, NC), NR) / NR);
  return EDGE_BYTES + aBytes + bBytes + 64;
}

// Deepest k at which gemm_run reads a transposed A or any B in place: each k is then a row of its own, and
// 128 of them (8 KiB of lines) stay in L1 across the tiles that reread them.
const IN_PLACE_K: i32 = 128;

// The partial-tile buffer at the start of the scratch.
const EDGE_BYTES: i32 = MR * NR * 4;

export function gemm_scratch_bytes(M: i32, N: i32, K: i32): i32 {
  return gemm_run_scratch_bytes(M, N, K);
}

// Stores the transpose of the 4x4 block with rows r0..r3 as four vectors `step` bytes apart from d:
// k-major panels from row-major data.
@inline function store_transposed_4x4_step(d: usize, step: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(d + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(d + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(d + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

@inline function store_transposed_4x4(d: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  store_transposed_4x4_step(d, 16, r0, r1, r2, r3);
}

// ---- packing of B: rows pc..pc+kc, columns jc..jc+nc into NR-wide k-major panels ----

function pack_b(b: usize, ldb: i32, transB: bool, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const panel = dst + <usize>(jr / NR) * b_panel_stride(kc);
    const j0 = jc + jr;
    if (!transB) {
      // B[k][j] = b[k*ldb + j]: each k row of the panel is contiguous.
      let src = b + ((<usize>pc * <usize>ldb + <usize>j0) << 2);
      const step = <usize>ldb << 2;
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 5);
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          src += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 5);
          v128.store(d, f32x4.splat(0));
          v128.store(d, f32x4.splat(0), 16);
          for (let r = 0; r < nr; r++) store<f32>(d + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
          src += step;
        }
      }
    } else {
      // B[k][j] = b[j*ldb + k]: eight columns at a time, read along k, transposed in registers 4x4.
      if (nr == NR) {
        const step = <usize>ldb << 2;
        let s0 = b + ((<usize>j0 * <usize>ldb + <usize>pc) << 2);
        let d = panel;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const s4 = s0 + 4 * step;
          store_transposed_4x4_step(d, NR * 4, v128.load(s0), v128.load(s0 + step), v128.load(s0 + 2 * step), v128.load(s0 + 3 * step));
          store_transposed_4x4_step(d + 16, NR * 4, v128.load(s4), v128.load(s4 + step), v128.load(s4 + 2 * step), v128.load(s4 + 3 * step));
          s0 += 16;
          d += NR * 16;
        }
        for (; k < kc; k++) {
          for (let r = 0; r < NR; r++) store<f32>(d + (<usize>r << 2), load<f32>(s0 + <usize>r * step));
          s0 += 4;
          d += NR * 4;
        }
        continue;
      }
      // A partial panel: walk each column j along k, write with stride NR.
      memory.fill(panel, 0, <usize>kc * NR * 4);
      for (let r = 0; r < nr; r++) {
        let src = b + ((<usize>(j0 + r) * <usize>ldb + <usize>pc) << 2);
        let d = panel + (<usize>r << 2);
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += NR * 4;
        }
      }
    }
  }
}

// ---- packing of A: rows ic..ic+mc, columns pc..pc+kc into MR-wide k-major panels ----

function pack_a_matrix(a: usize, ldA: i32, transA: bool, ic: i32, mc: i32, M: i32, pc: i32, kc: i32, dst: usize): void {
  const lda = <usize>ldA;
  for (let ir = 0; ir < mc; ir += MR) {
    const panel = dst + (<usize>ir * <usize>kc << 2);
    const mr = min(MR, M - ic - ir);
    const i0 = ic + ir;
    if (transA) {
      // A[i][k] = a[k*lda + i]: MR consecutive values per k.
      let src = a + ((<usize>pc * lda + <usize>i0) << 2);
      const step = lda << 2;
      if (mr == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(panel + (<usize>k << 4), v128.load(src));
          src += step;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 4);
          v128.store(d, f32x4.splat(0));
          for (let r = 0; r < mr; r++) store<f32>(d + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
          src += step;
        }
      }
    } else {
      // A[i][k] = a[i*lda + k]: four rows at a time, transposed in registers.
      if (mr == MR) {
        let s0 = a + ((<usize>i0 * lda + <usize>pc) << 2);
        let s1 = s0 + (lda << 2);
        let s2 = s1 + (lda << 2);
        let s3 = s2 + (lda << 2);
        let d = panel;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          store_transposed_4x4(d, v128.load(s0), v128.load(s1), v128.load(s2), v128.load(s3));
          s0 += 16; s1 += 16; s2 += 16; s3 += 16;
          d += 64;
        }
        for (; k < kc; k++) {
          store<f32>(d, load<f32>(s0)); store<f32>(d, load<f32>(s1), 4);
          store<f32>(d, load<f32>(s2), 8); store<f32>(d, load<f32>(s3), 12);
          s0 += 4; s1 += 4; s2 += 4; s3 += 4;
          d += 16;
        }
        continue;
      }
      memory.fill(panel, 0, <usize>kc * MR * 4);
      for (let r = 0; r < mr; r++) {
        let src = a + ((<usize>(i0 + r) * lda + <usize>pc) << 2);
        let d = panel + (<usize>r << 2);
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const v = v128.load(src);
          store<f32>(d, f32x4.extract_lane(v, 0));
          store<f32>(d, f32x4.extract_lane(v, 1), MR * 4);
          store<f32>(d, f32x4.extract_lane(v, 2), MR * 8);
          store<f32>(d, f32x4.extract_lane(v, 3), MR * 12);
          src += 16;
          d += MR * 16;
        }
        for (; k < kc; k++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += MR * 4;
        }
      }
    }
  }
}

// Rows are output pixels m = (n, oh, ow), columns k = (kh, kw, c): A[m][k] = x[n, oh*sh-pt+kh*dh, ow*sw-pl+kw*dw, c]
// (0 in the padding). Each (kh, kw) is a contiguous run of channels in x; where all four pixels of a panel
// see the image, four runs are read as f32x4 and transposed in registers.
function pack_a_im2col(g: Im2col, ic: i32, mc: i32, M: i32, pc: i32, kc: i32, dst: usize): void {
  const x = g.x, C = g.c, CS = g.cs, W = g.w, H = g.h, OH = g.oh, OW = g.ow, KW = g.kw;
  const sh = g.sh, sw = g.sw, pt = g.pt, pl = g.pl, dh = g.dh, dw = g.dw;
  const imageBytes = <usize>H * <usize>W * <usize>CS << 2;
  const c0 = pc % C;
  const t0 = pc / C;
  const kw0 = t0 % KW;
  const kh0 = t0 / KW;
  const OUT: i32 = -0x40000000; // a row past M: every tap falls outside the image
  let ow = ic % OW;
  let t = ic / OW;
  let oh = t % OH;
  let n = t / OH;
  for (let ir = 0; ir < mc; ir += MR) {
    // The panel's four pixels: first input row/column of their window and their image.
    const m = ic + ir;
    const ihA = oh * sh - pt, iwA = ow * sw - pl, imA = x + <usize>n * imageBytes;
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
    const ihB = m + 1 < M ? oh * sh - pt : OUT, iwB = ow * sw - pl, imB = x + <usize>n * imageBytes;
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
    const ihC = m + 2 < M ? oh * sh - pt : OUT, iwC = ow * sw - pl, imC = x + <usize>n * imageBytes;
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
    const ihD = m + 3 < M ? oh * sh - pt : OUT, iwD = ow * sw - pl, imD = x + <usize>n * imageBytes;
    if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
    let d = dst + (<usize>ir * <usize>kc << 2);
    let c = c0;
    let kw = kw0;
    let kh = kh0;
    let left = kc;
    while (left > 0) {
      let run = min(C - c, left);
      const offH = kh * dh;
      const offW = kw * dw;
      const hA = ihA + offH, wA = iwA + offW, hB = ihB + offH, wB = iwB + offW;
      const hC = ihC + offH, wC = iwC + offW, hD = ihD + offH, wD = iwD + offW;
      let inA = <u32>hA < <u32>H && <u32>wA < <u32>W;
      let inB = <u32>hB < <u32>H && <u32>wB < <u32>W;
      let inC = <u32>hC < <u32>H && <u32>wC < <u32>W;
      let inD = <u32>hD < <u32>H && <u32>wD < <u32>W;
      // With column dilation 1, a whole kernel row (kw = 0..KW-1, every channel) is one run of KW·C floats
      // in x when it lies inside the image for all four pixels: few channels (a first layer) pack in long runs.
      let wholeRow = false;
      if (c == 0 && kw == 0 && dw == 1 && KW > 1 && CS == C && left >= C * KW && inA && inB && inC && inD) {
        const last = <u32>(W - KW + 1);
        if (<u32>wA < last && <u32>wB < last && <u32>wC < last && <u32>wD < last) {
          run = C * KW;
          wholeRow = true;
        }
      }
      const cOff = <usize>c << 2;
      let sA = imA + ((<usize>(hA * W + wA) * <usize>CS) << 2) + cOff;
      let sB = imB + ((<usize>(hB * W + wB) * <usize>CS) << 2) + cOff;
      let sC = imC + ((<usize>(hC * W + wC) * <usize>CS) << 2) + cOff;
      let sD = imD + ((<usize>(hD * W + wD) * <usize>CS) << 2) + cOff;
      if (inA && inB && inC && inD) {
        let j = 0;
        for (; j + 4 <= run; j += 4) {
          store_transposed_4x4(d, v128.load(sA), v128.load(sB), v128.load(sC), v128.load(sD));
          sA += 16; sB += 16; sC += 16; sD += 16;
          d += 64;
        }
        for (; j < run; j++) {
          store<f32>(d, load<f32>(sA)); store<f32>(d, load<f32>(sB), 4);
          store<f32>(d, load<f32>(sC), 8); store<f32>(d, load<f32>(sD), 12);
          sA += 4; sB += 4; sC += 4; sD += 4;
          d += 16;
        }
      } else {
        for (let j = 0; j < run; j++) {
          store<f32>(d, inA ? load<f32>(sA) : 0); store<f32>(d, inB ? load<f32>(sB) : 0, 4);
          store<f32>(d, inC ? load<f32>(sC) : 0, 8); store<f32>(d, inD ? load<f32>(sD) : 0, 12);
          sA += 4; sB += 4; sC += 4; sD += 4;
          d += 16;
        }
      }
      left -= run;
      c = 0;
      if (wholeRow) kh++;
      else if (++kw == KW) { kw = 0; kh++; }
    }
  }
}

// B is the im2col matrix (rows: pixels pc..pc+kc, columns: (kh,kw,c) jc..jc+nc), for dwᵀ = dyᵀ·im2col.
// `tmp` holds 3·NR ints.
// A panel's NR columns usually share one (kh, kw): then each pixel gives two f32x4 straight from x.
function pack_b_im2col(g: Im2col, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize, tmp: usize): void {
  const x = g.x, C = g.c, CS = g.cs, W = g.w, H = g.h, OH = g.oh, OW = g.ow, KW = g.kw;
  const sh = g.sh, sw = g.sw, pt = g.pt, pl = g.pl, dh = g.dh, dw = g.dw;
  const Kc = g.kh * KW * C;
  const imageBytes = <usize>H * <usize>W * <usize>CS << 2;
  if (C % NR == 0) {
    // Every panel lies inside one tap (kh, kw): walk pixels, then taps, then 8-channel chunks.
    const panelStep = b_panel_stride(kc);
    let ow = pc % OW;
    let t = pc / OW;
    let oh = t % OH;
    let n = t / OH;
    const tap0 = jc / C;
    const cStart = jc % C;
    const end = jc + nc;
    for (let k = 0; k < kc; k++) {
      const ih0 = oh * sh - pt;
      const iw0 = ow * sw - pl;
      const image = x + <usize>n * imageBytes;
      let d = dst + (<usize>k * NR << 2);
      let i = jc;
      let c = cStart;
      let kh = tap0 / KW;
      let kw = tap0 % KW;
      while (i < end) {
        const run = min(C - c, end - i);
        const ih = ih0 + kh * dh;
        const iw = iw0 + kw * dw;
        if (<u32>ih < <u32>H && <u32>iw < <u32>W) {
          let src = image + ((<usize>(ih * W + iw) * <usize>CS + <usize>c) << 2);
          for (let j = 0; j < run; j += NR) {
            v128.store(d, v128.load(src));
            v128.store(d, v128.load(src, 16), 16);
            src += NR * 4;
            d += panelStep;
          }
        } else {
          for (let j = 0; j < run; j += NR) {
            v128.store(d, f32x4.splat(0));
            v128.store(d, f32x4.splat(0), 16);
            d += panelStep;
          }
        }
        i += run;
        c = 0;
        if (++kw == KW) { kw = 0; kh++; }
      }
      if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
    }
    return;
  }
  for (let jr = 0; jr < nc; jr += NR) {
    const i0 = jc + jr;
    const c0 = i0 % C;
    const t0 = i0 / C;
    const together = i0 + NR <= Kc && c0 + NR <= C;
    let ow = pc % OW;
    let t = pc / OW;
    let oh = t % OH;
    let n = t / OH;
    let d = dst + <usize>(jr / NR) * b_panel_stride(kc);
    if (together) {
      const offH = (t0 / KW) * dh - pt;
      const offW = (t0 % KW) * dw - pl;
      const cOff = <usize>c0 << 2;
      for (let k = 0; k < kc; k++) {
        const ih = oh * sh + offH;
        const iw = ow * sw + offW;
        let v0 = f32x4.splat(0);
        let v1 = f32x4.splat(0);
        if (<u32>ih < <u32>H && <u32>iw < <u32>W) {
          const src = x + <usize>n * imageBytes + ((<usize>(ih * W + iw) * <usize>CS) << 2) + cOff;
          v0 = v128.load(src);
          v1 = v128.load(src, 16);
        }
        v128.store(d, v0);
        v128.store(d, v1, 16);
        d += NR * 4;
        if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
      }
    } else {
      // Columns from different taps (C not a multiple of 8): the column geometry goes to `tmp` once per
      // panel — window offset (row, column) and channel byte offset — so the pixel loop has no divisions.
      for (let r = 0; r < NR; r++) {
        const i = i0 + r;
        const tt = i / C;
        const o = <usize>r << 2;
        store<i32>(tmp + o, i < Kc ? (tt / KW) * dh - pt : -0x40000000);
        store<i32>(tmp + o, (tt % KW) * dw - pl, NR * 4);
        store<i32>(tmp + o, (i % C) << 2, NR * 8);
      }
      for (let k = 0; k < kc; k++) {
        const ohs = oh * sh;
        const ows = ow * sw;
        const image = x + <usize>n * imageBytes;
        for (let r = 0; r < NR; r++) {
          const o = <usize>r << 2;
          const ih = ohs + load<i32>(tmp + o);
          const iw = ows + load<i32>(tmp + o, NR * 4);
          let v: f32 = 0;
          if (<u32>ih < <u32>H && <u32>iw < <u32>W) {
            v = load<f32>(image + ((<usize>(ih * W + iw) * <usize>CS) << 2) + <usize>load<i32>(tmp + o, NR * 8));
          }
          store<f32>(d + o, v);
        }
        d += NR * 4;
        if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; n++; } }
      }
    }
  }
}

// ---- the micro-kernel ----

// Rows c0..c3 (8 floats each) of a 4×8 tile = a-panel · b-panel over kc (+ the rows when `add`) (+ bias[0..8]
// when bias != 0). Rows are separate pointers so col2im can send each to its own place.
function kernel_4x8(a: usize, b: usize, kc: i32, c: usize, c1: usize, c2: usize, c3: usize, add: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    a += 16;
    b += 32;
  }
  store_tile(c00, c01, c10, c11, c20, c21, c30, c31, c, c1, c2, c3, add, bias);
}

// kernel_4x8 with A read in place: rows a0..a3 of a row-major matrix, kc consecutive floats each (the same
// products in the same order as from a packed panel, so the same bits).
function kernel_4x8_rows(a0: usize, a1: usize, a2: usize, a3: usize, b: usize, kc: i32,
                         c: usize, c1: usize, c2: usize, c3: usize, add: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = b + (<usize>kc << 5);
  while (b < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a0);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a1);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a2);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a3);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    a0 += 4; a1 += 4; a2 += 4; a3 += 4;
    b += 32;
  }
  store_tile(c00, c01, c10, c11, c20, c21, c30, c31, c, c1, c2, c3, add, bias);
}

// kernel_4x8 with its operands read where they lie: rows a0..a3 of A, the next k aStep bytes on (4 along a
// row-major row, lda·4 down a transposed one), and B's eight columns from b, the next k bStep bytes on (a
// packed panel's 32, or a row-major B's ldb·4). The same products in the same order as from packed panels,
// so the same bits.
function kernel_4x8_strided(a0: usize, a1: usize, a2: usize, a3: usize, aStep: usize, b: usize, bStep: usize, kc: i32,
                            c: usize, c1: usize, c2: usize, c3: usize, add: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = b + <usize>kc * bStep;
  while (b < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a0);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(a1);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(a2);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(a3);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    a0 += aStep; a1 += aStep; a2 += aStep; a3 += aStep;
    b += bStep;
  }
  store_tile(c00, c01, c10, c11, c20, c21, c30, c31, c, c1, c2, c3, add, bias);
}

// The rows past the last whole tile of MR (M % MR of them) one at a time: the 4-row kernel would compute four
// (the MNIST convnet's batch-1 Winograd products have 9 tiles, 4 + 4 + 1 rows: the ninth cost as much as
// four, ~30 % of the conv). The same products in the same order as a row of kernel_4x8, so the same bits.
// Operands as in kernel_4x8_strided.
function kernel_1x8_strided(a0: usize, aStep: usize, b: usize, bStep: usize, kc: i32, c: usize, add: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  const end = b + <usize>kc * bStep;
  while (b < end) {
    const av = v128.load32_splat(a0);
    c00 = madd(av, v128.load(b), c00); c01 = madd(av, v128.load(b, 16), c01);
    a0 += aStep;
    b += bStep;
  }
  store_row(c00, c01, c, add, bias);
}

// kernel_1x8_strided across four panels (32 columns, panelStep bytes from one panel to the next): eight
// sums in flight hide the adds' latency, which two alone wait on (one row per k is load-bound either way).
function kernel_1x32_strided(a0: usize, aStep: usize, b: usize, panelStep: usize, bStep: usize, kc: i32,
                             c: usize, add: bool, bias: usize): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  const b1 = b + panelStep, b2 = b + 2 * panelStep, b3 = b + 3 * panelStep;
  const end = <usize>kc * bStep;
  for (let k: usize = 0; k < end; k += bStep) {
    const av = v128.load32_splat(a0);
    s0 = madd(av, v128.load(b + k), s0); s1 = madd(av, v128.load(b + k, 16), s1);
    s2 = madd(av, v128.load(b1 + k), s2); s3 = madd(av, v128.load(b1 + k, 16), s3);
    s4 = madd(av, v128.load(b2 + k), s4); s5 = madd(av, v128.load(b2 + k, 16), s5);
    s6 = madd(av, v128.load(b3 + k), s6); s7 = madd(av, v128.load(b3 + k, 16), s7);
    a0 += aStep;
  }
  store_row(s0, s1, c, add, bias);
  store_row(s2, s3, c + 32, add, bias ? bias + 32 : 0);
  store_row(s4, s5, c + 64, add, bias ? bias + 64 : 0);
  store_row(s6, s7, c + 96, add, bias ? bias + 96 : 0);
}

// One row's 8 sums (+ bias) (+ what is in C, `add`) into c: store_tile's adds in its order.
@inline function store_row(s0: v128, s1: v128, c: usize, add: bool, bias: usize): void {
  if (bias) {
    s0 = f32x4.add(s0, v128.load(bias)); s1 = f32x4.add(s1, v128.load(bias, 16));
  }
  if (add) {
    s0 = f32x4.add(s0, v128.load(c)); s1 = f32x4.add(s1, v128.load(c, 16));
  }
  v128.store(c, s0); v128.store(c, s1, 16);
}

// Rows of an edge tile's sums in the edge buffer (NR floats apart) into their nr columns of C.
function edge_to_c(edge: usize, c: usize, ldcBytes: usize, rows: i32, nr: i32, add: bool, bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const src = edge + (<usize>(r * NR) << 2);
    const dst = c + <usize>r * ldcBytes;
    for (let j = 0; j < nr; j++) {
      let v = load<f32>(src + (<usize>j << 2));
      if (add) v += load<f32>(dst + (<usize>j << 2));
      if (bias) v += load<f32>(bias + (<usize>j << 2));
      store<f32>(dst + (<usize>j << 2), v);
    }
  }
}

// A 4x8 tile's sums (+ bias) (+ what is in C, `add`) into rows c..c3.
@inline function store_tile(c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
                            c: usize, c1: usize, c2: usize, c3: usize, add: bool, bias: usize): void {
  if (bias) {
    const bv0 = v128.load(bias);
    const bv1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, bv0); c01 = f32x4.add(c01, bv1);
    c10 = f32x4.add(c10, bv0); c11 = f32x4.add(c11, bv1);
    c20 = f32x4.add(c20, bv0); c21 = f32x4.add(c21, bv1);
    c30 = f32x4.add(c30, bv0); c31 = f32x4.add(c31, bv1);
  }
  if (add) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16));
    c20 = f32x4.add(c20, v128.load(c2)); c21 = f32x4.add(c21, v128.load(c2, 16));
    c30 = f32x4.add(c30, v128.load(c3)); c31 = f32x4.add(c31, v128.load(c3, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

// ---- the driver ----

// Scratch for gemm_run with C = COL2IM: the address table, the dummy row (c floats), then the packing.
export function gemm_col2im_scratch_bytes(M: i32, N: i32, K: i32, KH: i32, KW: i32, c: i32): i32 {
  return col2im_table_bytes(KH, KW) + c * 4 + gemm_run_scratch_bytes(M, N, K) + 128;
}

// C (M,N) = [C +] op(A)·op(B) [+ bias], then act. Each operand is described by its kind (conv-geometry.ts):
//   A  MATRIX: a (M,lda) or, transposed, (K,lda)      IM2COL: the im2col matrix of the conv `geom`
//   B  MATRIX: b (K,ldb) or, transposed, (N,ldb)      IM2COL: likewise (rows pixels, columns (kh,kw,c))
//   C  MATRIX: c (M,ldc)                              COL2IM: scatter-add into the conv input gradient c
//                                                     (zeroed by the caller; needs geom.c % NR == 0)
// `scratch` holds gemm_run_scratch_bytes(M, N, K) bytes (gemm_col2im_scratch_bytes for COL2IM).
// count > 1 (MATRIX and PACKED operands): that many products of these sizes, a, b and c each aNext, bNext,
// cNext bytes on from the last (Winograd's 16 or 36 per block of tiles): the set-up once, not per product
// (0.3-0.8 µs of a batch-1 range of 6-30 µs).
export function gemm_run(M: i32, N: i32, K: i32,
                         aKind: i32, a: usize, lda: i32, transA: bool,
                         bKind: i32, b: usize, ldb: i32, transB: bool,
                         cKind: i32, c: usize, ldc: i32, accumulate: bool,
                         bias: usize, act: i32, alpha: f32, geom: usize, scratch: usize,
                         count: i32 = 1, aNext: usize = 0, bNext: usize = 0, cNext: usize = 0): void {
  if (M <= 0 || N <= 0) return;
  const g = changetype<Im2col>(geom);
  const ldcBytes = <usize>ldc << 2;
  if (K <= 0) {
    // No products: C = [C] + bias.
    for (let i = 0; i < M; i++) {
      const row = c + <usize>i * ldcBytes;
      if (!accumulate) memory.fill(row, 0, <usize>N << 2);
      if (bias) for (let j = 0; j < N; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) + load<f32>(bias + (<usize>j << 2)));
      if (act) activation_forward_f32(row, row, N, act, alpha);
    }
    return;
  }
  let table: usize = 0;
  let dummy: usize = 0;
  if (cKind == COL2IM) {
    table = (scratch + 63) & ~<usize>63;
    dummy = table + <usize>col2im_table_bytes(g.kh, g.kw);
    scratch = dummy + (<usize>g.c << 2);
  }
  const KC = kc_for(K);
  // A read where it lies (kernel_4x8_strided) when it is a plain matrix of one block of rows and one slice of
  // k — Winograd's products: V_ξ, Ŷ_ξ (36 tiles by 32-64) and V_ξᵀ — and B too when it is a plain matrix of
  // whole panels and k is short (Ŷ_ξ in dU_ξ += V_ξᵀ·Ŷ_ξ, 36 deep): packing them cost ~5 % of the MNIST
  // convnet's training step, and the few rows are read from L1 alike. (Transposed, each k of A is a row of
  // its own, and each k of B one in place: k short keeps them in L1.)
  const aInPlace = aKind == MATRIX && cKind != COL2IM && M <= MC && K <= (transA ? IN_PLACE_K : KC_MAX);
  const bInPlace = aInPlace && bKind == MATRIX && !transB && N % NR == 0 && K <= IN_PLACE_K;
  const aRow: usize = transA ? 4 : <usize>lda << 2; // from a row of A to the next
  const aStep: usize = transA ? <usize>lda << 2 : 4; // from a k of A to the next
  const bStep: usize = bInPlace ? <usize>ldb << 2 : NR * 4;
  const edge = (scratch + 63) & ~<usize>63;
  const packA = edge + EDGE_BYTES;
  const packB = packA + <usize>round_up(round_up(min(M, MC), MR) * KC * 4, 64);
  for (let q = 0; q < count; q++, a += aNext, b += bNext, c += cNext) // each product (one, but for count > 1)
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      // PACKED: b holds all N columns' panels (gemm_pack_b, one slice), ready to read.
      const bBlock = bKind == PACKED ? b + <usize>(jc / NR) * b_panel_stride(kc) : bInPlace ? b + (<usize>jc << 2) : packB;
      if (bKind == IM2COL) pack_b_im2col(g, pc, kc, jc, nc, packB, edge);
      else if (bKind != PACKED && !bInPlace) pack_b(b, ldb, transB, pc, kc, jc, nc, packB);
      const add = pc > 0 || accumulate;
      const last = pc + kc >= K;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        if (aKind == IM2COL) pack_a_im2col(g, ic, mc, M, pc, kc, packA);
        else if (!aInPlace) pack_a_matrix(a, lda, transA, ic, mc, M, pc, kc, packA);
        if (cKind == COL2IM) {
          col2im_rows(g, table, dummy, c, ic, mc);
          for (let jr = 0; jr < nc; jr += NR) {
            const bPanel = bBlock + <usize>(jr / NR) * b_panel_stride(kc);
            const i0 = jc + jr;
            const cOff = <usize>(i0 % g.c) << 2;
            const rowsOfTap = table + (<usize>((i0 / g.c) * MC) << 2);
            for (let ir = 0; ir < mc; ir += MR) {
              const t = rowsOfTap + (<usize>ir << 2);
              kernel_4x8(packA + (<usize>ir * <usize>kc << 2), bPanel, kc,
                         <usize>load<u32>(t) + cOff, <usize>load<u32>(t, 4) + cOff,
                         <usize>load<u32>(t, 8) + cOff, <usize>load<u32>(t, 12) + cOff, true, 0);
            }
          }
          continue;
        }
        const cBlock = c + <usize>ic * ldcBytes + (<usize>jc << 2);
        // Rows in whole tiles of MR; the rest (mc % MR) one at a time after them.
        const tiled = mc - mc % MR;
        const panelStep: usize = bInPlace ? NR * 4 : b_panel_stride(kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bPanel = bBlock + <usize>(jr / NR) * panelStep;
          const biasJ: usize = last && bias ? bias + (<usize>(jc + jr) << 2) : 0;
          for (let ir = 0; ir < tiled; ir += MR) {
            const aPanel = packA + (<usize>ir * <usize>kc << 2);
            const cTile = cBlock + <usize>ir * ldcBytes + (<usize>jr << 2);
            // A full tile goes to C (adding, bias); an edge tile to the edge buffer, then its columns into C.
            const full = nr == NR;
            const t0 = full ? cTile : edge;
            const step: usize = full ? ldcBytes : NR * 4;
            if (aInPlace) {
              const a0 = a + <usize>(ic + ir) * aRow;
              const a1 = a0 + aRow, a2 = a0 + 2 * aRow, a3 = a0 + 3 * aRow;
              if (transA || bInPlace) {
                kernel_4x8_strided(a0, a1, a2, a3, aStep, bPanel, bStep, kc, t0, t0 + step, t0 + 2 * step, t0 + 3 * step,
                                   full && add, full ? biasJ : 0);
              } else {
                kernel_4x8_rows(a0, a1, a2, a3, bPanel, kc, t0, t0 + step, t0 + 2 * step, t0 + 3 * step, full && add, full ? biasJ : 0);
              }
            } else {
              kernel_4x8(aPanel, bPanel, kc, t0, t0 + step, t0 + 2 * step, t0 + 3 * step, full && add, full ? biasJ : 0);
            }
            if (!full) edge_to_c(edge, cTile, ldcBytes, MR, nr, add, biasJ);
          }
        }
        // The rows left, each across four panels at a time (32 columns: eight sums in flight), then one.
        for (let r = tiled; r < mc; r++) {
          // Row r of A where it lies, or in its packed panel (MR floats per k).
          const aRowAt = aInPlace ? a + <usize>(ic + r) * aRow : packA + (<usize>tiled * <usize>kc << 2) + (<usize>(r - tiled) << 2);
          const kStep: usize = aInPlace ? aStep : MR * 4;
          const cRow = cBlock + <usize>r * ldcBytes;
          let jr = 0;
          for (; jr + 4 * NR <= nc; jr += 4 * NR) {
            kernel_1x32_strided(aRowAt, kStep, bBlock + <usize>(jr / NR) * panelStep, panelStep, bStep, kc,
                                cRow + (<usize>jr << 2), add, last && bias ? bias + (<usize>(jc + jr) << 2) : 0);
          }
          for (; jr < nc; jr += NR) {
            const nr = min(NR, nc - jr);
            const biasJ: usize = last && bias ? bias + (<usize>(jc + jr) << 2) : 0;
            const bPanel = bBlock + <usize>(jr / NR) * panelStep;
            if (nr == NR) kernel_1x8_strided(aRowAt, kStep, bPanel, bStep, kc, cRow + (<usize>jr << 2), add, biasJ);
            else {
              kernel_1x8_strided(aRowAt, kStep, bPanel, bStep, kc, edge, false, 0);
              edge_to_c(edge, cRow + (<usize>jr << 2), ldcBytes, 1, nr, add, biasJ);
            }
          }
        }
        // The activation once the block's sums are complete, a row of the block per call (still in cache).
        if (last && act) {
          for (let r = 0; r < mc; r++) {
            const row = cBlock + <usize>r * ldcBytes;
            activation_forward_f32(row, row, nc, act, alpha);
          }
        }
      }
    }
  }
}

// c (1,N) = [c +] a · b (K,N) [+ bias], then act, for one row (a batch-1 dense layer): b is read once in
// place, 32 columns at a time (then the rest), instead of being packed into panels for a single row — the
// packing alone cost more than the product. `aStep` is the byte distance between consecutive a values.
// Columns go 32 at a time first: eight accumulators, enough independent adds to hide their latency, and
// 128 bytes of each b row read at once (8 columns used half of each cache line and streamed b twice). The
// columns left over go in groups of four (the last one 1..3 wide) with four interleaved partial sums each
// (k mod 4), two groups a pass (a dense 1600→10's two scalar columns took as long as its eight others). A
// column's arithmetic depends only on whether it lies below N's last multiple of 32, so parts split at
// multiples of 32 (threads, src/ops/gemm.ts) give bitwise the same values.
function gemv_row_f32(N: i32, K: i32, a: usize, aStep: usize, b: usize, ldb: i32, c: usize, accumulate: bool,
                      bias: usize, act: i32, alpha: f32): void {
  const row = <usize>ldb << 2;
  let j = 0;
  for (; j + 32 <= N; j += 32) {
    const cj = c + (<usize>j << 2);
    const z = f32x4.splat(0);
    let c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
    if (accumulate) {
      c0 = v128.load(cj); c1 = v128.load(cj, 16); c2 = v128.load(cj, 32); c3 = v128.load(cj, 48);
      c4 = v128.load(cj, 64); c5 = v128.load(cj, 80); c6 = v128.load(cj, 96); c7 = v128.load(cj, 112);
    }
    let p = b + (<usize>j << 2);
    let q = a;
    for (let k = 0; k < K; k++) {
      const av = f32x4.splat(load<f32>(q));
      c0 = madd(av, v128.load(p), c0);
      c1 = madd(av, v128.load(p, 16), c1);
      c2 = madd(av, v128.load(p, 32), c2);
      c3 = madd(av, v128.load(p, 48), c3);
      c4 = madd(av, v128.load(p, 64), c4);
      c5 = madd(av, v128.load(p, 80), c5);
      c6 = madd(av, v128.load(p, 96), c6);
      c7 = madd(av, v128.load(p, 112), c7);
      p += row;
      q += aStep;
    }
    v128.store(cj, c0); v128.store(cj, c1, 16); v128.store(cj, c2, 32); v128.store(cj, c3, 48);
    v128.store(cj, c4, 64); v128.store(cj, c5, 80); v128.store(cj, c6, 96); v128.store(cj, c7, 112);
  }
  // The columns left (< 32) in groups of four, each summing its K products in four interleaved partial sums
  // (k mod 4, the K % 4 last ones into the first): two groups a pass over b's rows while there are eight
  // columns (eight chains hide the adds' latency), then one; a last group of 1..3 columns is the four columns
  // ending at N where four or more are left (those before it get the same bits again; not with accumulate),
  // else lanes past N read as 0 and are not stored.
  const left = N - j;
  if (left > 8 && left <= 12 && !accumulate) {
    // 9..12 columns (a 10-class head): one pass over b's rows for groups at j, j + 4 and the four ending at
    // N, not two passes (1600→10: 1.8 against 2.4 µs).
    gemv_three(K, a, aStep, b + (<usize>j << 2), row, c + (<usize>j << 2), <usize>(left - 4) << 2);
    j = N;
  }
  for (; j + 8 <= N; j += 8) gemv_groups(K, a, aStep, b + (<usize>j << 2), row, c + (<usize>j << 2), accumulate, 4, 4);
  if (j + 4 <= N) {
    gemv_groups(K, a, aStep, b + (<usize>j << 2), row, c + (<usize>j << 2), accumulate, 4, 0);
    j += 4;
  }
  if (j < N) {
    const back = left >= 4 && !accumulate ? 4 - (N - j) : 0;
    const at = <usize>(j - back) << 2;
    gemv_groups(K, a, aStep, b + at, row, c + at, accumulate, N - j + back, 0);
  }
  // The bias once the sums are complete (the same adds as in the loops: sum, then bias).
  if (bias) for (let i = 0; i < N; i++) store<f32>(c + (<usize>i << 2), load<f32>(c + (<usize>i << 2)) + load<f32>(bias + (<usize>i << 2)));
  if (act) activation_forward_f32(c, c, N, act, alpha);
}

// One pass of gemv_row_f32 over b's rows for one or two groups of four columns at b (n0, n1 lanes: 4, or
// 1..3 with the lanes past them read as 0 and not stored; n1 = 0: one group).
function gemv_groups(K: i32, a: usize, aStep: usize, b: usize, row: usize, c: usize, accumulate: bool,
                             n0: i32, n1: i32): void {
  const z = f32x4.splat(0);
  let s0 = z, t0 = z, u0 = z, v0 = z, s1 = z, t1 = z, u1 = z, v1 = z;
  let p = b;
  let q = a;
  let k = 0;
  if (n1 == 4) {
    for (; k + 4 <= K; k += 4) {
      const a0 = f32x4.splat(load<f32>(q)), a1 = f32x4.splat(load<f32>(q + aStep));
      const a2 = f32x4.splat(load<f32>(q + 2 * aStep)), a3 = f32x4.splat(load<f32>(q + 3 * aStep));
      s0 = madd(a0, v128.load(p), s0); t0 = madd(a1, v128.load(p + row), t0);
      u0 = madd(a2, v128.load(p + 2 * row), u0); v0 = madd(a3, v128.load(p + 3 * row), v0);
      s1 = madd(a0, v128.load(p, 16), s1); t1 = madd(a1, v128.load(p + row, 16), t1);
      u1 = madd(a2, v128.load(p + 2 * row, 16), u1); v1 = madd(a3, v128.load(p + 3 * row, 16), v1);
      p += 4 * row;
      q += 4 * aStep;
    }
  } else if (n0 == 4) {
    for (; k + 4 <= K; k += 4) {
      s0 = madd(f32x4.splat(load<f32>(q)), v128.load(p), s0);
      t0 = madd(f32x4.splat(load<f32>(q + aStep)), v128.load(p + row), t0);
      u0 = madd(f32x4.splat(load<f32>(q + 2 * aStep)), v128.load(p + 2 * row), u0);
      v0 = madd(f32x4.splat(load<f32>(q + 3 * aStep)), v128.load(p + 3 * row), v0);
      p += 4 * row;
      q += 4 * aStep;
    }
  } else {
    for (; k + 4 <= K; k += 4) {
      s0 = madd(f32x4.splat(load<f32>(q)), ldk(p, n0), s0);
      t0 = madd(f32x4.splat(load<f32>(q + aStep)), ldk(p + row, n0), t0);
      u0 = madd(f32x4.splat(load<f32>(q + 2 * aStep)), ldk(p + 2 * row, n0), u0);
      v0 = madd(f32x4.splat(load<f32>(q + 3 * aStep)), ldk(p + 3 * row, n0), v0);
      p += 4 * row;
      q += 4 * aStep;
    }
  }
  for (; k < K; k++) {
    const av = f32x4.splat(load<f32>(q));
    s0 = madd(av, ldk(p, n0), s0);
    if (n1) s1 = madd(av, v128.load(p, 16), s1);
    p += row;
    q += aStep;
  }
  s0 = f32x4.add(f32x4.add(s0, t0), f32x4.add(u0, v0));
  stk(c, n0, accumulate ? f32x4.add(ldk(c, n0), s0) : s0);
  if (n1) {
    s1 = f32x4.add(f32x4.add(s1, t1), f32x4.add(u1, v1));
    stk(c + 16, 4, accumulate ? f32x4.add(v128.load(c, 16), s1) : s1);
  }
}

// Three groups of four columns at b, b + 16 and b + o3 bytes (o3: 20..32; the third may overlap the second:
// those columns get the same bits twice) into c (overwritten), each column summing its K products in two
// interleaved partial sums (k mod 2, the last odd one into the first): six chains, where gemv_groups' four per
// group made twelve, and their accumulators spilled (slower than two passes).
function gemv_three(K: i32, a: usize, aStep: usize, b: usize, row: usize, c: usize, o3: usize): void {
  const z = f32x4.splat(0);
  let s0 = z, t0 = z, s1 = z, t1 = z, s2 = z, t2 = z;
  let p = b;
  let q = a;
  let k = 0;
  for (; k + 2 <= K; k += 2) {
    const a0 = f32x4.splat(load<f32>(q)), a1 = f32x4.splat(load<f32>(q + aStep));
    const p1 = p + row;
    s0 = madd(a0, v128.load(p), s0); t0 = madd(a1, v128.load(p1), t0);
    s1 = madd(a0, v128.load(p, 16), s1); t1 = madd(a1, v128.load(p1, 16), t1);
    s2 = madd(a0, v128.load(p + o3), s2); t2 = madd(a1, v128.load(p1 + o3), t2);
    p += 2 * row;
    q += 2 * aStep;
  }
  if (k < K) {
    const av = f32x4.splat(load<f32>(q));
    s0 = madd(av, v128.load(p), s0);
    s1 = madd(av, v128.load(p, 16), s1);
    s2 = madd(av, v128.load(p + o3), s2);
  }
  v128.store(c, f32x4.add(s0, t0));
  v128.store(c, f32x4.add(s1, t1), 16);
  v128.store(c + o3, f32x4.add(s2, t2));
}

// c (M,N) = [c +] op(a) (M,K) · op(b) (K,N) [+ bias (N)], then activation `act`. Leading dimensions in floats:
// a is (M,lda) or, transposed, (K,lda); b is (K,ldb) or (N,ldb); c is (M,ldc). bias = 0 means none.
export function gemm_f32(M: i32, N: i32, K: i32, a: usize, lda: i32, transA: bool, b: usize, ldb: i32, transB: bool,
                         c: usize, ldc: i32, accumulate: bool, bias: usize, act: i32, alpha: f32, scratch: usize): void {
  if (M == 1 && !transB && N > 0) {
    gemv_row_f32(N, K, a, transA ? <usize>lda << 2 : 4, b, ldb, c, accumulate, bias, act, alpha);
    return;
  }
  gemm_run(M, N, K, MATRIX, a, lda, transA, MATRIX, b, ldb, transB, MATRIX, c, ldc, accumulate, bias, act, alpha, 0, scratch);
}
