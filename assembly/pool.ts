// Pooling over NDHWC tensors: max (with argmax for backward) and average (padding not counted), 3D windows.
// 2D pooling is D = 1 (a depth window of 1), 1D pooling is D = H = 1; global pooling is one window covering
// the whole image (OD = OH = OW = 1). SIMD runs over 4 channels at a time; a scalar tail takes the rest.
//
// Geometry: output (od, oh, ow) looks at input planes od*sd - pf .. + poolD - 1, rows oh*sh - pt .. + poolH - 1
// (columns alike), clipped to the image. Cells outside the image are padding: they never win a max and are
// not counted in an average — forward and backward alike (tfjs-cpu's average-pool gradient divides by the whole
// window for 'same' padding, which is not the gradient of its own forward; simdnet's is). Only the clipped
// window is visited; the padding after (back/bottom/right) only decides OD/OH/OW, which the caller computes.
//
// Argmax holds, per output element, the index of the winning element in x (counting from x's first
// element, batch included), or -1 when a window holds no image cell at all; it lives in an f32 tensor
// whose bytes are read as i32.

// Clipped window [start, end) along one axis for output position o.
@inline function windowStart(o: i32, stride: i32, pad: i32): i32 {
  const s = o * stride - pad;
  return s < 0 ? 0 : s;
}
@inline function windowEnd(o: i32, stride: i32, pad: i32, pool: i32, size: i32): i32 {
  const e = o * stride - pad + pool;
  return e > size ? size : e;
}

// Max over one window for the 4 channels ch .. ch+3: y and argmax at yp/ap (the window's output cell).
@inline function maxWindow4(
  x: usize, yp: usize, ap: usize, imageBase: i32, planeStride: i32, rowStride: i32, c: i32, ch: i32,
  d0: i32, d1: i32, h0: i32, h1: i32, w0: i32, w1: i32, first: i32,
): void {
  const step = i32x4.splat(c);
  let best = f32x4.splat(-Infinity);
  let bestIndex = i32x4.splat(-1);
  for (let z = d0; z < d1; z++) {
    for (let r = h0; r < h1; r++) {
      const index = imageBase + z * planeStride + r * rowStride + w0 * c + ch;
      let p = x + (<usize>index << 2);
      let indices = i32x4.add(i32x4.splat(index), i32x4(0, 1, 2, 3));
      for (let s = w0; s < w1; s++) {
        const v = v128.load(p);
        const wins = f32x4.gt(v, best);
        best = f32x4.pmax(best, v);
        bestIndex = v128.bitselect(indices, bestIndex, wins);
        indices = i32x4.add(indices, step);
        p += <usize>c << 2;
      }
    }
  }
  // A window of NaNs leaves -inf: fall back to its first cell so argmax is always valid.
  const none = i32x4.eq(bestIndex, i32x4.splat(-1));
  const firstIdx = i32x4.add(i32x4.splat(first + ch), i32x4(0, 1, 2, 3));
  bestIndex = v128.bitselect(firstIdx, bestIndex, none);
  v128.store(yp + (<usize>ch << 2), best);
  v128.store(ap + (<usize>ch << 2), bestIndex);
}

