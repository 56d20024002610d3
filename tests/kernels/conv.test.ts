// conv2d kernels against a float64 direct convolution written here, on odd shapes (batch 1, 1x1 images,
// non-square kernels, stride > kernel, one-sided padding, dilation, channel counts 1..65), in both builds.
// Backward: loss = sum(y * r) for a random r, so dL/dy = r; dx, dw, db are checked against central
// differences of the reference loss (small cases) and against direct float64 gradients (every case).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { activate } from '../helpers/reference.js';
import { conv2dOutputSize, type Conv2dGeometry } from '../../src/ops/conv.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;

function randomValues(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
}

type Dims = [number, number, number, number];

interface Case {
  label: string;
  x: Dims; // N,H,W,C
  k: [number, number]; // KH,KW
  F: number;
  g: Conv2dGeometry;
}

function geometry(stride: [number, number], pad: [number, number, number, number] = [0, 0, 0, 0], dilation: [number, number] = [1, 1], groups = 1): Conv2dGeometry {
  return { strideH: stride[0], strideW: stride[1], padTop: pad[0], padBottom: pad[1], padLeft: pad[2], padRight: pad[3], dilationH: dilation[0], dilationW: dilation[1], groups };
}

// Direct convolution in float64: y[n,i,j,f] = b[f] + Σ x[n, i*sh-pt+kh*dh, j*sw-pl+kw*dw, c] · w[kh,kw,c,f],
// where with groups, filter f of group q = f / (F/groups) sees channels q·C/groups .. + C/groups and w is
// (KH,KW,C/groups,F). Calls visit(yIndex, xIndex, wIndex) for every product, so the same loop gives forward
// and gradients.
function forEachProduct(c: Case, visit: (yi: number, xi: number, wi: number) => void): number[] {
  const [N, H, W, C] = c.x;
  const [KH, KW] = c.k;
  const { g, F } = c;
  const groups = g.groups ?? 1;
  const Cg = C / groups;
  const Fg = F / groups;
  const [OH, OW] = conv2dOutputSize(H, W, KH, KW, g);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let kh = 0; kh < KH; kh++) {
          const ih = i * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = j * g.strideW - g.padLeft + kw * g.dilationW;
            if (iw < 0 || iw >= W) continue;
            for (let ch = 0; ch < C; ch++) {
              const q = Math.floor(ch / Cg);
              for (let f = q * Fg; f < (q + 1) * Fg; f++)
                visit(((n * OH + i) * OW + j) * F + f, ((n * H + ih) * W + iw) * C + ch, ((kh * KW + kw) * Cg + (ch % Cg)) * F + f);
            }
          }
        }
  return [N, OH, OW, F];
}

