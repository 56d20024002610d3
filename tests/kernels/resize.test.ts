// Resize (nearest, bilinear; asymmetric, half-pixel, align-corners coordinates) and the pad/crop copy
// against float64 references written here from TensorFlow's coordinate rules; backward against central
// differences of loss = sum(y · r). Plain, relaxed and 2-thread builds; odd sizes, downsampling included.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { expectClose } from '../helpers/conv-reference.js';
import type { ResizeCoordinates, ResizeInterpolation } from '../../src/ops/resize.js';

const { ops } = sn;

function values(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r() * 2 - 1);
}

// Per output index: [lower, upper, weight of upper], as TensorFlow's resize kernels compute them.
function axis(inSize: number, outSize: number, interp: ResizeInterpolation, mode: ResizeCoordinates): [number, number, number][] {
  const scale = mode === 'align_corners' ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    if (interp === 'nearest') {
      const src = mode === 'half_pixel' ? (o + 0.5) * scale : o * scale;
      const i = Math.min(mode === 'align_corners' ? Math.round(src) : Math.floor(src), inSize - 1);
      return [i, i, 0];
    }
    const src = mode === 'half_pixel' ? (o + 0.5) * scale - 0.5 : o * scale;
    return [Math.max(Math.floor(src), 0), Math.min(Math.ceil(src), inSize - 1), src - Math.floor(src)];
  });
}

function reference(x: Float64Array, [N, H, W, C]: number[], OH: number, OW: number, interp: ResizeInterpolation, mode: ResizeCoordinates): Float64Array {
  const rows = axis(H, OH, interp, mode);
  const cols = axis(W, OW, interp, mode);
  const y = new Float64Array(N * OH * OW * C);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let c = 0; c < C; c++) {
          const at = (h: number, w: number) => x[((n * H + h) * W + w) * C + c];
          const [t, b, yl] = rows[i];
          const [l, r, xl] = cols[j];
          const top = at(t, l) + (at(t, r) - at(t, l)) * xl;
          const bottom = at(b, l) + (at(b, r) - at(b, l)) * xl;
          y[((n * OH + i) * OW + j) * C + c] = top + (bottom - top) * yl;
        }
  return y;
}

// [label, x shape, OH, OW]
const shapes: [string, number[], number, number][] = [
  ['2x upsampling, 3 channels', [2, 3, 4, 3], 6, 8],
  ['non-square factors 3x2, 5 channels, batch 1', [1, 4, 3, 5], 12, 6],
  ['downsampling 7x9 to 3x4, 4 channels', [1, 7, 9, 4], 3, 4],
  ['1x1 image to 3x2', [2, 1, 1, 2], 3, 2],
  ['batch 6 large enough to split across threads, 16 channels', [6, 16, 16, 16], 32, 32],
];

const builds: [string, sn.ReadyOptions][] = [
  ['plain SIMD', { simd: 'plain' }],
  ['relaxed SIMD', { simd: 'relaxed' }],
  ['plain SIMD, 2 threads', { simd: 'plain', threads: 2 }],
];

afterAll(() => sn.dispose());

describe.each(builds)('resize and pad/crop (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  describe.each(shapes)('%s', (_label, xs, OH, OW) => {
    const [N, , , C] = xs;
    const size = xs.reduce((a, b) => a * b, 1);
    const xv = values(size, 51);
    const r = values(N * OH * OW * C, 53);
    for (const interp of ['nearest', 'bilinear'] as const) {
      for (const mode of ['asymmetric', 'half_pixel', 'align_corners'] as const) {
        it(`${interp}, ${mode}: forward and backward`, () => {
          const x = sn.tensor(Float32Array.from(xv), xs);
          const y = sn.Tensor.empty([N, OH, OW, C]);
          const dy = sn.tensor(Float32Array.from(r), [N, OH, OW, C]);
          const dx = sn.tensor(new Float32Array(size).fill(NaN), xs);
          ops.resizeForward(x, y, interp, mode);
          expectClose(y.dataSync(), reference(xv, xs, OH, OW, interp, mode), 'y', 1e-5, 1e-5);
          ops.resizeBackward(dy, dx, interp, mode);
          if (size <= 400) {
            const loss = (v: Float64Array) => reference(v, xs, OH, OW, interp, mode).reduce((s, yv, i) => s + yv * r[i], 0);
            expectClose(dx.dataSync(), numericalGradient(loss, xv, 1e-3), 'dx vs central differences', 1e-3, 1e-4);
          } else {
            // The gradient is linear in dy: Σ dx·x must equal Σ dy·y (the adjoint identity).
            const lhs = dx.dataSync().reduce((s, v, i) => s + v * xv[i], 0);
            const rhs = reference(xv, xs, OH, OW, interp, mode).reduce((s, yv, i) => s + yv * r[i], 0);
            expect(Math.abs(lhs - rhs)).toBeLessThan(1e-3 * (1 + Math.abs(rhs)));
          }
          for (const t of [x, y, dy, dx]) t.dispose();
        });
      }
    }
  });

  it('pads and crops: y[n,i,j] = x[n, i − top, j − left] or 0; crop is the adjoint of pad', () => {
    const xs = [3, 5, 4, 3];
    const size = 3 * 5 * 4 * 3;
    const xv = values(size, 61);
    const x = sn.tensor(Float32Array.from(xv), xs);
    const padded = sn.Tensor.empty([3, 8, 9, 3]);
    ops.padCrop2d(x, padded, 1, 3); // top 1, bottom 2, left 3, right 2
    const p = padded.dataSync();
    for (let n = 0; n < 3; n++)
      for (let i = 0; i < 8; i++)
        for (let j = 0; j < 9; j++)
          for (let c = 0; c < 3; c++) {
            const si = i - 1, sj = j - 3;
            const want = si >= 0 && si < 5 && sj >= 0 && sj < 4 ? xv[((n * 5 + si) * 4 + sj) * 3 + c] : 0;
            expect(p[((n * 8 + i) * 9 + j) * 3 + c]).toBeCloseTo(want, 6);
          }
    const back = sn.Tensor.empty(xs);
    ops.padCrop2d(padded, back, -1, -3);
    expectClose(back.dataSync(), xv, 'crop of pad', 0, 1e-7);
    const cropped = sn.Tensor.empty([3, 2, 1, 3]);
    ops.padCrop2d(x, cropped, -2, -1);
    expectClose(cropped.dataSync(), [0, 1, 2].flatMap((n) => [2, 3].flatMap((i) => [0, 1, 2].map((c) => xv[((n * 5 + i) * 4 + 1) * 3 + c]))), 'crop');
    for (const t of [x, padded, back, cropped]) t.dispose();
  });
});
