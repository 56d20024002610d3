// Integer conv2d and dense (assembly/int8-gemm.ts). A plan holds what is fixed per layer: the int8 weights
// packed for this build, the int32 bias with the input zero point folded in, and the output stage —
// requantization to u8 (fixed-point multiplier per output channel, one rounding shift) or f32 scales.
// See docs/ARCHITECTURE.md ("Quantized inference") for the arithmetic.
import { Tensor } from '../index.js';
import type { ops } from '../index.js';
import type { KernelCall } from '../backend/engine.js';
import { engine, splitWork } from './main.js';
import { QTensor } from './int8-tensor.js';
import { int8Engine } from './int8-module.js';
import type { WinogradTile } from '../ops/winograd.js';

type Conv2dGeometry = ops.Conv2dGeometry;

/**
 * The integer kernels (assembly/int8-gemm.ts): 'dot16' (i16 dot products, every build), 'dot8' (the relaxed
 * i8 dot with its add, one instruction with AVX-VNNI) and 'dot8i16' (the relaxed i8 dot to i16 pairs, then
 * a widening add: the same sums in three x64 instructions where V8 has no one-instruction dot8), the last
 * two in the relaxed build on the same packing. All give the same integers; which is fastest depends on
 * the engine (Chromium with AVX-VNNI: dot8 ~2.5x dot16; Node 20: dot8i16 1.3x, dot8 0.55x on MNIST's
 * dense layer), so it is measured once per engine.
 */
export type Int8Kernel = 'dot16' | 'dot8' | 'dot8i16';
const LAYOUT: Record<Int8Kernel, number> = { dot16: 0, dot8: 1, dot8i16: 2 };

let forcedKernel: Int8Kernel | null = null;
let chosen: { engine: object; kernel: Int8Kernel } | null = null;

/** Forces the kernel new plans use ('auto' measures again); the benchmark compares them this way. */
export function setInt8Kernel(kernel: Int8Kernel | 'auto'): void {
  if (kernel !== 'auto' && !(kernel in LAYOUT)) throw new Error(`simdnet setInt8Kernel: expects 'dot16', 'dot8', 'dot8i16' or 'auto', got '${String(kernel)}'`);
  // dot8 and dot8i16 run where the relaxed build does (int8_layout_supported): known before the int8 kernels load.
  if (kernel !== 'dot16' && kernel !== 'auto' && !engine().info.relaxedSimd) {
    throw new Error(`simdnet setInt8Kernel: '${kernel}' needs the relaxed-SIMD build (sn.ready({ simd: 'relaxed' }))`);
  }
  forcedKernel = kernel === 'auto' ? null : kernel;
  chosen = null;
}

/** The kernel new plans use: forced, or the fastest on a small product, measured once. */
export function int8Kernel(): Int8Kernel {
  const e = int8Engine('int8Kernel');
  if (forcedKernel) return forcedKernel;
  if (chosen?.engine === e) return chosen.kernel;
  const kernel = e.kernels.int8_layout_supported(LAYOUT.dot8) ? fasterKernel() : 'dot16';
  chosen = { engine: e, kernel };
  return kernel;
}

/**
 * The fastest of 'dot16', 'dot8' and 'dot8i16' on a 65×32×256 product (best of 5, a millisecond each),
 * counting a dot8 kernel only when it gives the same integers as 'dot16'.
 *
 * An engine may compile the dot8 loop wrong, and V8 compiles a wasm function twice: first its baseline
 * (Liftoff), then, once the function is hot, its optimizing tier (TurboFan), which replaces it. Node 20's
 * Liftoff gets the 8-accumulator dot8 tile wrong (rows of it come out wrong) and TurboFan gets it right,
 * so a check that runs once sees only whichever tier runs then. The check here runs both: before the
 * timing (the first calls) and after it, again and again while the timing's calls tier the function up
 * (compiled in the background, so the new code arrives some calls later) — see dot8Agrees.
 */
