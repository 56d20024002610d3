// L1/L2 regularization of one parameter (assembly/regularizer.ts): adds l1·sign(w) + 2·l2·w into its
// gradient and returns the penalty Σ l1·|w| + l2·w², in one pass in wasm.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

/** g += l1·sign(w) + 2·l2·w; returns Σ l1·|w| + l2·w². w and g have one size and do not overlap. */
export function regularize(w: Tensor, g: Tensor, l1: number, l2: number): number {
  if (w.size !== g.size) throw new Error(`simdnet regularize: w [${w.shape}] and its gradient [${g.shape}] differ in size`);
  refuseAliasing('regularize', { g }, { w });
  return engine().kernels.regularize_f32(w.ptr, g.ptr, w.size, l1, l2);
}
