// 3D pooling (NDHWC) against a float64 reference written here, on odd shapes (batch 1, depth 1, windows in
// padding, channels not divisible by 4), on the plain, relaxed and 2-thread builds. Backward: loss =
// sum(y * r), so dL/dy = r; dx must equal central differences of the reference loss. Average pooling's
// 'same' gradient divides by the cells each window really covers (tfjs-cpu divides by the whole window).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { pool3dOutputSize, type Pool3dGeometry } from '../../src/ops/pool.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;

type Dims5 = [number, number, number, number, number];

// Distinct values 0.01 apart in random order: every max has one clear winner, also under a 1e-3 probe.
function distinctValues(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Float64Array.from(order, (k) => (k - n / 2) * 0.01);
}

function geometry(pool: [number, number, number], stride: [number, number, number], pad: number[] = [0, 0, 0, 0, 0, 0]): Pool3dGeometry {
  return {
    poolD: pool[0], poolH: pool[1], poolW: pool[2], strideD: stride[0], strideH: stride[1], strideW: stride[2],
    padFront: pad[0], padBack: pad[1], padTop: pad[2], padBottom: pad[3], padLeft: pad[4], padRight: pad[5],
  };
}

function reference(kind: 'max' | 'avg', x: Float64Array, [n, d, h, w, c]: Dims5, g: Pool3dGeometry) {
  const [od, oh, ow] = pool3dOutputSize(d, h, w, g);
  const y = new Float64Array(n * od * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let q = 0; q < od; q++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let ch = 0; ch < c; ch++) {
            let best = -Infinity;
            let sum = 0;
            let count = 0;
            for (let kd = 0; kd < g.poolD; kd++)
              for (let ki = 0; ki < g.poolH; ki++)
                for (let kj = 0; kj < g.poolW; kj++) {
                  const z = q * g.strideD - g.padFront + kd;
                  const r = i * g.strideH - g.padTop + ki;
                  const s = j * g.strideW - g.padLeft + kj;
                  if (z < 0 || z >= d || r < 0 || r >= h || s < 0 || s >= w) continue; // padding
                  const v = x[(((b * d + z) * h + r) * w + s) * c + ch];
                  count++;
                  sum += v;
                  best = Math.max(best, v);
                }
            y[(((b * od + q) * oh + i) * ow + j) * c + ch] = count === 0 ? 0 : kind === 'max' ? best : sum / count;
          }
  return { y, outShape: [n, od, oh, ow, c] };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

const cases: [string, Dims5, Pool3dGeometry][] = [
  ['2x2x2 stride 2, 3 channels', [2, 4, 4, 5, 3], geometry([2, 2, 2], [2, 2, 2])],
  ["3x3x3 stride 1, 'same'-like padding on every side, 5 channels", [1, 3, 4, 5, 5], geometry([3, 3, 3], [1, 1, 1], [1, 1, 1, 1, 1, 1])],
  ["TF 'same' 2x2x2 stride 2 on odd sizes (pad back/bottom/right), 6 channels", [2, 3, 5, 3, 6], geometry([2, 2, 2], [2, 2, 2], [0, 1, 0, 1, 0, 1])],
  ['depth 1, window 1x3x2, stride 1x2x1, 4 channels', [1, 1, 6, 5, 4], geometry([1, 3, 2], [1, 2, 1])],
  ['stride > window (1x1x1 stride 3), 1 channel', [3, 5, 4, 7, 1], geometry([1, 1, 1], [3, 3, 3])],
  ['a plane of windows entirely in padding, 9 channels', [1, 2, 3, 3, 9], geometry([1, 2, 2], [1, 1, 1], [2, 0, 1, 0, 0, 1])],
  ['batch 6 large enough to split across threads, 16 channels', [6, 6, 8, 8, 16], geometry([2, 2, 2], [2, 2, 2])],
];

const builds = KERNEL_BUILDS; // plain and relaxed SIMD, each on 1 and on 2 threads

afterAll(() => sn.dispose());

describe.each(builds)('3D pooling (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  describe.each(cases)('%s', (_label, dims, g) => {
    const size = dims.reduce((a, b) => a * b, 1);
    const xv = distinctValues(size, size + 3);
    const { outShape } = reference('max', xv, dims, g);
    const outSize = outShape.reduce((a, b) => a * b, 1);
    const r = distinctValues(outSize, 11);
    const loss = (kind: 'max' | 'avg') => (v: Float64Array) => reference(kind, v, dims, g).y.reduce((s, y, i) => s + y * r[i], 0);

    for (const kind of ['max', 'avg'] as const) {
      it(`${kind} pooling forward and backward match the reference and central differences`, () => {
        const x = sn.tensor(Float32Array.from(xv), dims);
        const y = sn.Tensor.empty(outShape);
        const argmax = sn.Tensor.empty(outShape);
        const dy = sn.tensor(Float32Array.from(r), outShape);
        const dx = sn.tensor(new Float32Array(size).fill(NaN), dims);
        if (kind === 'max') ops.maxPool3dForward(x, y, argmax, g);
        else ops.avgPool3dForward(x, y, g);
        expectClose(y.dataSync(), reference(kind, xv, dims, g).y, `${kind} y`);
        if (kind === 'max') {
          // Without argmax (inference): the same maxima, bit for bit.
          const y2 = sn.Tensor.empty(outShape);
          ops.maxPool3dForward(x, y2, null, g);
          expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
          y2.dispose();
        }
        if (kind === 'max') ops.maxPool3dBackward(dy, argmax, dx);
        else ops.avgPool3dBackward(dy, dx, g);
        const want = size <= 2000 ? numericalGradient(loss(kind), xv, 1e-3) : null;
        if (want) expectClose(dx.dataSync(), want, `${kind} dx vs central differences`, 1e-3);
        else expect(dx.dataSync().every(Number.isFinite)).toBe(true);
        for (const t of [x, y, argmax, dy, dx]) t.dispose();
      });
    }
  });

  it('throws on an empty output and on a wrong y shape, naming the shapes', () => {
    const x = sn.Tensor.empty([1, 2, 4, 4, 3]);
    const y = sn.Tensor.empty([1, 1, 2, 2, 3]);
    expect(() => ops.avgPool3dForward(x, y, geometry([3, 2, 2], [1, 2, 2]))).toThrow(/avgPool3dForward.*3x2x2 window.*\[1,2,4,4,3\].*empty/);
    expect(() => ops.avgPool3dForward(x, y, geometry([1, 2, 2], [1, 2, 2]))).toThrow(/avgPool3dForward.*needs y of shape \[1,2,2,2,3\]/);
    x.dispose();
    y.dispose();
  });
});
