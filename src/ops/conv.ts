// 2D convolution, NHWC (assembly/conv.ts): forward with fused bias + activation, and backward for dx, dw, db.
// x (N,H,W,C), w (KH,KW,C/groups,F) as Keras, y (N,OH,OW,F). Padding is explicit per side: a layer with
// padding 'same' computes TensorFlow's split (extra row/column at the bottom/right) and passes it here.
import { bumpKernelChoices, engine, type KernelCall } from '../backend/engine.js';
import { MIN_FLOP_PER_SPLIT_IMAGE, splitWork } from '../backend/split.js';
import { forwardByImages, backwardByImages } from './batch-split.js';
import type { Tensor } from '../tensor.js';
import { align64 } from '../backend/memory.js';
import { type ActivationCode, checkActivationCode } from './activation.js';
import { refuseAliasing } from './alias.js';
import { checkConvGeometry, describeTensors, sameShape } from './checks.js';
import { winogradBackward, winogradForward, type WinogradPlan, type WinogradTile } from './winograd.js';

export interface Conv2dGeometry {
  strideH: number;
  strideW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  dilationH: number;
  dilationW: number;
  /** Grouped convolution (Keras `groups`): C and F split into this many independent blocks. Default 1. */
  groups?: number;
}

/** [outH, outW] of a convolution; a dimension is ≤ 0 when the (dilated) kernel is larger than the padded input. */
export function conv2dOutputSize(inH: number, inW: number, kh: number, kw: number, g: Conv2dGeometry): [number, number] {
  const outH = Math.floor((inH + g.padTop + g.padBottom - g.dilationH * (kh - 1) - 1) / g.strideH) + 1;
  const outW = Math.floor((inW + g.padLeft + g.padRight - g.dilationW * (kw - 1) - 1) / g.strideW) + 1;
  return [outH, outW];
}

export interface Dims {
  N: number; H: number; W: number; C: number; F: number; KH: number; KW: number; OH: number; OW: number; groups: number;
}

// Validates x, w and the geometry; returns the sizes and the expected y shape.
function dimsOf(op: string, x: Tensor, w: Tensor, g: Conv2dGeometry, others: Record<string, Tensor | null>): Dims {
  const fail = (why: string) => new Error(`simdnet ${op}: ${why}: ${describeTensors({ x, w, ...others })}`);
  if (x.rank !== 4 || w.rank !== 4) throw fail('x must be (N,H,W,C) and w (KH,KW,C/groups,F)');
  const [N, H, W, C] = x.shape;
  const [KH, KW, C2, F] = w.shape;
  const groups = g.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0 || F % groups !== 0) {
    throw fail(`groups ${groups} must be a positive integer dividing the ${C} channels and the ${F} filters`);
  }
  if (C !== C2 * groups) throw fail(`x has ${C} channels but w expects ${C2 * groups}`);
  const ints = [g.strideH, g.strideW, g.dilationH, g.dilationW];
  const pads = [g.padTop, g.padBottom, g.padLeft, g.padRight];
  checkConvGeometry(ints, pads, g, fail);
  const [OH, OW] = conv2dOutputSize(H, W, KH, KW, g);
  if (OH <= 0 || OW <= 0 || KH <= 0 || KW <= 0) throw fail(`the kernel is larger than the padded input (output would be ${OH}x${OW})`);
  return { N, H, W, C, F, KH, KW, OH, OW, groups };
}

/**
 * How a conv runs: 'winograd' (F(2x2,3x3), assembly/winograd.ts), 'winograd4' (F(4x4,3x3), the same code with
 * 6x6 tiles) or 'kernel' (conv2d_forward_f32, which itself picks the direct loop for few channels or the
 * im2col GEMM).
 */
export type Conv2dPath = 'winograd' | 'winograd4' | 'kernel';

/** The output tile side of a Winograd path. */
const tileOf = (path: Conv2dPath): WinogradTile => (path === 'winograd4' ? 4 : 2);

let forcedPath: Conv2dPath | 'auto' = 'auto';

/** For benchmarks and tests: force a forward path where it applies ('auto' restores the measured choice). */
export function forceConv2dPath(path: Conv2dPath | 'auto'): void {
  forcedPath = path;
  bumpKernelChoices();
}