function fasterKernel(): Int8Kernel {
  // 65 rows: 16 panels of 4 and one of 1, which the tile runs by its one-row loop.
  const M = 65, N = 32, K = 256;
  const check = dot8Check(M, N, K);
  try {
    const time = (layout: number): number => {
      let best = Infinity;
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        for (let i = 0; i < 4; i++) check.gemm(layout, 0);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const kernels = (['dot8', 'dot8i16'] as const).filter((kernel) => check.agrees(1, 0, LAYOUT[kernel]));
    time(LAYOUT.dot16);
    let best: Int8Kernel = 'dot16';
    let bestTime = time(LAYOUT.dot16);
    for (const kernel of kernels) {
      const t = time(LAYOUT[kernel]);
      // Warm now: the product again until the optimized code has had time to arrive (≥ 2 ms and 16 calls).
      if (t < bestTime && check.agrees(16, 2, LAYOUT[kernel])) [best, bestTime] = [kernel, t];
    }
    return best;
  } finally {
    check.release();
  }
}

/**
 * A M×N×K product packed for both packings in a block of the heap, with `gemm(layout, mode)` running it
 * (mode 1: f32 sums into the packing's own output; 0: u8, for timing) and `agrees(calls, ms, layout)`:
 * whether dot8 (or dot8i16, on dot8's packing) gives dot16's sums on each of at least `calls` calls and
 * `ms` milliseconds. Exported for the tests, which warm the kernels on it. @internal
 */
export function dot8Check(M: number, N: number, K: number): {
  gemm(layout: number, mode: number): void;
  agrees(calls: number, ms?: number, layout?: number): boolean;
  release(): void;
} {
  const e = engine();
  const k = e.kernels;
  const kp = k.int8_padded_k(K);
  // Panels hold whole groups of 4 rows: a last partial panel is written in full (M = 65 wrote 3 rows of a16
  // over a8, so dot16's own sums came out wrong there and no dot8 kernel ever agreed).
  const panelRows = (M + 3) & ~3;
  const sizes = [2 * panelRows * kp, 2 * panelRows * kp, 2 * kp * N, 2 * kp * N, 4 * N, 4 * N, 4 * M * N, 4 * M * N, 2 * panelRows * kp + kp * N];
  const base = e.heap.alloc(sizes.reduce((a, b) => a + ((b + 63) & ~63), 0) + 64);
  const at: number[] = [];
  sizes.reduce((p, b) => (at.push(p), p + ((b + 63) & ~63)), (base + 63) & ~63);
  const [a16, a8, b16, b8, bias, mult, c16, c8, staging] = at;
  const a = [a16, a8], b = [b16, b8], c = [c16, c8];
  const u8 = e.heap.u8;
  u8.fill(0, base, at[8]);
  new Float32Array(u8.buffer, mult, N).fill(1);
  const w = Int8Array.from({ length: K * N }, (_, i) => ((i * 37) % 255) - 127);
  const x = Uint8Array.from({ length: M * kp }, (_, i) => (i % kp < K ? (i * 29) % 128 : 0));
  for (const layout of [LAYOUT.dot16, LAYOUT.dot8]) {
    // a as im2col leaves it (rows of u8 or i16, KP wide), packed into panels; b packed from w.
    const rowBytes = kp * k.int8_a_bytes(layout);
    u8.set(w, staging);
    k.int8_pack_weights(staging, K, N, b[layout], layout);
    if (rowBytes === kp) u8.set(x, staging);
    else new Uint16Array(u8.buffer, staging, M * kp).set(x);
    k.int8_pack_panels(staging, rowBytes, M, rowBytes, a[layout]);
  }
  const gemm = (layout: number, mode: number): void => {
    const p = Math.min(layout, 1); // dot8i16 runs on dot8's packing
    if (mode === 1) k.int8_gemm(M, N, kp, a[p], b[p], bias, c[p], N, 1, mult, 0, 0, 0, 0, layout);
    else k.int8_gemm(M, N, kp, a[p], b[p], bias, c[p], N, 0, mult, 20, 0, 0, 127, layout);
  };
  return {
    gemm,
    agrees(calls: number, ms = 0, layout = LAYOUT.dot8): boolean {
      gemm(LAYOUT.dot16, 1);
      const want = new Int32Array(u8.buffer, c16, M * N).slice();
      const t0 = performance.now();
      for (let i = 0; i < calls || performance.now() - t0 < ms; i++) {
        gemm(layout, 1);
        const got = new Int32Array(u8.buffer, c8, M * N);
        for (let j = 0; j < M * N; j++) if (got[j] !== want[j]) return false;
      }
      return true;
    },
    release(): void {
      e.heap.release(base);
    },
  };
}

/** How a plan writes its output. */
export type Int8Output =
  /** u8: y = clamp(zero + round(acc · m0[n] / 2^shift), qmin, qmax). */
  | { kind: 'u8'; m0: Int32Array; shift: number; zero: number; qmin: number; qmax: number }
  /** f32: y = acc · scale[n]. */
  | { kind: 'f32'; scales: Float32Array };

export class Int8Plan {
  private constructor(
    /** Reduction length (dense: input units; conv: kh·kw·c) and output channels. */
    readonly k: number,
    readonly n: number,
    private readonly packed: Tensor,
    private readonly bias: Tensor,
    private readonly mult: Tensor,
    readonly output: Int8Output,
    /** The kernel (and so the packing) this plan runs. */
    readonly kernel: Int8Kernel,
    /** Winograd filters (assembly/int8-winograd.ts) for a 3x3 conv on this many input channels, or null. */
    private readonly wino: { c: number; tile: WinogradTile; u: Tensor; u2: Tensor | null } | null = null,
    /** Packed for the direct conv (assembly/int8-direct.ts: K padded to 2 or 4, not 16) instead of the GEMM. */
    readonly direct = false,
  ) {}

  /** The layout argument of the kernels. */
  get layout(): number {
    return LAYOUT[this.kernel];
  }

  /**
   * Packs int8 weights wq (K×N row-major, values in −127..127) with an int32 bias (N) that already
   * includes −zeroIn·Σ_k wq[k][n], for `output`. With `winogradC` (a 3x3 kernel on that many input channels,
   * 1..WINOGRAD_MAX_C), also the Winograd filters that int8Conv2d uses for its stride-1 undilated calls:
   * F(2x2,3x3), or F(4x4,3x3) with `winogradTile` 4 (C ≤ WINOGRAD4_MAX_C).
   * With `direct`, the weights are packed for the direct conv instead (a short K: a first layer on few
   * channels), which int8Conv2d then runs for every geometry.
   */
  static create(
    wq: Int8Array, k: number, n: number, bias: Int32Array, output: Int8Output, kernel: Int8Kernel = int8Kernel(), winogradC: number | null = null,
    direct = false, winogradTile: WinogradTile = 2,
  ): Int8Plan {
    if (wq.length !== k * n || bias.length !== n) {
      throw new Error(`simdnet Int8Plan: ${wq.length} weights and ${bias.length} biases do not make K=${k} × N=${n}`);
    }
    const maxC = winogradTile === 4 ? WINOGRAD4_MAX_C : WINOGRAD_MAX_C;
    if (winogradC !== null && !(winogradC >= 1 && winogradC <= maxC && 9 * winogradC === k)) {
      throw new Error(`simdnet Int8Plan: Winograd F(${winogradTile}x${winogradTile},3x3) needs a 3x3 kernel on 1..${maxC} channels, got K=${k} for C=${winogradC}`);
    }
    if (direct && winogradC !== null) throw new Error('simdnet Int8Plan: a plan is direct or Winograd, not both');
    // The direct conv runs DOT16 in every build (assembly/int8-direct.ts).
    if (direct) kernel = 'dot16';
    const e = engine();
    const kern = e.kernels;
    const padN = Math.ceil(n / 8) * 8;
    const owned: Tensor[] = [];
    const bytesTensor = (bytes: number): Tensor => {
      const t = Tensor.empty([Math.ceil(bytes / 4)]);
      owned.push(t);
      return t;
    };
    try {
      const layout = LAYOUT[kernel];
      const packed = bytesTensor(direct ? kern.int8_direct_weights_bytes(k, n) : kern.int8_packed_weights_bytes(k, n, layout));
      const biasT = bytesTensor(4 * padN);
      const multT = bytesTensor(4 * padN);
      const raw = bytesTensor(k * n);
      new Int8Array(e.heap.u8.buffer, raw.ptr, k * n).set(wq);
      if (direct) kern.int8_pack_weights_kp(raw.ptr, k, n, kern.int8_direct_k(k), packed.ptr, layout);
      else kern.int8_pack_weights(raw.ptr, k, n, packed.ptr, layout);
      let wino: { c: number; tile: WinogradTile; u: Tensor; u2: Tensor | null } | null = null;
      if (winogradC !== null) {
        // F(4,3) plans also hold F(2,3)'s filters, for the edges F(4,3)'s tiles would leave half empty.
        const u2 = winogradTile === 4 ? bytesTensor(kern.int8_wino_filter_bytes(winogradC, n, 2)) : null;
        wino = { c: winogradC, tile: winogradTile, u: bytesTensor(kern.int8_wino_filter_bytes(winogradC, n, winogradTile)), u2 };
        kern.int8_wino_filter(raw.ptr, winogradC, n, wino.u.ptr, winogradTile);
        if (u2) kern.int8_wino_filter(raw.ptr, winogradC, n, u2.ptr, 2);
      }
      raw.dispose();
      const b = new Int32Array(padN);
      b.set(bias);
      new Int32Array(e.heap.u8.buffer, biasT.ptr, padN).set(b);
      if (output.kind === 'u8') {
        const m = new Int32Array(padN);
        m.set(output.m0);
        new Int32Array(e.heap.u8.buffer, multT.ptr, padN).set(m);
      } else {
        const s = new Float32Array(padN);
        s.set(output.scales);
        new Float32Array(e.heap.u8.buffer, multT.ptr, padN).set(s);
      }
      return new Int8Plan(k, n, packed, biasT, multT, output, kernel, wino, direct);
    } catch (err) {
      for (const t of owned) t.dispose();
      throw err;
    }
  }

  get multPtr(): number {
    return this.mult.ptr;
  }

  get packedPtr(): number {
    return this.packed.ptr;
  }

  get biasPtr(): number {
    return this.bias.ptr;
  }

  /** The input channels this plan has Winograd filters for, or null. */
  get winogradChannels(): number | null {
    return this.wino?.c ?? null;
  }

  /** The output tile side of the Winograd filters: 2 (F(2x2,3x3)) or 4 (F(4x4,3x3)); null without. */
  get winogradTile(): WinogradTile | null {
    return this.wino?.tile ?? null;
  }

  /** @internal Pointer to the Winograd filters of tile side `tile` (2 on an F(4,3) plan: its edge filters). */
  winogradPtr(tile: WinogradTile): number {
    return tile === this.wino!.tile ? this.wino!.u.ptr : this.wino!.u2!.ptr;
  }

  dispose(): void {
    this.wino?.u.dispose();
    this.wino?.u2?.dispose();
    this.packed.dispose();
    this.bias.dispose();
    this.mult.dispose();
  }
}

function checkOut(op: string, plan: Int8Plan, y: QTensor | Tensor, shape: number[]): void {
  const wantU8 = plan.output.kind === 'u8';
  if (wantU8 !== y instanceof QTensor) {
    throw new Error(`simdnet ${op}: the plan writes ${plan.output.kind} but y is ${y}`);
  }
  if (y.shape.length !== shape.length || y.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`simdnet ${op}: y is [${y.shape}] but the output is [${shape}]`);
  }
}

