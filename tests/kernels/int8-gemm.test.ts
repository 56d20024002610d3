// int8 conv2d / dense / max pooling / quantize kernels against integer references written here: exact
// equality, on odd shapes (batch 1, 1x1, non-square, stride 2, dilation, 'same' padding, channel and
// filter counts not divisible by 4 or 8), for every integer kernel (dot16 everywhere, dot8 and dot8i16 on the relaxed
// build) and both builds — so the builds and kernels are also identical to one another.
import { describe, it, expect, beforeAll, onTestFinished } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { Arena } from '../../src/backend/arena.js';
import { windowAxis } from '../../src/layers/geometry.js';
import { QTensor, type QuantParams } from '../../src/quantize/int8-tensor.js';
import { Int8Plan, WINOGRAD4_MAX_C, forceInt8WinogradTiling, winogradRegions, dot8Check, int8Conv2d, int8Dense, int8Kernel, setInt8Kernel, type Int8Kernel, type Int8Output } from '../../src/quantize/int8-gemm.js';
import { quantize, dequantize, int8MaxPool2d } from '../../src/quantize/int8-quantize.js';
import { winograd4Saves } from '../../src/quantize/plan.js';
import { loadInt8Kernels } from '../../src/quantize/int8-module.js';
import type { Conv2dGeometry } from '../../src/ops/conv.js';
import type { Pool2dGeometry } from '../../src/ops/pool.js';
import { rng } from '../helpers/random.js';

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  f: number;
  stride: [number, number];
  padding: 'valid' | 'same';
  dilation?: [number, number];
}

const CASES: ConvCase[] = [
  { name: '3x3 same, batch 1, C=3, F=5', x: [1, 5, 7, 3], k: [3, 3], f: 5, stride: [1, 1], padding: 'same' },
  { name: '3x3 valid stride 2, C=12, F=17', x: [2, 9, 8, 12], k: [3, 3], f: 17, stride: [2, 2], padding: 'valid' },
  { name: '1x1, C=16, F=8', x: [3, 6, 6, 16], k: [1, 1], f: 8, stride: [1, 1], padding: 'valid' },
  { name: '1x1 on a 1x1 image, C=40, F=3', x: [5, 1, 1, 40], k: [1, 1], f: 3, stride: [1, 1], padding: 'valid' },
  { name: '2x3 dilated 2, same, stride (1,2), C=9, F=10', x: [2, 7, 5, 9], k: [2, 3], f: 10, stride: [1, 2], padding: 'same', dilation: [2, 2] },
  { name: '3x3 valid, C=32, F=64, 13x13 (odd 11x11 output: partial tiles)', x: [2, 13, 13, 32], k: [3, 3], f: 64, stride: [1, 1], padding: 'valid' },
  { name: '3x3 same, C=13 (8 + a tail of 5), F=10, 6x7', x: [3, 6, 7, 13], k: [3, 3], f: 10, stride: [1, 1], padding: 'same' },
  { name: '3x3 valid, C=1, F=12, 9x11 (7x9 output: a partial group of 4 pixels)', x: [2, 9, 11, 1], k: [3, 3], f: 12, stride: [1, 1], padding: 'valid' },
  { name: '5x3 same stride 2, C=2, F=5, batch 1', x: [1, 7, 6, 2], k: [5, 3], f: 5, stride: [2, 2], padding: 'same' },
  { name: '3x3 valid, C=1, F=16, 5x5, batch 1 (9 pixels: a last group of one)', x: [1, 5, 5, 1], k: [3, 3], f: 16, stride: [1, 1], padding: 'valid' },
  { name: '3x3 same, C=5, F=24, 7x6, batch 1', x: [1, 7, 6, 5], k: [3, 3], f: 24, stride: [1, 1], padding: 'same' },
  { name: '3x3 same, C=17, F=16, 9x5 (15 tiles: whole panels and a rest)', x: [1, 9, 5, 17], k: [3, 3], f: 16, stride: [1, 1], padding: 'same' },
  { name: '3x3 valid stride 2, C=3, F=8, 9x12', x: [2, 9, 12, 3], k: [3, 3], f: 8, stride: [2, 2], padding: 'valid' },
  { name: '3x3 same, C=1, F=8, 6x13, batch 2 (rows of 4 pixels and the border)', x: [2, 6, 13, 1], k: [3, 3], f: 8, stride: [1, 1], padding: 'same' },
  { name: '3x3 valid stride (2,1), C=1, F=24, 9x14', x: [2, 9, 14, 1], k: [3, 3], f: 24, stride: [2, 1], padding: 'valid' },
  { name: '3x3 valid, C=24, F=16, 12x13 (10x11 output: F(4,3) inside, F(2,3) edges)', x: [2, 12, 13, 24], k: [3, 3], f: 16, stride: [1, 1], padding: 'valid' },
];