/** Whether Winograd computes this conv at all: 3x3, stride 1, dilation 1, one group. */
function winogradApplies(d: Dims, g: Conv2dGeometry): boolean {
  return d.KH === 3 && d.KW === 3 && g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 && g.dilationW === 1 &&
    d.groups === 1;
}

/**
 * The forward path for these sizes. Winograd does 2.25x fewer multiplies in its products but adds
 * transforms costing O(C + F) per 2x2 tile, and its GEMMs have K = C: with few channels the direct/im2col
 * kernel wins. Thresholds measured with `npm run bench -- kernels` (see README, Benchmarks).
 */
export function conv2dPath(d: Dims, g: Conv2dGeometry): Conv2dPath {
  if (!winogradApplies(d, g)) return 'kernel';
  if (forcedPath !== 'auto') return forcedPath;
  // F(4,3) where it saves (winograd4Wins) reaches fewer channels than F(2,3) does.
  if (winograd4Wins(d) && ((d.C >= 16 && d.F >= 16) || (d.C >= 8 && d.F >= 32))) return 'winograd4';
  return d.C >= WINOGRAD_MIN_C && d.F >= WINOGRAD_MIN_F ? 'winograd' : 'kernel';
}

/**
 * Whether F(4x4,3x3) beats F(2x2,3x3) for these sizes (forward, and the backward on its tiles): 36 products
 * per 4x4 tile instead of 16 per 2x2, 1.78x fewer — but only where the output's sides fill the 4x4 tiles
 * about as well as 2x2 ones: a 14x14 output takes 7x7 2x2 tiles but 4x4 4x4 tiles (the last half empty), so
 * only 1.36x fewer products, and F(4,3)'s 6x6 transforms (two passes each) eat that. Hence the rule: F(4,3)
 * where its products are ≥ 1.5x fewer, counting the edge tiles. Measured with `npm run bench -- winograd-tiles`.
 */
function winograd4Wins(d: Dims): boolean {
  const tiles = (m: number) => Math.ceil(d.OH / m) * Math.ceil(d.OW / m);
  return 16 * tiles(2) >= WINOGRAD4_MIN_SAVING * 36 * tiles(4);
}

// Measured (plain SIMD, 1 thread, load ~8 on 2 cores, medians of 5 interleaved rounds; F(2,3) time ÷ F(4,3)
// time, forward and training backward with the relu fused): products 1.78x fewer — the MNIST convnet's conv2
// (N64 13x13 C32 F64 valid, 11x11 out) 1.36x, 1.51x; N64 13x13 C16 F32 valid 1.25x, 1.39x; N32 28x28 C32
// F32 same 1.64x, 1.72x; N64 4x4 outputs C64 F64 1.44–1.47x, 1.27–1.36x; N1 26x26 C32 F64 valid 1.41x,
// 1.53x. Products 1.36x fewer (14x14 same): C16 F32 0.94x, 1.12x; C32 F32 0.93x, 1.47x; C16 F64 1.01x,
// 1.03x; N1 C64 F64 1.33x, 0.71x — a wash, so F(2,3) stays there. Re-measured by process CPU time (load
// ~9, 5 rounds, plain / relaxed): saving 1.78x — convnet conv2 1.40x / 1.32x forward, 1.44x / 1.42x backward;
// N32 16x16 C64 F64 same 1.55x / 1.54x, 1.59x / 1.56x; N8 28x28 C128 F128 same 1.39x / 1.34x, 1.44x / 1.41x;
// saving 1.36x — 14x14 same C16 F32 0.97x / 0.93x, 1.08x / 1.05x; C32 F32 1.18x / 1.18x, 1.27x / 1.28x; N1
// C64 F64 1.30x / 1.27x, 0.80x / 0.76x.
//
// Below F(2,3)'s channel thresholds, F(4,3) (where it saves) against the kernel, kernel time ÷ F(4,3) time,
// plain / relaxed, forward; training backward: N16 28x28 C16 F16 same 1.47x / 1.19x; 1.87x / 1.67x. N32 26x26
// C16 F16 valid 1.57x / 1.27x; 1.90x / 1.71x. N64 13x13 C16 F16 valid 1.31x / 1.08x; 1.55x / 1.37x. N1 28x28
// C16 F16 1.42x / 1.18x; 1.69x / 1.49x. C8 F32 1.28x / 1.05x; 1.93x / 1.68x. But C8 F16 1.11x / 0.92x;
// 1.64x / 1.36x. C16 F8 1.10x / 0.91x; 1.58x / 1.43x. C4 F16 0.81x / 0.64x; 1.44x / 1.31x. So the forward
// takes F(4,3) from C, F ≥ 16 (or C ≥ 8 with F ≥ 32), the weight gradient from C ≥ 4, F ≥ 8, C·F ≥ 64.
const WINOGRAD4_MIN_SAVING = 1.5;

