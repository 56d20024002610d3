// Maxout (ConvNetJS style) over the last axis: groups of k consecutive channels, C → C/k, each output the
// maximum of its group; argmax keeps the winners' indices into x for backward.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';
import { sameShape } from './checks.js';

const fmt = (t: Tensor): string => `[${t.shape}]`;

/** Checks x (..., C) against y and argmax (..., C/k); returns the number of outputs. */
function check(op: string, xName: string, x: Tensor, yName: string, y: Tensor, argmax: Tensor, k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${op}: group size k must be an integer ≥ 1, got ${k} (${xName} ${fmt(x)})`);
  if (x.rank < 1) throw new Error(`${op}: ${xName} ${fmt(x)} needs a channel axis`);
  const c = x.shape[x.rank - 1];
  if (c % k !== 0) throw new Error(`${op}: ${xName} ${fmt(x)} has ${c} channels, not divisible by the group size ${k}`);
  const outShape = [...x.shape.slice(0, -1), c / k];
  if (!sameShape(y.shape, outShape)) throw new Error(`${op}: ${xName} ${fmt(x)} with groups of ${k} needs ${yName} of shape [${outShape}], got ${fmt(y)}`);
  if (!sameShape(argmax.shape, outShape)) throw new Error(`${op}: argmax must be [${outShape}] for ${xName} ${fmt(x)}, got ${fmt(argmax)}`);
  return y.size;
}

/** y (..., C/k) = max over each group of k consecutive channels of x (..., C); argmax shaped like y. */
export function maxoutForward(x: Tensor, y: Tensor, argmax: Tensor, k: number): void {
  const nOut = check('maxoutForward', 'x', x, 'y', y, argmax, k);
  refuseAliasing('maxoutForward', { y, argmax }, { x });
  engine().kernels.maxout_forward_f32(x.ptr, y.ptr, argmax.ptr, nOut, k);
}

/** dx (..., C) = 0 except dy (..., C/k) at each group's winner. */
export function maxoutBackward(dy: Tensor, argmax: Tensor, dx: Tensor, k: number): void {
  const nOut = check('maxoutBackward', 'dx', dx, 'dy', dy, argmax, k);
  refuseAliasing('maxoutBackward', { dx }, { dy, argmax });
  engine().kernels.maxout_backward_f32(dy.ptr, argmax.ptr, dx.ptr, nOut, k);
}