/** Cases int8Conv2d can also run by Winograd (3x3, stride 1, undilated): they run both ways. */
const winogradChannels = (c: ConvCase): (number | null)[] =>
  c.k[0] === 3 && c.k[1] === 3 && c.stride[0] === 1 && c.stride[1] === 1 && !c.dilation ? [null, c.x[3]] : [null];

/** How a case runs: the im2col GEMM, Winograd F(2x2,3x3) or F(4x4,3x3) (on C channels), or the direct kernel (any geometry). */
type Tiling = 'auto' | 'whole' | 'mixed';
type Path = { wino: number | null; direct: boolean; tile: 2 | 4; tiling: Tiling };
const TILES = [2, 4] as const;
/** F(2,3), and F(4,3) on the whole output or inside F(2,3) edges (winogradRegions). */
const WINO_PATHS = [[2, 'auto'], [4, 'whole'], [4, 'mixed']] as const;
const paths = (c: ConvCase): Path[] => [
  ...winogradChannels(c).flatMap((wino) => (wino === null
    ? [{ wino, direct: false, tile: 2 as const, tiling: 'auto' as const }]
    : WINO_PATHS.map(([tile, tiling]) => ({ wino, direct: false, tile, tiling })))),
  { wino: null, direct: true, tile: 2, tiling: 'auto' },
];
const pathName = (p: Path): string => (p.direct ? ', direct' : p.wino ? `, by Winograd F(${p.tile}x${p.tile},3x3)${p.tile === 4 ? ` ${p.tiling}` : ''}` : '');

function geometry(c: ConvCase): { g: Conv2dGeometry; oh: number; ow: number } {
  const [dh, dw] = c.dilation ?? [1, 1];
  const a = windowAxis(c.x[1], c.k[0], c.stride[0], c.padding, dh);
  const b = windowAxis(c.x[2], c.k[1], c.stride[1], c.padding, dw);
  const g = { strideH: c.stride[0], strideW: c.stride[1], padTop: a.before, padBottom: a.after, padLeft: b.before, padRight: b.after, dilationH: dh, dilationW: dw };
  return { g, oh: a.out, ow: b.out };
}

/** acc (N,OH,OW,F) = bias + Σ x·w with padding cells = zeroIn, in plain integers. */
function referenceAcc(x: Uint8Array, [n, h, w, c]: number[], wq: Int8Array, kh: number, kw: number, f: number, g: Conv2dGeometry, oh: number, ow: number, zeroIn: number, bias: Int32Array): Int32Array {
  const acc = new Int32Array(n * oh * ow * f);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < f; o++) {
          let s = bias[o];
          for (let ki = 0; ki < kh; ki++)
            for (let kj = 0; kj < kw; kj++) {
              const r = i * g.strideH - g.padTop + ki * g.dilationH;
              const q = j * g.strideW - g.padLeft + kj * g.dilationW;
              const inside = r >= 0 && r < h && q >= 0 && q < w;
              for (let ch = 0; ch < c; ch++) {
                const v = inside ? x[((b * h + r) * w + q) * c + ch] : zeroIn;
                s += v * wq[((ki * kw + kj) * c + ch) * f + o];
              }
            }
          acc[((b * oh + i) * ow + j) * f + o] = s;
        }
  return acc;
}

function requantRef(acc: number, m0: number, shift: number, zero: number, qmin: number, qmax: number): number {
  const v = Number((BigInt(acc) * BigInt(m0) + (1n << BigInt(shift - 1))) >> BigInt(shift));
  return Math.min(qmax, Math.max(qmin, v + zero));
}

function randomU8(n: number, r: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 128));
}
function randomI8(n: number, r: () => number): Int8Array {
  return Int8Array.from({ length: n }, () => Math.floor(r() * 255) - 127);
}

