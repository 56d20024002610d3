// Maxout (ConvNetJS): the last axis is cut into groups of k consecutive channels and each group keeps its
// maximum, C → C/k. Since C = G*k, output o (of all rows*G) reads x[o*k .. o*k + k-1]: one flat loop.
// Scalar on purpose: a group is k strided floats, and f32x4 lanes would need a transpose per group for a
// memory-bound op that is rarely on a hot path.
import { argmax_scatter_f32 } from './pool';

// x is (rows, G*k); y and argmax are (rows, G). argmax holds each winner's index into x (first max wins),
// as i32 in the bytes of an f32 tensor.
export function maxout_forward_f32(x: usize, y: usize, argmax: usize, nOut: i32, k: i32): void {
  for (let o = 0; o < nOut; o++) {
    const first = o * k;
    let best = load<f32>(x + (<usize>first << 2));
    let bestIndex = first;
    for (let t = 1; t < k; t++) {
      const v = load<f32>(x + (<usize>(first + t) << 2));
      if (v > best) {
        best = v;
        bestIndex = first + t;
      }
    }
    store<f32>(y + (<usize>o << 2), best);
    store<i32>(argmax + (<usize>o << 2), bestIndex);
  }
}

// dx (nOut*k) = 0 except dy at each group's winner.
export function maxout_backward_f32(dy: usize, argmax: usize, dx: usize, nOut: i32, k: i32): void {
  argmax_scatter_f32(dy, argmax, dx, nOut, nOut * k);
}
