// Training's conv → 2x2 max pool on Winograd F(4x4,3x3) (conv2dForwardMaxPool2 with argmax and
// conv2dBackwardMaxPool2 with dx where conv2dWinogradMaxPool2Fuses: the pool in the output transform, the
// conv's dy made tile by tile from the pooled gradient at the winners). Against the same F(4,3) conv then
// maxPool2dForward, and maxPool2dBackward (masked for a relu) then conv2dBackward: bit for bit — pooled
// values, winners, dw, db, dx. Against float64: the conv, act and pool, and their gradient (itself checked by
// central differences of Σ dp·pool(act(conv))). Odd shapes: odd and even output sides (a last row or column
// the pool drops, a last tile holding only that), 'same' and one-sided padding, batch 1 (split by filters on
// two threads), channels and filters not multiples of 4; every kernel build.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { ACTIVATION, type ActivationCode } from '../../src/ops/activation.js';
import {
  conv2dOutputSize, conv2dForwardMaxPool2, conv2dBackwardMaxPool2, conv2dWinogradMaxPool2Fuses, forceConv2dPath,
  type Conv2dGeometry,
} from '../../src/ops/conv.js';
import { conv2dCase, outputSize, referenceForward, referenceBackward, type ConvCase } from '../helpers/conv-reference.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;

const pool2 = { poolH: 2, poolW: 2, strideH: 2, strideW: 2, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };
const bits = (t: sn.Tensor): number[] => Array.from(new Int32Array(Float32Array.from(t.dataSync()).buffer));

// [label, x (N,H,W,C), filters, padding (top, bottom, left, right), activation, forced onto F(4,3)]
const cases: [string, [number, number, number, number], number, [number, number, number, number], ActivationCode, boolean][] = [
  ['the MNIST convnet conv2: 13x13x32, 64 filters, valid (11x11 -> 5x5), relu, its own path', [3, 13, 13, 32], 64, [0, 0, 0, 0], ACTIVATION.relu, false],
  ['odd 9x7 output, 3 channels, 5 filters, relu', [2, 11, 9, 3], 5, [0, 0, 0, 0], ACTIVATION.relu, true],
  ["'same' 8x10, batch 1, 6 channels, 7 filters, linear", [1, 8, 10, 6], 7, [1, 1, 1, 1], ACTIVATION.linear, true],
  ['one-sided padding, 7x6 output, 4 channels, 12 filters, relu', [2, 7, 6, 4], 12, [1, 0, 0, 1], ACTIVATION.relu, true],
  ['batch 1, 11x11 output, 8 channels, 38 filters (two threads split them), relu', [1, 13, 13, 8], 38, [0, 0, 0, 0], ACTIVATION.relu, true],
  ['2x2 output: one window, 5 channels, 9 filters, relu', [3, 4, 4, 5], 9, [0, 0, 0, 0], ACTIVATION.relu, true],
];

function geometry(pad: [number, number, number, number]): Conv2dGeometry {
  return { strideH: 1, strideW: 1, padTop: pad[0], padBottom: pad[1], padLeft: pad[2], padRight: pad[3], dilationH: 1, dilationW: 1, groups: 1 };
}

/** float64 pool(act(conv)) and each pooled value's winner (an index into the conv's output), in the pool's scan order. */
function pooledReference(c: ConvCase, x: Float64Array, w: Float64Array, b: Float64Array, relu: boolean) {
  const z = referenceForward(c, x, w, b).map((v) => (relu ? Math.max(v, 0) : v));
  const [, OH, OW] = outputSize(c);
  const PH = OH >> 1, PW = OW >> 1;
  const y = new Float64Array(c.N * PH * PW * c.F), win = new Int32Array(y.length);
  for (let n = 0; n < c.N; n++)
    for (let i = 0; i < PH; i++)
      for (let j = 0; j < PW; j++)
        for (let f = 0; f < c.F; f++) {
          const o = ((n * PH + i) * PW + j) * c.F + f;
          let best = -Infinity, at = ((n * OH + 2 * i) * OW + 2 * j) * c.F + f;
          for (const [dr, dc] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            const cell = ((n * OH + 2 * i + dr) * OW + 2 * j + dc) * c.F + f;
            if (z[cell] > best) [best, at] = [z[cell], cell];
          }
          y[o] = best;
          win[o] = at;
        }
  return { y, win, zSize: z.length };
}

/** The float64 gradient of Σ dp·pool(act(conv(x, w) + b)): dp at each winner (masked where y ≤ 0 for a relu), then the conv's. */
function gradientReference(c: ConvCase, x: Float64Array, w: Float64Array, b: Float64Array, relu: boolean, dp: Float64Array) {
  const { y, win, zSize } = pooledReference(c, x, w, b, relu);
  const dz = new Float64Array(zSize);
  dp.forEach((g, i) => (dz[win[i]] += relu && !(y[i] > 0) ? 0 : g));
  return referenceBackward(c, x, w, dz);
}

