// Direct conv2d (no im2col packing) for inputs with few channels — first layers, where K = KH·KW·C is
// small and packing im2col panels costs as much as the products. Vectorised over filters: w rows
// (KH,KW,C,F) are contiguous in F, so eight filters are two f32x4 and each x value is one splat.
// x is (N,H,W,C), w (KH,KW,C,F), y and dy (N,OH,OW,F). F is padded to a multiple of 8 in scratch copies
// (w and bias for the forward, dy rows for dw), so the loops never branch on filter edges.
import { madd } from './simd';
import { activation_forward_f32 } from './activations';
import { activate_f32x4, ACT_RELU, ACT_RELU6, ACT_LEAKY_RELU } from './activation-math';

@inline function round8(n: i32): i32 {
  return (n + 7) & ~7;
}

@inline function align64(p: usize): usize {
  return (p + 63) & ~<usize>63;
}

// Stores eight values (v0, v1) at p, or only the first n of them (lanes by constant index: no shuffles).
@inline function store8(p: usize, v0: v128, v1: v128, n: i32): void {
  if (n >= 8) {
    v128.store(p, v0);
    v128.store(p, v1, 16);
    return;
  }
  if (n >= 4) {
    v128.store(p, v0);
    store_lanes(p + 16, v1, n - 4);
  } else store_lanes(p, v0, n);
}

// The first n (0..3) lanes of v at p.
@inline function store_lanes(p: usize, v: v128, n: i32): void {
  if (n >= 1) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n >= 2) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n >= 3) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// ---- forward ----

// Rows and columns of the input the forward reads: every window inside, padding included.
@inline function padded_extent(O: i32, stride: i32, K: i32, dilation: i32): i32 {
  return (O - 1) * stride + (K - 1) * dilation + 1;
}

export function conv2d_direct_forward_scratch_bytes(C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                                    sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  const padded = padded_extent(OH, sh, KH, dh) * padded_extent(OW, sw, KW, dw) * C;
  // 2 rows: a fused pool's input; K offsets: the pooled tile's taps.
  return ((KH * KW * C + 1) * round8(F) + padded + 2 * OW * F + KH * KW * C) * 4 + 320;
}