/**
 * The path of a conv's input gradient: dx is a 3x3 stride-1 conv of dy (F channels in, C out), so Winograd
 * applies where the forward does, with the roles of C and F swapped. Thresholds measured with
 * `npm run bench -- winograd` (training rows).
 */
export function conv2dDxPath(d: Dims, g: Conv2dGeometry): Conv2dPath {
  if (!winogradApplies(d, g) || g.padTop > 2 || g.padLeft > 2) return 'kernel';
  if (forcedPath !== 'auto') return forcedPath;
  const wins = d.C >= WINOGRAD_DX_MIN && d.F >= WINOGRAD_DX_MIN && (g.padTop > 0 || d.OH * d.OW >= WINOGRAD_DX_MIN_VALID_PIXELS);
  return wins ? 'winograd' : 'kernel';
}

// Measured (plain SIMD, 1 thread, dx only, kernel time ÷ Winograd time; load ~16 on 2 cores, so ±15 %):
// 'same' N64 14x14 C16 F32 1.36x, C32 F16 2.14x, C16 F16 28x28 1.19x; N32 16x16 C64 F64 1.57x; N16 28x28
// C128 F128 1.72x; N64 13x13 C32 F64 1.61x. 'valid' (dx padded by 2, and the kernel's dx is cheaper there):
// C32 F64 16x16 1.25x, C64 F64 16x16 1.33x, but 13x13 (the MNIST convnet's second conv, 11x11 outputs)
// 0.96–1.12x — a wash, so small valid convs stay on the kernel.
const WINOGRAD_DX_MIN = 16;
const WINOGRAD_DX_MIN_VALID_PIXELS = 14 * 14;

// Measured (plain SIMD, 1 thread, forward, kernel time ÷ Winograd time): C32 F64 26x26 1.72x (batch 64),
// 1.43x (batch 1); C16 F32 14x14 1.66x; C32 F32 1.31x; C64 F64 1.64-1.70x; C128 F128 1.61x; but C16 F16
// 28x28 0.88x, C8 F16 0.76x, C4 F8 0.69x.
const WINOGRAD_MIN_C = 16;
const WINOGRAD_MIN_F = 32;

/**
 * y = act(conv(x, w) + b). x (N,H,W,C), w (KH,KW,C/groups,F), b (F) or null, y (N,OH,OW,F). A layer passes
 * its `plan` so Winograd's filter transform is kept between calls (remade when w's version moves).
 */
export function conv2dForward(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, g: Conv2dGeometry, act: ActivationCode = 0, alpha = 0,
  plan: WinogradPlan | null = null,
): void {
  refuseAliasing('conv2dForward', { y }, { x, w, b });
  const d = dimsOf('conv2dForward', x, w, g, { b, y });
  if (!sameShape(y.shape, [d.N, d.OH, d.OW, d.F]) || (b !== null && b.size !== d.F)) {
    throw new Error(`simdnet conv2dForward: expected y [${[d.N, d.OH, d.OW, d.F]}] and b [${d.F}], got ${describeTensors({ x, w, b, y })}`);
  }
  checkActivationCode('conv2dForward', act);
  const path = conv2dPath(d, g);
  if (path !== 'kernel') {
    winogradForward(x, w, b, y, g.padTop, g.padLeft, act, alpha, plan, tileOf(path));
    return;
  }
  const k = engine().kernels;
  const flop = (2 * d.N * d.OH * d.OW * d.F * d.KH * d.KW * d.C) / d.groups;
  if (d.N < engine().threads && (forwardByRows(x, w, b, y, d, g, act, alpha, flop) || forwardByFilters(x, w, b, y, d, g, act, alpha, flop))) return;
  forwardByImages(
    d.N, flop,
    (n) => k.conv2d_forward_scratch_bytes(n, d.C, d.F, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.dilationH, g.dilationW, d.groups),
    (n0, n, scratch) => [
      'conv2d_forward_f32', x.ptr + 4 * n0 * d.H * d.W * d.C, w.ptr, b ? b.ptr : 0, y.ptr + 4 * n0 * d.OH * d.OW * d.F,
      n, d.H, d.W, d.C, d.F, d.KH, d.KW, d.OH, d.OW,
      g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, d.groups, act, alpha, scratch,
    ],
  );
}

