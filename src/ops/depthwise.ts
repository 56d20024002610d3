// Depthwise conv2d, NHWC (assembly/depthwise.ts): each input channel convolved with its own
// depthMultiplier filters. x (N,H,W,C), w (KH,KW,C,M) as Keras's depthwise_kernel, y (N,OH,OW,C·M) with
// output channel c·M + m; padding explicit per side (Conv2dGeometry, groups ignored).
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { type ActivationCode, checkActivationCode } from './activation.js';
import { conv2dOutputSize, inputRows, type Conv2dGeometry } from './conv.js';
import { checkConvGeometry, describeTensors, sameShape } from './checks.js';
import { MIN_FLOP_PER_SPLIT_IMAGE, splitWork } from '../backend/split.js';
import { forwardByImages, backwardByImages } from './batch-split.js';
import { refuseAliasing } from './alias.js';

function dimsOf(op: string, x: Tensor, w: Tensor, g: Conv2dGeometry, others: Record<string, Tensor | null>) {
  const fail = (why: string) => new Error(`simdnet ${op}: ${why}: ${describeTensors({ x, w, ...others })}`);
  if (x.rank !== 4 || w.rank !== 4) throw fail('x must be (N,H,W,C) and w (KH,KW,C,depthMultiplier)');
  const [N, H, W, C] = x.shape;
  const [KH, KW, C2, M] = w.shape;
  if (C !== C2) throw fail(`x has ${C} channels but w expects ${C2}`);
  const ints = [g.strideH, g.strideW, g.dilationH, g.dilationW];
  const pads = [g.padTop, g.padBottom, g.padLeft, g.padRight];
  checkConvGeometry(ints, pads, g, fail);
  const [OH, OW] = conv2dOutputSize(H, W, KH, KW, g);
  if (OH <= 0 || OW <= 0 || KH <= 0 || KW <= 0 || M <= 0) throw fail(`the kernel is larger than the padded input (output would be ${OH}x${OW})`);
  return { N, H, W, C, M, KH, KW, OH, OW, CM: C * M };
}

/** y = act(depthwise(x, w) + b). x (N,H,W,C), w (KH,KW,C,M), b (C·M) or null, y (N,OH,OW,C·M). */
export function depthwiseConv2dForward(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, g: Conv2dGeometry, act: ActivationCode = 0, alpha = 0,
): void {
  refuseAliasing('depthwiseConv2dForward', { y }, { x, w, b });
  const d = dimsOf('depthwiseConv2dForward', x, w, g, { b, y });
  if (!sameShape(y.shape, [d.N, d.OH, d.OW, d.CM]) || (b !== null && b.size !== d.CM)) {
    throw new Error(`simdnet depthwiseConv2dForward: expected y [${[d.N, d.OH, d.OW, d.CM]}] and b [${d.CM}], got ${describeTensors({ x, w, b, y })}`);
  }
  checkActivationCode('depthwiseConv2dForward', act);
  const k = engine().kernels;
  const flop = 2 * d.N * d.OH * d.OW * d.CM * d.KH * d.KW;
  // One image (latency) split by output rows, each part a call on the input rows it reads (17 % of
  // MobileNetV2's batch-1 predict on one thread ran here, never split); a batch by images.
  const byRows = d.N === 1 && splitWork(d.OH, flop, 1, MIN_FLOP_PER_SPLIT_IMAGE).length > 1;
  forwardByImages(
    byRows ? d.OH : d.N, flop,
    () => k.depthwise_scratch_bytes(d.H, d.W, d.C, d.M, d.KH, d.KW, d.OW),
    (n0, n, scratch) => {
      const [start, rows, padTop] = byRows ? inputRows(n0, n, d.H, d.KH, g) : [n0 * d.H, d.H, g.padTop];
      return [
        'depthwise_forward_f32', x.ptr + 4 * start * d.W * d.C, w.ptr, b ? b.ptr : 0, y.ptr + 4 * n0 * (byRows ? 1 : d.OH) * d.OW * d.CM,
        byRows ? 1 : n, rows, d.W, d.C, d.M, d.KH, d.KW, byRows ? n : d.OH, d.OW,
        g.strideH, g.strideW, padTop, g.padLeft, g.dilationH, g.dilationW, act, alpha, scratch,
      ];
    },
    byRows ? MIN_FLOP_PER_SPLIT_IMAGE : undefined,
  );
}

/**
 * Gradients given dy (N,OH,OW,C·M), already multiplied by the activation's derivative: dx like x, dw like w,
 * db (C·M). Null outputs are skipped; the others are overwritten, or with `accumulate` dw and db are added to.
 */
export function depthwiseConv2dBackward(
  x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry,
  accumulate = false,
): void {
  // x is read only for dw (conv2dTranspose passes a stand-in for it when it wants dx alone).
  refuseAliasing('depthwiseConv2dBackward', { dx, dw, db }, { x: dw ? x : null, w, dy });
  const d = dimsOf('depthwiseConv2dBackward', x, w, g, { dy, dx, dw, db });
  if (!sameShape(dy.shape, [d.N, d.OH, d.OW, d.CM]) || (dx !== null && !sameShape(dx.shape, x.shape)) || (dw !== null && !sameShape(dw.shape, w.shape)) || (db !== null && db.size !== d.CM)) {
    throw new Error(`simdnet depthwiseConv2dBackward: expected dy [${[d.N, d.OH, d.OW, d.CM]}], dx like x, dw like w, db [${d.CM}]; got ${describeTensors({ x, w, dy, dx, dw, db })}`);
  }
  if (!dx && !dw && !db) return;
  const k = engine().kernels;
  backwardByImages(
    d.N, 2 * d.N * d.OH * d.OW * d.CM * d.KH * d.KW * ((dx ? 1 : 0) + (dw ? 1 : 0)), dy, dw, db, accumulate,
    () => k.depthwise_scratch_bytes(d.H, d.W, d.C, d.M, d.KH, d.KW, d.OW),
    (n0, n, dwPtr, dbPtr, scratch) => [
      'depthwise_backward_f32', x.ptr + 4 * n0 * d.H * d.W * d.C, w.ptr, dy.ptr + 4 * n0 * d.OH * d.OW * d.CM,
      dx ? dx.ptr + 4 * n0 * d.H * d.W * d.C : 0, dwPtr, dbPtr,
      n, d.H, d.W, d.C, d.M, d.KH, d.KW, d.OH, d.OW,
      g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, scratch,
    ],
  );
}