// y = act(conv(x, w) + b), b = 0 for none. With padding, each image is first copied into a zero-bordered
// one (cheap for few channels), so every window lies inside and no pixel needs bounds checks. Pixels go
// four at a time (a 4-pixel × 8-filter tile, eight accumulators); a row's last group overlaps the one
// before it when OW % 4 != 0 (a few pixels computed twice, same values).
// pool2 = true: y is (N, OH/2, OW/2, F), act(conv) max-pooled 2x2 with stride 2 (no padding; a last odd
// row or column is dropped, as the pool layer drops it): each pair of conv rows goes to two scratch rows
// (still in cache) and is pooled from there, so the full-size output never reaches memory. The max is taken
// as the pool kernel takes it (pmax from -inf in scan order), so the result is the unfused one bit for bit.
// argmax ≠ 0 (training): also each pooled value's winner, as maxpool3d_forward_f32 records it — the element
// index of the winning cell in the conv's (N, OH, OW, F) output, counted from `indexBase` (a thread's part).
export function conv2d_direct_forward(x: usize, w: usize, b: usize, y: usize,
                                      N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                      sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                      act: i32, alpha: f32, scratch: usize, pool2: bool = false,
                                      argmax: usize = 0, indexBase: i32 = 0): void {
  const F8 = round8(F);
  const K = KH * KW * C;
  // wp (K, F8) zero-padded copy of w, then the padded bias, then the padded image.
  const wp = align64(scratch);
  const bp = wp + (<usize>K * <usize>F8 << 2);
  const xp = align64(bp + (<usize>F8 << 2));
  for (let k = 0; k < K; k++) {
    const d = wp + (<usize>k * <usize>F8 << 2);
    memory.fill(d, 0, <usize>F8 << 2);
    memory.copy(d, w + (<usize>k * <usize>F << 2), <usize>F << 2);
  }
  memory.fill(bp, 0, <usize>F8 << 2);
  if (b) memory.copy(bp, b, <usize>F << 2);
  const HP = padded_extent(OH, sh, KH, dh);
  const WP = padded_extent(OW, sw, KW, dw);
  const copy = pt > 0 || pl > 0 || HP > H || WP > W;
  const wRow = <usize>F8 << 2;           // bytes from one (kh,kw,c) row of wp to the next
  const pixelBytes = <usize>C << 2;
  const rowBytes = (copy ? <usize>WP : <usize>W) * pixelBytes;
  const imageBytes = <usize>H * <usize>W * pixelBytes;
  // With column dilation 1, a kernel row's KW·C inputs are one contiguous run in x.
  const runLen = dw == 1 ? KW * C : C;
  const runs = dw == 1 ? 1 : KW;
  const runStep = <usize>dw * pixelBytes;
  const tapDown = <usize>dh * rowBytes;
  const pStep = <usize>sw * pixelBytes; // from one output pixel's window to the next one's
  const yPixel = <usize>F << 2;
  // relu, relu6 and leakyRelu are applied in the 4-pixel tile (every pixel takes it when OW >= 4).
  const fused = OW >= 4 && act >= ACT_RELU && act <= ACT_LEAKY_RELU;
  const rows = align64(xp + <usize>HP * <usize>WP * pixelBytes); // pool2: two conv rows
  const rowsComputed = pool2 ? OH & ~1 : OH;
  // A pool after a conv with no activation or a clamp one: the tiles are pooling windows (pool_tiles), pooled
  // in registers; the conv rows never reach scratch.
  const poolTiles = pool2 && OH >= 2 && OW >= 2 && (act == 0 || (act >= ACT_RELU && act <= ACT_LEAKY_RELU));
  const taps = align64(rows + (<usize>(2 * OW * F) << 2)); // poolTiles: byte offset of each tap in the window
  if (poolTiles) {
    for (let k = 0; k < K; k++) {
      const c = k % C, t = k / C;
      store<u32>(taps + (<usize>k << 2), <u32>(<usize>((t / KW) * dh) * rowBytes + <usize>((t % KW) * dw) * pixelBytes + (<usize>c << 2)));
    }
  }
  for (let n = 0; n < N; n++) {
    let image = x + <usize>n * imageBytes;
    if (copy) {
      pad_image(image, xp, H, W, C, HP, WP, pt, pl);
      image = xp;
    }
    if (poolTiles) {
      pool_tiles(image, wp, bp, taps, K, y, argmax, indexBase, n, F, OH, OW, sh, sw, rowBytes, pixelBytes, act, alpha);
      continue;
    }
    for (let oh = 0; oh < rowsComputed; oh++) {
      const yRow = pool2 ? rows + <usize>(oh & 1) * <usize>OW * yPixel : y + (<usize>(n * OH + oh) * <usize>OW) * yPixel;
      const srcRow = image + <usize>(oh * sh) * rowBytes;
      let ow = 0;
      while (ow < OW) {
        if (OW - ow < 4 && OW >= 4) ow = OW - 4;
        const src0 = srcRow + <usize>(ow * sw) * pixelBytes;
        if (ow + 4 <= OW) {
          for (let f0 = 0; f0 < F; f0 += 8) {
            const bv0 = v128.load(bp + (<usize>f0 << 2));
            const bv1 = v128.load(bp + (<usize>f0 << 2), 16);
            let a00 = bv0, a01 = bv1, a10 = bv0, a11 = bv1, a20 = bv0, a21 = bv1, a30 = bv0, a31 = bv1;
            let wk = wp + (<usize>f0 << 2);
            let s = src0;
            for (let kh = 0; kh < KH; kh++) {
              let r = s;
              for (let q = 0; q < runs; q++) {
                let p = r;
                for (let j = 0; j < runLen; j++) {
                  const w0 = v128.load(wk);
                  const w1 = v128.load(wk, 16);
                  let xv = v128.load32_splat(p);
                  a00 = madd(xv, w0, a00); a01 = madd(xv, w1, a01);
                  xv = v128.load32_splat(p + pStep);
                  a10 = madd(xv, w0, a10); a11 = madd(xv, w1, a11);
                  xv = v128.load32_splat(p + 2 * pStep);
                  a20 = madd(xv, w0, a20); a21 = madd(xv, w1, a21);
                  xv = v128.load32_splat(p + 3 * pStep);
                  a30 = madd(xv, w0, a30); a31 = madd(xv, w1, a31);
                  p += 4;
                  wk += wRow;
                }
                r += runStep;
              }
              s += tapDown;
            }
            if (fused) {
              // One instruction or three per vector: cheaper here than a second pass over the row.
              if (act == ACT_RELU) {
                a00 = activate_f32x4(a00, ACT_RELU, 0); a01 = activate_f32x4(a01, ACT_RELU, 0);
                a10 = activate_f32x4(a10, ACT_RELU, 0); a11 = activate_f32x4(a11, ACT_RELU, 0);
                a20 = activate_f32x4(a20, ACT_RELU, 0); a21 = activate_f32x4(a21, ACT_RELU, 0);
                a30 = activate_f32x4(a30, ACT_RELU, 0); a31 = activate_f32x4(a31, ACT_RELU, 0);
              } else if (act == ACT_RELU6) {
                a00 = activate_f32x4(a00, ACT_RELU6, 0); a01 = activate_f32x4(a01, ACT_RELU6, 0);
                a10 = activate_f32x4(a10, ACT_RELU6, 0); a11 = activate_f32x4(a11, ACT_RELU6, 0);
                a20 = activate_f32x4(a20, ACT_RELU6, 0); a21 = activate_f32x4(a21, ACT_RELU6, 0);
                a30 = activate_f32x4(a30, ACT_RELU6, 0); a31 = activate_f32x4(a31, ACT_RELU6, 0);
              } else {
                a00 = activate_f32x4(a00, ACT_LEAKY_RELU, alpha); a01 = activate_f32x4(a01, ACT_LEAKY_RELU, alpha);
                a10 = activate_f32x4(a10, ACT_LEAKY_RELU, alpha); a11 = activate_f32x4(a11, ACT_LEAKY_RELU, alpha);
                a20 = activate_f32x4(a20, ACT_LEAKY_RELU, alpha); a21 = activate_f32x4(a21, ACT_LEAKY_RELU, alpha);
                a30 = activate_f32x4(a30, ACT_LEAKY_RELU, alpha); a31 = activate_f32x4(a31, ACT_LEAKY_RELU, alpha);
              }
            }
            const nf = F - f0;
            const o = yRow + <usize>ow * yPixel + (<usize>f0 << 2);
            store8(o, a00, a01, nf);
            store8(o + yPixel, a10, a11, nf);
            store8(o + 2 * yPixel, a20, a21, nf);
            store8(o + 3 * yPixel, a30, a31, nf);
          }
          ow += 4;
          continue;
        }
        // Rows narrower than four pixels: one pixel at a time.
        for (let f0 = 0; f0 < F; f0 += 8) {
          let a0 = v128.load(bp + (<usize>f0 << 2));
          let a1 = v128.load(bp + (<usize>f0 << 2), 16);
          let wk = wp + (<usize>f0 << 2);
          for (let kh = 0; kh < KH; kh++) {
            for (let kw = 0; kw < KW; kw++) {
              let p = src0 + <usize>kh * tapDown + <usize>kw * runStep;
              for (let c = 0; c < C; c++) {
                const xv = v128.load32_splat(p);
                a0 = madd(xv, v128.load(wk), a0);
                a1 = madd(xv, v128.load(wk, 16), a1);
                p += 4;
                wk += wRow;
              }
            }
          }
          store8(yRow + <usize>ow * yPixel + (<usize>f0 << 2), a0, a1, F - f0);
        }
        ow++;
      }
      // Other activations once the row is complete (still in cache).
      if (act && !fused) activation_forward_f32(yRow, yRow, OW * F, act, alpha);
      if (pool2 && (oh & 1)) {
        const pooled = (n * (OH >> 1) + (oh >> 1)) * (OW >> 1) * F; // element index of the pooled row
        if (argmax) max_pool_rows_argmax(rows, y + (<usize>pooled << 2), argmax + (<usize>pooled << 2), indexBase + (n * OH + oh - 1) * OW * F, OW, F);
        else max_pool_rows(rows, y + (<usize>pooled << 2), OW, F);
      }
    }
  }
}

