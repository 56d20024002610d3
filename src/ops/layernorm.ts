// Layer normalization over the last axis of x seen as (rows, C) (assembly/layernorm.ts).
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

function check(op: string, x: Tensor, C: number, perRow: Tensor[], perC: (Tensor | null)[], same: Tensor[]): void {
  const rows = x.size / C;
  if (!Number.isInteger(C) || C <= 0 || !Number.isInteger(rows) || perRow.some((t) => t.size !== rows) || perC.some((t) => t !== null && t.size !== C) || same.some((t) => t.size !== x.size)) {
    const all = [...perRow, ...perC.filter((t): t is Tensor => t !== null), ...same].map((t) => `[${t.shape}]`).join(', ');
    throw new Error(`simdnet ${op}: x [${x.shape}] must be rows of ${C} values, with mean/rstd one per row, gamma/beta ${C} values and the others x's size (got ${all})`);
  }
}

/** y = (x − mean)·rstd·gamma + beta per row of C values; writes mean and rstd (one per row) for the backward. gamma/beta null: 1 and 0. */
export function layerNormForward(x: Tensor, gamma: Tensor | null, beta: Tensor | null, y: Tensor, mean: Tensor, rstd: Tensor, C: number, epsilon: number): void {
  check('layerNormForward', x, C, [mean, rstd], [gamma, beta], [y]);
  refuseAliasing('layerNormForward', { y, mean, rstd }, { x, gamma, beta });
  engine().kernels.layernorm_forward_f32(x.ptr, gamma ? gamma.ptr : 0, beta ? beta.ptr : 0, y.ptr, mean.ptr, rstd.ptr, x.size / C, C, epsilon);
}

/** dx from dy (dx may be dy; null skips it); dgamma += Σ dy·x̂, dbeta += Σ dy over the rows (null skips them). */
export function layerNormBackward(
  x: Tensor, gamma: Tensor | null, mean: Tensor, rstd: Tensor, dy: Tensor, dx: Tensor | null, dgamma: Tensor | null, dbeta: Tensor | null, C: number,
): void {
  check('layerNormBackward', x, C, [mean, rstd], [gamma, dgamma, dbeta], dx ? [dy, dx] : [dy]);
  if (dx) refuseAliasing('layerNormBackward', { dx }, { x, dy }, true);
  engine().kernels.layernorm_backward_f32(x.ptr, gamma ? gamma.ptr : 0, mean.ptr, rstd.ptr, dy.ptr, dx ? dx.ptr : 0, dgamma ? dgamma.ptr : 0, dbeta ? dbeta.ptr : 0, x.size / C, C);
}