/**
 * Whether conv2dForwardMaxPool2 runs these shapes fused: conv2dForward would take the direct few-channel
 * loop (neither Winograd F(2,3) nor F(4,3), no forced path), and there is one image per thread at least, or one image (split by
 * pairs of rows across threads); 1 < N < threads runs unfused, split by images. Without `winners` (predict:
 * no argmax), also where the conv takes Winograd F(4x4,3x3): its output transform pools the tiles.
 */
export function conv2dMaxPool2Fuses(x: Tensor, w: Tensor, g: Conv2dGeometry, winners = true): boolean {
  const d = dimsOf('conv2dForwardMaxPool2', x, w, g, {});
  return directPools(d, g) || (!winners && conv2dPath(d, g) === 'winograd4');
}

function directPools(d: Dims, g: Conv2dGeometry): boolean {
  return (d.N >= engine().threads || d.N === 1) && forcedPath === 'auto' && conv2dPath(d, g) === 'kernel' &&
    !!engine().kernels.conv2d_forward_is_direct(d.H, d.W, d.C, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.padTop, g.padLeft, d.groups);
}

/**
 * Whether training's conv → 2x2 max pool runs on Winograd F(4x4,3x3) with the pool in its transforms
 * (conv2dForwardMaxPool2 with argmax, conv2dBackwardMaxPool2 with dx): the forward and the weight gradient
 * both take 'winograd4'. Any batch and thread count: a 4x4 tile holds whole pool windows.
 */
export function conv2dWinogradMaxPool2Fuses(x: Tensor, w: Tensor, g: Conv2dGeometry): boolean {
  const d = dimsOf('conv2dForwardMaxPool2', x, w, g, {});
  return conv2dPath(d, g) === 'winograd4' && conv2dDwPath(d, g) === 'winograd4';
}

/**
 * y = maxPool2x2/2(act(conv(x, w) + b)) in one pass where conv2dMaxPool2Fuses: y (N, ⌊OH/2⌋, ⌊OW/2⌋, F), the
 * conv's output never written whole. The same values as conv2dForward then a 2x2 max pool, bit for bit.
 * With `argmax` (shaped like y; training) also the pool's winners, as maxPool2dForward records them (element
 * indices into the conv's (N,OH,OW,F) output): conv2dBackwardMaxPool2 takes them. With argmax, shapes
 * where conv2dWinogradMaxPool2Fuses run on Winograd (its output transform pools; `plan`: the layer's) even
 * where the direct loop would take them.
 */