// Image n of conv2d_direct_forward with pool2 (act none, relu, relu6 or leakyRelu) from its (padded) pixels
// at `image`: each tile is one pooling window, 2x2 conv outputs × 8 filters in eight accumulators, the taps
// (kh, kw, c) in one flat loop over their byte offsets in the window (`taps`, K of them; w padded to 8 filters
// at wp, rows wRow apart, bias at bp), activated and pooled in registers. The same sums in the same order as
// the row loop, and the pool's pmax/argmax sequence of max4_argmax: the same y and argmax, bit for bit.
function pool_tiles(image: usize, wp: usize, bp: usize, taps: usize, K: i32, y: usize, argmax: usize, indexBase: i32,
                    n: i32, F: i32, OH: i32, OW: i32, sh: i32, sw: i32, rowBytes: usize, pixelBytes: usize,
                    act: i32, alpha: f32): void {
  const PH = OH >> 1, PW = OW >> 1;
  const right = <usize>sw * pixelBytes, down = <usize>sh * rowBytes; // from a window's first output to its others
  const wRow = <usize>round8(F) << 2;
  const yPixel = <usize>F << 2;
  const rowElems = OW * F;
  const ninf = f32x4.splat(-Infinity);
  for (let ph = 0; ph < PH; ph++) {
    for (let pw = 0; pw < PW; pw++) {
      const s = image + <usize>(2 * ph) * down + <usize>(2 * pw) * right;
      const pooled = <usize>((n * PH + ph) * PW + pw) * yPixel;
      const cell = indexBase + ((n * OH + 2 * ph) * OW + 2 * pw) * F; // the window's first cell, filter 0
      for (let f0 = 0; f0 < F; f0 += 8) {
        const bv0 = v128.load(bp + (<usize>f0 << 2));
        const bv1 = v128.load(bp + (<usize>f0 << 2), 16);
        let a00 = bv0, a01 = bv1, a10 = bv0, a11 = bv1, a20 = bv0, a21 = bv1, a30 = bv0, a31 = bv1;
        let wk = wp + (<usize>f0 << 2);
        for (let k = 0; k < K; k++) {
          const p = s + <usize>load<u32>(taps + (<usize>k << 2));
          const w0 = v128.load(wk);
          const w1 = v128.load(wk, 16);
          let xv = v128.load32_splat(p);
          a00 = madd(xv, w0, a00); a01 = madd(xv, w1, a01);
          xv = v128.load32_splat(p + right);
          a10 = madd(xv, w0, a10); a11 = madd(xv, w1, a11);
          xv = v128.load32_splat(p + down);
          a20 = madd(xv, w0, a20); a21 = madd(xv, w1, a21);
          xv = v128.load32_splat(p + down + right);
          a30 = madd(xv, w0, a30); a31 = madd(xv, w1, a31);
          wk += wRow;
        }
        if (act == ACT_RELU) {
          a00 = activate_f32x4(a00, ACT_RELU, 0); a01 = activate_f32x4(a01, ACT_RELU, 0);
          a10 = activate_f32x4(a10, ACT_RELU, 0); a11 = activate_f32x4(a11, ACT_RELU, 0);
          a20 = activate_f32x4(a20, ACT_RELU, 0); a21 = activate_f32x4(a21, ACT_RELU, 0);
          a30 = activate_f32x4(a30, ACT_RELU, 0); a31 = activate_f32x4(a31, ACT_RELU, 0);
        } else if (act == ACT_RELU6) {
          a00 = activate_f32x4(a00, ACT_RELU6, 0); a01 = activate_f32x4(a01, ACT_RELU6, 0);
          a10 = activate_f32x4(a10, ACT_RELU6, 0); a11 = activate_f32x4(a11, ACT_RELU6, 0);
          a20 = activate_f32x4(a20, ACT_RELU6, 0); a21 = activate_f32x4(a21, ACT_RELU6, 0);
          a30 = activate_f32x4(a30, ACT_RELU6, 0); a31 = activate_f32x4(a31, ACT_RELU6, 0);
        } else if (act == ACT_LEAKY_RELU) {
          a00 = activate_f32x4(a00, ACT_LEAKY_RELU, alpha); a01 = activate_f32x4(a01, ACT_LEAKY_RELU, alpha);
          a10 = activate_f32x4(a10, ACT_LEAKY_RELU, alpha); a11 = activate_f32x4(a11, ACT_LEAKY_RELU, alpha);
          a20 = activate_f32x4(a20, ACT_LEAKY_RELU, alpha); a21 = activate_f32x4(a21, ACT_LEAKY_RELU, alpha);
          a30 = activate_f32x4(a30, ACT_LEAKY_RELU, alpha); a31 = activate_f32x4(a31, ACT_LEAKY_RELU, alpha);
        }
        // The pool in max4_argmax's order: (0,0), (0,1), (1,0), (1,1).
        let b0 = f32x4.pmax(ninf, a00), b1 = f32x4.pmax(ninf, a01);
        const nf = F - f0;
        const o = pooled + (<usize>f0 << 2);
        if (argmax) {
          const i0 = i32x4.add(i32x4.splat(cell + f0), i32x4(0, 1, 2, 3));
          const i1 = i32x4.add(i0, i32x4.splat(4));
          let at0 = i0, at1 = i1; // the first cell wins unless beaten (so a window of NaN names it)
          const sF = i32x4.splat(F), sRow = i32x4.splat(rowElems), sBoth = i32x4.splat(rowElems + F);
          at0 = v128.bitselect(i32x4.add(i0, sF), at0, f32x4.gt(a10, b0)); b0 = f32x4.pmax(b0, a10);
          at1 = v128.bitselect(i32x4.add(i1, sF), at1, f32x4.gt(a11, b1)); b1 = f32x4.pmax(b1, a11);
          at0 = v128.bitselect(i32x4.add(i0, sRow), at0, f32x4.gt(a20, b0)); b0 = f32x4.pmax(b0, a20);
          at1 = v128.bitselect(i32x4.add(i1, sRow), at1, f32x4.gt(a21, b1)); b1 = f32x4.pmax(b1, a21);
          at0 = v128.bitselect(i32x4.add(i0, sBoth), at0, f32x4.gt(a30, b0)); b0 = f32x4.pmax(b0, a30);
          at1 = v128.bitselect(i32x4.add(i1, sBoth), at1, f32x4.gt(a31, b1)); b1 = f32x4.pmax(b1, a31);
          store8(argmax + o, at0, at1, nf);
        } else {
          b0 = f32x4.pmax(f32x4.pmax(f32x4.pmax(b0, a10), a20), a30);
          b1 = f32x4.pmax(f32x4.pmax(f32x4.pmax(b1, a11), a21), a31);
        }
        store8(y + o, b0, b1, nf);
      }
    }
  }
}

