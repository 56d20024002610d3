// Inverted dropout: the kernel draws its own random numbers from `seed` (a counter-based hash, no JS per
// element), writes mask = 0 or 1/(1-rate), and y = x * mask. The same seed gives the same mask.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

const fmt = (t: Tensor): string => `[${t.shape}]`;

function checkAlike(op: string, names: string[], tensors: Tensor[]): void {
  const [first, ...rest] = tensors;
  rest.forEach((t, i) => {
    if (t.size !== first.size || t.rank !== first.rank || t.shape.some((d, k) => d !== first.shape[k])) {
      throw new Error(`${op}: ${names[i + 1]} ${fmt(t)} must be shaped like ${names[0]} ${fmt(first)}`);
    }
  });
}

/**
 * y = x * mask, mask = 0 with probability `rate`, else 1/(1-rate). `rate` in [0, 1); `seed` is any integer
 * (its low 32 bits are used). y may be x.
 */
export function dropoutForward(x: Tensor, y: Tensor, mask: Tensor, rate: number, seed: number): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropoutForward: rate must be in [0, 1), got ${rate} (x ${fmt(x)})`);
  checkAlike('dropoutForward', ['x', 'y', 'mask'], [x, y, mask]);
  const dropThreshold = Math.round(rate * 16777216); // 2^24: the kernel draws 24-bit uniforms
  const keepScale = Math.fround(1 / (1 - rate));
  refuseAliasing('dropoutForward', { y, mask }, { x }, true);
  engine().kernels.dropout_forward_f32(x.ptr, y.ptr, mask.ptr, x.size, dropThreshold, keepScale, seed | 0);
}

/** dx = dy * mask; dx may be dy. */
export function dropoutBackward(dy: Tensor, mask: Tensor, dx: Tensor): void {
  checkAlike('dropoutBackward', ['dy', 'mask', 'dx'], [dy, mask, dx]);
  refuseAliasing('dropoutBackward', { dx }, { dy, mask }, true);
  engine().kernels.dropout_backward_f32(dy.ptr, mask.ptr, dx.ptr, dy.size);
}
