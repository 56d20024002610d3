// conv2dTranspose, NHWC: the gradient of a conv2d with respect to its input, used as a layer. x (N,H,W,C),
// w (KH,KW,F,C) as Keras's Conv2DTranspose kernel, y (N,OH,OW,F). The geometry `g` is that of the conv2d it
// transposes — from (OH,OW,F) to (H,W,C) with kernel (KH,KW,F,C), which is exactly conv2d's layout — so no
// kernel of its own: forward is that conv's dx, backward its forward (dx) and its dw.
//
//   y  = col2im(x · wᵀ) + b, then act     (conv2d backward, dx only)
//   dx = conv2d(dy, w)                    (conv2d forward)
//   dw = conv2d dw with input dy and output gradient x
import type { Tensor } from '../tensor.js';
import { activationForward, biasAdd, biasGrad, type ActivationCode } from './activation.js';
import { conv2dBackward, conv2dForward, conv2dOutputSize, type Conv2dGeometry } from './conv.js';
import { withTemp } from './temp.js';
import { engine } from '../backend/engine.js';
import { refuseAliasing } from './alias.js';

function check(op: string, x: Tensor, w: Tensor, y: Tensor, g: Conv2dGeometry): void {
  const ok = x.rank === 4 && w.rank === 4 && y.rank === 4 && x.shape[0] === y.shape[0] && w.shape[3] === x.shape[3] && w.shape[2] === y.shape[3];
  const [h, wd] = ok ? conv2dOutputSize(y.shape[1], y.shape[2], w.shape[0], w.shape[1], g) : [-1, -1];
  if (!ok || h !== x.shape[1] || wd !== x.shape[2] || (g.groups ?? 1) !== 1) {
    throw new Error(
      `simdnet ${op}: x [${x.shape}], w [${w.shape}] (KH,KW,F,C) and y [${y.shape}] do not fit: the conv2d it transposes, from y with ` +
        `${JSON.stringify(g)}, must give x's height and width`,
    );
  }
}

/** y = act(conv2dTranspose(x, w) + b). x (N,H,W,C), w (KH,KW,F,C), b (F) or null, y (N,OH,OW,F). */
export function conv2dTransposeForward(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, g: Conv2dGeometry, act: ActivationCode = 0, alpha = 0,
): void {
  refuseAliasing('conv2dTransposeForward', { y }, { x, w, b });
  check('conv2dTransposeForward', x, w, y, g);
  // The transposed conv's input (y-shaped) is never read when only dx is asked for: y stands in for it.
  conv2dBackward(y, w, x, y, null, null, g);
  if (b) biasAdd(y, b);
  if (act) activationForward(y, y, act, alpha);
}

/**
 * Gradients given dy (N,OH,OW,F), already multiplied by the activation's derivative: dx like x, dw like w,
 * db (F). Null outputs are skipped; the others are overwritten, or with `accumulate` dw and db are added to.
 */
export function conv2dTransposeBackward(
  x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry,
  accumulate = false,
): void {
  refuseAliasing('conv2dTransposeBackward', { dx, dw, db }, { x, w, dy });
  check('conv2dTransposeBackward', x, w, dy, g);
  if (dx) conv2dForward(dy, w, null, dx, g);
  if (dw) conv2dBackward(dy, w, x, null, dw, null, g, accumulate);
  if (db) {
    if (!accumulate) biasGrad(dy, db);
    else withTemp(db.size, (tmp) => {
      const k = engine().kernels;
      k.bias_grad_f32(dy.ptr, tmp, dy.size / db.size, db.size);
      k.add_f32(db.ptr, db.ptr, tmp, db.size);
    });
  }
}

/**
 * Output height/width and the padding of the conv it transposes, as Keras/TF.js compute them:
 * 'valid' out = in·s + max(k' − s, 0), 'same' out = in·s, with k' = (k − 1)·d + 1; the conv's padding is
 * max(k' − s, 0) for 'same', split with the extra cell after (TensorFlow's rule), none for 'valid'.
 */
export function conv2dTransposeAxis(len: number, k: number, s: number, padding: 'valid' | 'same', d = 1): { out: number; before: number; after: number } {
  const span = (k - 1) * d + 1;
  const out = padding === 'same' ? len * s : len * s + Math.max(span - s, 0);
  const total = Math.max((len - 1) * s + span - out, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}