// out (OW/2, F) = the 2x2 stride-2 max over rows r (2, OW, F), in the pool kernel's order and arithmetic.
function max_pool_rows(r: usize, out: usize, OW: i32, F: i32): void {
  const rowBytes = <usize>OW * <usize>F << 2;
  const pixelBytes = <usize>F << 2;
  for (let j = 0; j < OW >> 1; j++) {
    const p = r + <usize>(2 * j) * pixelBytes;
    const o = out + <usize>j * pixelBytes;
    let f = 0;
    for (; f + 4 <= F; f += 4) max4(p, o, f, rowBytes, pixelBytes);
    if (f < F && F >= 4) {
      max4(p, o, F - 4, rowBytes, pixelBytes); // the tail as an overlapping 4-wide pass (same values again)
      f = F;
    }
    for (; f < F; f++) {
      const q = p + (<usize>f << 2);
      let best: f32 = -Infinity;
      const v0 = load<f32>(q), v1 = load<f32>(q + pixelBytes), v2 = load<f32>(q + rowBytes), v3 = load<f32>(q + rowBytes + pixelBytes);
      if (v0 > best) best = v0;
      if (v1 > best) best = v1;
      if (v2 > best) best = v2;
      if (v3 > best) best = v3;
      store<f32>(o + (<usize>f << 2), best);
    }
  }
}

