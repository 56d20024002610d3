// Pooling kernels against float64 references written here, on odd shapes, in both kernel builds.
// Backward is checked against central differences of the reference: loss = sum(y * r) for a random r,
// so dL/dy = r and the numerical gradient of that loss w.r.t. x must equal the kernel's dx.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { disjointWindows, pool2dOutputSize, type Pool2dGeometry } from '../../src/ops/pool.js';

const { ops } = sn;

function randomValues(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
}

// Distinct values at least 0.01 apart in random order, so every max has a clear winner and the
// gradient is defined (a central difference of step 1e-3 cannot change the winner).
function distinctValues(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Float64Array.from(order, (k) => (k - n / 2) * 0.01);
}

type Dims = [number, number, number, number];

// Reference pooling in float64: returns y and (for max) the flat index of each winner (first max wins).
function referencePool(kind: 'max' | 'avg', x: Float64Array, [n, h, w, c]: Dims, g: Pool2dGeometry) {
  const [oh, ow] = pool2dOutputSize(h, w, g);
  const y = new Float64Array(n * oh * ow * c);
  const argmax = new Int32Array(y.length).fill(-1);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          const o = ((b * oh + i) * ow + j) * c + ch;
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let ki = 0; ki < g.poolH; ki++)
            for (let kj = 0; kj < g.poolW; kj++) {
              const r = i * g.strideH - g.padTop + ki;
              const s = j * g.strideW - g.padLeft + kj;
              if (r < 0 || r >= h || s < 0 || s >= w) continue; // padding
              const idx = ((b * h + r) * w + s) * c + ch;
              count++;
              sum += x[idx];
              if (x[idx] > best) {
                best = x[idx];
                argmax[o] = idx;
              }
            }
          y[o] = count === 0 ? 0 : kind === 'max' ? best : sum / count;
        }
  return { y, argmax, outShape: [n, oh, ow, c] };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-3, abs = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = abs + rel * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

const int32 = (t: sn.Tensor): Int32Array => new Int32Array(t.dataSync().buffer);

function geometry(pool: [number, number], stride: [number, number], pad: [number, number, number, number] = [0, 0, 0, 0]): Pool2dGeometry {
  return { poolH: pool[0], poolW: pool[1], strideH: stride[0], strideW: stride[1], padTop: pad[0], padBottom: pad[1], padLeft: pad[2], padRight: pad[3] };
}

// [label, input dims (N,H,W,C), geometry]
const cases: [string, Dims, Pool2dGeometry][] = [
  ['1x1 image, 1x1 pool, 1 channel', [1, 1, 1, 1], geometry([1, 1], [1, 1])],
  ['2x2 stride 2, 3 channels, uneven image', [2, 5, 7, 3], geometry([2, 2], [2, 2])],
  ['1x2 pool, 5 channels', [1, 4, 6, 5], geometry([1, 2], [1, 2])],
  ['2x2 stride 2, 6 channels (LeNet-5; the last 4 overlap the first 4)', [2, 6, 6, 6], geometry([2, 2], [2, 2])],
  ['3x2 pool, stride 2x1, padding on top only, 7 channels', [2, 7, 5, 7], geometry([3, 2], [2, 1], [1, 0, 0, 0])],
  ['stride > pool, padding on the left only, 17 channels', [1, 6, 9, 17], geometry([2, 2], [3, 3], [0, 0, 1, 0])],
  ['stride 3 > pool 2 and 3x1, no padding (gaps between windows and after the last), 5 channels', [2, 8, 7, 5], geometry([2, 1], [3, 3])],
  ['3x3 stride 3, 2 rows and a column left over, 1 channel', [3, 11, 10, 1], geometry([3, 3], [3, 3])],
  ["TF 'same' 2x2/2 on 5x5 (pad bottom/right), 4 channels", [2, 5, 5, 4], geometry([2, 2], [2, 2], [0, 1, 0, 1])],
  ["3x3 stride 1 'same', 8 channels (overlapping windows)", [1, 4, 5, 8], geometry([3, 3], [1, 1], [1, 1, 1, 1])],
  ['H = 1 (1D pooling), pool 3 stride 2, right padding', [3, 1, 10, 6], geometry([1, 3], [1, 2], [0, 0, 0, 1])],
  ['a window entirely in padding', [1, 2, 3, 5], geometry([1, 1], [1, 1], [1, 0, 0, 0])],
];