// The max alone over one window, every channel (inference: argmax = 0). The same comparisons as with
// argmax (pmax keeps best when v is NaN or equal), so y is bitwise the same.
@inline function maxWindowValues(
  x: usize, yp: usize, imageBase: i32, planeStride: i32, rowStride: i32, c: i32,
  d0: i32, d1: i32, h0: i32, h1: i32, w0: i32, w1: i32,
): void {
  const cellBytes = <usize>c << 2;
  let ch = 0;
  for (; ch + 8 <= c; ch += 8) {
    let best0 = f32x4.splat(-Infinity), best1 = best0;
    for (let z = d0; z < d1; z++) {
      for (let r = h0; r < h1; r++) {
        let p = x + (<usize>(imageBase + z * planeStride + r * rowStride + w0 * c + ch) << 2);
        for (let s = w0; s < w1; s++, p += cellBytes) {
          best0 = f32x4.pmax(best0, v128.load(p));
          best1 = f32x4.pmax(best1, v128.load(p, 16));
        }
      }
    }
    v128.store(yp + (<usize>ch << 2), best0);
    v128.store(yp + (<usize>ch << 2), best1, 16);
  }
  // Then 4 channels at a time, the last 4 overlapping when c % 4 != 0 (c ≥ 4); c < 4 is scalar.
  for (; ch < c && c >= 4; ch += 4) {
    if (ch + 4 > c) ch = c - 4;
    let best = f32x4.splat(-Infinity);
    for (let z = d0; z < d1; z++) {
      for (let r = h0; r < h1; r++) {
        let p = x + (<usize>(imageBase + z * planeStride + r * rowStride + w0 * c + ch) << 2);
        for (let s = w0; s < w1; s++, p += cellBytes) best = f32x4.pmax(best, v128.load(p));
      }
    }
    v128.store(yp + (<usize>ch << 2), best);
  }
  for (; ch < c; ch++) {
    let best: f32 = -Infinity;
    for (let z = d0; z < d1; z++) {
      for (let r = h0; r < h1; r++) {
        let p = x + (<usize>(imageBase + z * planeStride + r * rowStride + w0 * c + ch) << 2);
        for (let s = w0; s < w1; s++, p += cellBytes) {
          const v = load<f32>(p);
          if (v > best) best = v;
        }
      }
    }
    store<f32>(yp + (<usize>ch << 2), best);
  }
}