// max_pool_rows with the winners: am (OW/2, F) gets the index of each maximum's cell, `first` being the index
// of rows r's first value (row 0, column 0, filter 0). Strict > in scan order keeps the first maximum, and a
// window with no number (all NaN) names its first cell, as maxpool3d_forward_f32 does.
function max_pool_rows_argmax(r: usize, out: usize, am: usize, first: i32, OW: i32, F: i32): void {
  const rowBytes = <usize>OW * <usize>F << 2;
  const pixelBytes = <usize>F << 2;
  for (let j = 0; j < OW >> 1; j++) {
    const p = r + <usize>(2 * j) * pixelBytes;
    const o = <usize>j * pixelBytes;
    const cell = first + 2 * j * F; // index of the window's first cell, filter 0
    let f = 0;
    for (; f + 4 <= F; f += 4) max4_argmax(p, out + o, am + o, f, cell, OW * F, rowBytes, pixelBytes, F);
    if (f < F && F >= 4) {
      max4_argmax(p, out + o, am + o, F - 4, cell, OW * F, rowBytes, pixelBytes, F);
      f = F;
    }
    for (; f < F; f++) {
      const q = p + (<usize>f << 2);
      let best: f32 = -Infinity;
      let at = cell + f;
      const v0 = load<f32>(q), v1 = load<f32>(q + pixelBytes), v2 = load<f32>(q + rowBytes), v3 = load<f32>(q + rowBytes + pixelBytes);
      if (v0 > best) { best = v0; at = cell + f; }
      if (v1 > best) { best = v1; at = cell + F + f; }
      if (v2 > best) { best = v2; at = cell + OW * F + f; }
      if (v3 > best) { best = v3; at = cell + OW * F + F + f; }
      store<f32>(out + o + (<usize>f << 2), best);
      store<i32>(am + o + (<usize>f << 2), at);
    }
  }
}

