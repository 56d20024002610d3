// conv2dTranspose against float64 references: it is the input gradient of the conv2d it transposes (from
// y-space (OH,OW,F) to x-space (H,W,C) with kernel (KH,KW,F,C)), so y = that conv's dx of x, and its own
// gradients are that conv's forward (dx) and dw. Central differences of loss = sum(y · r) on small cases.
// Plain, relaxed and 2-thread builds; 'valid' and 'same' sizes as Keras computes them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { conv2dCase, referenceForward, referenceBackward, expectClose } from '../helpers/conv-reference.js';
import type { Conv2dGeometry } from '../../src/ops/conv.js';

const { ops } = sn;

function values(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
}

// [label, x (N,H,W,C), kernel, filters, strides, padding, dilation]
type Spec = [string, [number, number, number, number], [number, number], number, [number, number], 'valid' | 'same', number];
const specs: Spec[] = [
  ['1x1 image, 1x1 kernel', [1, 1, 1, 1], [1, 1], 1, [1, 1], 'valid', 1],
  ["3x3 stride 2 'same', 5 channels, 7 filters", [2, 4, 5, 5], [3, 3], 7, [2, 2], 'same', 1],
  ["3x3 stride 2 'valid', 3 channels, 4 filters (overlapping windows)", [1, 3, 4, 3], [3, 3], 4, [2, 2], 'valid', 1],
  ['kernel 2x4 stride 3x1 (gaps between windows), valid, 6 channels', [2, 3, 3, 6], [2, 4], 3, [3, 1], 'valid', 1],
  ["4x4 stride 2 'same' (even kernel: padding split), 16 channels, 8 filters", [1, 5, 6, 16], [4, 4], 8, [2, 2], 'same', 1],
  ["dilation 2, 3x3 'same' stride 1, 8 channels", [1, 6, 5, 8], [3, 3], 5, [1, 1], 'same', 2],
  ['batch 4 large enough to split across threads, 32 channels, 16 filters', [4, 12, 12, 32], [3, 3], 16, [2, 2], 'same', 1],
];

const builds: [string, sn.ReadyOptions][] = [
  ['plain SIMD', { simd: 'plain' }],
  ['relaxed SIMD', { simd: 'relaxed' }],
  ['plain SIMD, 2 threads', { simd: 'plain', threads: 2 }],
];

afterAll(() => sn.dispose());

describe('conv2dTransposeAxis', () => {
  it("gives Keras's output sizes", () => {
    expect(ops.conv2dTransposeAxis(3, 3, 2, 'valid').out).toBe(7);
    expect(ops.conv2dTransposeAxis(3, 3, 2, 'same')).toEqual({ out: 6, before: 0, after: 1 });
    expect(ops.conv2dTransposeAxis(5, 4, 2, 'same')).toEqual({ out: 10, before: 1, after: 1 });
    expect(ops.conv2dTransposeAxis(3, 2, 3, 'valid')).toEqual({ out: 9, before: 0, after: 0 });
    expect(ops.conv2dTransposeAxis(6, 3, 1, 'same', 2)).toEqual({ out: 6, before: 2, after: 2 });
  });
});

describe.each(builds)('conv2dTranspose (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  describe.each(specs)('%s', (_label, xs, k, F, s, padding, dil) => {
    const [N, H, W, C] = xs;
    const ah = ops.conv2dTransposeAxis(H, k[0], s[0], padding, dil);
    const aw = ops.conv2dTransposeAxis(W, k[1], s[1], padding, dil);
    const g: Conv2dGeometry = { strideH: s[0], strideW: s[1], padTop: ah.before, padBottom: ah.after, padLeft: aw.before, padRight: aw.after, dilationH: dil, dilationW: dil };
    // The conv it transposes: input (N,OH,OW,F), kernel (KH,KW,F,C), output (N,H,W,C).
    const conv = conv2dCase([N, ah.out, aw.out, F], k, C, s, [ah.before, ah.after, aw.before, aw.after], [dil, dil]);
    const yShape = [N, ah.out, aw.out, F];
    const wShape = [k[0], k[1], F, C];
    const ySize = N * ah.out * aw.out * F;
    const xv = values(N * H * W * C, 31);
    const wv = values(k[0] * k[1] * F * C, 37);
    const bv = values(F, 41);
    const forward = (xa: Float64Array, wa: Float64Array) => {
      const y = referenceBackward(conv, new Float64Array(ySize), wa, xa).dx;
      return y.map((v, i) => v + bv[i % F]);
    };

    it('forward, bias and backward match the references', () => {
      const x = sn.tensor(Float32Array.from(xv), xs);
      const w = sn.tensor(Float32Array.from(wv), wShape);
      const b = sn.tensor(Float32Array.from(bv), [F]);
      const y = sn.tensor(new Float32Array(ySize).fill(NaN), yShape);
      ops.conv2dTransposeForward(x, w, b, y, g);
      const taps = k[0] * k[1];
      expectClose(y.dataSync(), forward(xv, wv), 'y', 1e-4, 1e-5 * taps * C);
      const r = values(ySize, 43);
      const dy = sn.tensor(Float32Array.from(r), yShape);
      const dx = sn.tensor(new Float32Array(xv.length).fill(NaN), xs);
      const dw = sn.tensor(new Float32Array(wv.length).fill(NaN), wShape);
      const db = sn.tensor(new Float32Array(F).fill(NaN), [F]);
      ops.conv2dTransposeBackward(x, w, dy, dx, dw, db, g);
      const wantDx = referenceForward(conv, r, wv, null);
      const wantDw = referenceBackward(conv, r, wv, xv).dw;
      const wantDb = new Float64Array(F);
      r.forEach((v, i) => (wantDb[i % F] += v));
      expectClose(dx.dataSync(), wantDx, 'dx', 1e-4, 1e-5 * taps * F);
      expectClose(dw.dataSync(), wantDw, 'dw', 1e-4, 1e-5 * ySize);
      expectClose(db.dataSync(), wantDb, 'db', 1e-4, 1e-5 * ySize);
      if (xv.length + wv.length <= 1500) {
        const loss = () => forward(xv, wv).reduce((a, v, i) => a + v * r[i], 0);
        expectClose(dx.dataSync(), numericalGradient(loss, xv, 1e-3), 'dx vs central differences');
        expectClose(dw.dataSync(), numericalGradient(loss, wv, 1e-3), 'dw vs central differences');
      }
      ops.conv2dTransposeBackward(x, w, dy, null, dw, db, g, true);
      expectClose(dw.dataSync(), wantDw.map((v) => 2 * v), 'dw accumulated', 1e-4, 2e-5 * ySize);
      expectClose(db.dataSync(), wantDb.map((v) => 2 * v), 'db accumulated', 1e-4, 2e-5 * ySize);
      for (const t of [x, w, b, y, dy, dx, dw, db]) t.dispose();
    });
  });

  it('throws when y does not fit x, naming the shapes', () => {
    const g: Conv2dGeometry = { strideH: 2, strideW: 2, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationH: 1, dilationW: 1 };
    const x = sn.Tensor.empty([1, 3, 3, 2]);
    const w = sn.Tensor.empty([3, 3, 4, 2]);
    const y = sn.Tensor.empty([1, 6, 6, 4]);
    expect(() => ops.conv2dTransposeForward(x, w, null, y, g)).toThrow(/conv2dTransposeForward: x \[1,3,3,2\], w \[3,3,4,2\].*y \[1,6,6,4\]/);
    for (const t of [x, w, y]) t.dispose();
  });
});