function putBytes(arena: Arena, bytes: Uint8Array, shape: number[], q: QuantParams): QTensor {
  const t = QTensor.empty(shape, q, arena);
  engine().heap.u8.set(bytes, t.ptr);
  return t;
}
function getBytes(t: QTensor): Uint8Array {
  return engine().heap.u8.slice(t.ptr, t.ptr + t.size);
}

/**
 * The u8 outputs, one per path of the requantization (assembly/int8-requant.ts): a large multiplier with
 * shift 50 (≥ 33: the high words and an i32 rounding), shift 33 at its edge, shift 32 (an i64 rounding,
 * then the high words), and a small multiplier with shift 22 (< 32: i64 shifts).
 */
type ShiftCase = 50 | 33 | 32 | 22;
const SHIFTS: ShiftCase[] = [50, 33, 32, 22];
function u8Output(f: number, r: () => number, shift: ShiftCase): Extract<Int8Output, { kind: 'u8' }> {
  // Multipliers that bring typical sums (~1e4..1e5) into the byte range: 2^shift / ~1000..10000.
  const base = shift === 50 ? 2 ** 30 : shift === 22 ? 1000 : 2 ** (shift - 10);
  const m0 = Int32Array.from({ length: f }, () => base + Math.floor(r() * (shift === 22 ? 3000 : base)));
  return { kind: 'u8', m0, shift, zero: 9, qmin: 9, qmax: 120 };
}

/** Whether this engine's dot8 (or dot8i16) gives a wrong product (Node 20's V8 does for dot8, on a 4-row tile). */
function nodeV8Miscompiles(kernel: 'dot8' | 'dot8i16' = 'dot8'): boolean {
  if (!engine().info.relaxedSimd) return false;
  const arena = new Arena();
  const run = (kernel: Int8Kernel): Float32Array => {
    const plan = Int8Plan.create(new Int8Array(16 * 8).fill(3), 16, 8, new Int32Array(8), { kind: 'f32', scales: new Float32Array(8).fill(1) }, kernel);
    try {
      const y = sn.Tensor.empty([4, 8], arena);
      int8Dense(putBytes(arena, new Uint8Array(4 * 16).fill(2), [4, 16], { scale: 1, zero: 0 }), plan, y);
      return y.dataSync();
    } finally {
      plan.dispose();
    }
  };
  try {
    return run(kernel).some((v, i) => v !== run('dot16')[i]);
  } finally {
    arena.reset();
  }
}

const BUILDS = [['plain', { simd: 'plain' }], ['relaxed', { simd: 'relaxed' }]] as const;