@inline function max4_argmax(p: usize, o: usize, a: usize, f: i32, cell: i32, rowElems: i32, rowBytes: usize, pixelBytes: usize, F: i32): void {
  const q = p + (<usize>f << 2);
  const i0 = i32x4.add(i32x4.splat(cell + f), i32x4(0, 1, 2, 3));
  let best = f32x4.splat(-Infinity);
  let at = i0; // stays the first cell when nothing beats -inf
  let v = v128.load(q);
  at = v128.bitselect(i0, at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
  v = v128.load(q + pixelBytes);
  at = v128.bitselect(i32x4.add(i0, i32x4.splat(F)), at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
  v = v128.load(q + rowBytes);
  at = v128.bitselect(i32x4.add(i0, i32x4.splat(rowElems)), at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
  v = v128.load(q + rowBytes + pixelBytes);
  at = v128.bitselect(i32x4.add(i0, i32x4.splat(rowElems + F)), at, f32x4.gt(v, best)); best = f32x4.pmax(best, v);
  v128.store(o + (<usize>f << 2), best);
  v128.store(a + (<usize>f << 2), at);
}

@inline function max4(p: usize, o: usize, f: i32, rowBytes: usize, pixelBytes: usize): void {
  const q = p + (<usize>f << 2);
  let best = f32x4.pmax(f32x4.splat(-Infinity), v128.load(q));
  best = f32x4.pmax(best, v128.load(q + pixelBytes));
  best = f32x4.pmax(best, v128.load(q + rowBytes));
  best = f32x4.pmax(best, v128.load(q + rowBytes + pixelBytes));
  v128.store(o + (<usize>f << 2), best);
}

// xp (HP,WP,C) = the image (H,W,C) shifted down by pt rows and right by pl columns, zeros elsewhere
// (columns and rows past HP, WP are never read and not copied).
function pad_image(image: usize, xp: usize, H: i32, W: i32, C: i32, HP: i32, WP: i32, pt: i32, pl: i32): void {
  const pixelBytes = <usize>C << 2;
  const rowBytes = <usize>WP * pixelBytes;
  const left = min(pl, WP);
  const copied = max(0, min(W, WP - pl));
  for (let r = 0; r < HP; r++) {
    const d = xp + <usize>r * rowBytes;
    const ih = r - pt;
    if (<u32>ih >= <u32>H) {
      memory.fill(d, 0, rowBytes);
      continue;
    }
    memory.fill(d, 0, <usize>left * pixelBytes);
    memory.copy(d + <usize>left * pixelBytes, image + <usize>ih * <usize>W * pixelBytes, <usize>copied * pixelBytes);
    memory.fill(d + <usize>(left + copied) * pixelBytes, 0, <usize>(WP - left - copied) * pixelBytes);
  }
}

// ---- dw ----

export function conv2d_direct_dw_scratch_bytes(C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                               sh: i32, sw: i32, dh: i32, dw: i32): i32 {
  const K4 = (KH * KW * C + 3) & ~3;
  const padded = padded_extent(OH, sh, KH, dh) * padded_extent(OW, sw, KW, dw) * C;
  return (K4 * round8(F) + 2 * OW * round8(F) + K4 + round8(F) + padded) * 4 + 384;
}

// dw[kh,kw,c,f] = Σ_(n,oh,ow) x[n, oh·sh−pt+kh·dh, ow·sw−pl+kw·dw, c] · dy[n,oh,ow,f] (overwritten).
// Register tile: four taps (kh,kw,c) × eight filters, summed over the pixels of one output row at a time
// (that row of dy stays in L1); the sums live in scratch between rows. Padded images are copied into a
// zero-bordered scratch image first, as in the forward, so no pixel needs bounds checks.
export function conv2d_direct_dw(x: usize, dy: usize, dwt: usize,
                                 N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                 sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, scratch: usize): void {
  direct_dw(x, dy, 0, 0, dwt, 0, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, false, 0, scratch, false);
}

// The backward of conv2d_direct_forward with pool2 and argmax (training's conv → 2x2 max pool): dw and db
// (overwritten; db = 0: none) from dp, the gradient of the pooled output (N, OH/2, OW/2, F). Each row of the
// conv's gradient is made in scratch — dp at its window's winner (argmax, indices counted from indexBase),
// 0 elsewhere, and with `masked` (a relu conv) 0 where the pooled value yp is ≤ 0, which is the relu's
// backward — and summed as conv2d_direct_dw sums a row of dy: the same dw, bit for bit, as the pool's
// backward (maxpool_backward_disjoint_f32) followed by conv2d_direct_dw, without the full-size gradient.
// db sums those rows in order. Rows and columns the pool drops (odd OH/OW) have no gradient.
export function conv2d_direct_dw_maxpool2(x: usize, dp: usize, argmax: usize, yp: usize, dwt: usize, db: usize,
                                          N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                                          sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                                          masked: bool, indexBase: i32, scratch: usize): void {
  direct_dw(x, dp, argmax, yp, dwt, db, N, H, W, C, F, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, masked, indexBase, scratch, true);
}

// One loop nest for both (`fromPool` is tested once per row).
function direct_dw(x: usize, dy: usize, argmax: usize, yp: usize, dwt: usize, db: usize,
                           N: i32, H: i32, W: i32, C: i32, F: i32, KH: i32, KW: i32, OH: i32, OW: i32,
                           sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
                           masked: bool, indexBase: i32, scratch: usize, fromPool: bool): void {
  const F8 = round8(F);
  const K = KH * KW * C;
  const K4 = (K + 3) & ~3;
  const acc = align64(scratch);                                     // (K4, F8) sums
  const dyPad = align64(acc + (<usize>K4 * <usize>F8 << 2));        // one row of dy, (OW, F8)
  const dyPad2 = align64(dyPad + (<usize>OW * <usize>F8 << 2));     // fromPool: the second row of a pair
  const taps = align64(dyPad2 + (<usize>OW * <usize>F8 << 2));      // per tap: byte offset in the window
  const dbSum = align64(taps + (<usize>K4 << 2));                   // fromPool: db's sums (F8)
  const xp = align64(dbSum + (<usize>F8 << 2));                     // the zero-bordered image
  memory.fill(acc, 0, <usize>K4 * <usize>F8 << 2);
  memory.fill(dbSum, 0, <usize>F8 << 2);
  const HP = padded_extent(OH, sh, KH, dh);
  const WP = padded_extent(OW, sw, KW, dw);
  const copy = pt > 0 || pl > 0 || HP > H || WP > W;
  const pixelBytes = <usize>C << 2;
  const rowBytes = (copy ? <usize>WP : <usize>W) * pixelBytes;
  const imageBytes = <usize>H * <usize>W * pixelBytes;
  for (let k = 0; k < K4; k++) {
    const c = k % C;
    const t = k / C;
    // Taps past K (padding of the 4-tap tile) read the window's first value; their sums are never copied out.
    const off = k < K ? <usize>((t / KW) * dh) * rowBytes + <usize>((t % KW) * dw) * pixelBytes + (<usize>c << 2) : 0;
    store<u32>(taps + (<usize>k << 2), <u32>off);
  }
  const pStep = <usize>sw * pixelBytes;
  const fBytes = <usize>F8 << 2;
  // Taps three at a time where K = 4q + 1 is a multiple of 3 (a 3x3 window on one channel: 4-tap tiles would
  // multiply 12 taps for 9), else four (K3 = 0). Each sum is over the same pixels in the same order.
  const K3 = (K & 3) == 1 && K % 3 == 0 ? K : 0;
  const K4by4 = K3 ? 0 : K4;
  const padded = F != F8;
  if (padded) memory.fill(dyPad, 0, <usize>OW * fBytes);
  if (fromPool) memory.fill(dyPad, 0, <usize>(dyPad2 - dyPad) + <usize>OW * fBytes);
  const PH = OH >> 1, PW = OW >> 1;
  for (let n = 0; n < N; n++) {
    let image = x + <usize>n * imageBytes;
    if (copy) {
      pad_image(image, xp, H, W, C, HP, WP, pt, pl);
      image = xp;
    }
    for (let oh = 0; oh < OH; oh++) {
      const src0 = image + <usize>(oh * sh) * rowBytes;
      let g: usize;
      if (fromPool) {
        if ((oh >> 1) >= PH) continue; // a last odd row: the pool drops it, no gradient
        if ((oh & 1) == 0) {
          const pooled = (n * PH + (oh >> 1)) * PW * F; // element index of the pooled row
          route_rows(dy + (<usize>pooled << 2), argmax + (<usize>pooled << 2), yp + (<usize>pooled << 2), dyPad, dyPad2,
                     indexBase + (n * OH + oh) * OW * F, OW, PW, F, fBytes, masked);
        }
        g = oh & 1 ? dyPad2 : dyPad;
        if (db) add_row(g, dbSum, OW, F8, fBytes);
      } else {
        g = dy + (<usize>(n * OH + oh) * <usize>OW * <usize>F << 2);
        if (padded) {
          for (let ow = 0; ow < OW; ow++) memory.copy(dyPad + <usize>ow * fBytes, g + (<usize>(ow * F) << 2), <usize>F << 2);
          g = dyPad;
        }
      }
      for (let k0 = 0; k0 < K3; k0 += 3) {
        const e = taps + (<usize>k0 << 2);
        const o0 = <usize>load<u32>(e), o1 = <usize>load<u32>(e, 4), o2 = <usize>load<u32>(e, 8);
        for (let f0 = 0; f0 < F8; f0 += 8) {
          const s = acc + (<usize>k0 * fBytes) + (<usize>f0 << 2);
          let a00 = v128.load(s), a01 = v128.load(s, 16);
          let a10 = v128.load(s + fBytes), a11 = v128.load(s + fBytes, 16);
          let a20 = v128.load(s + 2 * fBytes), a21 = v128.load(s + 2 * fBytes, 16);
          let d = g + (<usize>f0 << 2);
          let p = src0;
          for (let ow = 0; ow < OW; ow++) {
            const d0 = v128.load(d);
            const d1 = v128.load(d, 16);
            const x0 = v128.load32_splat(p + o0);
            const x1 = v128.load32_splat(p + o1);
            const x2 = v128.load32_splat(p + o2);
            a00 = madd(x0, d0, a00); a01 = madd(x0, d1, a01);
            a10 = madd(x1, d0, a10); a11 = madd(x1, d1, a11);
            a20 = madd(x2, d0, a20); a21 = madd(x2, d1, a21);
            d += fBytes;
            p += pStep;
          }
          v128.store(s, a00); v128.store(s, a01, 16);
          v128.store(s + fBytes, a10); v128.store(s + fBytes, a11, 16);
          v128.store(s + 2 * fBytes, a20); v128.store(s + 2 * fBytes, a21, 16);
        }
      }
      for (let k0 = 0; k0 < K4by4; k0 += 4) {
        const e = taps + (<usize>k0 << 2);
        const o0 = <usize>load<u32>(e), o1 = <usize>load<u32>(e, 4), o2 = <usize>load<u32>(e, 8), o3 = <usize>load<u32>(e, 12);
        for (let f0 = 0; f0 < F8; f0 += 8) {
          const s = acc + (<usize>k0 * fBytes) + (<usize>f0 << 2);
          let a00 = v128.load(s), a01 = v128.load(s, 16);
          let a10 = v128.load(s + fBytes), a11 = v128.load(s + fBytes, 16);
          let a20 = v128.load(s + 2 * fBytes), a21 = v128.load(s + 2 * fBytes, 16);
          let a30 = v128.load(s + 3 * fBytes), a31 = v128.load(s + 3 * fBytes, 16);
          let d = g + (<usize>f0 << 2);
          let p = src0;
          for (let ow = 0; ow < OW; ow++) {
            const d0 = v128.load(d);
            const d1 = v128.load(d, 16);
            const x0 = v128.load32_splat(p + o0);
            const x1 = v128.load32_splat(p + o1);
            const x2 = v128.load32_splat(p + o2);
            const x3 = v128.load32_splat(p + o3);
            a00 = madd(x0, d0, a00); a01 = madd(x0, d1, a01);
            a10 = madd(x1, d0, a10); a11 = madd(x1, d1, a11);
            a20 = madd(x2, d0, a20); a21 = madd(x2, d1, a21);
            a30 = madd(x3, d0, a30); a31 = madd(x3, d1, a31);
            d += fBytes;
            p += pStep;
          }
          v128.store(s, a00); v128.store(s, a01, 16);
          v128.store(s + fBytes, a10); v128.store(s + fBytes, a11, 16);
          v128.store(s + 2 * fBytes, a20); v128.store(s + 2 * fBytes, a21, 16);
          v128.store(s + 3 * fBytes, a30); v128.store(s + 3 * fBytes, a31, 16);
        }
      }
    }
  }
  for (let k = 0; k < K; k++) memory.copy(dwt + (<usize>k * <usize>F << 2), acc + <usize>k * fBytes, <usize>F << 2);
  if (fromPool && db) memory.copy(db, dbSum, <usize>F << 2);
}

// A pair of rows of the conv's gradient (OW pixels of F8 each, the padding lanes left 0) from one pooled row:
// at conv cell (row s, column 2j + t) of window j, dp where that cell (index `first` + (s·OW + 2j + t)·F + f)
// won, masked by yp > 0; each window's dp, winner and mask are read once for its four cells. Columns past
// the last window (an odd OW) stay 0 from the fill.
@inline function route_rows(dp: usize, argmax: usize, yp: usize, row0: usize, row1: usize, first: i32, OW: i32, PW: i32, F: i32,
                            fBytes: usize, masked: bool): void {
  const down = OW * F;
  for (let j = 0; j < PW; j++) {
    const o = <usize>(j * F) << 2;
    const cell = first + 2 * j * F;
    const d0 = row0 + <usize>(2 * j) * fBytes, d1 = row1 + <usize>(2 * j) * fBytes;
    let f = 0;
    for (; f + 4 <= F; f += 4) {
      const q = o + (<usize>f << 2);
      const won = v128.load(argmax + q);
      let g = v128.load(dp + q);
      if (masked) g = v128.and(g, f32x4.gt(v128.load(yp + q), f32x4.splat(0)));
      const at = i32x4.add(i32x4.splat(cell + f), i32x4(0, 1, 2, 3));
      const fo = <usize>f << 2;
      v128.store(d0 + fo, v128.and(g, i32x4.eq(won, at)));
      v128.store(d0 + fBytes + fo, v128.and(g, i32x4.eq(won, i32x4.add(at, i32x4.splat(F)))));
      v128.store(d1 + fo, v128.and(g, i32x4.eq(won, i32x4.add(at, i32x4.splat(down)))));
      v128.store(d1 + fBytes + fo, v128.and(g, i32x4.eq(won, i32x4.add(at, i32x4.splat(down + F)))));
    }
    for (; f < F; f++) {
      const q = o + (<usize>f << 2);
      const won = load<i32>(argmax + q) - (cell + f);
      const g: f32 = !masked || load<f32>(yp + q) > 0 ? load<f32>(dp + q) : 0;
      const fo = <usize>f << 2;
      store<f32>(d0 + fo, won == 0 ? g : 0);
      store<f32>(d0 + fBytes + fo, won == F ? g : 0);
      store<f32>(d1 + fo, won == down ? g : 0);
      store<f32>(d1 + fBytes + fo, won == down + F ? g : 0);
    }
  }
}

// sums (F8) += each pixel of the row (OW pixels of F8), in pixel order.
@inline function add_row(row: usize, sums: usize, OW: i32, F8: i32, fBytes: usize): void {
  for (let f = 0; f < F8; f += 4) {
    const o = <usize>f << 2;
    let a = v128.load(sums + o);
    for (let ow = 0; ow < OW; ow++) a = f32x4.add(a, v128.load(row + <usize>ow * fBytes + o));
    v128.store(sums + o, a);
  }
}
