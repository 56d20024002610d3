// How the convolution wrappers (conv2d, depthwise, conv3d, and conv2dTranspose through them) run a kernel
// over a batch: split by images across the thread pool (backend/split.ts), each part with its own scratch.
// Backward parts write dx for their own images and a partial dw (the first part straight into dw, the
// others into scratch, summed afterwards); with `accumulate`, every partial goes to scratch and all are
// added into dw and db.
import { engine, type KernelCall } from '../backend/engine.js';
import { splitWork } from '../backend/split.js';
import type { Tensor } from '../tensor.js';

const align64 = (n: number) => Math.ceil(n / 64) * 64;

/** Runs call(n0, n, scratch) for each part [n0, n0 + n) of `images`; scratchBytes(n) is a part's scratch. */
export function forwardByImages(
  images: number, flop: number, scratchBytes: (n: number) => number,
  call: (n0: number, n: number, scratch: number) => KernelCall,
): void {
  const e = engine();
  const parts = splitWork(images, flop);
  const stride = align64(scratchBytes(parts[0][1]));
  const scratch = e.scratch(stride * parts.length);
  e.parallel(parts.map(([n0, n], t) => call(n0, n, scratch + t * stride)));
}

/**
 * Runs call(n0, n, dwPtr, dbPtr, scratch) for each part; dwPtr/dbPtr are where the part writes its dw and
 * db (0 when not wanted). db is computed by the kernel only when there is one part and no accumulation;
 * otherwise here, from dy seen as (rows, db.size).
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
  const partialBytes = dw ? align64(dw.size * 4) : 0;
  const firstInScratch = accumulate ? 1 : 0;
  const partials = threads - 1 + firstInScratch;
  const dbBytes = accumulate && db ? align64(db.size * 4) : 0;
  const base = e.scratch(partialBytes * partials + dbBytes + stride * threads);
  const dbTemp = base + partialBytes * partials;
  const scratch = dbTemp + dbBytes;
  const partialOf = (t: number): number => base + (t - 1 + firstInScratch) * partialBytes;
  e.parallel(parts.map(([n0, n], t) => call(
    n0, n, !dw ? 0 : t === 0 && !accumulate ? dw.ptr : partialOf(t),
    threads === 1 && db ? (accumulate ? dbTemp : db.ptr) : 0, scratch + t * stride,
  )));
  if (dw) for (let t = accumulate ? 0 : 1; t < threads; t++) k.add_f32(dw.ptr, dw.ptr, partialOf(t), dw.size);
  if (db && threads > 1) k.bias_grad_f32(dy.ptr, accumulate ? dbTemp : db.ptr, dy.size / db.size, db.size);
  if (db && accumulate) k.add_f32(db.ptr, db.ptr, dbTemp, db.size);
}
