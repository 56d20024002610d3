// conv3d, NDHWC (assembly/conv3d.ts): forward with fused bias + activation, backward for dx, dw, db.
// x (N,D,H,W,C), w (KD,KH,KW,C,F) as Keras, y (N,OD,OH,OW,F); padding explicit per side.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { type ActivationCode, checkActivationCode } from './activation.js';
import { forwardByImages, backwardByImages } from './batch-split.js';
import { refuseAliasing } from './alias.js';
import { checkConvGeometry, describeTensors, sameShape } from './checks.js';

export interface Conv3dGeometry {
  strideD: number;
  strideH: number;
  strideW: number;
  padFront: number;
  padBack: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  dilationD: number;
  dilationH: number;
  dilationW: number;
}

/** [outD, outH, outW]; a dimension ≤ 0 when the (dilated) kernel is larger than the padded input. */
export function conv3dOutputSize(inD: number, inH: number, inW: number, kd: number, kh: number, kw: number, g: Conv3dGeometry): [number, number, number] {
  const axis = (len: number, k: number, s: number, p: number, d: number) => Math.floor((len + p - d * (k - 1) - 1) / s) + 1;
  return [
    axis(inD, kd, g.strideD, g.padFront + g.padBack, g.dilationD),
    axis(inH, kh, g.strideH, g.padTop + g.padBottom, g.dilationH),
    axis(inW, kw, g.strideW, g.padLeft + g.padRight, g.dilationW),
  ];
}

function dimsOf(op: string, x: Tensor, w: Tensor, g: Conv3dGeometry, others: Record<string, Tensor | null>) {
  const fail = (why: string) => new Error(`simdnet ${op}: ${why}: ${describeTensors({ x, w, ...others })}`);
  if (x.rank !== 5 || w.rank !== 5) throw fail('x must be (N,D,H,W,C) and w (KD,KH,KW,C,F)');
  const [N, D, H, W, C] = x.shape;
  const [KD, KH, KW, C2, F] = w.shape;
  if (C !== C2) throw fail(`x has ${C} channels but w expects ${C2}`);
  const ints = [g.strideD, g.strideH, g.strideW, g.dilationD, g.dilationH, g.dilationW];
  const pads = [g.padFront, g.padBack, g.padTop, g.padBottom, g.padLeft, g.padRight];
  checkConvGeometry(ints, pads, g, fail);
  const [OD, OH, OW] = conv3dOutputSize(D, H, W, KD, KH, KW, g);
  if (OD <= 0 || OH <= 0 || OW <= 0) throw fail(`the kernel is larger than the padded input (output would be ${OD}x${OH}x${OW})`);
  return { N, D, H, W, C, F, KD, KH, KW, OD, OH, OW };
}

type Dims = ReturnType<typeof dimsOf>;

function geometryArgs(g: Conv3dGeometry): [number, number, number, number, number, number, number, number, number] {
  return [g.strideD, g.strideH, g.strideW, g.padFront, g.padTop, g.padLeft, g.dilationD, g.dilationH, g.dilationW];
}

const flopOf = (d: Dims) => 2 * d.N * d.OD * d.OH * d.OW * d.F * d.KD * d.KH * d.KW * d.C;

/** y = act(conv3d(x, w) + b). x (N,D,H,W,C), w (KD,KH,KW,C,F), b (F) or null, y (N,OD,OH,OW,F). */
export function conv3dForward(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, g: Conv3dGeometry, act: ActivationCode = 0, alpha = 0): void {
  refuseAliasing('conv3dForward', { y }, { x, w, b });
  const d = dimsOf('conv3dForward', x, w, g, { b, y });
  if (!sameShape(y.shape, [d.N, d.OD, d.OH, d.OW, d.F]) || (b !== null && b.size !== d.F)) {
    throw new Error(`simdnet conv3dForward: expected y [${[d.N, d.OD, d.OH, d.OW, d.F]}] and b [${d.F}], got ${describeTensors({ x, w, b, y })}`);
  }
  checkActivationCode('conv3dForward', act);
  const k = engine().kernels;
  const inPer = d.D * d.H * d.W * d.C;
  const outPer = d.OD * d.OH * d.OW * d.F;
  forwardByImages(
    d.N, flopOf(d), (n) => k.conv3d_scratch_bytes(n, d.C, d.F, d.KD, d.KH, d.KW, d.OD, d.OH, d.OW),
    (n0, n, scratch) => [
      'conv3d_forward_f32', x.ptr + 4 * n0 * inPer, w.ptr, b ? b.ptr : 0, y.ptr + 4 * n0 * outPer,
      n, d.D, d.H, d.W, d.C, d.F, d.KD, d.KH, d.KW, d.OD, d.OH, d.OW, ...geometryArgs(g), act, alpha, scratch,
    ],
  );
}

/**
 * Gradients given dy (N,OD,OH,OW,F), already multiplied by the activation's derivative: dx like x, dw like w,
 * db (F). Null outputs are skipped; the others are overwritten, or with `accumulate` dw and db are added to.
 */
export function conv3dBackward(
  x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv3dGeometry,
  accumulate = false,
): void {
  // x is read only for dw (conv2dTranspose passes a stand-in for it when it wants dx alone).
  refuseAliasing('conv3dBackward', { dx, dw, db }, { x: dw ? x : null, w, dy });
  const d = dimsOf('conv3dBackward', x, w, g, { dy, dx, dw, db });
  if (!sameShape(dy.shape, [d.N, d.OD, d.OH, d.OW, d.F]) || (dx !== null && !sameShape(dx.shape, x.shape)) || (dw !== null && !sameShape(dw.shape, w.shape)) || (db !== null && db.size !== d.F)) {
    throw new Error(`simdnet conv3dBackward: expected dy [${[d.N, d.OD, d.OH, d.OW, d.F]}], dx like x, dw like w, db [${d.F}]; got ${describeTensors({ x, w, dy, dx, dw, db })}`);
  }
  if (!dx && !dw && !db) return;
  const k = engine().kernels;
  const inPer = d.D * d.H * d.W * d.C;
  const outPer = d.OD * d.OH * d.OW * d.F;
  backwardByImages(
    d.N, flopOf(d) * ((dx ? 1 : 0) + (dw ? 1 : 0)), dy, dw, db, accumulate,
    (n) => k.conv3d_scratch_bytes(n, d.C, d.F, d.KD, d.KH, d.KW, d.OD, d.OH, d.OW),
    (n0, n, dwPtr, dbPtr, scratch) => [
      'conv3d_backward_f32', x.ptr + 4 * n0 * inPer, w.ptr, dy.ptr + 4 * n0 * outPer, dx ? dx.ptr + 4 * n0 * inPer : 0, dwPtr, dbPtr,
      n, d.D, d.H, d.W, d.C, d.F, d.KD, d.KH, d.KW, d.OD, d.OH, d.OW, ...geometryArgs(g), scratch,
    ],
  );
}
