// Resampling and window copies over NHWC images (assembly/resize.ts): nearest and bilinear resize with
// three coordinate rules, and the pad/crop copy behind zeroPadding2d and cropping2D.
import { engine, type KernelCall } from '../backend/engine.js';
import { splitRanges } from '../backend/split.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';
import { align64 } from '../backend/memory.js';

/**
 * How an output pixel maps to input coordinates (per axis, scale = in / out):
 * 'asymmetric' src = dst·scale (TF.js upSampling2d / resizeBilinear defaults), 'half_pixel'
 * src = (dst + ½)·scale − ½ (Keras 2, PyTorch, ONNX Resize), 'align_corners' scale = (in − 1)/(out − 1).
 */
export type ResizeCoordinates = 'asymmetric' | 'half_pixel' | 'align_corners';
export type ResizeInterpolation = 'nearest' | 'bilinear';

const MODES: Record<ResizeCoordinates, number> = { asymmetric: 0, half_pixel: 1, align_corners: 2 };

function dims(op: string, x: Tensor, y: Tensor, interpolation: ResizeInterpolation, coordinates: ResizeCoordinates): number[] {
  if (x.rank !== 4 || y.rank !== 4 || x.shape[0] !== y.shape[0] || x.shape[3] !== y.shape[3] || x.size === 0 || y.size === 0) {
    throw new Error(`simdnet ${op}: x [${x.shape}] and y [${y.shape}] must be (N,H,W,C) and (N,OH,OW,C), not empty`);
  }
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') throw new Error(`simdnet ${op}: interpolation must be 'nearest' or 'bilinear'`);
  if (!(coordinates in MODES)) throw new Error(`simdnet ${op}: coordinates must be one of ${Object.keys(MODES).join(', ')}`);
  return [...x.shape, y.shape[1], y.shape[2]];
}

function resize(kernel: 'resize_forward_f32' | 'resize_backward_f32', from: Tensor, to: Tensor, d: number[], bilinear: boolean, mode: number): void {
  const [N, H, W, C, OH, OW] = d;
  const e = engine();
  const tableBytes = align64(e.kernels.resize_scratch_bytes(OH, OW));
  const parts = splitRanges(N, from.size + to.size);
  const scratch = e.scratch(tableBytes * parts.length);
  const fromPer = (from.size / N) * 4;
  const toPer = (to.size / N) * 4;
  e.parallel(parts.map(([n0, n], t): KernelCall => [kernel, from.ptr + n0 * fromPer, to.ptr + n0 * toPer, n, H, W, C, OH, OW, +bilinear, mode, scratch + t * tableBytes]));
}

/** y (N,OH,OW,C) = x (N,H,W,C) resized. */
export function resizeForward(x: Tensor, y: Tensor, interpolation: ResizeInterpolation = 'nearest', coordinates: ResizeCoordinates = 'asymmetric'): void {
  refuseAliasing('resizeForward', { y }, { x });
  const d = dims('resizeForward', x, y, interpolation, coordinates);
  resize('resize_forward_f32', x, y, d, interpolation === 'bilinear', MODES[coordinates]);
}

/** dx (N,H,W,C) = the gradient of resizeForward given dy (N,OH,OW,C); dx is overwritten. */
export function resizeBackward(dy: Tensor, dx: Tensor, interpolation: ResizeInterpolation = 'nearest', coordinates: ResizeCoordinates = 'asymmetric'): void {
  refuseAliasing('resizeBackward', { dx }, { dy });
  const d = dims('resizeBackward', dx, dy, interpolation, coordinates);
  const [N, H, W, C, OH, OW] = d;
  // The kernel's dy/dx order: (dy, dx, N, H, W, C, OH, OW, …) — the same argument list with the roles swapped.
  resize('resize_backward_f32', dy, dx, [N, H, W, C, OH, OW], interpolation === 'bilinear', MODES[coordinates]);
}

/**
 * y (N,OH,OW,C)[n,i,j] = x (N,H,W,C)[n, i − top, j − left], 0 outside x: positive offsets pad, negative
 * ones crop. zeroPadding2d forward and cropping2D backward pad; cropping2D forward and zeroPadding2d
 * backward crop.
 */
export function padCrop2d(x: Tensor, y: Tensor, top: number, left: number): void {
  refuseAliasing('padCrop2d', { y }, { x });
  if (x.rank !== 4 || y.rank !== 4 || x.shape[0] !== y.shape[0] || x.shape[3] !== y.shape[3] || !Number.isInteger(top) || !Number.isInteger(left)) {
    throw new Error(`simdnet padCrop2d: x [${x.shape}] and y [${y.shape}] must be (N,H,W,C) and (N,OH,OW,C), offsets integers`);
  }
  const [N, H, W, C] = x.shape;
  const perX = H * W * C * 4;
  const perY = y.size / N * 4;
  engine().parallel(
    splitRanges(N, x.size + y.size).map(([n0, n]): KernelCall => ['pad_crop_2d_f32', x.ptr + n0 * perX, y.ptr + n0 * perY, n, H, W, C, y.shape[1], y.shape[2], top, left]),
  );
}