// x is (N,D,H,W,C); y and argmax are (N,OD,OH,OW,C); argmax = 0 (inference) writes y alone. A call computes `rows` output rows, counted over the
// whole batch's N·OD·OH rows from `firstRow` (a thread's share: whole images for a batch, rows of one image
// at batch 1; 0 and N·OD·OH when called whole).
export function maxpool3d_forward_f32(
  x: usize, y: usize, argmax: usize,
  rows: i32, d: i32, h: i32, w: i32, c: i32, od: i32, oh: i32, ow: i32,
  poolD: i32, poolH: i32, poolW: i32, strideD: i32, strideH: i32, strideW: i32, padFront: i32, padTop: i32, padLeft: i32,
  firstRow: i32,
): void {
  const rowStride = w * c; // elements between two image rows
  const planeStride = h * rowStride;
  let out = firstRow * ow * c; // element index into y / argmax
  for (let row = firstRow; row < firstRow + rows; row++) {
    const plane = row / oh; // over N·OD
    const i = row - plane * oh;
    const b = plane / od;
    const q = plane - b * od;
    const imageBase = b * d * planeStride;
    const d0 = windowStart(q, strideD, padFront);
    const d1 = windowEnd(q, strideD, padFront, poolD, d);
    const h0 = windowStart(i, strideH, padTop);
    const h1 = windowEnd(i, strideH, padTop, poolH, h);
    for (let j = 0; j < ow; j++, out += c) {
      const w0 = windowStart(j, strideW, padLeft);
      const w1 = windowEnd(j, strideW, padLeft, poolW, w);
      const yp = y + (<usize>out << 2);
      const ap = argmax + (<usize>out << 2);
      if (d0 >= d1 || h0 >= h1 || w0 >= w1) {
        // The window lies entirely in padding: no input to pick, no gradient to route.
        memory.fill(yp, 0, <usize>c << 2);
        if (argmax) for (let ch = 0; ch < c; ch++) store<i32>(ap + (<usize>ch << 2), -1);
        continue;
      }
      if (!argmax) {
        maxWindowValues(x, yp, imageBase, planeStride, rowStride, c, d0, d1, h0, h1, w0, w1);
        continue;
      }
      const first = imageBase + d0 * planeStride + h0 * rowStride + w0 * c; // the window's first cell, channel 0
      let ch = 0;
      // 8 channels per window visit, then 4: the window's loop overhead is paid once per 8 channels, and
      // each cell's index vector steps by c instead of being rebuilt.
      const step = i32x4.splat(c);
      for (; ch + 8 <= c; ch += 8) {
        // Strict > keeps the first maximum in scan order (TF's choice on ties); pmax(best, v) is v exactly
        // when v > best, so a NaN never wins.
        let best0 = f32x4.splat(-Infinity), best1 = best0;
        let bestIndex0 = i32x4.splat(-1), bestIndex1 = bestIndex0;
        for (let z = d0; z < d1; z++) {
          for (let r = h0; r < h1; r++) {
            const index = imageBase + z * planeStride + r * rowStride + w0 * c + ch;
            let p = x + (<usize>index << 2);
            let index0 = i32x4.add(i32x4.splat(index), i32x4(0, 1, 2, 3));
            for (let s = w0; s < w1; s++) {
              const v0 = v128.load(p), v1 = v128.load(p, 16);
              const wins0 = f32x4.gt(v0, best0), wins1 = f32x4.gt(v1, best1);
              best0 = f32x4.pmax(best0, v0);
              best1 = f32x4.pmax(best1, v1);
              bestIndex0 = v128.bitselect(index0, bestIndex0, wins0);
              bestIndex1 = v128.bitselect(i32x4.add(index0, i32x4.splat(4)), bestIndex1, wins1);
              index0 = i32x4.add(index0, step);
              p += <usize>c << 2;
            }
          }
        }
        // A window of NaNs leaves -inf: fall back to its first cell so argmax is always valid.
        const firstIdx = i32x4.add(i32x4.splat(first + ch), i32x4(0, 1, 2, 3));
        bestIndex0 = v128.bitselect(firstIdx, bestIndex0, i32x4.eq(bestIndex0, i32x4.splat(-1)));
        bestIndex1 = v128.bitselect(i32x4.add(firstIdx, i32x4.splat(4)), bestIndex1, i32x4.eq(bestIndex1, i32x4.splat(-1)));
        v128.store(yp + (<usize>ch << 2), best0);
        v128.store(yp + (<usize>ch << 2), best1, 16);
        v128.store(ap + (<usize>ch << 2), bestIndex0);
        v128.store(ap + (<usize>ch << 2), bestIndex1, 16);
      }
      for (; ch + 4 <= c; ch += 4) {
        maxWindow4(x, yp, ap, imageBase, planeStride, rowStride, c, ch, d0, d1, h0, h1, w0, w1, first);
      }
      // The last channels when c is not a multiple of 4 (LeNet's 6): one more 4-wide pass over channels
      // c-4 .. c-1, overlapping ones already done (they get the same values again), instead of a scalar
      // loop per channel; only c < 4 is left to the scalar loop.
      if (ch < c && c >= 4) {
        maxWindow4(x, yp, ap, imageBase, planeStride, rowStride, c, c - 4, d0, d1, h0, h1, w0, w1, first);
        ch = c;
      }
      for (; ch < c; ch++) {
        let best: f32 = -Infinity;
        let bestIndex = first + ch;
        for (let z = d0; z < d1; z++) {
          for (let r = h0; r < h1; r++) {
            let index = imageBase + z * planeStride + r * rowStride + w0 * c + ch;
            for (let s = w0; s < w1; s++, index += c) {
              const v = load<f32>(x + (<usize>index << 2));
              if (v > best) {
                best = v;
                bestIndex = index;
              }
            }
          }
        }
        store<f32>(yp + (<usize>ch << 2), best);
        store<i32>(ap + (<usize>ch << 2), bestIndex);
      }
    }
  }
}

