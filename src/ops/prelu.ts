// PReLU (assembly/prelu.ts): y = x > 0 ? x : alpha·x, alpha broadcast over the batch and over leading shared
// axes: x is seen as (rows, A) with A = alpha.size.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';

function check(op: string, x: Tensor, alpha: Tensor, others: Tensor[]): void {
  if (alpha.size === 0 || x.size % alpha.size !== 0 || others.some((t) => t.size !== x.size)) {
    throw new Error(`simdnet ${op}: x [${x.shape}] must be whole rows of alpha [${alpha.shape}], and the other tensors its size`);
  }
}

/** y = x > 0 ? x : alpha·x; y may be x. */
export function preluForward(x: Tensor, alpha: Tensor, y: Tensor): void {
  check('preluForward', x, alpha, [y]);
  engine().kernels.prelu_forward_f32(x.ptr, alpha.ptr, y.ptr, x.size, alpha.size);
}

/** dx = dy · (x > 0 ? 1 : alpha) (dx may be dy); dalpha += Σ dy·x over the cells with x ≤ 0 (null skips it). */
export function preluBackward(x: Tensor, alpha: Tensor, dy: Tensor, dx: Tensor, dalpha: Tensor | null): void {
  check('preluBackward', x, alpha, [dy, dx]);
  if (dalpha && dalpha.size !== alpha.size) throw new Error(`simdnet preluBackward: dalpha [${dalpha.shape}] must be shaped like alpha [${alpha.shape}]`);
  engine().kernels.prelu_backward_f32(x.ptr, alpha.ptr, dy.ptr, dx.ptr, dalpha ? dalpha.ptr : 0, x.size, alpha.size);
}
