// Max pooling over quantized u8 activations, NHWC. Quantization is monotonic, so the max of the bytes is
// the byte of the max: the layer keeps its input's scale and zero point. 16 channels at a time.
// Windows are clipped to the image as in assembly/pool.ts; a window entirely in padding gives `zero`.
export function int8_maxpool2d(
  x: usize, y: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  poolH: i32, poolW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32, zero: i32,
): void {
  let out = y;
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * c;
    for (let i = 0; i < oh; i++) {
      const s0 = i * strideH - padTop;
      const h0 = max(s0, 0), h1 = min(s0 + poolH, h);
      for (let j = 0; j < ow; j++, out += c) {
        const t0 = j * strideW - padLeft;
        const w0 = max(t0, 0), w1 = min(t0 + poolW, w);
        if (h0 >= h1 || w0 >= w1) {
          for (let ch = 0; ch < c; ch++) store<u8>(out + ch, <u8>zero);
          continue;
        }
        let ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          let best = i8x16.splat(0);
          for (let r = h0; r < h1; r++) {
            let p = image + (<usize>r * w + w0) * c + ch;
            for (let s = w0; s < w1; s++, p += c) best = i8x16.max_u(best, v128.load(p));
          }
          v128.store(out + ch, best);
        }
        for (; ch < c; ch++) {
          let best: u32 = 0;
          for (let r = h0; r < h1; r++) {
            let p = image + (<usize>r * w + w0) * c + ch;
            for (let s = w0; s < w1; s++, p += c) best = max(best, <u32>load<u8>(p));
          }
          store<u8>(out + ch, <u8>best);
        }
      }
    }
  }
}
