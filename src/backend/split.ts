// How memory-bound ops (pooling, activations) divide a batch between threads: contiguous ranges, one per
// thread, and only when each part is large enough to pay for the hand-off (~2 µs while the pool spins).
import { engine } from './engine.js';

/** Elements a part must touch before a second thread pays off for a memory-bound op. */
export const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/**
 * [start, count] ranges over `items` (images, or elements with `align`), one per thread, each a multiple of
 * `align` but the last. `elements` is the memory the whole call touches; one range when threads don't pay.
 */
export function splitRanges(items: number, elements: number, align = 1): Array<[start: number, count: number]> {
  const parts = Math.min(engine().threads, Math.floor(elements / MIN_ELEMENTS_PER_THREAD), Math.ceil(items / align));
  if (parts <= 1) return [[0, items]];
  const per = Math.ceil(items / parts / align) * align;
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < items; start += per) ranges.push([start, Math.min(per, items - start)]);
  return ranges;
}
