// The machine's WebAssembly SIMD peak: twelve independent accumulators, each updated by one f32x4
// multiply-add per iteration, c += x·y, with `madd` (relaxed_madd, an FMA, in the relaxed build; mul then
// add in the plain one). The accumulator is only the addend — as in a GEMM micro-kernel — so the loop is
// bound by the SIMD ports, not by the latency of a mul→add chain. The twelve multiplicands are re-read
// from a small static table each iteration (L1 hits): kept in registers they would not fit next to the
// accumulators, and identical products would be folded. 96 FLOP per iteration.
import { madd, hsum } from './simd';

// 13 vectors: x0..x11 and y. Small values: after 10^9 iterations the sums are still far from overflow.
const table: usize = memory.data<f32>([
  1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3,
  8e-3, 9e-3, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3,
  6e-3, 7e-3, 8e-3, 9e-3, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3, 1e-3, 2e-3, 3e-3,
  0.5, 0.25, 0.75, 1.0,
], 16);

// Runs `iters` iterations and returns a value that depends on every accumulator, so nothing is optimised away.
export function peak_f32(iters: i32): f32 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  let c8 = f32x4.splat(0), c9 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  const t = table;
  for (let i = 0; i < iters; i++) {
    const y = v128.load(t, 192);
    c0 = madd(v128.load(t, 0), y, c0); c1 = madd(v128.load(t, 16), y, c1);
    c2 = madd(v128.load(t, 32), y, c2); c3 = madd(v128.load(t, 48), y, c3);
    c4 = madd(v128.load(t, 64), y, c4); c5 = madd(v128.load(t, 80), y, c5);
    c6 = madd(v128.load(t, 96), y, c6); c7 = madd(v128.load(t, 112), y, c7);
    c8 = madd(v128.load(t, 128), y, c8); c9 = madd(v128.load(t, 144), y, c9);
    c10 = madd(v128.load(t, 160), y, c10); c11 = madd(v128.load(t, 176), y, c11);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return hsum(f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))));
}

// FLOP done by one iteration of peak_f32 (12 accumulators × 4 lanes × multiply and add).
export function peak_flops_per_iteration(): i32 {
  return 96;
}
