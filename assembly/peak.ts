// The machine's WebAssembly SIMD peak: twelve independent f32x4 multiply-add chains, enough to hide the
// latency of the add (or of the FMA, in the relaxed build, where `madd` is relaxed_madd) and keep every
// SIMD port busy. 96 FLOP per iteration. Kernel efficiency in the benchmark is reported against this.
import { madd, hsum } from './simd';

// Runs `iters` iterations and returns a value that depends on every accumulator, so nothing is optimised away.
export function peak_f32(iters: i32): f32 {
  const m = f32x4.splat(0.9999);
  const a = f32x4.splat(0.001);
  let c0 = f32x4.splat(0.0), c1 = f32x4.splat(0.1), c2 = f32x4.splat(0.2), c3 = f32x4.splat(0.3);
  let c4 = f32x4.splat(0.4), c5 = f32x4.splat(0.5), c6 = f32x4.splat(0.6), c7 = f32x4.splat(0.7);
  let c8 = f32x4.splat(0.8), c9 = f32x4.splat(0.9), c10 = f32x4.splat(1.0), c11 = f32x4.splat(1.1);
  for (let i = 0; i < iters; i++) {
    c0 = madd(c0, m, a); c1 = madd(c1, m, a); c2 = madd(c2, m, a); c3 = madd(c3, m, a);
    c4 = madd(c4, m, a); c5 = madd(c5, m, a); c6 = madd(c6, m, a); c7 = madd(c7, m, a);
    c8 = madd(c8, m, a); c9 = madd(c9, m, a); c10 = madd(c10, m, a); c11 = madd(c11, m, a);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return hsum(f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11))));
}

// FLOP done by one iteration of peak_f32 (12 accumulators × 4 lanes × multiply and add).
export function peak_flops_per_iteration(): i32 {
  return 96;
}