const lossOf = (c: ConvCase, x: Float64Array, w: Float64Array, b: Float64Array, relu: boolean, dp: Float64Array): number =>
  pooledReference(c, x, w, b, relu).y.reduce((s, v, i) => s + v * dp[i], 0);

const maxAbs = (a: ArrayLike<number>): number => Math.max(1e-6, ...Array.from(a, Math.abs));

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel: number): void {
  const tol = rel * maxAbs(want);
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) if (Math.abs(got[i] - want[i]) > worst) [worst, at] = [Math.abs(got[i] - want[i]), i];
  expect(worst, `${what}: element ${at} is ${got[at]}, float64 ${want[at]}`).toBeLessThanOrEqual(tol);
}

describe('the float64 reference of conv → relu → 2x2 max pool', () => {
  it('has the gradient central differences give', () => {
    const c = conv2dCase([2, 7, 6, 3], [3, 3], 5, [1, 1], [1, 0, 0, 1]);
    const r = rng(4);
    const x = Float64Array.from({ length: 2 * 7 * 6 * 3 }, () => r() * 2 - 1);
    const w = Float64Array.from({ length: 9 * 3 * 5 }, () => r() - 0.5);
    const b = Float64Array.from({ length: 5 }, () => r() * 0.4 - 0.2);
    const [OH, OW] = conv2dOutputSize(7, 6, 3, 3, geometry([1, 0, 0, 1]));
    const dp = Float64Array.from({ length: 2 * (OH >> 1) * (OW >> 1) * 5 }, () => r() * 2 - 1);
    const g = gradientReference(c, x, w, b, true, dp);
    const h = 1e-6;
    const central = (v: Float64Array, i: number): number => {
      const keep = v[i];
      v[i] = keep + h;
      const up = lossOf(c, x, w, b, true, dp);
      v[i] = keep - h;
      const down = lossOf(c, x, w, b, true, dp);
      v[i] = keep;
      return (up - down) / (2 * h);
    };
    for (let i = 0; i < w.length; i += 7) expect(Math.abs(central(w, i) - g.dw[i]), `dw[${i}]`).toBeLessThanOrEqual(1e-6);
    for (let i = 0; i < x.length; i += 5) expect(Math.abs(central(x, i) - g.dx[i]), `dx[${i}]`).toBeLessThanOrEqual(1e-6);
    for (let i = 0; i < b.length; i++) expect(Math.abs(central(b, i) - g.db[i]), `db[${i}]`).toBeLessThanOrEqual(1e-6);
    expect(g.dw.some((v) => v !== 0) && g.dx.some((v) => v !== 0)).toBe(true);
  });
});

