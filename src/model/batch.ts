// Copying a batch into the arena: one typed-array copy per sample (or one for a contiguous range), within
// linear memory, so a shuffled batch costs a gather and nothing crosses into JS.
import { describeValue } from '../describe.js';
import type { Arena } from '../backend/arena.js';
import { engine } from '../backend/engine.js';
import { Tensor } from '../tensor.js';

/** Rows order[start .. start+count) of src (N, ...), in that order, as an arena tensor (count, ...). */
export function gatherRows(src: Tensor, order: Int32Array | null, start: number, count: number, arena: Arena): Tensor {
  return gatherRowsInto(src, order, start, Tensor.empty([count, ...src.shape.slice(1)], arena));
}

/** The same into `out` (count, ...), which it returns. */
export function gatherRowsInto(src: Tensor, order: Int32Array | null, start: number, out: Tensor): Tensor {
  const rowSize = src.size / src.shape[0];
  const count = out.shape[0];
  const heap = engine().heap.f32; // taken after the allocation: growth detaches views
  const from = src.ptr >> 2;
  const to = out.ptr >> 2;
  if (!order) {
    heap.copyWithin(to, from + start * rowSize, from + (start + count) * rowSize);
    return out;
  }
  for (let i = 0; i < count; i++) {
    const row = from + order[start + i] * rowSize;
    heap.copyWithin(to + i * rowSize, row, row + rowSize);
  }
  return out;
}

/** Yields to the event loop so a page stays responsive (setImmediate in Node; a message elsewhere, unclamped). */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') return new Promise((r) => g.setImmediate!(r));
  if (typeof g.MessageChannel === 'function') {
    return new Promise((r) => {
      const ch = new g.MessageChannel!();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}

export function checkBatchSize(b: number, who: string): number {
  if (!Number.isInteger(b) || b <= 0) throw new Error(`simdnet: ${who}: batchSize must be a positive integer, got ${describeValue(b)}`);
  return b;
}
