// Maxout (ConvNetJS): the last axis is cut into groups of k consecutive channels and each group keeps its
// maximum, C → C/k. Since C = G*k, output o (of all rows*G) reads x[o*k .. o*k + k-1]: one flat loop.
// Pairs (k = 2, the usual maxout) take a SIMD path: two loads hold four groups, split into even and odd
// lanes by shuffles. Other k are scalar: a group is k strided floats, and lanes would need a transpose per
// group for a memory-bound op that is rarely on a hot path.
import { argmax_scatter_f32 } from './pool';

// x is (rows, G*k); y and argmax are (rows, G). argmax holds each winner's index into x (first max wins),
// as i32 in the bytes of an f32 tensor.
export function maxout_forward_f32(x: usize, y: usize, argmax: usize, nOut: i32, k: i32): void {
  let o = 0;
  if (k == 2) {
    for (; o + 4 <= nOut; o += 4) {
      const a = v128.load(x + (<usize>o << 3)); // groups o, o+1 as (e0, d0, e1, d1)
      const b = v128.load(x + (<usize>o << 3) + 16); // groups o+2, o+3
      const even = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
      const odd = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
      const oddWins = f32x4.gt(odd, even); // strict: ties keep the first (even) element
      v128.store(y + (<usize>o << 2), v128.bitselect(odd, even, oddWins));
      // Index 2*(o+l), plus 1 where the odd element won (a true lane is -1, so subtracting adds 1).
      const firsts = i32x4.add(i32x4.splat(o * 2), i32x4(0, 2, 4, 6));
      v128.store(argmax + (<usize>o << 2), i32x4.sub(firsts, oddWins));
    }
  }
  for (; o < nOut; o++) {
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
  argmax_scatter_f32(dy, argmax, dx, nOut, nOut * k, 0, 0);
}