function referenceForward(c: Case, x: Float64Array, w: Float64Array, b: Float64Array): Float64Array {
  const [N, H, W] = c.x;
  const [OH, OW] = conv2dOutputSize(H, W, c.k[0], c.k[1], c.g);
  const y = new Float64Array(N * OH * OW * c.F);
  for (let i = 0; i < y.length; i++) y[i] = b[i % c.F];
  forEachProduct(c, (yi, xi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

function referenceBackward(c: Case, x: Float64Array, w: Float64Array, dy: Float64Array) {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(c.F);
  for (let i = 0; i < dy.length; i++) db[i % c.F] += dy[i];
  forEachProduct(c, (yi, xi, wi) => {
    dx[xi] += dy[yi] * w[wi];
    dw[wi] += dy[yi] * x[xi];
  });
  return { dx, dw, db };
}

function numericalGradient(f: () => number, v: Float64Array, eps = 1e-3): Float64Array {
  const grad = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i];
    v[i] = keep + eps;
    const up = f();
    v[i] = keep - eps;
    const down = f();
    v[i] = keep;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 1e-3, abs = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = abs + rel * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

const cases: Case[] = [
  { label: '1x1 image, 1x1 kernel, 1 channel, 1 filter', x: [1, 1, 1, 1], k: [1, 1], F: 1, g: geometry([1, 1]) },
  { label: "batch 1, 3x3 'same', 3 channels, 5 filters", x: [1, 5, 6, 3], k: [3, 3], F: 5, g: geometry([1, 1], [1, 1, 1, 1]) },
  { label: '1x3 kernel, 5 channels, 7 filters', x: [2, 3, 7, 5], k: [1, 3], F: 7, g: geometry([1, 1]) },
  { label: '3x1 kernel, stride 2x1, 7 channels', x: [1, 7, 4, 7], k: [3, 1], F: 3, g: geometry([2, 1]) },
  { label: '2x5 kernel, padding on the left only, 17 channels', x: [1, 4, 6, 17], k: [2, 5], F: 9, g: geometry([1, 1], [0, 0, 2, 0]) },
  { label: 'stride > kernel (2x2 stride 3), padding on the bottom only', x: [2, 7, 8, 3], k: [2, 2], F: 17, g: geometry([3, 3], [0, 1, 0, 0]) },
  { label: 'dilation 2, 3x3, 5 channels', x: [1, 7, 6, 5], k: [3, 3], F: 8, g: geometry([1, 1], [2, 2, 2, 2], [2, 2]) },
  { label: '1x1 stride 1 unpadded (pointwise path), 17 channels', x: [2, 3, 5, 17], k: [1, 1], F: 33, g: geometry([1, 1]) },
  { label: '1x1 stride 2', x: [1, 5, 5, 7], k: [1, 1], F: 4, g: geometry([2, 2]) },
  { label: "TF 'same' 3x3 stride 2 on an even image (pad bottom/right)", x: [1, 6, 6, 4], k: [3, 3], F: 6, g: geometry([2, 2], [0, 1, 0, 1]) },
  { label: 'a row of outputs entirely in padding', x: [1, 2, 3, 5], k: [1, 1], F: 3, g: geometry([1, 1], [2, 0, 0, 0]) },
  { label: 'H = 1 (conv1d view), kernel 1x4, stride 2', x: [3, 1, 11, 6], k: [1, 4], F: 5, g: geometry([1, 2], [0, 0, 1, 2]) },
  { label: 'many pixels and K > one block (3x3, 45 channels, 65 filters)', x: [2, 15, 13, 45], k: [3, 3], F: 65, g: geometry([1, 1], [1, 1, 1, 1]) },
  { label: '8 channels (whole 8-wide panels per tap), 3x3, stride 2x1, dilation 1x2', x: [2, 9, 10, 8], k: [3, 3], F: 12, g: geometry([2, 1], [1, 1, 2, 2], [1, 2]) },
  { label: "32 channels, 3x3 'same', 20 filters", x: [1, 12, 11, 32], k: [3, 3], F: 20, g: geometry([1, 1], [1, 1, 1, 1]) },
  { label: 'K > 1024 (5x5, 48 channels): a column block starts mid-tap', x: [1, 6, 6, 48], k: [5, 5], F: 3, g: geometry([1, 1], [2, 2, 2, 2]) },
  { label: 'batch 3, 16 channels, 3x3 same, 32 filters (split across threads)', x: [3, 14, 13, 16], k: [3, 3], F: 32, g: geometry([1, 1], [1, 1, 1, 1]) },
  { label: 'pointwise with many rows (1x1, 33 channels)', x: [3, 11, 9, 33], k: [1, 1], F: 10, g: geometry([1, 1]) },
  // Grouped convolution: one GEMM per group on strided views of x, w, y (C/groups of every pixel's C channels).
  { label: 'groups 2, 16 channels (8 per group: fused col2im), 3x3 same, 10 filters', x: [2, 7, 6, 16], k: [3, 3], F: 10, g: geometry([1, 1], [1, 1, 1, 1], [1, 1], 2) },
  { label: 'groups 3, 15 channels (5 per group), stride 2, dilation 1x2, 9 filters', x: [1, 9, 11, 15], k: [3, 2], F: 9, g: geometry([2, 2], [1, 0, 1, 1], [1, 2], 3) },
  { label: 'groups 2, pointwise (1x1 stride 1), 6 channels, 14 filters', x: [2, 4, 5, 6], k: [1, 1], F: 14, g: geometry([1, 1], [0, 0, 0, 0], [1, 1], 2) },
  { label: 'groups = channels = 4 (one channel per group), 2x2 stride 2, 8 filters', x: [3, 6, 5, 4], k: [2, 2], F: 8, g: geometry([2, 2], [0, 0, 0, 1], [1, 1], 4) },
  { label: 'groups 2, batch 4 large enough to split across threads (32 channels, 3x3, 32 filters)', x: [4, 12, 12, 32], k: [3, 3], F: 32, g: geometry([1, 1], [1, 1, 1, 1], [1, 1], 2) },
  // Few input channels (first layers): forward and dw run directly on x, four interior pixels × eight filters
  // at a time, border pixels one at a time; F not a multiple of 8 exercises the partial stores.
  { label: "few channels: C=1, 5x5 'same', 6 filters (LeNet conv1)", x: [2, 13, 14, 1], k: [5, 5], F: 6, g: geometry([1, 1], [2, 2, 2, 2]) },
  { label: 'few channels: C=1, 3x3 valid, 32 filters, batch 1', x: [1, 12, 11, 1], k: [3, 3], F: 32, g: geometry([1, 1]) },
  { label: 'few channels: C=1, 1 filter, 1x1 image, 3x3 same', x: [2, 1, 1, 1], k: [3, 3], F: 1, g: geometry([1, 1], [1, 1, 1, 1]) },
  { label: 'few channels: C=2, 7 filters, stride 2, padding left/bottom only', x: [2, 11, 17, 2], k: [3, 4], F: 7, g: geometry([2, 2], [0, 2, 3, 0]) },
  { label: 'few channels: C=3, 7 filters, stride 2x1, dilation 2x3, same-like padding', x: [1, 10, 19, 3], k: [3, 3], F: 7, g: geometry([2, 1], [2, 2, 3, 3], [2, 3]) },
  { label: 'few channels: C=3, 32 filters, stride 2, TF same (pad bottom/right)', x: [3, 12, 16, 3], k: [3, 3], F: 32, g: geometry([2, 2], [0, 1, 0, 1]) },
  { label: 'few channels: C=2, 6 filters, kernel wider than the image with padding', x: [1, 3, 2, 2], k: [2, 5], F: 6, g: geometry([1, 1], [1, 0, 2, 2]) },
  { label: 'few channels: C=4, 17 filters, 1x1 kernel stride 2 (not pointwise)', x: [2, 9, 13, 4], k: [1, 1], F: 17, g: geometry([2, 2]) },
  { label: 'few channels: C=1, 9 filters, stride 3 > kernel 2x2, right padding', x: [2, 8, 23, 1], k: [2, 2], F: 9, g: geometry([3, 3], [0, 0, 0, 2]) },
  { label: 'few channels: C=12 (direct up to K=144), 10 filters, stride 2, padding top/left only', x: [2, 9, 11, 12], k: [3, 3], F: 10, g: geometry([2, 2], [1, 0, 1, 0]) },
  { label: 'few channels: batch 4 large enough to split across threads (C=1, 5x5 same, 16 filters)', x: [4, 28, 28, 1], k: [5, 5], F: 16, g: geometry([1, 1], [2, 2, 2, 2]) },
];

const SMALL = 1500; // numerical gradients only where x and w are this small

const builds = KERNEL_BUILDS; // plain and relaxed SIMD, each on 1 and on 2 threads

afterAll(() => sn.dispose());

describe.each(builds)('conv2d (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  describe.each(cases)('$label', (c) => {
    const [N, H, W, C] = c.x;
    const [KH, KW] = c.k;
    const [OH, OW] = conv2dOutputSize(H, W, KH, KW, c.g);
    const xv = randomValues(N * H * W * C, N + H * 3 + W * 5 + C * 7);
    const Cg = C / (c.g.groups ?? 1); // w is (KH,KW,C/groups,F)
    const wv = randomValues(KH * KW * Cg * c.F, KH + KW * 3 + c.F * 11);
    const bv = randomValues(c.F, c.F + 1);
    const K = KH * KW * Cg;

    it('forward matches a direct convolution, with every activation', () => {
      const x = sn.tensor(Float32Array.from(xv), c.x);
      const w = sn.tensor(Float32Array.from(wv), [KH, KW, Cg, c.F]);
      const b = sn.tensor(Float32Array.from(bv), [c.F]);
      const y = sn.tensor(new Float32Array(N * OH * OW * c.F).fill(NaN), [N, OH, OW, c.F]);
      const z = referenceForward(c, xv, wv, bv);
      for (let act = 0; act <= 8; act++) {
        const alpha = act === 3 ? 0.2 : 0.9;
        ops.conv2dForward(x, w, b, y, c.g, act as sn.ops.ActivationCode, alpha);
        expectClose(y.dataSync(), z.map((v) => activate(v, act, alpha)), `y (act ${act})`, 1e-4, 1e-5 * K + 1e-6);
      }
      ops.conv2dForward(x, w, null, y, c.g);
      const noBias = referenceForward(c, xv, wv, new Float64Array(c.F));
      expectClose(y.dataSync(), noBias, 'y without bias', 1e-4, 1e-5 * K + 1e-6);
      for (const t of [x, w, b, y]) t.dispose();
    });

    it('backward matches direct gradients and central differences of sum(y * r)', () => {
      const r = randomValues(N * OH * OW * c.F, 77);
      const x = sn.tensor(Float32Array.from(xv), c.x);
      const w = sn.tensor(Float32Array.from(wv), [KH, KW, Cg, c.F]);
      const dy = sn.tensor(Float32Array.from(r), [N, OH, OW, c.F]);
      const dx = sn.tensor(new Float32Array(xv.length).fill(NaN), c.x);
      const dw = sn.tensor(new Float32Array(wv.length).fill(NaN), [KH, KW, Cg, c.F]);
      const db = sn.tensor(new Float32Array(c.F).fill(NaN), [c.F]);
      ops.conv2dBackward(x, w, dy, dx, dw, db, c.g);
      const want = referenceBackward(c, xv, wv, r);
      const absDx = 1e-5 * KH * KW * c.F + 1e-6;
      const absDw = 1e-5 * N * OH * OW + 1e-6;
      expectClose(dx.dataSync(), want.dx, 'dx', 1e-4, absDx);
      expectClose(dw.dataSync(), want.dw, 'dw', 1e-4, absDw);
      expectClose(db.dataSync(), want.db, 'db', 1e-4, absDw);
      if (xv.length + wv.length <= SMALL) {
        const loss = () => {
          const y = referenceForward(c, xv, wv, bv);
          let s = 0;
          for (let i = 0; i < y.length; i++) s += y[i] * r[i];
          return s;
        };
        expectClose(dx.dataSync(), numericalGradient(loss, xv), 'dx vs numerical');
        expectClose(dw.dataSync(), numericalGradient(loss, wv), 'dw vs numerical');
        expectClose(db.dataSync(), numericalGradient(loss, bv), 'db vs numerical');
      }
      // Null outputs are skipped; each output alone is still right.
      dx.set(new Float32Array(xv.length).fill(7));
      ops.conv2dBackward(x, w, dy, null, dw, null, c.g);
      expect(dx.dataSync().every((v) => v === 7)).toBe(true);
      expectClose(dw.dataSync(), want.dw, 'dw alone', 1e-4, absDw);
      ops.conv2dBackward(x, w, dy, dx, null, null, c.g);
      expectClose(dx.dataSync(), want.dx, 'dx alone', 1e-4, absDx);
      for (const t of [x, w, dy, dx, dw, db]) t.dispose();
    });
  });

  it('throws on wrong shapes, naming them', () => {
    const g = geometry([1, 1]);
    const x = sn.Tensor.empty([1, 4, 4, 3]);
    const w = sn.Tensor.empty([3, 3, 2, 5]);
    const w3 = sn.Tensor.empty([3, 3, 3, 5]);
    const y = sn.Tensor.empty([1, 4, 4, 5]);
    const big = sn.Tensor.empty([5, 5, 3, 5]);
    expect(() => ops.conv2dForward(x, w, null, y, g)).toThrow(/conv2dForward.*3 channels.*x \[1,4,4,3\].*w \[3,3,2,5\]/);
    expect(() => ops.conv2dForward(x, w3, null, y, g)).toThrow(/conv2dForward.*expected y \[1,2,2,5\].*y \[1,4,4,5\]/);
    expect(() => ops.conv2dForward(x, big, null, y, g)).toThrow(/conv2dForward.*larger than the padded input.*w \[5,5,3,5\]/);
    expect(() => ops.conv2dBackward(x, w3, y, null, null, null, g)).toThrow(/conv2dBackward.*dy \[1,4,4,5\]/);
    expect(() => ops.conv2dForward(x, w3, null, y, { ...g, strideH: 0 })).toThrow(/conv2dForward.*geometry/);
    expect(() => ops.conv2dForward(x, w3, null, y, { ...g, groups: 2 })).toThrow(/conv2dForward.*groups 2.*3 channels/);
    for (const t of [x, w, w3, y, big]) t.dispose();
  });
});