export function conv2dForwardMaxPool2(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, g: Conv2dGeometry, act: ActivationCode = 0, alpha = 0, argmax: Tensor | null = null,
  plan: WinogradPlan | null = null,
): void {
  const op = 'conv2dForwardMaxPool2';
  refuseAliasing(op, { y, argmax }, { x, w, b });
  const d = dimsOf(op, x, w, g, { b, y, argmax });
  const pooled = [d.N, d.OH >> 1, d.OW >> 1, d.F];
  if (!sameShape(y.shape, pooled) || (b !== null && b.size !== d.F) || (argmax !== null && !sameShape(argmax.shape, pooled))) {
    throw new Error(`simdnet ${op}: expected y and argmax [${pooled}] and b [${d.F}], got ${describeTensors({ x, w, b, y, argmax })}`);
  }
  // Training (argmax) takes Winograd where it fuses, as conv2dBackwardMaxPool2 does (it makes dx there);
  // predict where the conv takes F(4x4,3x3) (the direct loop only pools convs that run direct).
  const winograd = argmax !== null ? conv2dWinogradMaxPool2Fuses(x, w, g) : conv2dPath(d, g) === 'winograd4';
  if (!winograd && !directPools(d, g)) {
    throw new Error(`simdnet ${op}: ${describeTensors({ x, w })} does not take the direct loop (conv2dMaxPool2Fuses), nor with argmax Winograd F(4x4,3x3) in training (conv2dWinogradMaxPool2Fuses) or without it F(4x4,3x3)`);
  }
  checkActivationCode(op, act);
  if (winograd) {
    winogradForward(x, w, b, y, g.padTop, g.padLeft, act, alpha, plan, 4, false, { OH: d.OH, OW: d.OW, argmax });
    return;
  }
  const k = engine().kernels;
  const flop = 2 * d.N * d.OH * d.OW * d.F * d.KH * d.KW * d.C;
  if (forwardByRows(x, w, b, y, d, g, act, alpha, flop, true, argmax)) return;
  const pooledImage = (d.OH >> 1) * (d.OW >> 1) * d.F;
  forwardByImages(
    d.N, flop,
    () => k.conv2d_forward_scratch_bytes(1, d.C, d.F, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.dilationH, g.dilationW, 1),
    (n0, n, scratch) => [
      'conv2d_forward_maxpool2_f32', x.ptr + 4 * n0 * d.H * d.W * d.C, w.ptr, b ? b.ptr : 0, y.ptr + 4 * n0 * pooledImage,
      n, d.H, d.W, d.C, d.F, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, act, alpha,
      argmax ? argmax.ptr + 4 * n0 * pooledImage : 0, n0 * d.OH * d.OW * d.F, scratch,
    ],
  );
}

/**
 * The backward of conv2dForwardMaxPool2 with argmax (training's conv → 2x2 max pool, src/model/conv-pool.ts):
 * dw and db from dp, the gradient of the pooled output y, without the conv's full-size gradient (masked
 * where y ≤ 0 with `masked`: the relu's backward). dw and db are added to with `accumulate`, else
 * overwritten; db null: none. Where conv2dWinogradMaxPool2Fuses and dw is asked for, the backward of the
 * Winograd forward makes the conv's dy tile by tile from dp at the winners, with dx (overwritten; null: none)
 * riding along; elsewhere each row of the conv's gradient is made in scratch and summed at once, and dx must
 * be null.
 */
export function conv2dBackwardMaxPool2(
  x: Tensor, w: Tensor, dp: Tensor, argmax: Tensor, y: Tensor, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry,
  masked: boolean, accumulate = false, dx: Tensor | null = null, plan: WinogradPlan | null = null,
): void {
  const op = 'conv2dBackwardMaxPool2';
  refuseAliasing(op, { dx, dw, db }, { x, w, dp, argmax, y });
  const d = dimsOf(op, x, w, g, { dp, argmax, y, dx, dw, db });
  const pooled = [d.N, d.OH >> 1, d.OW >> 1, d.F];
  if (
    ![dp, argmax, y].every((t) => sameShape(t.shape, pooled)) || (dx !== null && !sameShape(dx.shape, x.shape)) ||
    (dw !== null && !sameShape(dw.shape, w.shape)) || (db !== null && db.size !== d.F)
  ) {
    throw new Error(`simdnet ${op}: expected dp, argmax and y [${pooled}], dx like x, dw like w, db [${d.F}]; got ${describeTensors({ x, w, dp, argmax, y, dx, dw, db })}`);
  }
  if (dw && conv2dWinogradMaxPool2Fuses(x, w, g)) {
    winogradBackward(x, w, dp, masked ? y : null, dx, dw, db, g.padTop, g.padLeft, accumulate, plan, 4, { OH: d.OH, OW: d.OW, argmax });
    return;
  }
  if (dx) throw new Error(`simdnet ${op}: dx is made only on Winograd F(4x4,3x3) with dw (conv2dWinogradMaxPool2Fuses), got ${describeTensors({ x, w, dw })}`);
  if (!dw && !db) return;
  const e = engine();
  const k = e.kernels;
  const parts = splitWork(d.N, 2 * d.N * d.OH * d.OW * d.F * d.KH * d.KW * d.C);
  const dwBytes = align64(4 * w.size); // the kernel always sums dw: into scratch when dw is not asked for
  const dbBytes = db ? align64(4 * d.F) : 0;
  const stride = dwBytes + dbBytes + align64(k.conv2d_backward_maxpool2_scratch_bytes(d.C, d.F, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.dilationH, g.dilationW));
  const scratch = e.scratch(stride * parts.length);
  const pooledImage = (d.OH >> 1) * (d.OW >> 1) * d.F;
  // Every part writes its sums into scratch; they are added into dw and db in part order afterwards.
  e.parallel(parts.map(([n0, n], t): KernelCall => {
    const at = scratch + t * stride, p = 4 * n0 * pooledImage;
    return [
      'conv2d_backward_maxpool2_f32', x.ptr + 4 * n0 * d.H * d.W * d.C, dp.ptr + p, argmax.ptr + p, y.ptr + p, at, db ? at + dwBytes : 0,
      n, d.H, d.W, d.C, d.F, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW,
      masked ? 1 : 0, n0 * d.OH * d.OW * d.F, at + dwBytes + dbBytes,
    ];
  }));
  if (!accumulate) {
    if (dw) k.fill_f32(dw.ptr, dw.size, 0);
    if (db) k.fill_f32(db.ptr, db.size, 0);
  }
  parts.forEach((_, t) => {
    if (dw) k.add_f32(dw.ptr, dw.ptr, scratch + t * stride, dw.size);
    if (db) k.add_f32(db.ptr, db.ptr, scratch + t * stride + dwBytes, db.size);
  });
}

