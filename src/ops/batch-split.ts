// How the convolution wrappers (conv2d, depthwise, conv3d, and conv2dTranspose through them) run a kernel
// over a batch: split by images across the thread pool (backend/split.ts), each part with its own scratch.
// Backward parts write dx for their own images and a partial dw and db (the first part straight into dw
// and db, the others into scratch, summed afterwards); with `accumulate`, every partial goes to scratch and
// all are added into dw and db.
import { engine, type KernelCall } from '../backend/engine.js';
import { splitWork } from '../backend/split.js';
import type { Tensor } from '../tensor.js';
import { align64 } from '../backend/memory.js';

/**
 * Runs call(n0, n, scratch) for each part [n0, n0 + n) of `images` (or of one image's output rows, split from
 * `minPerThread` FLOP a part); scratchBytes(n) is a part's scratch.
 */
export function forwardByImages(
  images: number, flop: number, scratchBytes: (n: number) => number,
  call: (n0: number, n: number, scratch: number) => KernelCall, minPerThread?: number,
): void {
  const e = engine();
  const parts = splitWork(images, flop, 1, minPerThread);
  const stride = align64(scratchBytes(parts[0][1]));
  const scratch = e.scratch(stride * parts.length);
  e.parallel(parts.map(([n0, n], t) => call(n0, n, scratch + t * stride)));
}

/**
 * Runs call(n0, n, dwPtr, dbPtr, scratch) for each part; dwPtr/dbPtr are where the part writes the dw and db
 * of its images (0 when not wanted): the first part straight into dw and db, the others (and, with
 * `accumulate`, every part) into scratch, added afterwards. (db summed over the whole dy after the parts,
 * as before, ran on one thread: 0.56 ms of the MNIST convnet's 10 ms training step on 2 threads.)
 */
export function backwardByImages(
  images: number, flop: number, dy: Tensor, dw: Tensor | null, db: Tensor | null, accumulate: boolean,
  scratchBytes: (n: number) => number,
  call: (n0: number, n: number, dwPtr: number, dbPtr: number, scratch: number) => KernelCall,
): void {
  const e = engine();
  const k = e.kernels;
  const parts = splitWork(images, flop);
  const threads = parts.length;
  const stride = align64(scratchBytes(parts[0][1]));
  // Per part in scratch: its dw, then its db.
  const dwBytes = dw ? align64(dw.size * 4) : 0;
  const partialBytes = dwBytes + (db ? align64(db.size * 4) : 0);
  const first = accumulate ? 0 : 1; // parts before this one write straight into dw and db
  const partials = threads - first;
  const base = e.scratch(partialBytes * partials + stride * threads);
  const scratch = base + partialBytes * partials;
  const partialOf = (t: number): number => base + (t - first) * partialBytes;
  e.parallel(parts.map(([n0, n], t) => call(
    n0, n, !dw ? 0 : t < first ? dw.ptr : partialOf(t),
    !db ? 0 : t < first ? db.ptr : partialOf(t) + dwBytes, scratch + t * stride,
  )));
  for (let t = first; t < threads; t++) {
    if (dw) k.add_f32(dw.ptr, dw.ptr, partialOf(t), dw.size);
    if (db) k.add_f32(db.ptr, db.ptr, partialOf(t) + dwBytes, db.size);
  }
}
