// Resampling and window copies over NHWC images: nearest and bilinear resize (forward and backward), and
// the pad/crop copy behind zeroPadding2d and cropping2D. All are memory-bound: one pass over the output,
// f32x4 over channels.
//
// Resize coordinates (as TensorFlow's resize kernels, per axis, scale = in / out):
//   mode 0  asymmetric     src = dst·scale                  (TF.js upSampling2d and resizeBilinear defaults)
//   mode 1  half-pixel     src = (dst + ½)·scale − ½        (Keras 2, PyTorch align_corners=False, ONNX)
//                          nearest: floor((dst + ½)·scale)
//   mode 2  align-corners  scale = (in − 1)/(out − 1), src = dst·scale; nearest rounds
// Bilinear: lower = max(floor(src), 0), upper = min(ceil(src), in − 1), weight of upper = src − floor(src).
// Nearest: min(floor(src), in − 1) (align-corners: round). Backward scatters dy with the same weights.

// Per output row/column: lower index, upper index, weight of the upper one (12 bytes per entry).
function axis_table(table: usize, inSize: i32, outSize: i32, bilinear: bool, mode: i32): void {
  let scale: f32 = <f32>inSize / <f32>outSize;
  if (mode == 2) scale = outSize > 1 ? <f32>(inSize - 1) / <f32>(outSize - 1) : 0;
  for (let o = 0; o < outSize; o++) {
    let lower: i32, upper: i32;
    let lerp: f32 = 0;
    if (bilinear) {
      const src: f32 = mode == 1 ? (<f32>o + 0.5) * scale - 0.5 : <f32>o * scale;
      const fl = Mathf.floor(src);
      lower = max(<i32>fl, 0);
      upper = min(<i32>Mathf.ceil(src), inSize - 1);
      lerp = src - fl;
    } else {
      const src: f32 = mode == 1 ? (<f32>o + 0.5) * scale : <f32>o * scale;
      lower = min(mode == 2 ? <i32>Mathf.round(src) : <i32>Mathf.floor(src), inSize - 1);
      upper = lower;
    }
    const e = table + <usize>o * 12;
    store<i32>(e, lower);
    store<i32>(e, upper, 4);
    store<f32>(e, lerp, 8);
  }
}

export function resize_scratch_bytes(OH: i32, OW: i32): i32 {
  return (OH + OW) * 12 + 64;
}

// y (N,OH,OW,C) = resize of x (N,H,W,C).
export function resize_forward_f32(x: usize, y: usize, N: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                   bilinear: bool, mode: i32, scratch: usize): void {
  const rows = scratch;
  const cols = scratch + <usize>OH * 12;
  axis_table(rows, H, OH, bilinear, mode);
  axis_table(cols, W, OW, bilinear, mode);
  const pixel = <usize>C << 2;
  let out = y;
  for (let n = 0; n < N; n++) {
    const image = x + <usize>n * <usize>H * <usize>W * pixel;
    for (let i = 0; i < OH; i++) {
      const re = rows + <usize>i * 12;
      const top = image + <usize>load<i32>(re) * <usize>W * pixel;
      const bottom = image + <usize>load<i32>(re, 4) * <usize>W * pixel;
      const yl = load<f32>(re, 8);
      for (let j = 0; j < OW; j++) {
        const ce = cols + <usize>j * 12;
        const l = <usize>load<i32>(ce) * pixel;
        if (!bilinear) {
          memory.copy(out, top + l, pixel);
          out += pixel;
          continue;
        }
        const r = <usize>load<i32>(ce, 4) * pixel;
        const xl = load<f32>(ce, 8);
        const xlv = f32x4.splat(xl);
        const ylv = f32x4.splat(yl);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          const tl = v128.load(top + l + o), tr = v128.load(top + r + o);
          const bl = v128.load(bottom + l + o), br = v128.load(bottom + r + o);
          const t = f32x4.add(tl, f32x4.mul(f32x4.sub(tr, tl), xlv));
          const b = f32x4.add(bl, f32x4.mul(f32x4.sub(br, bl), xlv));
          v128.store(out + o, f32x4.add(t, f32x4.mul(f32x4.sub(b, t), ylv)));
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          const tl = load<f32>(top + l + o), tr = load<f32>(top + r + o);
          const bl = load<f32>(bottom + l + o), br = load<f32>(bottom + r + o);
          const t = tl + (tr - tl) * xl;
          const b = bl + (br - bl) * xl;
          store<f32>(out + o, t + (b - t) * yl);
        }
        out += pixel;
      }
    }
  }
}