const align64 = (n: number) => Math.ceil(n / 64) * 64;

/**
 * Largest input channel count of the int8 Winograd conv: its sums are exact while 4·|acc| < 2^31 with
 * |acc| ≤ 127·127·9·C (assembly/int8-winograd.ts).
 */
export const WINOGRAD_MAX_C = 3600;

/**
 * Largest input channel count of the int8 F(4x4,3x3): its sums are exact modulo 2^32 and recovered from
 * 576·y while 64·|y| < 2^31 with |y| ≤ 127·128·9·C (assembly/int8-winograd-f43.ts).
 */
export const WINOGRAD4_MAX_C = 229;

/**
 * Cost of an int8 F(4,3) product relative to an F(2,3) one: its 6x6 transforms per 4x4 outputs cost more
 * per product than F(2,3)'s 4x4 per 2x2. Measured (relaxed build, 64 images, CPU time, interleaved): a
 * 10x10 output on 32 channels in and out runs as fast by F(4,3) (324 products per image and channel
 * pair) as by F(2,3) (400): 1.23; F(4,3) on the inner 8x8 and F(2,3) on the edges (288) took 1040 µs
 * against F(2,3)'s 1270.
 */
const F43_PRODUCT_COST = 1.25;

/** The per-image costs (F(2,3) products) of an OH×OW output by F(2,3), F(4,3), and F(4,3) inside with F(2,3) edges. */
export function winogradCosts(oh: number, ow: number): { f2: number; f4: number; mixed: number } {
  const half = (v: number) => Math.ceil(v / 2);
  const a = Math.floor(oh / 4), b = Math.floor(ow / 4);
  const edges = half(oh) * half(ow - 4 * b) + half(oh - 4 * a) * 2 * b;
  return {
    f2: 16 * half(oh) * half(ow),
    f4: F43_PRODUCT_COST * 36 * Math.ceil(oh / 4) * Math.ceil(ow / 4),
    mixed: a > 0 && b > 0 ? F43_PRODUCT_COST * 36 * a * b + 16 * edges : Infinity,
  };
}

