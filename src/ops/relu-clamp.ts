// ReLU with a cap, a slope and a threshold (assembly/clamp.ts): the ReLU layer's kernel pair.
import { parallelElementwise } from '../backend/split.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

/** Keras's ReLU options: cap `maxValue` (Infinity: none), `negativeSlope` below `threshold`. */
export interface ReluClamp {
  maxValue: number;
  negativeSlope: number;
  threshold: number;
}

function check(op: string, tensors: Tensor[]): void {
  if (tensors.some((t) => t.size !== tensors[0].size)) throw new Error(`simdnet ${op}: ${tensors.map((t) => `[${t.shape}]`).join(', ')} must have the same number of values`);
}

/** y = x > t ? min(x, maxValue) : negativeSlope·(x − t); y may be x. */
export function reluClampForward(x: Tensor, y: Tensor, c: ReluClamp): void {
  check('reluClampForward', [x, y]);
  refuseAliasing('reluClampForward', { y }, { x }, true);
  parallelElementwise('relu_clamp_forward_f32', [x.ptr, y.ptr], x.size, [c.maxValue, c.negativeSlope, c.threshold]);
}

/** dx = dy · (x > t ? (x < maxValue ? 1 : 0) : negativeSlope); dx may be dy. */
export function reluClampBackward(x: Tensor, dy: Tensor, dx: Tensor, c: ReluClamp): void {
  check('reluClampBackward', [x, dy, dx]);
  refuseAliasing('reluClampBackward', { dx }, { x, dy }, true);
  parallelElementwise('relu_clamp_backward_f32', [x.ptr, dy.ptr, dx.ptr], x.size, [c.maxValue, c.negativeSlope, c.threshold]);
}
