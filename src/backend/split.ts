// How ops divide work between threads. Compute-bound kernels (GEMM, convolutions) split when each part has
// enough FLOPs to pay for waking a worker; memory-bound ones (pooling, activations) when each part touches
// enough memory (~2 µs hand-off while the pool spins). Parts are contiguous ranges, one per thread, or, where
// an op asks for chunks and a thread's share is long, up to `chunks` a thread, taken by whichever thread is
// free (the pool's queue).
import { engine } from './engine.js';

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

/**
 * The least work of a chunk (~0.1-0.2 ms of a convolution). Chunks let a thread the host stops mid-share hold up
 * one chunk, not its share: in 2-thread training steps of the MNIST convnet on a shared 2-core host, with its
 * four long kernels in chunks, their groups slower than 1.15x their median fell from ~28 % to ~12 %, though
 * the median step did not move. Chunks cost nothing measurable in its direct conv → pool (4 a thread), but
 * 1-2 % of the step each in Winograd's forward and backward (the backward's parts each sum a dU for the finish
 * to add), which stay one a thread; a conv's forward by images through im2col took 1.01-1.03x the time in
 * chunks on 2 threads. Only the ops measured to lose nothing ask for them.
 */
export const CHUNK_FLOP = 1 << 22;
/** Chunks a thread, at most, where an op asks for them (the pool's queue holds QUEUE_CALLS_PER_THREAD). */
export const CHUNKS_PER_THREAD = 4;

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
 * ranges, one per thread (up to `chunks` a thread, CHUNK_FLOP each at least), each a multiple of `align` but
 * the last; one range [0, items] (even for 0 items) when threads don't pay.
 */
export function splitWork(
  items: number, flop: number, align = 1, minPerThread = MIN_FLOP_PER_THREAD, chunks = 1,
): Array<[start: number, count: number]> {
  const most = Math.ceil(items / align);
  const threads = threadsFor(flop, most, minPerThread);
  // A whole number of chunks a thread, so that the threads end together when none is held up.
  const each = threads > 1 ? Math.max(1, Math.min(chunks, Math.floor(flop / threads / CHUNK_FLOP), Math.floor(most / threads))) : 1;
  return evenRanges(items, threads * each, align);
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