// dx (nIn elements) = 0, then dx[argmax[i]] += dy[i] for each of the nOut outputs (overlapping windows
// add up). Indices outside [0, nIn) (-1 for all-padding windows) are skipped. Shared by max pooling,
// global max pooling and maxout: each records its winners as indices into x.
// A thread's share is outputs [outStart, outStart + nOut) scattering into dx [inStart, inStart + nIn) (both 0
// when called whole): the images of a batch route their gradients only into their own image.
export function argmax_scatter_f32(dy: usize, argmax: usize, dx: usize, nOut: i32, nIn: i32, outStart: i32, inStart: i32): void {
  memory.fill(dx + (<usize>inStart << 2), 0, <usize>nIn << 2);
  for (let i = outStart; i < outStart + nOut; i++) {
    const o = <usize>i << 2;
    const index = load<i32>(argmax + o);
    if (<u32>(index - inStart) < <u32>nIn) {
      const p = dx + (<usize>index << 2);
      store<f32>(p, load<f32>(p) + load<f32>(dy + o));
    }
  }
}


// Max pooling backward when no two windows share a cell (strides ≥ pool sizes, no padding before): every
// dx cell is written once, in order — dy where the cell is its window's winner, 0 elsewhere (cells between
// windows and after the last one included) — instead of zeroing dx and then scattering into it. With y
// (the pooled output; 0 for none) the gradient is also masked where y ≤ 0: when the pooled values are
// relu outputs, that is the relu's backward at the winner (a zero winner means relu's input was ≤ 0), so
// the conv before needs no relu pass of its own (src/model/relu-pool.ts). x is (N,H,W,C), y and argmax
// (N,OH,OW,C); threads take images [firstImage, firstImage + n) of the whole tensors.
export function maxpool_backward_disjoint_f32(
  dy: usize, argmax: usize, y: usize, dx: usize,
  n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, poolH: i32, poolW: i32, strideH: i32, strideW: i32, firstImage: i32,
): void {
  if (y) routeDisjoint(dy, argmax, y, dx, n, h, w, c, oh, ow, poolH, poolW, strideH, strideW, firstImage, true);
  else routeDisjoint(dy, argmax, y, dx, n, h, w, c, oh, ow, poolH, poolW, strideH, strideW, firstImage, false);
}

// One loop nest, inlined with `masked` a constant so neither variant tests it per cell.
@inline function routeDisjoint(
  dy: usize, argmax: usize, y: usize, dx: usize,
  n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, poolH: i32, poolW: i32, strideH: i32, strideW: i32, firstImage: i32,
  masked: bool,
): void {
  const rowStride = w * c;
  const covered = min(ow * strideW, w); // columns before this one belong to a window's stride
  for (let b = firstImage; b < firstImage + n; b++) {
    for (let r = 0; r < h; r++) {
      const rowBase = (b * h + r) * rowStride; // element index of (b, r, 0, 0) in x / dx
      const i = r / strideH;
      if (i >= oh || r - i * strideH >= poolH) {
        memory.fill(dx + (<usize>rowBase << 2), 0, <usize>rowStride << 2); // a row no window reads
        continue;
      }
      for (let j = 0; j < ow; j++) {
        const o = ((b * oh + i) * ow + j) * c; // the window's output element, channel 0
        for (let s = 0; s < strideW; s++) {
          const col = j * strideW + s;
          if (col >= w) break;
          const cell = rowBase + col * c;
          const p = dx + (<usize>cell << 2);
          if (s >= poolW) {
            memory.fill(p, 0, <usize>c << 2); // between two windows
            continue;
          }
          let ch = 0;
          for (; ch + 4 <= c; ch += 4) routeCell4(dy, argmax, y, p, o, cell, ch, masked);
          // The channel tail as one more overlapping 4-wide pass (it writes the same values again).
          if (ch < c && c >= 4) {
            routeCell4(dy, argmax, y, p, o, cell, c - 4, masked);
            ch = c;
          }
          for (; ch < c; ch++) {
            const q = <usize>(o + ch) << 2;
            const wins = load<i32>(argmax + q) == cell + ch && (!masked || load<f32>(y + q) > 0);
            store<f32>(p + (<usize>ch << 2), wins ? load<f32>(dy + q) : 0);
          }
        }
      }
      if (covered < w) memory.fill(dx + (<usize>(rowBase + covered * c) << 2), 0, <usize>((w - covered) * c) << 2);
    }
  }
}

