// 2D convolution, NHWC (assembly/conv.ts): forward with fused bias + activation, and backward for dx, dw, db.
// x (N,H,W,C), w (KH,KW,C,F) as Keras, y (N,OH,OW,F). Padding is explicit per side: a layer with
// padding 'same' computes TensorFlow's split (extra row/column at the bottom/right) and passes it here.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import type { ActivationCode } from './activation.js';

export interface Conv2dGeometry {
  strideH: number;
  strideW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  dilationH: number;
  dilationW: number;
}

/** [outH, outW] of a convolution; a dimension is ≤ 0 when the (dilated) kernel is larger than the padded input. */
export function conv2dOutputSize(inH: number, inW: number, kh: number, kw: number, g: Conv2dGeometry): [number, number] {
  const outH = Math.floor((inH + g.padTop + g.padBottom - g.dilationH * (kh - 1) - 1) / g.strideH) + 1;
  const outW = Math.floor((inW + g.padLeft + g.padRight - g.dilationW * (kw - 1) - 1) / g.strideW) + 1;
  return [outH, outW];
}

function describe(named: Record<string, Tensor | null>): string {
  return Object.entries(named)
    .filter(([, t]) => t !== null)
    .map(([name, t]) => `${name} [${t!.shape}]`)
    .join(', ');
}

function sameShape(t: Tensor, shape: number[]): boolean {
  return t.rank === shape.length && t.shape.every((d, i) => d === shape[i]);
}

interface Dims {
  N: number; H: number; W: number; C: number; F: number; KH: number; KW: number; OH: number; OW: number;
}

// Validates x, w and the geometry; returns the sizes and the expected y shape.
function dimsOf(op: string, x: Tensor, w: Tensor, g: Conv2dGeometry, others: Record<string, Tensor | null>): Dims {
  const fail = (why: string) => new Error(`simdnet ${op}: ${why}: ${describe({ x, w, ...others })}`);
  if (x.rank !== 4 || w.rank !== 4) throw fail('x must be (N,H,W,C) and w (KH,KW,C,F)');
  const [N, H, W, C] = x.shape;
  const [KH, KW, C2, F] = w.shape;
  if (C !== C2) throw fail(`x has ${C} channels but w expects ${C2}`);
  const ints = [g.strideH, g.strideW, g.dilationH, g.dilationW];
  const pads = [g.padTop, g.padBottom, g.padLeft, g.padRight];
  if (!ints.every((v) => Number.isInteger(v) && v >= 1) || !pads.every((v) => Number.isInteger(v) && v >= 0)) {
    throw fail(`invalid geometry ${JSON.stringify(g)} (strides and dilations must be ≥ 1, paddings ≥ 0)`);
  }
  const [OH, OW] = conv2dOutputSize(H, W, KH, KW, g);
  if (OH <= 0 || OW <= 0 || KH <= 0 || KW <= 0) throw fail(`the kernel is larger than the padded input (output would be ${OH}x${OW})`);
  return { N, H, W, C, F, KH, KW, OH, OW };
}

/** y = act(conv(x, w) + b). x (N,H,W,C), w (KH,KW,C,F), b (F) or null, y (N,OH,OW,F). */
export function conv2dForward(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, g: Conv2dGeometry, act: ActivationCode = 0, alpha = 0,
): void {
  const d = dimsOf('conv2dForward', x, w, g, { b, y });
  if (!sameShape(y, [d.N, d.OH, d.OW, d.F]) || (b !== null && b.size !== d.F)) {
    throw new Error(`simdnet conv2dForward: expected y [${[d.N, d.OH, d.OW, d.F]}] and b [${d.F}], got ${describe({ x, w, b, y })}`);
  }
  if (!Number.isInteger(act) || act < 0 || act > 6) throw new Error(`simdnet conv2dForward: activation code ${act} is not one of 0..6`);
  const e = engine();
  const k = e.kernels;
  const scratch = e.scratch(k.conv2d_forward_scratch_bytes(d.N, d.C, d.F, d.KH, d.KW, d.OH, d.OW));
  k.conv2d_forward_f32(
    x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, d.N, d.H, d.W, d.C, d.F, d.KH, d.KW, d.OH, d.OW,
    g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, act, alpha, scratch,
  );
}

/**
 * Gradients of a convolution given dy (N,OH,OW,F), already multiplied by the activation's derivative:
 * dx like x, dw like w, db (F). Null outputs are skipped; the others are overwritten.
 */
export function conv2dBackward(
  x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry,
): void {
  const d = dimsOf('conv2dBackward', x, w, g, { dy, dx, dw, db });
  if (
    !sameShape(dy, [d.N, d.OH, d.OW, d.F]) || (dx !== null && !sameShape(dx, x.shape)) ||
    (dw !== null && !sameShape(dw, w.shape)) || (db !== null && db.size !== d.F)
  ) {
    throw new Error(`simdnet conv2dBackward: expected dy [${[d.N, d.OH, d.OW, d.F]}], dx like x, dw like w, db [${d.F}]; got ${describe({ x, w, dy, dx, dw, db })}`);
  }
  if (!dx && !dw && !db) return;
  const e = engine();
  const k = e.kernels;
  const scratch = e.scratch(k.conv2d_backward_scratch_bytes(d.N, d.C, d.F, d.KH, d.KW, d.OH, d.OW));
  k.conv2d_backward_f32(
    x.ptr, w.ptr, dy.ptr, dx ? dx.ptr : 0, dw ? dw.ptr : 0, db ? db.ptr : 0,
    d.N, d.H, d.W, d.C, d.F, d.KH, d.KW, d.OH, d.OW,
    g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, scratch,
  );
}
