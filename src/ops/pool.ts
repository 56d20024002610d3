// Pooling ops over NHWC and NDHWC tensors: max and average pooling with any window, stride and per-side
// padding, in 2D and 3D, and global pooling (N,H,W,C) → (N,C). One family of kernels (assembly/pool.ts)
// works in 3D: 2D pooling is depth 1, 1D pooling is the 2D case with H = 1 (layers reshape (N,L,C) to
// (N,1,L,C)). Max pooling records, per output, the index of its winner in x (an i32 stored in the bytes
// of a float32 tensor shaped like y), so backward is one scatter.
import { engine, type KernelCall } from '../backend/engine.js';
import { MIN_ELEMENTS_PER_SPLIT_IMAGE, MIN_ELEMENTS_PER_THREAD, splitRanges } from '../backend/split.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';
import { sameShape } from './checks.js';

export interface Pool2dGeometry {
  poolH: number;
  poolW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/** Output height and width of a pooling window over an inH x inW image (0 when the window does not fit). */
export function pool2dOutputSize(inH: number, inW: number, g: Pool2dGeometry): [number, number] {
  const outH = Math.floor((inH + g.padTop + g.padBottom - g.poolH) / g.strideH) + 1;
  const outW = Math.floor((inW + g.padLeft + g.padRight - g.poolW) / g.strideW) + 1;
  return [Math.max(0, outH), Math.max(0, outW)];
}

const fmt = (t: Tensor): string => `[${t.shape}]`;

export interface Pool3dGeometry {
  poolD: number;
  poolH: number;
  poolW: number;
  strideD: number;
  strideH: number;
  strideW: number;
  padFront: number;
  padBack: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/** Output depth, height and width of a pooling window over an inD x inH x inW volume (0 when it does not fit). */
export function pool3dOutputSize(inD: number, inH: number, inW: number, g: Pool3dGeometry): [number, number, number] {
  const outD = Math.floor((inD + g.padFront + g.padBack - g.poolD) / g.strideD) + 1;
  const [outH, outW] = pool2dOutputSize(inH, inW, g);
  return [Math.max(0, outD), outH, outW];
}

/** A 2D geometry as the 3D kernels take it: a depth window of 1. */
function as3d(g: Pool2dGeometry): Pool3dGeometry {
  return { ...g, poolD: 1, strideD: 1, padFront: 0, padBack: 0 };
}

// The size arguments of the 3D kernels: n, d, h, w, c, od, oh, ow, pools, strides, front/top/left padding.
type PoolArgs = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

function checkGeometry(op: string, g: Pool3dGeometry): void {
  const positive = [g.poolD, g.poolH, g.poolW, g.strideD, g.strideH, g.strideW];
  const nonNegative = [g.padFront, g.padBack, g.padTop, g.padBottom, g.padLeft, g.padRight];
  if (!positive.every((v) => Number.isInteger(v) && v >= 1) || !nonNegative.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${op}: invalid geometry ${JSON.stringify(g)}: pool sizes and strides must be integers ≥ 1, paddings integers ≥ 0`);
  }
}

/** Checks x (N,[D,]H,W,C) against y (N,[OD,]OH,OW,C) for geometry g; returns the kernel's size arguments. */
function poolArgs(op: string, x: Tensor, y: Tensor, g: Pool3dGeometry, rank: 4 | 5): PoolArgs {
  checkGeometry(op, g);
  if (x.rank !== rank) throw new Error(`${op}: x must be ${rank === 4 ? '(N,H,W,C)' : '(N,D,H,W,C)'}, got ${fmt(x)}`);
  const [n, d, h, w, c] = rank === 4 ? [x.shape[0], 1, ...x.shape.slice(1)] : x.shape;
  const [od, oh, ow] = pool3dOutputSize(d, h, w, g);
  if (od < 1 || oh < 1 || ow < 1) {
    const window = rank === 4 ? `${g.poolH}x${g.poolW}` : `${g.poolD}x${g.poolH}x${g.poolW}`;
    const pads = rank === 4 ? [g.padTop, g.padBottom, g.padLeft, g.padRight] : [g.padFront, g.padBack, g.padTop, g.padBottom, g.padLeft, g.padRight];
    throw new Error(`${op}: a ${window} window does not fit input ${fmt(x)} padded by (${pads}): the output would be empty`);
  }
  const want = rank === 4 ? [n, oh, ow, c] : [n, od, oh, ow, c];
  if (!sameShape(y.shape, want)) throw new Error(`${op}: x ${fmt(x)} needs y of shape [${want}], got ${fmt(y)}`);
  return [n, d, h, w, c, od, oh, ow, g.poolD, g.poolH, g.poolW, g.strideD, g.strideH, g.strideW, g.padFront, g.padTop, g.padLeft];
}

/**
 * y = max over each window of x (N,H,W,C); argmax (shaped like y) receives the index into x of each winner,
 * or is null where no backward follows (inference: the kernel then computes the maxima alone).
 */
export function maxPool2dForward(x: Tensor, y: Tensor, argmax: Tensor | null, g: Pool2dGeometry): void {
  maxPoolForward('maxPool2dForward', x, y, argmax, poolArgs('maxPool2dForward', x, y, as3d(g), 4));
}

/** y = max over each window of x (N,D,H,W,C); argmax (shaped like y, or null) as for maxPool2dForward. */
export function maxPool3dForward(x: Tensor, y: Tensor, argmax: Tensor | null, g: Pool3dGeometry): void {
  maxPoolForward('maxPool3dForward', x, y, argmax, poolArgs('maxPool3dForward', x, y, g, 5));
}

// Threads take ranges of output rows over the whole batch (N·OD·OH): whole images for a batch, rows of
// one image at batch 1. The kernel gets the full tensors and its first row, so argmax indices stay indices
// into the whole of x.
function maxPoolForward(op: string, x: Tensor, y: Tensor, argmax: Tensor | null, args: PoolArgs): void {
  if (argmax && !sameShape(argmax.shape, y.shape)) throw new Error(`${op}: argmax must be shaped like y ${fmt(y)}, got ${fmt(argmax)}`);
  refuseAliasing(op, { y, argmax }, { x });
  const [n, ...rest] = args;
  const rows = n * args[5] * args[6];
  const minPerThread = n < engine().threads ? MIN_ELEMENTS_PER_SPLIT_IMAGE : MIN_ELEMENTS_PER_THREAD;
  const a = argmax ? argmax.ptr : 0;
  engine().parallel(
    splitRanges(rows, x.size + (argmax ? 2 : 1) * y.size, 1, minPerThread).map(([start, count]): KernelCall => ['maxpool3d_forward_f32', x.ptr, y.ptr, a, count, ...rest, start]),
  );
}

// dx = 0, then each image's dy scattered into that image's part of dx; threads take whole images.
function scatterByImages(dy: Tensor, argmax: Tensor, dx: Tensor): void {
  const n = dy.shape[0];
  const outPer = dy.size / n;
  const inPer = dx.size / n;
  engine().parallel(
    splitRanges(n, dx.size + 2 * dy.size).map(
      ([start, count]): KernelCall => ['argmax_scatter_f32', dy.ptr, argmax.ptr, dx.ptr, count * outPer, count * inPer, start * outPer, start * inPer],
    ),
  );
}

/** Whether no two windows of g share a cell (strides ≥ pool sizes, no padding before): see maxPool2dBackward. */
export function disjointWindows(g: Pool2dGeometry): boolean {
  return g.strideH >= g.poolH && g.strideW >= g.poolW && g.padTop === 0 && g.padLeft === 0;
}

/**
 * dx = 0, then each dy element is added at its argmax (windows that overlap add up). Given the geometry of
 * disjoint windows, one pass writes dx instead (dy at each winner, 0 elsewhere); `maskBy`, the pooled output
 * y (disjoint windows only), also zeroes the gradient where y ≤ 0 — the backward of a relu before the pool.
 */
export function maxPool2dBackward(dy: Tensor, argmax: Tensor, dx: Tensor, g?: Pool2dGeometry, maskBy?: Tensor): void {
  const op = 'maxPool2dBackward';
  checkScatter(op, dy, argmax, dx);
  refuseAliasing(op, { dx }, { dy, argmax, ...(maskBy ? { maskBy } : {}) });
  if (!g || !disjointWindows(g)) {
    if (maskBy) throw new Error(`${op}: maskBy needs the geometry of disjoint windows (strides ≥ pool sizes, no padding before)`);
    scatterByImages(dy, argmax, dx);
    return;
  }
  if (dx.rank !== 4 || dy.rank !== 4) throw new Error(`${op}: dx ${fmt(dx)} and dy ${fmt(dy)} must be (N,H,W,C)`);
  const [n, h, w, c] = dx.shape;
  const [oh, ow] = pool2dOutputSize(h, w, g);
  if (!sameShape(dy.shape, [n, oh, ow, c])) throw new Error(`${op}: dx ${fmt(dx)} pooled is [${[n, oh, ow, c]}], got dy ${fmt(dy)}`);
  if (maskBy && !sameShape(maskBy.shape, dy.shape)) throw new Error(`${op}: maskBy ${fmt(maskBy)} must be shaped like dy ${fmt(dy)}`);
  engine().parallel(
    splitRanges(n, dx.size + 2 * dy.size).map(([start, count]): KernelCall => [
      'maxpool_backward_disjoint_f32', dy.ptr, argmax.ptr, maskBy?.ptr ?? 0, dx.ptr, count, h, w, c, oh, ow, g.poolH, g.poolW, g.strideH, g.strideW, start,
    ]),
  );
}

/** dx (N,D,H,W,C) = 0, then each dy element is added at its argmax. */
export function maxPool3dBackward(dy: Tensor, argmax: Tensor, dx: Tensor): void {
  checkScatter('maxPool3dBackward', dy, argmax, dx);
  refuseAliasing('maxPool3dBackward', { dx }, { dy, argmax });
  scatterByImages(dy, argmax, dx);
}

// Average pooling has no indices: a thread's images are plain pointer offsets. `from` is what the kernel
// reads per window cell (x forward, dx backward), `to` the per-output side (y, dy).
function avgPool(op: string, cells: Tensor, outs: Tensor, backward: boolean, args: PoolArgs): void {
  if (backward) refuseAliasing(op, { dx: cells }, { dy: outs });
  else refuseAliasing(op, { y: outs }, { x: cells });
  const [n, ...rest] = args;
  const cellsPer = (cells.size / n) * 4;
  const outsPer = (outs.size / n) * 4;
  engine().parallel(
    splitRanges(n, cells.size + outs.size).map(
      ([start, count]): KernelCall => ['avgpool3d_f32', cells.ptr + start * cellsPer, outs.ptr + start * outsPer, +backward, count, ...rest],
    ),
  );
}

/** y = mean of the image cells of each window (padding is not counted, as TF does for 'same'). */
export function avgPool2dForward(x: Tensor, y: Tensor, g: Pool2dGeometry): void {
  avgPool('avgPool2dForward', x, y, false, poolArgs('avgPool2dForward', x, y, as3d(g), 4));
}

/**
 * dx (N,H,W,C) from dy (N,OH,OW,C): each window spreads dy / (its image cells) over those cells — the exact
 * gradient of the forward (tfjs-cpu divides by the whole window under 'same' padding, which is not).
 */
export function avgPool2dBackward(dy: Tensor, dx: Tensor, g: Pool2dGeometry): void {
  avgPool('avgPool2dBackward', dx, dy, true, poolArgs('avgPool2dBackward', dx, dy, as3d(g), 4));
}

/** y (N,OD,OH,OW,C) = mean of the image cells of each window of x (N,D,H,W,C). */
export function avgPool3dForward(x: Tensor, y: Tensor, g: Pool3dGeometry): void {
  avgPool('avgPool3dForward', x, y, false, poolArgs('avgPool3dForward', x, y, g, 5));
}

/** dx (N,D,H,W,C) from dy: each window spreads dy / (its image cells) over those cells. */
export function avgPool3dBackward(dy: Tensor, dx: Tensor, g: Pool3dGeometry): void {
  avgPool('avgPool3dBackward', dx, dy, true, poolArgs('avgPool3dBackward', dx, dy, g, 5));
}

/** Global pooling sees x (N,H,W,C), or (N,L,C), as one window per image: returns the kernel's size arguments. */
function globalArgs(op: string, x: Tensor, y: Tensor): PoolArgs {
  if (x.rank !== 4 && x.rank !== 3) throw new Error(`${op}: x must be (N,H,W,C) or (N,L,C), got ${fmt(x)}`);
  const n = x.shape[0];
  const c = x.shape[x.rank - 1];
  const h = x.rank === 4 ? x.shape[1] : 1;
  const w = x.shape[x.rank - 2];
  if (h * w < 1) throw new Error(`${op}: x ${fmt(x)} has no cells to pool`);
  if (!sameShape(y.shape, [n, c])) throw new Error(`${op}: x ${fmt(x)} needs y of shape [${[n, c]}], got ${fmt(y)}`);
  // One h x w window, stride 1, no padding: a 1x1 output per image.
  return [n, 1, h, w, c, 1, 1, 1, 1, h, w, 1, 1, 1, 0, 0, 0];
}

/** y (N,C) = mean over every cell of each image x (N,H,W,C). */
export function globalAvgPoolForward(x: Tensor, y: Tensor): void {
  avgPool('globalAvgPoolForward', x, y, false, globalArgs('globalAvgPoolForward', x, y));
}

/** dx (N,H,W,C) = dy (N,C) / (H*W) at every cell. */
export function globalAvgPoolBackward(dy: Tensor, dx: Tensor): void {
  avgPool('globalAvgPoolBackward', dx, dy, true, globalArgs('globalAvgPoolBackward', dx, dy));
}

/** y (N,C) = max over every cell of each image x (N,H,W,C); argmax (N,C) receives the winners' indices into x. */
export function globalMaxPoolForward(x: Tensor, y: Tensor, argmax: Tensor): void {
  maxPoolForward('globalMaxPoolForward', x, y, argmax, globalArgs('globalMaxPoolForward', x, y));
}

/** dx (N,H,W,C) = 0 except dy (N,C) at each winner. */
export function globalMaxPoolBackward(dy: Tensor, argmax: Tensor, dx: Tensor): void {
  checkScatter('globalMaxPoolBackward', dy, argmax, dx);
  refuseAliasing('globalMaxPoolBackward', { dx }, { dy, argmax });
  scatterByImages(dy, argmax, dx);
}

/** dy and argmax alike; dx of the same batch and channel count (argmax indices are bounds-checked by the kernel). */
function checkScatter(op: string, dy: Tensor, argmax: Tensor, dx: Tensor): void {
  if (!sameShape(argmax.shape, dy.shape)) throw new Error(`${op}: argmax ${fmt(argmax)} must be shaped like dy ${fmt(dy)}`);
  if (dx.rank < 2 || dy.rank < 2 || dx.shape[0] !== dy.shape[0] || dx.shape[dx.rank - 1] !== dy.shape[dy.rank - 1]) {
    throw new Error(`${op}: dx ${fmt(dx)} does not match dy ${fmt(dy)} (batch and channels must agree)`);
  }
}
