// Optimizer steps in place over one parameter tensor and its gradient (assembly/optimizers.ts), following
// TensorFlow.js's SGD / Momentum, Adam and RMSProp rules. State buffers are tensors the caller owns, shaped
// like the parameter and zeroed before the first step.
import { parallelElementwise } from '../backend/split.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

function checkLike(op: string, w: Tensor, others: [string, Tensor | null][]): void {
  for (const [name, t] of others) {
    if (t && t.size !== w.size) {
      throw new Error(`simdnet ${op}: ${name} [${t.shape}] must have as many values as the parameter w [${w.shape}]`);
    }
  }
}

/**
 * SGD: w −= lr·g (momentum 0, nesterov or not). With momentum > 0 (TF.js MomentumOptimizer; `velocity` required):
 * velocity = momentum·velocity + g, then w −= lr·velocity, or w −= lr·(g + momentum·velocity) when `nesterov`.
 */
export function sgdUpdate(w: Tensor, g: Tensor, velocity: Tensor | null, lr: number, momentum = 0, nesterov = false): void {
  const op = 'sgdUpdate';
  checkLike(op, w, [['g', g], ['velocity', velocity]]);
  refuseAliasing('sgdUpdate', { w, velocity }, { g });
  if (momentum === 0) {
    parallelElementwise('sgd_update_f32', [w.ptr, g.ptr], w.size, [lr]);
    return;
  }
  if (!velocity) throw new Error(`simdnet ${op}: momentum ${momentum}${nesterov ? ' (nesterov)' : ''} needs a velocity tensor shaped like w [${w.shape}]`);
  parallelElementwise('sgd_momentum_update_f32', [w.ptr, g.ptr, velocity.ptr], w.size, [lr, momentum, nesterov ? 1 : 0]);
}

/**
 * Adam as TF.js: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², w −= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε).
 * `step` is t, counting from 1 for the first update.
 */
export function adamUpdate(
  w: Tensor, g: Tensor, m: Tensor, v: Tensor, lr: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, step = 1,
): void {
  const op = 'adamUpdate';
  checkLike(op, w, [['g', g], ['m', m], ['v', v]]);
  if (!(step >= 1)) throw new Error(`simdnet ${op}: step ${step} must count from 1 (parameter w [${w.shape}])`);
  // TF.js keeps beta^t as a float32 power of float32(beta); with beta2 = 0.999 that rounding alone moves
  // 1 - beta2^t by 1e-5 relative at t = 1, so it is reproduced here.
  const bc1 = 1 - Math.pow(Math.fround(beta1), step);
  const bc2 = 1 - Math.pow(Math.fround(beta2), step);
  refuseAliasing('adamUpdate', { w, m, v }, { g });
  parallelElementwise('adam_update_f32', [w.ptr, g.ptr, m.ptr, v.ptr], w.size, [lr, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, bc1, bc2]);
}

/**
 * RMSprop as TF.js (not centered): ms = ρ·ms + (1−ρ)·g²; with `momentumBuf`, mom = momentum·mom + lr·g/sqrt(ms+ε)
 * and w −= mom; without it (momentum must then be 0), w −= lr·g/sqrt(ms+ε).
 */
export function rmspropUpdate(
  w: Tensor, g: Tensor, meanSquare: Tensor, momentumBuf: Tensor | null, lr: number, rho = 0.9, momentum = 0, epsilon = 1e-7,
): void {
  const op = 'rmspropUpdate';
  checkLike(op, w, [['g', g], ['meanSquare', meanSquare], ['momentumBuf', momentumBuf]]);
  if (momentum !== 0 && !momentumBuf) {
    throw new Error(`simdnet ${op}: momentum ${momentum} needs a momentum buffer shaped like w [${w.shape}]`);
  }
  refuseAliasing('rmspropUpdate', { w, meanSquare, momentumBuf }, { g });
  parallelElementwise('rmsprop_update_f32', [w.ptr, g.ptr, meanSquare.ptr, momentumBuf ? momentumBuf.ptr : 0], w.size, [lr, rho, 1 - rho, momentum, epsilon]);
}