let forcedTiling: 'auto' | 'whole' | 'mixed' = 'auto';

/** For tests: run F(4,3) plans on the whole output or mixed with F(2,3) edges wherever that applies ('auto': by cost). */
export function forceInt8WinogradTiling(tiling: 'auto' | 'whole' | 'mixed'): void {
  forcedTiling = tiling;
}

/**
 * The calls an int8 Winograd conv makes: [tile, oy0, ox0, rows, columns] regions of the OH×OW output.
 * An F(4,3) plan runs F(4,3) on the inner 4·⌊OH/4⌋ × 4·⌊OW/4⌋ and F(2,3) on the right and bottom edges
 * where that costs less than F(4,3) tiles half empty (winogradCosts); pooled outputs run whole.
 */
export function winogradRegions(oh: number, ow: number, pool: boolean, tile: WinogradTile): [WinogradTile, number, number, number, number][] {
  const a = 4 * Math.floor(oh / 4), b = 4 * Math.floor(ow / 4);
  const cost = winogradCosts(oh, ow);
  const mixed = forcedTiling === 'auto' ? cost.mixed < cost.f4 : forcedTiling === 'mixed';
  if (tile === 2 || pool || !mixed || a === 0 || b === 0) return [[tile, 0, 0, oh, ow]];
  const regions: [WinogradTile, number, number, number, number][] = [[4, 0, 0, a, b]];
  if (b < ow) regions.push([2, 0, b, oh, ow - b]);
  if (a < oh) regions.push([2, a, 0, oh - a, b]);
  return regions;
}