describe.each(['plain', 'relaxed'] as const)('pooling, %s build', (simd) => {
  beforeAll(async () => {
    await sn.ready({ simd });
  });

  describe.each(cases)('%s', (_label, dims, g) => {
    it('max pooling forward matches the reference, argmax included', () => {
      const xs = distinctValues(dims.reduce((a, b) => a * b), 11);
      const ref = referencePool('max', xs, dims, g);
      const x = sn.tensor(Float32Array.from(xs), dims);
      const y = sn.Tensor.empty(ref.outShape);
      const argmax = sn.Tensor.empty(ref.outShape);
      ops.maxPool2dForward(x, y, argmax, g);
      expect(Array.from(y.dataSync())).toEqual(Array.from(Float32Array.from(ref.y)));
      expect(Array.from(int32(argmax))).toEqual(Array.from(ref.argmax));
      [x, y, argmax].forEach((t) => t.dispose());
    });

    it('max pooling forward without argmax (inference) gives the same maxima, NaN and ±Infinity included', () => {
      const xs = distinctValues(dims.reduce((a, b) => a * b), 13);
      [0, 3, 7, 8, 19].forEach((i, k) => i < xs.length && (xs[i] = [NaN, Infinity, -Infinity, NaN, -0][k]));
      const ref = referencePool('max', xs, dims, g);
      const x = sn.tensor(Float32Array.from(xs), dims);
      const y = sn.Tensor.empty(ref.outShape);
      const argmax = sn.Tensor.empty(ref.outShape);
      ops.maxPool2dForward(x, y, argmax, g);
      const withArgmax = y.dataSync();
      y.set(new Float32Array(y.size).fill(12345));
      ops.maxPool2dForward(x, y, null, g);
      expect(Array.from(y.dataSync()).map((v) => Object.is(v, -0) ? 'minus zero' : v))
        .toEqual(Array.from(withArgmax).map((v) => Object.is(v, -0) ? 'minus zero' : v));
      [x, y, argmax].forEach((t) => t.dispose());
    });

    it('max pooling backward matches the numerical gradient', () => {
      const xs = distinctValues(dims.reduce((a, b) => a * b), 12);
      const ref = referencePool('max', xs, dims, g);
      const r = randomValues(ref.y.length, 13);
      const expected = numericalGradient((v) => dot(referencePool('max', v, dims, g).y, r), xs, 1e-3);
      const x = sn.tensor(Float32Array.from(xs), dims);
      const y = sn.Tensor.empty(ref.outShape);
      const argmax = sn.Tensor.empty(ref.outShape);
      const dy = sn.tensor(Float32Array.from(r), ref.outShape);
      const dx = sn.tensor(new Float32Array(xs.length).fill(123), dims); // garbage: the kernel must overwrite
      ops.maxPool2dForward(x, y, argmax, g);
      ops.maxPool2dBackward(dy, argmax, dx);
      expectClose(dx.dataSync(), expected);
      // Given the geometry, disjoint windows take the one-pass kernel (others the scatter): the same dx exactly.
      const scattered = dx.dataSync();
      dx.set(new Float32Array(xs.length).fill(-7));
      ops.maxPool2dBackward(dy, argmax, dx, g);
      expect(Array.from(dx.dataSync())).toEqual(Array.from(scattered));
      [x, y, argmax, dy, dx].forEach((t) => t.dispose());
    });

    it.skipIf(!disjointWindows(g))('max pooling backward masked by y: the gradient of max(relu(x)) at y > 0 only', () => {
      // x here stands for a relu's output; the reference zeroes the gradient where the pooled value is ≤ 0.
      // Shifted so that about half of the pooled values are ≤ 0 (distinct values stay distinct).
      const raw = distinctValues(dims.reduce((a, b) => a * b), 14);
      const pooled = [...referencePool('max', raw, dims, g).y].sort((a, b) => a - b);
      const xs = raw.map((v) => v - pooled[pooled.length >> 1]);
      const ref = referencePool('max', xs, dims, g);
      const r = randomValues(ref.y.length, 15);
      const want = new Float32Array(xs.length);
      ref.argmax.forEach((idx, o) => {
        if (idx >= 0 && ref.y[o] > 0) want[idx] += r[o];
      });
      const x = sn.tensor(Float32Array.from(xs), dims);
      const y = sn.Tensor.empty(ref.outShape);
      const argmax = sn.Tensor.empty(ref.outShape);
      const dy = sn.tensor(Float32Array.from(r), ref.outShape);
      const dx = sn.tensor(new Float32Array(xs.length).fill(123), dims);
      ops.maxPool2dForward(x, y, argmax, g);
      ops.maxPool2dBackward(dy, argmax, dx, g, y);
      expect(Array.from(dx.dataSync())).toEqual(Array.from(want));
      if (ref.y.length > 4) expect(ref.y.some((v) => v > 0) && ref.y.some((v) => v <= 0), 'pooled values on both sides of 0').toBe(true);
      [x, y, argmax, dy, dx].forEach((t) => t.dispose());
    });

    it('average pooling forward matches the reference (padding not counted)', () => {
      const xs = randomValues(dims.reduce((a, b) => a * b), 21);
      const ref = referencePool('avg', xs, dims, g);
      const x = sn.tensor(Float32Array.from(xs), dims);
      const y = sn.Tensor.empty(ref.outShape);
      ops.avgPool2dForward(x, y, g);
      expectClose(y.dataSync(), ref.y, 1e-5, 1e-6);
      [x, y].forEach((t) => t.dispose());
    });

    it('average pooling backward matches the numerical gradient', () => {
      const xs = randomValues(dims.reduce((a, b) => a * b), 22);
      const ref = referencePool('avg', xs, dims, g);
      const r = randomValues(ref.y.length, 23);
      const expected = numericalGradient((v) => dot(referencePool('avg', v, dims, g).y, r), xs, 1e-3);
      const dy = sn.tensor(Float32Array.from(r), ref.outShape);
      const dx = sn.tensor(new Float32Array(xs.length).fill(123), dims);
      ops.avgPool2dBackward(dy, dx, g);
      expectClose(dx.dataSync(), expected);
      [dy, dx].forEach((t) => t.dispose());
    });
  });

  // Global pooling: (N,H,W,C) or (N,L,C) → (N,C).
  const globalCases: number[][] = [[1, 1, 1, 1], [2, 3, 5, 7], [1, 4, 4, 17], [3, 2, 2, 4], [2, 6, 5]];

  describe.each(globalCases)('global pooling over [%s]', (...shape) => {
    const n = shape[0];
    const c = shape[shape.length - 1];
    const cells = shape.slice(1, -1).reduce((a, b) => a * b, 1);
    const dims: Dims = [n, 1, cells, c];
    const whole = geometry([1, cells], [1, 1]);

    it('global max: forward, argmax and backward', () => {
      const xs = distinctValues(n * cells * c, 31);
      const ref = referencePool('max', xs, dims, whole);
      const r = randomValues(n * c, 32);
      const expected = numericalGradient((v) => dot(referencePool('max', v, dims, whole).y, r), xs, 1e-3);
      const x = sn.tensor(Float32Array.from(xs), shape);
      const y = sn.Tensor.empty([n, c]);
      const argmax = sn.Tensor.empty([n, c]);
      ops.globalMaxPoolForward(x, y, argmax);
      expect(Array.from(y.dataSync())).toEqual(Array.from(Float32Array.from(ref.y)));
      expect(Array.from(int32(argmax))).toEqual(Array.from(ref.argmax));
      const dy = sn.tensor(Float32Array.from(r), [n, c]);
      const dx = sn.tensor(new Float32Array(xs.length).fill(7), shape);
      ops.globalMaxPoolBackward(dy, argmax, dx);
      expectClose(dx.dataSync(), expected);
      [x, y, argmax, dy, dx].forEach((t) => t.dispose());
    });

    it('global average: forward and backward', () => {
      const xs = randomValues(n * cells * c, 41);
      const ref = referencePool('avg', xs, dims, whole);
      const r = randomValues(n * c, 42);
      const expected = numericalGradient((v) => dot(referencePool('avg', v, dims, whole).y, r), xs, 1e-3);
      const x = sn.tensor(Float32Array.from(xs), shape);
      const y = sn.Tensor.empty([n, c]);
      ops.globalAvgPoolForward(x, y);
      expectClose(y.dataSync(), ref.y, 1e-5, 1e-6);
      const dy = sn.tensor(Float32Array.from(r), [n, c]);
      const dx = sn.tensor(new Float32Array(xs.length).fill(7), shape);
      ops.globalAvgPoolBackward(dy, dx);
      expectClose(dx.dataSync(), expected);
      [x, y, dy, dx].forEach((t) => t.dispose());
    });
  });

  it('overlapping max windows add their gradients at a shared winner', () => {
    // 1x3 image, 2-wide windows with stride 1: the middle value wins both windows.
    const x = sn.tensor([0, 5, 1], [1, 1, 3, 1]);
    const g = geometry([1, 2], [1, 1]);
    const y = sn.Tensor.empty([1, 1, 2, 1]);
    const argmax = sn.Tensor.empty([1, 1, 2, 1]);
    ops.maxPool2dForward(x, y, argmax, g);
    const dy = sn.tensor([2, 3], [1, 1, 2, 1]);
    const dx = sn.Tensor.empty([1, 1, 3, 1]);
    ops.maxPool2dBackward(dy, argmax, dx);
    expect(Array.from(dx.dataSync())).toEqual([0, 5, 0]);
    [x, y, argmax, dy, dx].forEach((t) => t.dispose());
  });

  it('names the op and the shapes when shapes are wrong', () => {
    const g = geometry([2, 2], [2, 2]);
    const x = sn.Tensor.zeros([2, 4, 6, 3]);
    const bad = sn.Tensor.zeros([2, 2, 2, 3]);
    const good = sn.Tensor.zeros([2, 2, 3, 3]);
    expect(() => ops.maxPool2dForward(x, bad, bad, g)).toThrow(/maxPool2dForward.*\[2,4,6,3\].*\[2,2,3,3\].*\[2,2,2,3\]/);
    expect(() => ops.maxPool2dForward(x, good, bad, g)).toThrow(/argmax.*\[2,2,2,3\]/);
    expect(() => ops.avgPool2dForward(x, bad, g)).toThrow(/avgPool2dForward.*\[2,2,2,3\]/);
    expect(() => ops.avgPool2dForward(x.reshapeView([48, 3]), good, g)).toThrow(/\(N,H,W,C\).*\[48,3\]/);
    expect(() => ops.maxPool2dForward(x, good, good, geometry([5, 2], [1, 1]))).toThrow(/5x2 window.*\[2,4,6,3\].*empty/);
    expect(() => ops.maxPool2dBackward(good, good, x, geometry([3, 3], [2, 2]), good)).toThrow(/maxPool2dBackward: maskBy needs the geometry of disjoint windows/);
    expect(() => ops.maxPool2dBackward(good, good, x, geometry([2, 2], [1, 2]))).not.toThrow(); // overlapping: the scatter
    expect(() => ops.maxPool2dBackward(good, bad, x)).toThrow(/maxPool2dBackward.*\[2,2,2,3\].*\[2,2,3,3\]/);
    const yc = sn.Tensor.zeros([2, 4]);
    expect(() => ops.globalAvgPoolForward(x, yc)).toThrow(/globalAvgPoolForward.*\[2,4,6,3\].*\[2,3\].*\[2,4\]/);
    [x, bad, good, yc].forEach((t) => t.dispose());
  });
});