/**
 * The input rows that output rows [q0, q0 + qn) of one image read, as a kernel call on just those rows sees
 * them: the first row, how many (the rest of the window reads as padding), and the padding above them.
 */
export function inputRows(q0: number, qn: number, H: number, KH: number, g: Conv2dGeometry): [start: number, rows: number, padTop: number] {
  const top = q0 * g.strideH - g.padTop; // the first window row, in image rows (< 0: in the padding)
  const start = Math.min(Math.max(top, 0), H);
  return [start, Math.max(0, Math.min(H - start, (qn - 1) * g.strideH + (KH - 1) * g.dilationH + 1 - start + top)), start - top];
}

/**
 * One image on the direct few-channel loop (a first layer at batch 1: latency) split by output rows: each
 * part is conv2d_forward_f32 on the input rows its windows read, with the top padding that falls in its
 * range and the rows past the image left to the kernel's zero border. Every output value is the same sum
 * as in the whole call, so the result is bitwise the same. With `pool` (conv2dForwardMaxPool2: y is the
 * 2x2/2 max pool of the conv), parts are pairs of conv rows, each run by the fused kernel. False (nothing
 * run) where it does not apply.
 */
function forwardByRows(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, d: Dims, g: Conv2dGeometry, act: number, alpha: number, flop: number,
  pool = false, argmax: Tensor | null = null,
): boolean {
  const e = engine();
  const k = e.kernels;
  // A 1x1 part without padding would be a GEMM (other roundings): 1x1 convs stay whole.
  if (d.N !== 1 || d.groups !== 1 || d.KH * d.KW === 1 || !k.conv2d_forward_is_direct(d.H, d.W, d.C, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.padTop, g.padLeft, 1)) return false;
  const unit = pool ? 2 : 1; // conv rows per row of y
  const parts = splitWork(d.OH / unit | 0, flop, 1, MIN_FLOP_PER_SPLIT_IMAGE);
  if (parts.length < 2) return false;
  const stride = align64(k.conv2d_forward_scratch_bytes(1, d.C, d.F, d.KH, d.KW, parts[0][1] * unit, d.OW, g.strideH, g.strideW, g.dilationH, g.dilationW, 1));
  const scratch = e.scratch(stride * parts.length);
  e.parallel(parts.map(([q0, qn], t): KernelCall => {
    const rn = qn * unit; // conv rows
    const [start, rows, padTop] = inputRows(q0 * unit, rn, d.H, d.KH, g);
    const sizes = [1, rows, d.W, d.C, d.F, d.KH, d.KW, rn, d.OW, g.strideH, g.strideW, padTop, g.padLeft, g.dilationH, g.dilationW] as const;
    return [
      pool ? 'conv2d_forward_maxpool2_f32' : 'conv2d_forward_f32', x.ptr + 4 * start * d.W * d.C, w.ptr, b ? b.ptr : 0,
      y.ptr + 4 * q0 * (d.OW / unit | 0) * d.F, ...sizes, ...(pool ? [] : [1]), act, alpha,
      // The pool's winners: indices into the whole conv output, from this part's first row.
      ...(pool ? [argmax ? argmax.ptr + 4 * q0 * (d.OW >> 1) * d.F : 0, q0 * unit * d.OW * d.F] : []), scratch + t * stride,
    ] as unknown as KernelCall;
  }));
  return true;
}