/** Whether int8Conv2d runs `plan` on x by Winograd: filters made for x's channels, a 3x3 stride-1 undilated conv. */
function usesWinograd(plan: Int8Plan, c: number, kh: number, kw: number, g: Conv2dGeometry): boolean {
  return plan.winogradChannels === c && kh === 3 && kw === 3 && g.strideH === 1 && g.strideW === 1 && g.dilationH === 1 && g.dilationW === 1;
}

/**
 * y (N,OH,OW,F) = conv(x (N,H,W,C), plan's kernel (KH,KW,C,F)) + bias, then the plan's output stage.
 * With a thread pool, output rows are split between threads (each with its own im2col scratch).
 * pool: a 2x2 stride-2 max pooling (valid) of that output runs in the kernel, y is (N, ⌊OH/2⌋, ⌊OW/2⌋, F);
 * Winograd and direct plans only.
 */
export function int8Conv2d(x: QTensor, plan: Int8Plan, y: QTensor | Tensor, kh: number, kw: number, g: Conv2dGeometry, pool = false): void {
  const [n, h, w, c] = x.shape;
  if (x.shape.length !== 4 || kh * kw * c !== plan.k) {
    throw new Error(`simdnet int8Conv2d: x [${x.shape}] does not fit a ${kh}x${kw} kernel of K=${plan.k}`);
  }
  const oh = Math.floor((h + g.padTop + g.padBottom - (g.dilationH * (kh - 1) + 1)) / g.strideH) + 1;
  const ow = Math.floor((w + g.padLeft + g.padRight - (g.dilationW * (kw - 1) + 1)) / g.strideW) + 1;
  checkOut('int8Conv2d', plan, y, pool ? [n, oh >> 1, ow >> 1, plan.n] : [n, oh, ow, plan.n]);
  if (pool && !plan.direct && !usesWinograd(plan, c, kh, kw, g)) {
    throw new Error('simdnet int8Conv2d: a fused pooling needs a direct or Winograd plan (with a 3x3 stride-1 conv)');
  }
  const e = engine();
  const k = e.kernels;
  const o = plan.output;
  const [mode, shift, zero, qmin, qmax] = o.kind === 'u8' ? [0, o.shift, o.zero, o.qmin, o.qmax] : [1, 0, 0, 0, 0];
  if (plan.direct) {
    // Split by groups of 4 output pixels (or pooling windows), 4 pixels of K·F products each.
    const quads = k.int8_direct_quads(n, oh, ow, pool ? 1 : 0);
    const parts = splitWork(quads, 2 * 4 * quads * plan.k * plan.n, 4);
    const perThread = align64(k.int8_direct_scratch_bytes(plan.k));
    const scratch = e.scratch(perThread * parts.length);
    e.parallel(parts.map(([q0, count], t): KernelCall => [
      'int8_direct_conv2d', x.ptr, n, h, w, c, kh, kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW,
      oh, ow, q0, count, x.q.zero, plan.packedPtr, plan.n, plan.biasPtr, y.ptr, mode, plan.multPtr,
      shift, zero, qmin, qmax, scratch + t * perThread, pool ? 1 : 0,
    ]));
    return;
  }
  if (usesWinograd(plan, c, kh, kw, g)) {
    for (const [tile, oy0, ox0, rh, rw] of winogradRegions(oh, ow, pool, plan.winogradTile!)) {
      // Split by output tiles; the work that counts is the 16 (F(2,3)) or 36 (F(4,3)) products per tile.
      const tiles = n * k.int8_wino_tiles(rh, rw, pool ? 1 : 0, tile);
      const parts = splitWork(tiles, 2 * (tile + 2) ** 2 * tiles * c * plan.n, 4);
      const perThread = align64(k.int8_wino_scratch_bytes(c, plan.n, tile));
      const scratch = e.scratch(perThread * parts.length);
      const region: [number, number] = rh === oh && rw === ow ? [0, 0] : [oy0 * 65536 + ox0, rh * 65536 + rw];
      e.parallel(parts.map(([t0, count], t): KernelCall => [
        'int8_wino_conv2d', x.ptr, h, w, c, g.padTop, g.padLeft, oh, ow, t0, count, x.q.zero, plan.winogradPtr(tile), plan.n,
        plan.biasPtr, y.ptr, mode, plan.multPtr, shift, zero, qmin, qmax, scratch + t * perThread, pool ? 1 : 0, tile, ...region,
      ]));
    }
    return;
  }
  const rows = n * oh * ow;
  const perThread = align64(k.int8_conv2d_scratch_bytes(kh, kw, c, plan.layout));
  const parts = splitWork(rows, 2 * rows * plan.n * plan.k, 4);
  const scratch = e.scratch(perThread * parts.length);
  const calls: KernelCall[] = parts.map(([r0, count], t) => [
    'int8_conv2d', x.ptr, h, w, c, kh, kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW,
    oh, ow, r0, count, x.q.zero, plan.packedPtr, plan.n, plan.biasPtr, y.ptr, mode, plan.multPtr,
    shift, zero, qmin, qmax, scratch + t * perThread, plan.layout,
  ]);
  e.parallel(calls);
}

/** y (rows, units) = x (rows, in) · plan's kernel (in, units) + bias, then the plan's output stage. */
export function int8Dense(x: QTensor, plan: Int8Plan, y: QTensor | Tensor): void {
  const inUnits = x.shape[x.shape.length - 1];
  if (inUnits !== plan.k) throw new Error(`simdnet int8Dense: x [${x.shape}] does not have ${plan.k} input units`);
  const rows = x.size / inUnits;
  checkOut('int8Dense', plan, y, [...x.shape.slice(0, -1), plan.n]);
  // A dense layer is a 1x1 convolution over (rows, 1, 1, in).
  const unit: Conv2dGeometry = { strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationH: 1, dilationW: 1 };
  const yView = y instanceof QTensor ? y.reshape([rows, 1, 1, plan.n]) : y.reshapeView([rows, 1, 1, plan.n]);
  int8Conv2d(x.reshape([rows, 1, 1, inUnits]), plan, yView, 1, 1, unit);
}
