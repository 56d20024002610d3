// Transpose (axis permutation, assembly/transpose.ts): y = x with its axes reordered, y.shape[i] =
// x.shape[perm[i]]. Axes that stay neighbours in the same order are merged first, so any rank whose
// permutation merges down to ≤ 6 runs (every permutation of rank ≤ 6 does).
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

const MAX_AXES = 6;

/** y = x with axes permuted: y.shape[i] = x.shape[perm[i]]. Also the backward of a permutation (pass its inverse). */
export function transpose(x: Tensor, y: Tensor, perm: readonly number[]): void {
  const r = x.rank;
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((a, i) => a !== i) || perm.some((a, i) => y.shape[i] !== x.shape[a]) || y.rank !== r) {
    throw new Error(`simdnet transpose: perm [${perm}] must reorder the axes of x [${x.shape}] into y [${y.shape}]`);
  }
  refuseAliasing('transpose', { y }, { x });
  if (x.size === 0) return;
  // x's row-major strides; then y's axes, merging y axis i into the previous one when it is the x axis
  // right after it (their elements are then contiguous runs in both tensors).
  const stride: number[] = new Array(r);
  for (let a = r - 1, s = 1; a >= 0; a--) { stride[a] = s; s *= x.shape[a]; }
  const dims: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < r; i++) {
    const a = perm[i];
    if (x.shape[a] === 1) continue; // a unit axis moves nothing
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === stride[a] * x.shape[a]) {
      dims[last] *= x.shape[a];
      strides[last] = stride[a];
    } else {
      dims.push(x.shape[a]);
      strides.push(stride[a]);
    }
  }
  if (dims.length > MAX_AXES) throw new Error(`simdnet transpose: perm [${perm}] of x [${x.shape}] needs ${dims.length} axes after merging; the kernel takes ${MAX_AXES}`);
  while (dims.length < MAX_AXES) { dims.unshift(1); strides.unshift(0); }
  const [d0, d1, d2, d3, d4, d5] = dims;
  const [s0, s1, s2, s3, s4, s5] = strides;
  engine().kernels.transpose_f32(x.ptr, y.ptr, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5);
}

/** The inverse of a permutation: transpose by it undoes transpose by perm. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((a, i) => { inv[a] = i; });
  return inv;
}