// dx (N,H,W,C) = 0, then every dy (N,OH,OW,C) element added to the input cells it was read from, weighted.
export function resize_backward_f32(dy: usize, dx: usize, N: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
                                    bilinear: bool, mode: i32, scratch: usize): void {
  const rows = scratch;
  const cols = scratch + <usize>OH * 12;
  axis_table(rows, H, OH, bilinear, mode);
  axis_table(cols, W, OW, bilinear, mode);
  const pixel = <usize>C << 2;
  memory.fill(dx, 0, <usize>N * <usize>H * <usize>W * pixel);
  let g = dy;
  for (let n = 0; n < N; n++) {
    const image = dx + <usize>n * <usize>H * <usize>W * pixel;
    for (let i = 0; i < OH; i++) {
      const re = rows + <usize>i * 12;
      const top = image + <usize>load<i32>(re) * <usize>W * pixel;
      const bottom = image + <usize>load<i32>(re, 4) * <usize>W * pixel;
      const yl = load<f32>(re, 8);
      for (let j = 0; j < OW; j++) {
        const ce = cols + <usize>j * 12;
        const l = <usize>load<i32>(ce) * pixel;
        const r = <usize>load<i32>(ce, 4) * pixel;
        const xl = load<f32>(ce, 8);
        // Weights of the four corners (nearest: all on top-left, the others 0 and skipped).
        const one: f32 = 1;
        const wtl = (one - yl) * (one - xl), wtr = (one - yl) * xl, wbl = yl * (one - xl), wbr = yl * xl;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          const v = v128.load(g + o);
          const ptl = top + l + o;
          v128.store(ptl, f32x4.add(v128.load(ptl), f32x4.mul(v, f32x4.splat(wtl))));
          if (bilinear) {
            const ptr = top + r + o, pbl = bottom + l + o, pbr = bottom + r + o;
            v128.store(ptr, f32x4.add(v128.load(ptr), f32x4.mul(v, f32x4.splat(wtr))));
            v128.store(pbl, f32x4.add(v128.load(pbl), f32x4.mul(v, f32x4.splat(wbl))));
            v128.store(pbr, f32x4.add(v128.load(pbr), f32x4.mul(v, f32x4.splat(wbr))));
          }
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          const v = load<f32>(g + o);
          store<f32>(top + l + o, load<f32>(top + l + o) + v * wtl);
          if (bilinear) {
            store<f32>(top + r + o, load<f32>(top + r + o) + v * wtr);
            store<f32>(bottom + l + o, load<f32>(bottom + l + o) + v * wbl);
            store<f32>(bottom + r + o, load<f32>(bottom + r + o) + v * wbr);
          }
        }
        g += pixel;
      }
    }
  }
}

// y (N,OH,OW,C)[n, i, j] = x (N,H,W,C)[n, i − top, j − left], 0 where that lies outside x. Positive offsets
// pad (zeroPadding2d forward, cropping2D backward), negative ones crop (cropping2D forward, zeroPadding2d
// backward). Rows are contiguous runs of channels: one copy per row.
export function pad_crop_2d_f32(x: usize, y: usize, N: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, top: i32, left: i32): void {
  const pixel = <usize>C << 2;
  const j0 = max(left, 0);
  const j1 = min(W + left, OW); // output columns [j0, j1) come from x
  let out = y;
  for (let n = 0; n < N; n++) {
    const image = x + <usize>n * <usize>H * <usize>W * pixel;
    for (let i = 0; i < OH; i++) {
      const si = i - top;
      if (si < 0 || si >= H || j1 <= j0) {
        memory.fill(out, 0, <usize>OW * pixel);
      } else {
        memory.fill(out, 0, <usize>j0 * pixel);
        memory.copy(out + <usize>j0 * pixel, image + <usize>(si * W + j0 - left) * pixel, <usize>(j1 - j0) * pixel);
        memory.fill(out + <usize>j1 * pixel, 0, <usize>(OW - j1) * pixel);
      }
      out += <usize>OW * pixel;
    }
  }
}
