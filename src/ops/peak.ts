// The machine's WebAssembly SIMD peak in GFLOP/s for the running build (mul+add in the plain build, FMA in
// the relaxed one), on this thread. Benchmarks report kernel speed as a fraction of it.
import { engine } from '../backend/engine.js';

/**
 * Times assembly/peak.ts's twelve-accumulator multiply-add loop: a warm-up, then `runs` timed runs of about
 * `msPerRun` each; returns the median GFLOP/s.
 */
export function measurePeakGflops(runs = 5, msPerRun = 40): number {
  const k = engine().kernels;
  const flopsPerIter = k.peak_flops_per_iteration();
  // Warm up (tier-up) and size a run so it lasts about msPerRun.
  let iters = 1 << 16;
  for (;;) {
    const t0 = performance.now();
    k.peak_f32(iters);
    const ms = performance.now() - t0;
    if (ms >= msPerRun / 4 || iters >= 1 << 30) {
      iters = Math.max(1, Math.min(2 ** 31 - 1, Math.round((iters * msPerRun) / Math.max(ms, 1e-3))));
      break;
    }
    iters *= 4;
  }
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    k.peak_f32(iters);
    const seconds = (performance.now() - t0) / 1000;
    rates.push((iters * flopsPerIter) / seconds / 1e9);
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1];
}
