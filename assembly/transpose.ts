// Transpose (axis permutation) of a tensor of up to 6 axes: the kernel of the Permute layer, forward and
// backward (the backward is the transpose by the inverse permutation, the same kernel).
//   y[i0,…,i5] = x[i0·s0 + … + i5·s5]
// d0..d5 are y's dims (leading ones padded with 1), s0..s5 the element strides in x of the axis that
// lands on each y axis. y is written in order; when the last axis stays last (s5 == 1) whole rows are
// copied with f32x4, otherwise the innermost loop gathers one float per step.
export function transpose_f32(x: usize, y: usize,
  d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32): void {
  let out = y;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        for (let i3 = 0; i3 < d3; i3++) {
          for (let i4 = 0; i4 < d4; i4++) {
            const src = x + ((<usize>i0 * s0 + <usize>i1 * s1 + <usize>i2 * s2 + <usize>i3 * s3 + <usize>i4 * s4) << 2);
            let i5 = 0;
            if (s5 == 1) {
              for (; i5 + 4 <= d5; i5 += 4) {
                v128.store(out, v128.load(src + (<usize>i5 << 2)));
                out += 16;
              }
              for (; i5 < d5; i5++) {
                store<f32>(out, load<f32>(src + (<usize>i5 << 2)));
                out += 4;
              }
            } else {
              const step = <usize>s5 << 2;
              let p = src;
              for (; i5 < d5; i5++) {
                store<f32>(out, load<f32>(p));
                p += step;
                out += 4;
              }
            }
          }
        }
      }
    }
  }
}