/**
 * A batch smaller than the thread pool (batch 1: latency) split by filters instead of images, each part an
 * im2col GEMM over all pixels for its filters. False (nothing run) where it does not apply: the direct
 * few-channel loop, groups, or too little work for a second thread.
 */
function forwardByFilters(
  x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, d: Dims, g: Conv2dGeometry, act: number, alpha: number, flop: number,
): boolean {
  const e = engine();
  const k = e.kernels;
  if (d.groups !== 1 || k.conv2d_forward_is_direct(d.H, d.W, d.C, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.padTop, g.padLeft, 1)) return false;
  const parts = splitWork(d.F, flop, 8); // whole NR-wide column panels
  if (parts.length < 2) return false;
  const stride = align64(k.conv2d_forward_scratch_bytes(d.N, d.C, parts[0][1], d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.dilationH, g.dilationW, 1));
  const scratch = e.scratch(stride * parts.length);
  e.parallel(parts.map(([f0, fn], t): KernelCall => [
    'conv2d_forward_filters_f32', x.ptr, w.ptr, b ? b.ptr : 0, y.ptr, d.N, d.H, d.W, d.C, d.F, d.KH, d.KW, d.OH, d.OW,
    g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, f0, fn, act, alpha, scratch + t * stride,
  ]));
  return true;
}

/**
 * The path of a conv's weight gradient (with db and dx riding along): 'winograd' runs the backward of the
 * Winograd forward on its tiles (winogradBackward: one dy transform feeds the dw and the dx GEMMs); 'kernel'
 * is conv2d_backward_f32 (im2col GEMMs), with dx alone perhaps by conv2dDxPath. Thresholds measured with
 * `npm run bench -- winograd` (training rows).
 */
export function conv2dDwPath(d: Dims, g: Conv2dGeometry): Conv2dPath {
  if (!winogradApplies(d, g)) return 'kernel';
  if (forcedPath !== 'auto') return forcedPath;
  if (winograd4Wins(d) && d.C >= 4 && d.F >= 8 && d.C * d.F >= 64) return 'winograd4'; // measured: see winograd4Wins
  if (d.C < WINOGRAD_DW_MIN || d.F < WINOGRAD_DW_MIN || d.C + d.F < WINOGRAD_DW_MIN_SUM) return 'kernel';
  return 'winograd';
}

// Measured (plain SIMD, 1 thread, CPU time, kernel ÷ Winograd; dx + dw + db, and dw + db alone): N64 13x13
// C32 F64 valid (the MNIST convnet's second conv) 1.46x, 1.47x; 'same' N64 14x14 C16 F32 1.61x, 1.83x; C32 F16
// 1.49x, 1.77x; N16 28x28 C64 F64 1.65x, 1.51x; but C16 F16 28x28 1.12x, 0.98x, C16 F16 13x13 valid 0.96x,
// 0.79x, C8 F16 0.98x, 0.64x: so both sides ≥ 16 and one ≥ 32.
const WINOGRAD_DW_MIN = 16;
const WINOGRAD_DW_MIN_SUM = 48;

/** Checks a backward's tensors; returns the sizes. */
function backwardDims(
  op: string, x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry,
): Dims {
  const d = dimsOf(op, x, w, g, { dy, dx, dw, db });
  if (
    !sameShape(dy.shape, [d.N, d.OH, d.OW, d.F]) || (dx !== null && !sameShape(dx.shape, x.shape)) ||
    (dw !== null && !sameShape(dw.shape, w.shape)) || (db !== null && db.size !== d.F)
  ) {
    throw new Error(`simdnet ${op}: expected dy [${[d.N, d.OH, d.OW, d.F]}], dx like x, dw like w, db [${d.F}]; got ${describeTensors({ x, w, dy, dx, dw, db })}`);
  }
  return d;
}

