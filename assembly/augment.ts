// Data augmentation over NHWC images, forward only (the layers sit at a model's input, where no gradient
// is wanted): one affine warp per image (behind randomTranslation/Rotation/Zoom/Flip), per-image contrast,
// and y = x·scale + offset (rescaling).

// Where a source coordinate outside [0, len − 1] reads from, as TensorFlow's ImageProjectiveTransformV3:
// 0 reflect (dcba|abcd|dcba, about the outer pixel edge), 1 wrap (abcd|abcd), 2 constant (left as is:
// reads outside the image give fillValue), 3 nearest (clamped to the edge).
@inline function map_coord(v: f32, len: i32, fill: i32): f32 {
  const n = <f32>len;
  if (fill == 2) return v;
  if (len <= 1) return 0;
  if (fill == 0) {
    const twice: f32 = 2 * n;
    if (v < 0) {
      if (v < -twice) v += twice * Mathf.trunc(-v / twice);
      v = v < -n ? v + twice : -v - 1;
    } else if (v > n - 1) {
      v -= twice * Mathf.trunc(v / twice);
      if (v >= n) v = twice - v - 1;
    }
  } else if (fill == 1) {
    if (v < 0) v += n * (Mathf.trunc(-v / (n - 1)) + 1);
    else if (v > n - 1) v -= n * Mathf.trunc(v / (n - 1));
  }
  return min(max(v, 0), n - 1);
}

// y (N,H,W,C)[n,i,j,:] = x[n] sampled at (row, col) = (m3·j + m4·i + m5, m0·j + m1·i + m2), where m is
// image n's row of `mats` (N×6 f32: TF's transform a0 a1 a2 b0 b1 b2, output → input, pixel centres at
// integers). Bilinear, or nearest (rounded) when `nearest`; corners outside x read `fillValue`. At whole-pixel
// coordinates (integer translations, flips) the other corners weigh exactly 0, so pixels move unchanged.
// f32x4 over channels, a scalar tail for C % 4.
export function warp_affine_f32(x: usize, y: usize, N: i32, H: i32, W: i32, C: i32, mats: usize,
                                fill: i32, fillValue: f32, nearest: bool): void {
  const pixel = <usize>C << 2;
  const rowBytes = <usize>W * pixel;
  const fv = f32x4.splat(fillValue);
  let out = y;
  for (let n = 0; n < N; n++) {
    const image = x + <usize>n * <usize>H * rowBytes;
    const m = mats + <usize>n * 24;
    const a0 = load<f32>(m), a1 = load<f32>(m, 4), a2 = load<f32>(m, 8);
    const b0 = load<f32>(m, 12), b1 = load<f32>(m, 16), b2 = load<f32>(m, 20);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        let sx = map_coord(a0 * <f32>j + a1 * <f32>i + a2, W, fill);
        let sy = map_coord(b0 * <f32>j + b1 * <f32>i + b2, H, fill);
        if (nearest) {
          sx = Mathf.floor(sx + 0.5);
          sy = Mathf.floor(sy + 0.5);
        }
        const x0 = Mathf.floor(sx), y0 = Mathf.floor(sy);
        const fx = sx - x0, fy = sy - y0;
        const c0 = <i32>x0, r0 = <i32>y0;
        // The four corners' weights; a corner outside the image reads the fill value (weight kept).
        const one: f32 = 1;
        const w00 = (one - fy) * (one - fx), w01 = (one - fy) * fx, w10 = fy * (one - fx), w11 = fy * fx;
        const in0 = r0 >= 0 && r0 < H, in1 = r0 + 1 >= 0 && r0 + 1 < H;
        const inl = c0 >= 0 && c0 < W, inr = c0 + 1 >= 0 && c0 + 1 < W;
        const p00 = in0 && inl ? image + <usize>r0 * rowBytes + <usize>c0 * pixel : 0;
        const p01 = in0 && inr ? image + <usize>r0 * rowBytes + <usize>(c0 + 1) * pixel : 0;
        const p10 = in1 && inl ? image + <usize>(r0 + 1) * rowBytes + <usize>c0 * pixel : 0;
        const p11 = in1 && inr ? image + <usize>(r0 + 1) * rowBytes + <usize>(c0 + 1) * pixel : 0;
        const v00 = f32x4.splat(w00), v01 = f32x4.splat(w01), v10 = f32x4.splat(w10), v11 = f32x4.splat(w11);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          let s = f32x4.mul(p00 ? v128.load(p00 + o) : fv, v00);
          s = f32x4.add(s, f32x4.mul(p01 ? v128.load(p01 + o) : fv, v01));
          s = f32x4.add(s, f32x4.mul(p10 ? v128.load(p10 + o) : fv, v10));
          s = f32x4.add(s, f32x4.mul(p11 ? v128.load(p11 + o) : fv, v11));
          v128.store(out + o, s);
        }
        for (; c < C; c++) {
          const o = <usize>c << 2;
          let s = (p00 ? load<f32>(p00 + o) : fillValue) * w00;
          s += (p01 ? load<f32>(p01 + o) : fillValue) * w01;
          s += (p10 ? load<f32>(p10 + o) : fillValue) * w10;
          s += (p11 ? load<f32>(p11 + o) : fillValue) * w11;
          store<f32>(out + o, s);
        }
        out += pixel;
      }
    }
  }
}

// Contrast per image and channel, as tf.image.adjust_contrast then a clip (Keras RandomContrast):
// y = clamp((x − mean) · factor + mean, lo, hi), mean over the image's H·W pixels of that channel,
// factor = factors[n] (N f32). `sums` is C f32 of scratch.
export function contrast_f32(x: usize, y: usize, N: i32, HW: i32, C: i32, factors: usize, lo: f32, hi: f32, sums: usize): void {
  const pixel = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    const image = x + <usize>n * <usize>HW * pixel;
    const out = y + <usize>n * <usize>HW * pixel;
    memory.fill(sums, 0, pixel);
    for (let p = 0; p < HW; p++) {
      for (let c = 0; c < C; c++) {
        const s = sums + (<usize>c << 2);
        store<f32>(s, load<f32>(s) + load<f32>(image + <usize>p * pixel + (<usize>c << 2)));
      }
    }
    const f = load<f32>(factors + (<usize>n << 2));
    for (let c = 0; c < C; c++) store<f32>(sums + (<usize>c << 2), load<f32>(sums + (<usize>c << 2)) / <f32>HW);
    for (let p = 0; p < HW; p++) {
      for (let c = 0; c < C; c++) {
        const o = <usize>p * pixel + (<usize>c << 2);
        const mean = load<f32>(sums + (<usize>c << 2));
        store<f32>(out + o, min(max((load<f32>(image + o) - mean) * f + mean, lo), hi));
      }
    }
  }
}

// y = x·scale + offset over n floats (y may be x).
export function scale_shift_f32(x: usize, y: usize, n: i32, scale: f32, offset: f32): void {
  const s = f32x4.splat(scale), b = f32x4.splat(offset);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(f32x4.mul(v128.load(x + o), s), b));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o) * scale + offset);
  }
}