describe.each(BUILDS)('int8 kernels, %s build', (_, options) => {
  beforeAll(async () => {
    await sn.ready(options);
    await loadInt8Kernels();
  });
  // dot8 is tested where the engine computes it correctly (Chromium's V8; Node 20's V8 miscompiles it,
  // which the kernel choice detects: see the last test).
  const works = (kernel: 'dot8' | 'dot8i16'): boolean => engine().info.relaxedSimd && !nodeV8Miscompiles(kernel);
  const kernels = (): Int8Kernel[] => ['dot16', ...(['dot8', 'dot8i16'] as const).filter(works)];

  for (const c of CASES) {
    for (const path of paths(c)) it(`conv2d ${c.name}${pathName(path)}: u8 and f32 outputs equal the integer reference`, () => {
      const { wino, direct, tile, tiling } = path;
      forceInt8WinogradTiling(tiling);
      onTestFinished(() => forceInt8WinogradTiling('auto'));
      const r = rng(c.x.reduce((a, b) => a * 31 + b, c.f));
      const [kh, kw] = c.k;
      const k = kh * kw * c.x[3];
      const { g, oh, ow } = geometry(c);
      const x = randomU8(c.x.reduce((a, b) => a * b, 1), r);
      const wq = randomI8(k * c.f, r);
      const bias = Int32Array.from({ length: c.f }, () => Math.floor(r() * 20000) - 10000);
      const zeroIn = 5;
      const acc = referenceAcc(x, c.x, wq, kh, kw, c.f, g, oh, ow, zeroIn, bias);
      const yShape = [c.x[0], oh, ow, c.f];
      // The direct kernel runs dot16 in every build.
      for (const kernel of direct ? (['dot16'] as const) : kernels()) {
        for (const shift of SHIFTS) {
          const out = u8Output(c.f, r, shift);
          const arena = new Arena();
          const plan = Int8Plan.create(wq, k, c.f, bias, out, kernel, wino, direct, tile);
          try {
            expect(plan.winogradChannels).toBe(wino);
            expect(plan.winogradTile).toBe(wino === null ? null : tile);
            expect(plan.direct).toBe(direct);
            const xq = putBytes(arena, x, c.x, { scale: 1, zero: zeroIn });
            const y = QTensor.empty(yShape, { scale: 1, zero: out.zero }, arena);
            int8Conv2d(xq, plan, y, kh, kw, g);
            const want = Uint8Array.from(acc, (a, i) => requantRef(a, out.m0[i % c.f], out.shift, out.zero, out.qmin, out.qmax));
            expect(getBytes(y), `${kernel}, shift ${out.shift}`).toEqual(want);
          } finally {
            plan.dispose();
            arena.reset();
          }
        }
        const scales = Float32Array.from({ length: c.f }, () => Math.fround(r() * 0.01 + 1e-4));
        const arena = new Arena();
        const plan = Int8Plan.create(wq, k, c.f, bias, { kind: 'f32', scales }, kernel, wino, direct, tile);
        try {
          const xq = putBytes(arena, x, c.x, { scale: 1, zero: zeroIn });
          const y = sn.Tensor.empty(yShape, arena);
          int8Conv2d(xq, plan, y, kh, kw, g);
          const want = Float32Array.from(acc, (a, i) => Math.fround(Math.fround(a) * scales[i % c.f]));
          expect(y.dataSync(), `${kernel}, f32`).toEqual(want);
        } finally {
          plan.dispose();
          arena.reset();
        }
      }
    });
  }

  /** 2x2 stride-2 max pooling (valid) of (N,OH,OW,F) values. */
  function pool2x2<T extends Uint8Array | Float32Array>(v: T, [n, oh, ow, f]: number[], make: (len: number) => T): T {
    const ph = oh >> 1, pw = ow >> 1;
    const out = make(n * ph * pw * f);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < ph; i++)
        for (let j = 0; j < pw; j++)
          for (let o = 0; o < f; o++) {
            let m = -Infinity;
            for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) m = Math.max(m, v[((b * oh + 2 * i + di) * ow + 2 * j + dj) * f + o]);
            out[((b * ph + i) * pw + j) * f + o] = m;
          }
    return out;
  }

  for (const [c, direct, tile] of [
    ...CASES.filter((c) => winogradChannels(c).length > 1).flatMap((c) => TILES.map((t) => [c, false, t] as const)),
    ...CASES.map((c) => [c, true, 2] as const),
  ]) {
    it(`conv2d ${c.name}, ${direct ? 'direct' : `by Winograd F(${tile}x${tile},3x3)`} with the 2x2 max pooling fused: the pooled reference, u8 and f32`, () => {
      const r = rng(c.x.reduce((a, b) => a * 17 + b, c.f));
      const [kh, kw] = c.k;
      const k = kh * kw * c.x[3];
      const { g, oh, ow } = geometry(c);
      const x = randomU8(c.x.reduce((a, b) => a * b, 1), r);
      const wq = randomI8(k * c.f, r);
      const bias = Int32Array.from({ length: c.f }, () => Math.floor(r() * 20000) - 10000);
      const zeroIn = 7;
      const acc = referenceAcc(x, c.x, wq, kh, kw, c.f, g, oh, ow, zeroIn, bias);
      const full = [c.x[0], oh, ow, c.f];
      const pooled = [c.x[0], oh >> 1, ow >> 1, c.f];
      const out = u8Output(c.f, r, 50);
      const scales = Float32Array.from({ length: c.f }, () => Math.fround(r() * 0.01 + 1e-4));
      const arena = new Arena();
      const plan = Int8Plan.create(wq, k, c.f, bias, out, 'dot16', direct ? null : c.x[3], direct, tile);
      const planF = Int8Plan.create(wq, k, c.f, bias, { kind: 'f32', scales }, 'dot16', direct ? null : c.x[3], direct, tile);
      try {
        const xq = putBytes(arena, x, c.x, { scale: 1, zero: zeroIn });
        const y = QTensor.empty(pooled, { scale: 1, zero: out.zero }, arena);
        int8Conv2d(xq, plan, y, kh, kw, g, true);
        const bytes = Uint8Array.from(acc, (a, i) => requantRef(a, out.m0[i % c.f], out.shift, out.zero, out.qmin, out.qmax));
        expect(getBytes(y)).toEqual(pool2x2(bytes, full, (len) => new Uint8Array(len)));
        const yf = sn.Tensor.empty(pooled, arena);
        int8Conv2d(xq, planF, yf, kh, kw, g, true);
        const floats = Float32Array.from(acc, (a, i) => Math.fround(Math.fround(a) * scales[i % c.f]));
        expect(yf.dataSync()).toEqual(pool2x2(floats, full, (len) => new Float32Array(len)));
        // A fused pooling needs Winograd filters or the direct kernel.
        const gemm = Int8Plan.create(wq, k, c.f, bias, out, 'dot16');
        try {
          expect(() => int8Conv2d(xq, gemm, y, kh, kw, g, true)).toThrow(/fused pooling needs a direct or Winograd plan/);
        } finally {
          gemm.dispose();
        }
      } finally {
        plan.dispose();
        planF.dispose();
        arena.reset();
      }
    });
  }

  // C=229 is F(4,3)'s limit (WINOGRAD4_MAX_C): |acc| up to 127·127·9·229 ≈ 2^25, where 576·acc wraps i32
  // many times over and only the modular recovery (assembly/int8-winograd-f43.ts) gives it back. C=25 is
  // the last where its pooling takes the max of 576·acc directly (exact in i32 up to there).
  for (const [tile, c] of [[2, 40], [4, 25], [4, 40], [4, WINOGRAD4_MAX_C]] as const) {
    it(`conv2d by Winograd F(${tile}x${tile},3x3) at the extremes of its ranges (x in {0, 127}, w = ±127, C=${c}), pooled and not: exact`, () => {
      const r = rng(11 + c);
      const shape = [2, 5, 6, c];
      const f = 9;
      const k = 9 * c;
      const geo = geometry({ name: '', x: shape as ConvCase['x'], k: [3, 3], f, stride: [1, 1], padding: 'same' });
      const x = Uint8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() < 0.8 ? 127 : 0));
      // Mostly one sign per filter, so the sums reach far: the Winograd intermediates wrap in i32 only past
      // what the final result can reach.
      const wq = Int8Array.from({ length: k * f }, (_, i) => ((i % f) % 2 === 0) === r() < 0.9 ? 127 : -127);
      const bias = new Int32Array(f);
      const zeroIn = 127;
      const acc = referenceAcc(x, shape, wq, 3, 3, f, geo.g, geo.oh, geo.ow, zeroIn, bias);
      const scales = new Float32Array(f).fill(1);
      const arena = new Arena();
      const plan = Int8Plan.create(wq, k, f, bias, { kind: 'f32', scales }, 'dot16', c, false, tile);
      try {
        const xq = putBytes(arena, x, shape, { scale: 1, zero: zeroIn });
        const y = sn.Tensor.empty([2, geo.oh, geo.ow, f], arena);
        int8Conv2d(xq, plan, y, 3, 3, geo.g);
        expect(Math.max(...acc.map(Math.abs))).toBeGreaterThan(127 * 127 * k * 0.5);
        const want = Float32Array.from(acc, (a) => Math.fround(a));
        expect(y.dataSync()).toEqual(want);
        const pooled = sn.Tensor.empty([2, geo.oh >> 1, geo.ow >> 1, f], arena);
        int8Conv2d(xq, plan, pooled, 3, 3, geo.g, true);
        expect(pooled.dataSync()).toEqual(pool2x2(want, [2, geo.oh, geo.ow, f], (len) => new Float32Array(len)));
      } finally {
        plan.dispose();
        arena.reset();
      }
    });
  }

  it('F(4,3) plans run F(4,3) inside and F(2,3) on the edges where that costs less (MNIST 10x10), whole otherwise', () => {
    expect(winogradRegions(24, 24, false, 4)).toEqual([[4, 0, 0, 24, 24]]);
    expect(winogradRegions(8, 8, true, 4)).toEqual([[4, 0, 0, 8, 8]]);
    expect(winogradRegions(10, 10, false, 4)).toEqual([[4, 0, 0, 8, 8], [2, 0, 8, 10, 2], [2, 8, 0, 2, 8]]);
    expect(winogradRegions(10, 10, true, 4)).toEqual([[4, 0, 0, 10, 10]]);
    expect(winogradRegions(11, 11, false, 4)).toEqual([[4, 0, 0, 11, 11]]);
    expect(winogradRegions(10, 10, false, 2)).toEqual([[2, 0, 0, 10, 10]]);
    expect(winograd4Saves(10, 10) && winograd4Saves(24, 24) && winograd4Saves(8, 8)).toBe(true);
    expect(winograd4Saves(2, 2) || winograd4Saves(2, 6)).toBe(false);
  });

  it('F(4x4,3x3) refuses more than WINOGRAD4_MAX_C channels (its sums would no longer be recovered exactly)', () => {
    const c = WINOGRAD4_MAX_C + 1;
    const f32 = { kind: 'f32' as const, scales: new Float32Array(1).fill(1) };
    expect(() => Int8Plan.create(new Int8Array(9 * c), 9 * c, 1, new Int32Array(1), f32, 'dot16', c, false, 4)).toThrow(/F\(4x4,3x3\) needs a 3x3 kernel on 1\.\.229 channels/);
    Int8Plan.create(new Int8Array(9 * c), 9 * c, 1, new Int32Array(1), f32, 'dot16', c, false, 2).dispose();
  });

  it('dense (rows 1, 5 and 6, 37 in, 11 units) equals the integer reference', () => {
    const r = rng(7);
    for (const rows of [1, 5, 6]) {
      const x = randomU8(rows * 37, r);
      const wq = randomI8(37 * 11, r);
      const bias = Int32Array.from({ length: 11 }, () => Math.floor(r() * 2000) - 1000);
      for (const [kernel, shift] of kernels().flatMap((k) => SHIFTS.map((sh) => [k, sh] as const))) {
        const out = u8Output(11, r, shift);
        const arena = new Arena();
        const plan = Int8Plan.create(wq, 37, 11, bias, out, kernel);
        try {
          const y = QTensor.empty([rows, 11], { scale: 1, zero: out.zero }, arena);
          int8Dense(putBytes(arena, x, [rows, 37], { scale: 1, zero: 0 }), plan, y);
          const want = new Uint8Array(rows * 11);
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < 11; j++) {
              let s = bias[j];
              for (let t = 0; t < 37; t++) s += x[i * 37 + t] * wq[t * 11 + j];
              want[i * 11 + j] = requantRef(s, out.m0[j], out.shift, out.zero, out.qmin, out.qmax);
            }
          expect(getBytes(y)).toEqual(want);
        } finally {
          plan.dispose();
          arena.reset();
        }
      }
    }
  });

  it('max pooling on bytes equals the reference (2x2, 3x3 stride 2 same, 16+3 channels)', () => {
    const r = rng(11);
    const cases: [number[], Pool2dGeometry][] = [
      [[2, 6, 5, 19], { poolH: 2, poolW: 2, strideH: 2, strideW: 2, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 }],
      [[1, 7, 7, 3], { poolH: 3, poolW: 3, strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1 }],
    ];
    for (const [[n, h, w, c], g] of cases) {
      const oh = Math.floor((h + g.padTop + g.padBottom - g.poolH) / g.strideH) + 1;
      const ow = Math.floor((w + g.padLeft + g.padRight - g.poolW) / g.strideW) + 1;
      const x = randomU8(n * h * w * c, r);
      const arena = new Arena();
      try {
        const y = QTensor.empty([n, oh, ow, c], { scale: 1, zero: 0 }, arena);
        int8MaxPool2d(putBytes(arena, x, [n, h, w, c], { scale: 1, zero: 0 }), y, g);
        const want = new Uint8Array(y.size);
        for (let b = 0; b < n; b++)
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++)
              for (let ch = 0; ch < c; ch++) {
                let best = 0;
                for (let a = 0; a < g.poolH; a++)
                  for (let d = 0; d < g.poolW; d++) {
                    const p = i * g.strideH - g.padTop + a;
                    const q = j * g.strideW - g.padLeft + d;
                    if (p >= 0 && p < h && q >= 0 && q < w) best = Math.max(best, x[((b * h + p) * w + q) * c + ch]);
                  }
                want[((b * oh + i) * ow + j) * c + ch] = best;
              }
        expect(getBytes(y)).toEqual(want);
      } finally {
        arena.reset();
      }
    }
  });

  it('quantize rounds half to even and clamps to 0..127; dequantize inverts it on the grid', () => {
    const scale = Math.fround(0.05);
    const zero = 10;
    const values = [0, 0.025, 0.075, -0.5, -0.525, -2, 100, -100, 5.3, NaN, 1e30, -1e30, 0.0249, 3.1, 3.2, 3.3, 3.4];
    const arena = new Arena();
    try {
      const x = sn.tensor(values, [values.length]);
      const q = QTensor.empty([values.length], { scale, zero }, arena);
      quantize(x, q);
      const inv = Math.fround(1 / scale);
      const even = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
      const want = values.map((v) => {
        const p = Math.fround(v * inv);
        const r = Number.isNaN(p) ? 0 : even(p);
        return Math.min(127, Math.max(0, Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, r)) + zero));
      });
      expect(Array.from(getBytes(q))).toEqual(want);
      const back = sn.Tensor.empty([values.length], arena);
      dequantize(q, back);
      expect(Array.from(back.dataSync())).toEqual(want.map((b) => Math.fround(Math.fround(b - zero) * scale)));
      x.dispose();
    } finally {
      arena.reset();
    }
  });

  it('setInt8Kernel refuses unknown kernels, and dot8 without the relaxed build', () => {
    expect(() => setInt8Kernel('dot4' as Int8Kernel)).toThrow(/dot16/);
    if (!engine().info.relaxedSimd) {
      expect(() => setInt8Kernel('dot8')).toThrow(/relaxed/);
      expect(() => setInt8Kernel('dot8i16')).toThrow(/relaxed/);
    }
    setInt8Kernel('auto');
  });

  it('the automatic choice never picks a dot8 kernel that disagrees with dot16', () => {
    setInt8Kernel('auto');
    const chosen = int8Kernel();
    expect(engine().info.relaxedSimd ? ['dot16', 'dot8', 'dot8i16'] : ['dot16']).toContain(chosen);
    if (chosen !== 'dot16') expect(nodeV8Miscompiles(chosen)).toBe(false);
  });

  it('the dot8 check packs whole panels: at 65 and 37 rows (a last panel of 1), dot8i16 warmed gives the dot16 sums', () => {
    // Its activation blocks once held M rows, not M rounded up to 4: dot16's last panel ran over dot8's, so
    // no dot8 kernel ever agreed and the automatic choice could only say dot16.
    if (!engine().info.relaxedSimd) return;
    for (const [m, n, k] of [[65, 32, 256], [37, 24, 200]]) {
      const check = dot8Check(m, n, k);
      try {
        for (const t0 = performance.now(); performance.now() - t0 < 20;) check.gemm(2, 1);
        expect(check.agrees(20, 5, 2), `${m}x${n}x${k}`).toBe(true);
      } finally {
        check.release();
      }
    }
  });

  it('the dot8 check compares the first calls and the warmed (optimized) code: dot8 or dot8i16 only where both agree', async () => {
    // V8 runs a wasm function in its baseline tier first and in its optimizing tier once hot; Node 20's
    // baseline gets dot8 wrong. A new engine (fresh kernels), checked cold and then hot, as the choice does.
    sn.dispose();
    await sn.ready(options);
    await loadInt8Kernels();
    const check = dot8Check(8, 16, 64);
    const relaxed = engine().info.relaxedSimd;
    const layouts = { dot8: 1, dot8i16: 2 } as const;
    const agrees = { dot8: false, dot8i16: false };
    for (const kernel of ['dot8', 'dot8i16'] as const) {
      const cold = relaxed && check.agrees(1, 0, layouts[kernel]);
      // Hot: 20 ms of products first (the optimizing tier compiles in the background), then compared.
      for (const t0 = performance.now(); relaxed && performance.now() - t0 < 20;) check.gemm(layouts[kernel], 1);
      agrees[kernel] = cold && relaxed && check.agrees(50, 5, layouts[kernel]);
    }
    check.release();
    setInt8Kernel('auto');
    const chosen = int8Kernel();
    if (chosen !== 'dot16') expect(agrees[chosen]).toBe(true);
    // Whatever runs, hot, gives the dot16 integers (a product far from the check's sizes: 37 rows, K 200).
    if (chosen !== 'dot16') {
      const big = dot8Check(37, 24, 200);
      try {
        expect(big.agrees(50, 10, layouts[chosen])).toBe(true);
      } finally {
        big.release();
      }
    }
  });
});