// dx at one cell for channels ch .. ch+3: dy of the window where this cell is the winner (and y > 0 when masked).
@inline function routeCell4(dy: usize, argmax: usize, y: usize, p: usize, o: i32, cell: i32, ch: i32, masked: bool): void {
  const q = <usize>(o + ch) << 2;
  let keep = i32x4.eq(v128.load(argmax + q), i32x4.add(i32x4.splat(cell + ch), i32x4(0, 1, 2, 3)));
  if (masked) keep = v128.and(keep, f32x4.gt(v128.load(y + q), f32x4.splat(0)));
  v128.store(p + (<usize>ch << 2), v128.and(v128.load(dy + q), keep));
}

// Average pooling, forward (backward = false): y (N,OD,OH,OW,C) = mean of the image cells of each window of
// x (N,D,H,W,C); backward (backward = true): a = dx is zeroed, then each window adds dy / (its image cells)
// to those cells. One loop nest for both, so the two always agree on which cells a window counts; it is
// inlined twice with `backward` a constant, so neither direction tests it per cell.
export function avgpool3d_f32(
  a: usize, o: usize, backward: bool,
  n: i32, d: i32, h: i32, w: i32, c: i32, od: i32, oh: i32, ow: i32,
  poolD: i32, poolH: i32, poolW: i32, strideD: i32, strideH: i32, strideW: i32, padFront: i32, padTop: i32, padLeft: i32,
): void {
  if (backward) avgpool3d(a, o, true, n, d, h, w, c, od, oh, ow, poolD, poolH, poolW, strideD, strideH, strideW, padFront, padTop, padLeft);
  else avgpool3d(a, o, false, n, d, h, w, c, od, oh, ow, poolD, poolH, poolW, strideD, strideH, strideW, padFront, padTop, padLeft);
}

