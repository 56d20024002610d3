// f32 ↔ u8 activations and int8 max pooling (assembly/int8-quantize.ts, assembly/int8-pool.ts).
import type { Tensor, ops } from '../index.js';
import { engine } from './main.js';
import { QTensor } from './int8-tensor.js';

function checkSize(op: string, a: Tensor | QTensor, b: Tensor | QTensor): void {
  if (a.size !== b.size) throw new Error(`simdnet ${op}: ${a} and ${b} must have the same number of values`);
}

/** q = clamp(round(x / scale) + zero, 0, 127) with q's parameters (x · fround(1/scale), ties to even). */
export function quantize(x: Tensor, q: QTensor): void {
  checkSize('quantize', x, q);
  engine().kernels.int8_quantize(x.ptr, q.ptr, x.size, Math.fround(1 / q.q.scale), q.q.zero);
}

/** x = scale · (q − zero). */
export function dequantize(q: QTensor, x: Tensor): void {
  checkSize('dequantize', q, x);
  engine().kernels.int8_dequantize(q.ptr, x.ptr, q.size, q.q.scale, q.q.zero);
}

/** Max pooling on quantized NHWC x (N,H,W,C) into y (N,OH,OW,C); y keeps x's scale and zero point. */
export function int8MaxPool2d(x: QTensor, y: QTensor, g: ops.Pool2dGeometry): void {
  const [n, h, w, c] = x.shape;
  const [n2, oh, ow, c2] = y.shape;
  if (x.shape.length !== 4 || y.shape.length !== 4 || n !== n2 || c !== c2) {
    throw new Error(`simdnet int8MaxPool2d: shapes do not match: x [${x.shape}], y [${y.shape}]; expected (N,H,W,C) and (N,OH,OW,C)`);
  }
  engine().kernels.int8_maxpool2d(x.ptr, y.ptr, n, h, w, c, oh, ow, g.poolH, g.poolW, g.strideH, g.strideW, g.padTop, g.padLeft, x.q.zero);
}
