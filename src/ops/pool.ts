// Pooling ops over NHWC tensors: max and average 2D pooling with any window, stride and per-side padding,
// and global pooling (N,H,W,C) → (N,C). 1D pooling is the 2D case with H = 1 (layers reshape (N,L,C) to
// (N,1,L,C)). Max pooling records, per output, the index of its winner in x (an i32 stored in the bytes
// of a float32 tensor shaped like y), so backward is one scatter.
import { engine } from '../backend/engine.js';
import { splitRanges } from '../backend/split.js';
import type { Tensor } from '../tensor.js';

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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkGeometry(op: string, g: Pool2dGeometry): void {
  const positive = [g.poolH, g.poolW, g.strideH, g.strideW];
  const nonNegative = [g.padTop, g.padBottom, g.padLeft, g.padRight];
  if (!positive.every((v) => Number.isInteger(v) && v >= 1) || !nonNegative.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${op}: invalid geometry ${JSON.stringify(g)}: pool sizes and strides must be integers ≥ 1, paddings integers ≥ 0`);
  }
}

/** Checks x (N,H,W,C) against y (N,OH,OW,C) for geometry g; returns the kernel's size arguments. */
function poolArgs(op: string, x: Tensor, y: Tensor, g: Pool2dGeometry): number[] {
  checkGeometry(op, g);
  if (x.rank !== 4) throw new Error(`${op}: x must be (N,H,W,C), got ${fmt(x)}`);
  const [n, h, w, c] = x.shape;
  const [oh, ow] = pool2dOutputSize(h, w, g);
  if (oh < 1 || ow < 1) {
    throw new Error(`${op}: a ${g.poolH}x${g.poolW} window does not fit input ${fmt(x)} padded by ` +
      `(${g.padTop},${g.padBottom},${g.padLeft},${g.padRight}): the output would be empty`);
  }
  if (!sameShape(y.shape, [n, oh, ow, c])) throw new Error(`${op}: x ${fmt(x)} needs y of shape [${[n, oh, ow, c]}], got ${fmt(y)}`);
  return [n, h, w, c, oh, ow, g.poolH, g.poolW, g.strideH, g.strideW, g.padTop, g.padLeft];
}

/** y = max over each window of x; argmax (shaped like y) receives the index into x of each winner. */
export function maxPool2dForward(x: Tensor, y: Tensor, argmax: Tensor, g: Pool2dGeometry): void {
  const args = poolArgs('maxPool2dForward', x, y, g);
  if (!sameShape(argmax.shape, y.shape)) throw new Error(`maxPool2dForward: argmax must be shaped like y ${fmt(y)}, got ${fmt(argmax)}`);
  maxPoolByImages(x, y, argmax, args);
}

// Threads take whole images: the kernel gets the full tensors and its first image, so argmax indices stay
// indices into the whole of x.
function maxPoolByImages(x: Tensor, y: Tensor, argmax: Tensor, args: number[]): void {
  const [n, ...rest] = args;
  engine().parallel(
    splitRanges(n, x.size + 2 * y.size).map(([start, count]) => ['maxpool2d_forward_f32', x.ptr, y.ptr, argmax.ptr, count, ...rest, start] as const),
  );
}

// dx = 0, then each image's dy scattered into that image's part of dx; threads take whole images.
function scatterByImages(kernel: string, dy: Tensor, argmax: Tensor, dx: Tensor): void {
  const n = dy.shape[0];
  const outPer = dy.size / n;
  const inPer = dx.size / n;
  engine().parallel(
    splitRanges(n, dx.size + 2 * dy.size).map(
      ([start, count]) => [kernel, dy.ptr, argmax.ptr, dx.ptr, count * outPer, count * inPer, start * outPer, start * inPer] as const,
    ),
  );
}

/** dx = 0, then each dy element is added at its argmax (windows that overlap add up). */
export function maxPool2dBackward(dy: Tensor, argmax: Tensor, dx: Tensor): void {
  checkScatter('maxPool2dBackward', dy, argmax, dx);
  scatterByImages('maxpool2d_backward_f32', dy, argmax, dx);
}

// Average pooling has no indices: a thread's images are plain pointer offsets.
function avgPoolByImages(kernel: string, from: Tensor, to: Tensor, args: number[]): void {
  const [n, ...rest] = args;
  const fromPer = (from.size / n) * 4;
  const toPer = (to.size / n) * 4;
  engine().parallel(
    splitRanges(n, from.size + to.size).map(([start, count]) => [kernel, from.ptr + start * fromPer, to.ptr + start * toPer, count, ...rest] as const),
  );
}

/** y = mean of the image cells of each window (padding is not counted, as TF does for 'same'). */
export function avgPool2dForward(x: Tensor, y: Tensor, g: Pool2dGeometry): void {
  avgPoolByImages('avgpool2d_forward_f32', x, y, poolArgs('avgPool2dForward', x, y, g));
}

/** dx (N,H,W,C) from dy (N,OH,OW,C): each window spreads dy / (its image cells) over those cells. */
export function avgPool2dBackward(dy: Tensor, dx: Tensor, g: Pool2dGeometry): void {
  avgPoolByImages('avgpool2d_backward_f32', dy, dx, poolArgs('avgPool2dBackward', dx, dy, g));
}

/** Global pooling sees x (N,H,W,C), or (N,L,C), as one window per image: returns the kernel's size arguments. */
function globalArgs(op: string, x: Tensor, y: Tensor): number[] {
  if (x.rank !== 4 && x.rank !== 3) throw new Error(`${op}: x must be (N,H,W,C) or (N,L,C), got ${fmt(x)}`);
  const n = x.shape[0];
  const c = x.shape[x.rank - 1];
  const h = x.rank === 4 ? x.shape[1] : 1;
  const w = x.shape[x.rank - 2];
  if (h * w < 1) throw new Error(`${op}: x ${fmt(x)} has no cells to pool`);
  if (!sameShape(y.shape, [n, c])) throw new Error(`${op}: x ${fmt(x)} needs y of shape [${[n, c]}], got ${fmt(y)}`);
  // One h x w window, stride 1, no padding: a 1x1 output per image.
  return [n, h, w, c, 1, 1, h, w, 1, 1, 0, 0];
}

/** y (N,C) = mean over every cell of each image x (N,H,W,C). */
export function globalAvgPoolForward(x: Tensor, y: Tensor): void {
  avgPoolByImages('avgpool2d_forward_f32', x, y, globalArgs('globalAvgPoolForward', x, y));
}

/** dx (N,H,W,C) = dy (N,C) / (H*W) at every cell. */
export function globalAvgPoolBackward(dy: Tensor, dx: Tensor): void {
  avgPoolByImages('avgpool2d_backward_f32', dy, dx, globalArgs('globalAvgPoolBackward', dx, dy));
}

/** y (N,C) = max over every cell of each image x (N,H,W,C); argmax (N,C) receives the winners' indices into x. */
export function globalMaxPoolForward(x: Tensor, y: Tensor, argmax: Tensor): void {
  const args = globalArgs('globalMaxPoolForward', x, y);
  if (!sameShape(argmax.shape, y.shape)) throw new Error(`globalMaxPoolForward: argmax must be shaped like y ${fmt(y)}, got ${fmt(argmax)}`);
  maxPoolByImages(x, y, argmax, args);
}

/** dx (N,H,W,C) = 0 except dy (N,C) at each winner. */
export function globalMaxPoolBackward(dy: Tensor, argmax: Tensor, dx: Tensor): void {
  checkScatter('globalMaxPoolBackward', dy, argmax, dx);
  scatterByImages('argmax_scatter_f32', dy, argmax, dx);
}

/** dy and argmax alike; dx of the same batch and channel count (argmax indices are bounds-checked by the kernel). */
function checkScatter(op: string, dy: Tensor, argmax: Tensor, dx: Tensor): void {
  if (!sameShape(argmax.shape, dy.shape)) throw new Error(`${op}: argmax ${fmt(argmax)} must be shaped like dy ${fmt(dy)}`);
  if (dx.rank < 2 || dy.rank < 2 || dx.shape[0] !== dy.shape[0] || dx.shape[dx.rank - 1] !== dy.shape[dy.rank - 1]) {
    throw new Error(`${op}: dx ${fmt(dx)} does not match dy ${fmt(dy)} (batch and channels must agree)`);
  }
}