describe.each(KERNEL_BUILDS)('conv → 2x2 max pool on Winograd F(4x4,3x3) in training, %s', (_name, options) => {
  beforeAll(async () => {
    sn.dispose();
    await sn.ready(options);
  });
  afterAll(() => {
    forceConv2dPath('auto');
    sn.dispose();
  });

  it.each(cases)('%s: the conv then the pool bit for bit, and float64', (_label, dims, F, pad, act, forced) => {
    forceConv2dPath(forced ? 'winograd4' : 'auto');
    const g = geometry(pad);
    const [N, H, W, C] = dims;
    const r = rng(H * 31 + F);
    const xs = Float32Array.from({ length: N * H * W * C }, () => r() * 2 - 1);
    const ws = Float32Array.from({ length: 9 * C * F }, () => (r() - 0.5) / Math.sqrt(C));
    const bs = Float32Array.from({ length: F }, () => r() * 0.4 - 0.2);
    const [OH, OW] = conv2dOutputSize(H, W, 3, 3, g);
    const pooled = [N, OH >> 1, OW >> 1, F];
    const relu = act === ACTIVATION.relu;
    const x = sn.tensor(xs, dims), w = sn.tensor(ws, [3, 3, C, F]), b = sn.tensor(bs, [F]);
    const z = sn.Tensor.empty([N, OH, OW, F]);
    const want = sn.Tensor.empty(pooled), wantArgmax = sn.Tensor.empty(pooled);
    const got = sn.tensor(new Float32Array(want.size).fill(99), pooled), gotArgmax = sn.tensor(new Float32Array(want.size).fill(-1), pooled);
    const dps = Float32Array.from({ length: want.size }, () => r() * 2 - 1);
    const dp = sn.tensor(dps, pooled);
    const dz = sn.Tensor.empty(z.shape);
    const wantDx = sn.Tensor.empty(x.shape), wantDw = sn.Tensor.empty(w.shape), wantDb = sn.Tensor.empty([F]);
    const gotDx = sn.tensor(new Float32Array(x.size).fill(7), x.shape);
    const gotDw = sn.tensor(new Float32Array(w.size).fill(7), w.shape), gotDb = sn.tensor(new Float32Array(F).fill(7), [F]);
    try {
      expect(conv2dWinogradMaxPool2Fuses(x, w, g)).toBe(true);
      ops.conv2dForward(x, w, b, z, g, act);
      ops.maxPool2dForward(z, want, wantArgmax, pool2);
      conv2dForwardMaxPool2(x, w, b, got, g, act, 0, gotArgmax);
      expect(bits(got)).toEqual(bits(want));
      expect(bits(gotArgmax)).toEqual(bits(wantArgmax));
      ops.maxPool2dBackward(dp, wantArgmax, dz, pool2, relu ? want : undefined);
      ops.conv2dBackward(x, w, dz, wantDx, wantDw, wantDb, g);
      conv2dBackwardMaxPool2(x, w, dp, gotArgmax, got, gotDw, gotDb, g, relu, false, gotDx);
      expect(bits(gotDw), 'dw').toEqual(bits(wantDw));
      expect(bits(gotDb), 'db').toEqual(bits(wantDb));
      expect(bits(gotDx), 'dx').toEqual(bits(wantDx));
      // float64: within F(4,3)'s error (≤ 1e-4 of the largest value).
      const c = conv2dCase(dims, [3, 3], F, [1, 1], pad);
      const [x64, w64, b64] = [xs, ws, bs].map((v) => Float64Array.from(v));
      const ref = pooledReference(c, x64, w64, b64, relu);
      expectNear(got.dataSync(), ref.y, 'pooled y', 1e-4);
      const grad = gradientReference(c, x64, w64, b64, relu, Float64Array.from(dps));
      expectNear(gotDw.dataSync(), grad.dw, 'dw', 1e-4);
      expectNear(gotDb.dataSync(), grad.db, 'db', 1e-4);
      expectNear(gotDx.dataSync(), grad.dx, 'dx', 1e-4);
      if (relu && want.size >= 40) expect(want.dataSync().some((v) => v === 0), 'a relu case where the mask drops gradients').toBe(true);
      // Accumulating adds to dw and db; no dx asked for: none made.
      conv2dBackwardMaxPool2(x, w, dp, gotArgmax, got, gotDw, gotDb, g, relu, true);
      gotDw.dataSync().forEach((v, i) => expect(v).toBeCloseTo(2 * wantDw.dataSync()[i], 5));
    } finally {
      forceConv2dPath('auto');
      [x, w, b, z, want, wantArgmax, got, gotArgmax, dp, dz, wantDx, wantDw, wantDb, gotDx, gotDw, gotDb].forEach((t) => t.dispose());
    }
  });

  it('fuses only F(4x4,3x3) convs, and makes dx only there, naming the op', () => {
    const g = geometry([0, 0, 0, 0]);
    const x = sn.Tensor.zeros([2, 6, 6, 32]), w = sn.Tensor.zeros([3, 3, 32, 8]); // 8 filters: not F(4,3)'s forward
    const x1 = sn.Tensor.zeros([2, 6, 6, 1]), w1 = sn.Tensor.zeros([3, 3, 1, 8]); // the direct loop
    const y = sn.Tensor.zeros([2, 2, 2, 8]), am = sn.Tensor.zeros([2, 2, 2, 8]);
    const dw1 = sn.Tensor.zeros(w1.shape), dx1 = sn.Tensor.zeros(x1.shape), bad = sn.Tensor.zeros([2, 6, 6, 2]);
    try {
      expect(conv2dWinogradMaxPool2Fuses(x, w, g)).toBe(false);
      expect(() => conv2dForwardMaxPool2(x, w, null, y, g, 0, 0, am)).toThrow(/conv2dForwardMaxPool2: .*nor with argmax Winograd/);
      expect(() => conv2dBackwardMaxPool2(x1, w1, y, am, y, dw1, null, g, true, false, dx1)).toThrow(/conv2dBackwardMaxPool2: dx is made only on Winograd/);
      expect(() => conv2dBackwardMaxPool2(x1, w1, y, am, y, dw1, null, g, true, false, bad)).toThrow(/conv2dBackwardMaxPool2: .*dx like x/);
    } finally {
      [x, w, x1, w1, y, am, dw1, dx1, bad].forEach((t) => t.dispose());
    }
  });
});