@inline function avgpool3d(
  a: usize, o: usize, backward: bool,
  n: i32, d: i32, h: i32, w: i32, c: i32, od: i32, oh: i32, ow: i32,
  poolD: i32, poolH: i32, poolW: i32, strideD: i32, strideH: i32, strideW: i32, padFront: i32, padTop: i32, padLeft: i32,
): void {
  const rowStride = w * c;
  const planeStride = h * rowStride;
  const pixelBytes = <usize>c << 2;
  if (backward) memory.fill(a, 0, <usize>n * <usize>d * <usize>planeStride << 2);
  let out = 0;
  for (let b = 0; b < n; b++) {
    const imageBase = b * d * planeStride;
    for (let q = 0; q < od; q++) {
      const d0 = windowStart(q, strideD, padFront);
      const d1 = windowEnd(q, strideD, padFront, poolD, d);
      for (let i = 0; i < oh; i++) {
        const h0 = windowStart(i, strideH, padTop);
        const h1 = windowEnd(i, strideH, padTop, poolH, h);
        for (let j = 0; j < ow; j++, out += c) {
          const w0 = windowStart(j, strideW, padLeft);
          const w1 = windowEnd(j, strideW, padLeft, poolW, w);
          const op = o + (<usize>out << 2);
          if (d0 >= d1 || h0 >= h1 || w0 >= w1) {
            if (!backward) memory.fill(op, 0, pixelBytes);
            continue;
          }
          const inv: f32 = 1.0 / <f32>((d1 - d0) * (h1 - h0) * (w1 - w0));
          const cell0 = a + (<usize>(imageBase + d0 * planeStride + h0 * rowStride + w0 * c) << 2); // the window's first cell
          let ch = 0;
          // 8 channels per window visit, then 4 (the window's loop overhead once per 8 channels).
          for (; ch + 8 <= c; ch += 8) {
            const co = <usize>ch << 2;
            const g0 = backward ? f32x4.mul(v128.load(op + co), f32x4.splat(inv)) : f32x4.splat(0);
            const g1 = backward ? f32x4.mul(v128.load(op + co, 16), f32x4.splat(inv)) : f32x4.splat(0);
            let sum0 = f32x4.splat(0), sum1 = sum0;
            for (let z = d0; z < d1; z++) {
              for (let r = h0; r < h1; r++) {
                let p = cell0 + (<usize>((z - d0) * planeStride + (r - h0) * rowStride) << 2) + co;
                for (let s = w0; s < w1; s++, p += pixelBytes) {
                  if (backward) {
                    v128.store(p, f32x4.add(v128.load(p), g0));
                    v128.store(p, f32x4.add(v128.load(p, 16), g1), 16);
                  } else {
                    sum0 = f32x4.add(sum0, v128.load(p));
                    sum1 = f32x4.add(sum1, v128.load(p, 16));
                  }
                }
              }
            }
            if (!backward) {
              v128.store(op + co, f32x4.mul(sum0, f32x4.splat(inv)));
              v128.store(op + co, f32x4.mul(sum1, f32x4.splat(inv)), 16);
            }
          }
          for (; ch + 4 <= c; ch += 4) avgWindow4(cell0, op, backward, ch, d1 - d0, h1 - h0, w1 - w0, planeStride, rowStride, pixelBytes, inv);
          // c not a multiple of 4 (LeNet's 6), forward: the last 4 channels in one more 4-wide pass,
          // overlapping ones already done (their means are written again), instead of a scalar pass per
          // channel. Backward cannot overlap (it adds, and a load overlapping the store just made stalls):
          // it takes 2 channels at a time in 64-bit lanes.
          if (!backward && ch < c && c >= 4) {
            avgWindow4(cell0, op, false, c - 4, d1 - d0, h1 - h0, w1 - w0, planeStride, rowStride, pixelBytes, inv);
            ch = c;
          }
          if (backward && ch + 2 <= c) {
            const co = <usize>ch << 2;
            const g = f32x4.mul(v128.load64_zero(op + co), f32x4.splat(inv));
            for (let z = 0; z < d1 - d0; z++) {
              for (let r = 0; r < h1 - h0; r++) {
                let p = cell0 + (<usize>(z * planeStride + r * rowStride) << 2) + co;
                for (let s = w0; s < w1; s++, p += pixelBytes) v128.store64_lane(p, f32x4.add(v128.load64_zero(p), g), 0);
              }
            }
            ch += 2;
          }
          for (; ch < c; ch++) {
            const co = <usize>ch << 2;
            const g = backward ? load<f32>(op + co) * inv : 0;
            let sum: f32 = 0;
            for (let z = 0; z < d1 - d0; z++) {
              for (let r = 0; r < h1 - h0; r++) {
                let p = cell0 + (<usize>(z * planeStride + r * rowStride) << 2) + co;
                for (let s = w0; s < w1; s++, p += pixelBytes) {
                  if (backward) store<f32>(p, load<f32>(p) + g);
                  else sum += load<f32>(p);
                }
              }
            }
            if (!backward) store<f32>(op + co, sum * inv);
          }
        }
      }
    }
  }
}

// One window, channels ch .. ch+3 (dd x hh x ww cells from cell0): the mean into op (forward), or
// op's gradient / cells added to each cell (backward).
@inline function avgWindow4(
  cell0: usize, op: usize, backward: bool, ch: i32, dd: i32, hh: i32, ww: i32,
  planeStride: i32, rowStride: i32, pixelBytes: usize, inv: f32,
): void {
  const co = <usize>ch << 2;
  const g = backward ? f32x4.mul(v128.load(op + co), f32x4.splat(inv)) : f32x4.splat(0);
  let sum = f32x4.splat(0);
  for (let z = 0; z < dd; z++) {
    for (let r = 0; r < hh; r++) {
      let p = cell0 + (<usize>(z * planeStride + r * rowStride) << 2) + co;
      for (let s = 0; s < ww; s++, p += pixelBytes) {
        if (backward) v128.store(p, f32x4.add(v128.load(p), g));
        else sum = f32x4.add(sum, v128.load(p));
      }
    }
  }
  if (!backward) v128.store(op + co, f32x4.mul(sum, f32x4.splat(inv)));
}
