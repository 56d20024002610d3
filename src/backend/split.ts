// How ops divide work between threads. Compute-bound kernels (GEMM, convolutions) split when each part has
// enough FLOPs to pay for waking a worker; memory-bound ones (pooling, activations) when each part touches
// enough memory (~2 µs hand-off while the pool spins). Parts are contiguous ranges, one per thread.
import { engine } from './engine.js';

/** Work below which one more thread costs more than it saves (waking a worker takes microseconds). */
export const MIN_FLOP_PER_THREAD = 1 << 21;

/** Elements a part must touch before a second thread pays off for a memory-bound op. */
export const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/** How many threads to give `flop` of work split into at most `parts` pieces. */
export function threadsFor(flop: number, parts: number): number {
  return Math.max(1, Math.min(engine().threads, parts, Math.floor(flop / MIN_FLOP_PER_THREAD)));
}

/** `items` in `parts` contiguous [start, count] ranges of equal size (the last may be shorter), aligned to `align`. */
function ranges(items: number, parts: number, align: number): Array<[start: number, count: number]> {
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
export function splitWork(items: number, flop: number, align = 1): Array<[start: number, count: number]> {
  return ranges(items, threadsFor(flop, Math.ceil(items / align)), align);
}

/**
 * [start, count] ranges over `items` (images, or elements with `align`), one per thread, each a multiple of
 * `align` but the last. `elements` is the memory the whole call touches; one range when threads don't pay.
 */
export function splitRanges(items: number, elements: number, align = 1): Array<[start: number, count: number]> {
  const parts = Math.min(engine().threads, Math.floor(elements / MIN_ELEMENTS_PER_THREAD), Math.ceil(items / align));
  return ranges(items, parts, align);
}