/**
 * Gradients of a convolution given dy (N,OH,OW,F), already multiplied by the activation's derivative:
 * dx like x, dw like w, db (F). Null outputs are skipped; the others are overwritten, or with `accumulate`
 * dw and db are added to (dx is always overwritten): the kernel writes them into scratch, then one add.
 */
export function conv2dBackward(
  x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry,
  accumulate = false, plan: WinogradPlan | null = null,
): void {
  // x is read only for dw (conv2dTranspose passes a stand-in for it when it wants dx alone).
  refuseAliasing('conv2dBackward', { dx, dw, db }, { x: dw ? x : null, w, dy });
  const d = backwardDims('conv2dBackward', x, w, dy, dx, dw, db, g);
  if (!dx && !dw && !db) return;
  const path = dw ? conv2dDwPath(d, g) : 'kernel';
  if (path !== 'kernel') {
    winogradBackward(x, w, dy, null, dx, dw!, db, g.padTop, g.padLeft, accumulate, plan, tileOf(path));
    return;
  }
  kernelBackward(x, w, dy, dx, dw, db, g, d, accumulate, plan);
}

/**
 * conv2dBackward of a conv whose relu is fused into the backward: dy is the gradient of y = relu(z), y the
 * forward's output. Runs only where the weight gradient takes Winograd (conv2dDwPath) and dw is asked for;
 * returns false (nothing computed) otherwise, and the caller takes the relu's backward itself.
 */
export function conv2dBackwardRelu(
  x: Tensor, w: Tensor, y: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry,
  accumulate = false, plan: WinogradPlan | null = null,
): boolean {
  if (!dw) return false;
  refuseAliasing('conv2dBackwardRelu', { dx, dw, db }, { x, w, y, dy });
  const d = backwardDims('conv2dBackwardRelu', x, w, dy, dx, dw, db, g);
  if (!sameShape(y.shape, dy.shape)) throw new Error(`simdnet conv2dBackwardRelu: y [${y.shape}] must be shaped like dy [${dy.shape}]`);
  const path = conv2dDwPath(d, g);
  if (path === 'kernel') return false;
  winogradBackward(x, w, dy, y, dx, dw, db, g.padTop, g.padLeft, accumulate, plan, tileOf(path));
  return true;
}

function kernelBackward(
  x: Tensor, w: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null, g: Conv2dGeometry, d: Dims,
  accumulate: boolean, plan: WinogradPlan | null,
): void {
  const dxPath = dx ? conv2dDxPath(d, g) : 'kernel';
  if (dx && dxPath !== 'kernel') {
    // dx is the 'full' 3x3 conv of dy with the flipped filters (channels and filters swapped): Winograd,
    // with the other side's padding (2 − pad); dw and db stay on the kernel.
    winogradForward(dy, w, null, dx, 2 - g.padTop, 2 - g.padLeft, 0, 0, plan, tileOf(dxPath), true);
    dx = null;
    if (!dw && !db) return;
  }
  const k = engine().kernels;
  const flop = (2 * d.N * d.OH * d.OW * d.F * d.KH * d.KW * d.C * ((dx ? 1 : 0) + (dw ? 1 : 0))) / d.groups;
  backwardByImages(
    d.N, flop, dy, dw, db, accumulate,
    (n) => k.conv2d_backward_scratch_bytes(n, d.C, d.F, d.KH, d.KW, d.OH, d.OW, g.strideH, g.strideW, g.dilationH, g.dilationW, d.groups),
    (n0, n, dwPtr, dbPtr, scratch) => [
      'conv2d_backward_f32', x.ptr + 4 * n0 * d.H * d.W * d.C, w.ptr, dy.ptr + 4 * n0 * d.OH * d.OW * d.F,
      dx ? dx.ptr + 4 * n0 * d.H * d.W * d.C : 0, dwPtr, dbPtr,
      n, d.H, d.W, d.C, d.F, d.KH, d.KW, d.OH, d.OW,
      g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, d.groups, scratch,
    ],
  );
}
