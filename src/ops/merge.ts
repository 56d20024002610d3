// Elementwise and concatenation kernels for the merge layers (assembly/merge.ts, assembly/elementwise.ts).
// Every tensor of one call has the same number of elements, except concatenation's, which is described
// as row blocks.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

function sameSize(op: string, ...ts: Tensor[]): number {
  const n = ts[0].size;
  if (ts.some((t) => t.size !== n)) throw new Error(`simdnet ${op}: sizes differ: ${ts.map((t) => `[${t.shape}]`).join(', ')}`);
  return n;
}

/** out = a + b (out may be a or b). */
export function addInto(out: Tensor, a: Tensor, b: Tensor): void {
  refuseAliasing('add', { out }, { a, b }, true);
  engine().kernels.add_f32(out.ptr, a.ptr, b.ptr, sameSize('add', out, a, b));
}

/** out = a - b (out may be a or b). */
export function subtractInto(out: Tensor, a: Tensor, b: Tensor): void {
  refuseAliasing('subtract', { out }, { a, b }, true);
  engine().kernels.sub_f32(out.ptr, a.ptr, b.ptr, sameSize('subtract', out, a, b));
}

/** out = a * b elementwise (out may be a or b). */
export function multiplyInto(out: Tensor, a: Tensor, b: Tensor): void {
  refuseAliasing('multiply', { out }, { a, b }, true);
  engine().kernels.mul_f32(out.ptr, a.ptr, b.ptr, sameSize('multiply', out, a, b));
}

/**
 * A channel gate: out (N, …, C) = x (N, …, C) · s (N, C) broadcast over the positions between (out may be x).
 * The gradient of x is this on dy; the gate's is multiplyChannelsGrad.
 */
export function multiplyChannelsInto(out: Tensor, x: Tensor, s: Tensor): void {
  refuseAliasing('multiplyChannels', { out }, { x, s }, true);
  const [N, P, C] = gateDims('multiplyChannels', x, s);
  sameSize('multiplyChannels', out, x);
  engine().kernels.mul_channels_f32(out.ptr, x.ptr, s.ptr, N, P, C);
}

/** ds (N, C) = Σ over positions of dy · x, both (N, …, C); ds is overwritten. */
export function multiplyChannelsGrad(ds: Tensor, dy: Tensor, x: Tensor): void {
  refuseAliasing('multiplyChannelsGrad', { ds }, { dy, x });
  const [N, P, C] = gateDims('multiplyChannelsGrad', x, ds);
  sameSize('multiplyChannelsGrad', dy, x);
  engine().kernels.mul_channels_grad_f32(ds.ptr, dy.ptr, x.ptr, N, P, C);
}

/** [N, P, C] of x (N, …, C) against a gate s of N·C values. */
function gateDims(op: string, x: Tensor, s: Tensor): [number, number, number] {
  const N = x.shape[0];
  const C = x.shape[x.rank - 1];
  if (x.rank < 2 || s.size !== N * C) throw new Error(`simdnet ${op}: the gate [${s.shape}] must hold ${N}x${C} values for x [${x.shape}]`);
  return [N, C === 0 ? 0 : x.size / (N * C), C];
}

/** out = x * s (out may be x). */
export function scaleInto(out: Tensor, x: Tensor, s: number): void {
  refuseAliasing('scale', { out }, { x }, true);
  engine().kernels.scale_f32(out.ptr, x.ptr, sameSize('scale', out, x), s);
}

/** out = x (a copy). */
export function copyInto(out: Tensor, x: Tensor): void {
  refuseAliasing('copy', { out }, { x }, true);
  engine().kernels.copy_f32(out.ptr, x.ptr, sameSize('copy', out, x));
}

/** out = max(a, b) or min(a, b) elementwise; on a tie out takes a. */
export function maxMinInto(out: Tensor, a: Tensor, b: Tensor, isMax: boolean): void {
  refuseAliasing(isMax ? 'maximum' : 'minimum', { out }, { a, b }, true);
  engine().kernels.max_min_f32(out.ptr, a.ptr, b.ptr, sameSize(isMax ? 'maximum' : 'minimum', out, a, b), isMax ? 1 : 0);
}

/**
 * Maximum/minimum backward for one input x of output y: dx = rem where x == y (and rem is cleared
 * there), 0 elsewhere. Called for each input in order with rem starting as dy, so the first input that
 * holds the extreme gets the gradient.
 */
export function claimEqual(x: Tensor, y: Tensor, rem: Tensor, dx: Tensor): void {
  refuseAliasing('claimEqual', { dx, rem }, { x, y }, true);
  engine().kernels.claim_equal_f32(x.ptr, y.ptr, rem.ptr, dx.ptr, sameSize('claimEqual', x, y, rem, dx));
}

/**
 * Copies `rows` rows of `cols` floats: src row r starts at float srcOffset + r * srcStride, dst row r at
 * dstOffset + r * dstStride. Concatenate's forward (inputs into column ranges of the output) and backward.
 */
export function copyRows(
  dst: Tensor, dstOffset: number, dstStride: number, src: Tensor, srcOffset: number, srcStride: number, rows: number, cols: number,
): void {
  refuseAliasing('copyRows', { dst }, { src });
  const fits = (t: Tensor, offset: number, stride: number): boolean =>
    rows === 0 || (offset >= 0 && cols <= stride && offset + (rows - 1) * stride + cols <= t.size);
  if (!fits(dst, dstOffset, dstStride) || !fits(src, srcOffset, srcStride)) {
    throw new Error(`simdnet copyRows: ${rows}x${cols} block does not fit dst [${dst.shape}] (offset ${dstOffset}, stride ${dstStride}) or src [${src.shape}] (offset ${srcOffset}, stride ${srcStride})`);
  }
  engine().kernels.copy_rows_f32(dst.ptr + 4 * dstOffset, dstStride, src.ptr + 4 * srcOffset, srcStride, rows, cols);
}
