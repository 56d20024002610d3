// How ops divide work between threads. Compute-bound kernels (GEMM, convolutions) split when each part has
// enough FLOPs to pay for waking a worker; memory-bound ones (pooling, activations) when each part touches
// enough memory (~2 µs hand-off while the pool spins). Parts are contiguous ranges, one per thread.
import { engine, type KernelCall, type KernelName } from './engine.js';

/**
 * Work each thread must get before one more pays (a split group costs ~1.2 µs more than its larger part while
 * the workers spin; 2^19 FLOP is ~25 µs of GEMM here). Was 2^21: that kept the MNIST convnet's dense layer
 * (64x1600x10, 2.05 MFLOP per product) and Winograd's dw finish on one thread in a training step on two.
 */
export const MIN_FLOP_PER_THREAD = 1 << 19;

/** Elements a part must touch before a second thread pays off for a memory-bound op. */
export const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/**
 * The same limits where one image's work is split (a batch smaller than the pool: latency) by output rows or
 * gemv columns. Lower: a split costs one hand-off (~1.2 µs while the workers spin; a call no worker claimed
 * in time is taken back by the caller, measured +1.3 µs per split on a machine with no free core), and at
 * batch 1 every layer is short. 2^16 FLOP is ~3.7 µs of the direct first-layer conv (the MNIST convnet's
 * conv1, 389 kFLOP, takes 22 µs: 2 parts on 2 threads, 4 on 4, 5 on 8; at 2^17 it stayed at 2 parts on any
 * pool), 2^13 elements ~2.3 µs of max pooling (its first pooling, 32 k, 9 µs).
 */
export const MIN_FLOP_PER_SPLIT_IMAGE = 1 << 16;
export const MIN_ELEMENTS_PER_SPLIT_IMAGE = 1 << 13;

/** How many threads to give `flop` of work split into at most `parts` pieces. */
export function threadsFor(flop: number, parts: number, minPerThread = MIN_FLOP_PER_THREAD): number {
  return Math.max(1, Math.min(engine().threads, parts, Math.floor(flop / minPerThread)));
}

/** `items` in `parts` contiguous [start, count] ranges of equal size (the last may be shorter), aligned to `align`. */
export function evenRanges(items: number, parts: number, align: number): Array<[start: number, count: number]> {
  if (parts <= 1) return [[0, items]];
  const per = Math.ceil(items / parts / align) * align;
  const out: Array<[number, number]> = [];
  for (let start = 0; start < items; start += per) out.push([start, Math.min(per, items - start)]);
  return out;
}

/**
 * `items` (images of a batch, rows of a matrix) of a compute-bound kernel doing `flop` in all: [start, count]
 * ranges, one per thread, each a multiple of `align` but the last; one range [0, items] (even for 0 items)
 * when threads don't pay.
 */
export function splitWork(
  items: number, flop: number, align = 1, minPerThread = MIN_FLOP_PER_THREAD,
): Array<[start: number, count: number]> {
  return evenRanges(items, threadsFor(flop, Math.ceil(items / align), minPerThread), align);
}

/**
 * [start, count] ranges over `items` (images, or elements with `align`), one per thread, each a multiple of
 * `align` but the last. `elements` is the memory the whole call touches; one range when threads don't pay.
 */
export function splitRanges(
  items: number, elements: number, align = 1, minPerThread = MIN_ELEMENTS_PER_THREAD,
): Array<[start: number, count: number]> {
  const parts = Math.min(engine().threads, Math.floor(elements / minPerThread), Math.ceil(items / align));
  return evenRanges(items, parts, align);
}

/**
 * An elementwise kernel(arrays..., n, scalars...) over n values: one call, or one per thread on slices of 16
 * floats (whole cache lines) where each slice touches enough memory (splitRanges). `arrays` are the pointers
 * (0: none) that move with the slice; every value is computed by the same code either way.
 */
export function parallelElementwise(kernel: KernelName, arrays: number[], n: number, scalars: number[]): void {
  engine().parallel(
    splitRanges(n, arrays.length * n, 16).map(([at, count]) => [kernel, ...arrays.map((p) => p && p + 4 * at), count, ...scalars] as unknown as KernelCall),
  );
}
