// Data augmentation kernels (assembly/augment.ts), forward only: the affine warp behind the random
// geometric layers, per-image contrast, and y = x·scale + offset. Split over images between threads.
import { engine, type KernelCall } from '../backend/engine.js';
import { splitRanges } from '../backend/split.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

/** Where reads outside the image go, as Keras's `fill_mode`. */
export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export const FILL_MODES: readonly FillMode[] = ['reflect', 'wrap', 'constant', 'nearest'];

function images(op: string, x: Tensor, y: Tensor): number[] {
  if (x.rank !== 4 || y.rank !== 4 || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new Error(`simdnet ${op}: x [${x.shape}] and y [${y.shape}] must both be (N,H,W,C)`);
  }
  return x.shape;
}

/**
 * y (N,H,W,C) = x warped: output pixel (row i, col j) of image n reads x at col m0·j + m1·i + m2,
 * row m3·j + m4·i + m5, where m = mats[6n .. 6n+6) (TF's transform rows a and b, output → input).
 */
export function warpAffine(x: Tensor, y: Tensor, mats: Tensor, fill: FillMode, fillValue: number, interpolation: 'bilinear' | 'nearest'): void {
  const [N, H, W, C] = images('warpAffine', x, y);
  if (mats.size !== N * 6) throw new Error(`simdnet warpAffine: mats [${mats.shape}] must hold 6 numbers per image of x [${x.shape}]`);
  refuseAliasing('warpAffine', { y }, { x, mats });
  const per = H * W * C * 4;
  const mode = FILL_MODES.indexOf(fill);
  engine().parallel(
    splitRanges(N, 2 * x.size).map(([n0, n]): KernelCall => ['warp_affine_f32', x.ptr + n0 * per, y.ptr + n0 * per, n, H, W, C, mats.ptr + n0 * 24, mode, fillValue, +(interpolation === 'nearest')]),
  );
}

/** y = clamp((x − mean)·factors[n] + mean, lo, hi) per image n and channel (mean over the image's pixels). */
export function adjustContrast(x: Tensor, y: Tensor, factors: Tensor, lo: number, hi: number): void {
  const [N, H, W, C] = images('adjustContrast', x, y);
  if (factors.size !== N) throw new Error(`simdnet adjustContrast: factors [${factors.shape}] must hold one number per image of x [${x.shape}]`);
  refuseAliasing('adjustContrast', { y }, { x, factors });
  const parts = splitRanges(N, 3 * x.size);
  const sums = engine().scratch(parts.length * (C * 4 + 64));
  const per = H * W * C * 4;
  engine().parallel(
    parts.map(([n0, n], t): KernelCall => ['contrast_f32', x.ptr + n0 * per, y.ptr + n0 * per, n, H * W, C, factors.ptr + n0 * 4, lo, hi, sums + t * (C * 4 + 64)]),
  );
}

/** y = x·scale + offset, elementwise (y may be x). */
export function scaleShift(x: Tensor, y: Tensor, scale: number, offset: number): void {
  if (x.size !== y.size) throw new Error(`simdnet scaleShift: x [${x.shape}] and y [${y.shape}] differ in size`);
  engine().kernels.scale_shift_f32(x.ptr, y.ptr, x.size, scale, offset);
}
