// Depthwise conv2d against the float64 grouped convolution of tests/helpers/conv-reference.ts (groups = C,
// F = C·depthMultiplier), on odd shapes — batch 1, 1x1 images, channels not divisible by 4, multipliers 1-3,
// strides > 1, dilation, 'same'-style padding on one side — on the plain, relaxed and 2-thread builds.
// Backward: loss = sum(y · r), so dL/dy = r; gradients against the reference and central differences.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { activate, numericalGradient } from '../helpers/reference.js';
import { conv2dCase, outputSize, referenceForward, referenceBackward, ySize, expectClose, type ConvCase } from '../helpers/conv-reference.js';
import type { Conv2dGeometry } from '../../src/ops/conv.js';

const { ops } = sn;

function values(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
}

// [label, x (N,H,W,C), kernel, multiplier, strides, pads (t,b,l,r), dilation]
type Spec = [string, [number, number, number, number], [number, number], number, [number, number], [number, number, number, number], [number, number]];
const specs: Spec[] = [
  ['1x1 image, 1x1 kernel, 1 channel', [1, 1, 1, 1], [1, 1], 1, [1, 1], [0, 0, 0, 0], [1, 1]],
  ["3x3 'same', 32 channels (8-wide path), batch 2", [2, 7, 6, 32], [3, 3], 1, [1, 1], [1, 1, 1, 1], [1, 1]],
  ["3x3 stride 2, TF 'same' on even sizes (pad bottom/right), 13 channels", [1, 8, 10, 13], [3, 3], 1, [2, 2], [0, 1, 0, 1], [1, 1]],
  ['multiplier 2, 3 channels, 2x3 kernel, valid', [2, 5, 7, 3], [2, 3], 2, [1, 1], [0, 0, 0, 0], [1, 1]],
  ['multiplier 3, 5 channels, stride 2x1, dilation 2, padding left only', [1, 9, 8, 5], [3, 3], 3, [2, 1], [0, 0, 2, 0], [2, 2]],
  ['stride > kernel (1x1 stride 3), 6 channels', [3, 7, 5, 6], [1, 1], 1, [3, 3], [0, 0, 0, 0], [1, 1]],
  ['kernel wider than the image, padding on both sides, 4 channels', [1, 2, 3, 4], [3, 5], 1, [1, 1], [1, 1, 2, 2], [1, 1]],
  ['batch 4 large enough to split across threads, 24 channels, 5x5 same', [4, 20, 18, 24], [5, 5], 1, [1, 1], [2, 2, 2, 2], [1, 1]],
  // The 3x3 path: interior runs of 4-pixel quads (a run of 9: two quads and one overlapping the end), border
  // columns and rows, channel tails (6 = one group of 4 + 2), stride 2 (quads sharing columns), stride =
  // dilation = 2, a run shorter than 4, and an image too narrow for any interior column.
  ["3x3 'same' run of 9 columns, 6 channels", [1, 9, 11, 6], [3, 3], 1, [1, 1], [1, 1, 1, 1], [1, 1]],
  ["3x3 stride 2 'same' (TF), 21 columns, 7 channels, batch 2", [2, 6, 21, 7], [3, 3], 1, [2, 2], [1, 1, 1, 1], [1, 1]],
  ['3x3 stride 2 dilation 2, 8 channels', [1, 12, 15, 8], [3, 3], 1, [2, 2], [2, 2, 2, 2], [2, 2]],
  ['3x3 dilation 3 stride 1 (taps 3 apart), multiplier 2, 5 channels', [1, 10, 13, 5], [3, 3], 2, [1, 1], [3, 3, 3, 3], [3, 3]],
  ['3x3 valid, run of 3, 4 channels', [1, 4, 5, 4], [3, 3], 1, [1, 1], [0, 0, 0, 0], [1, 1]],
  ['3x3 on a 2x2 image (no interior column), 9 channels', [1, 2, 2, 9], [3, 3], 1, [1, 1], [1, 1, 1, 1], [1, 1]],
  ["3x3 stride 2 'same' (TF), 512 channels (runs as single pixels)", [1, 5, 11, 512], [3, 3], 1, [2, 2], [1, 1, 1, 1], [1, 1]],
  // Backward's dx as a conv of dy with the flipped kernel needs padding ≤ (K − 1)·d; more takes the scatter.
  ['1x1 kernel padded by 1 (dx by the scatter), 5 channels', [1, 3, 4, 5], [1, 1], 1, [1, 1], [1, 1, 1, 1], [1, 1]],
  ['5x5 stride 1, padding 2 and 1 (dx as a flipped conv, 5x5), 4 channels', [2, 7, 8, 4], [5, 5], 1, [1, 1], [2, 1, 1, 2], [1, 1]],
];

const builds: [string, sn.ReadyOptions][] = [
  ['plain SIMD', { simd: 'plain' }],
  ['relaxed SIMD', { simd: 'relaxed' }],
  ['plain SIMD, 2 threads', { simd: 'plain', threads: 2 }],
];

afterAll(() => sn.dispose());

describe.each(builds)('depthwiseConv2d (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  describe.each(specs)('%s', (_label, xs, k, M, stride, pad, dilation) => {
    const [N, H, W, C] = xs;
    const c: ConvCase = conv2dCase(xs, k, C * M, stride, pad, dilation, C);
    const g: Conv2dGeometry = { strideH: stride[0], strideW: stride[1], padTop: pad[0], padBottom: pad[1], padLeft: pad[2], padRight: pad[3], dilationH: dilation[0], dilationW: dilation[1] };
    const [, OH, OW] = outputSize(c);
    const yShape = [N, OH, OW, C * M];
    const wShape = [k[0], k[1], C, M];
    const xv = values(N * H * W * C, 3 + C);
    const wv = values(k[0] * k[1] * C * M, 5 + M);
    const bv = values(C * M, 7);
    const taps = k[0] * k[1];

    it('forward matches the reference, with and without bias and activation', () => {
      const x = sn.tensor(Float32Array.from(xv), xs);
      const w = sn.tensor(Float32Array.from(wv), wShape);
      const b = sn.tensor(Float32Array.from(bv), [C * M]);
      const y = sn.tensor(new Float32Array(ySize(c)).fill(NaN), yShape);
      const z = referenceForward(c, xv, wv, bv);
      for (const act of [0, 1, 2, 6, 7, 8] as const) {
        ops.depthwiseConv2dForward(x, w, b, y, g, act);
        expectClose(y.dataSync(), z.map((v) => activate(v, act, 0)), `y (act ${act})`, 1e-4, 1e-5 * taps);
      }
      ops.depthwiseConv2dForward(x, w, null, y, g);
      expectClose(y.dataSync(), referenceForward(c, xv, wv, null), 'y without bias', 1e-4, 1e-5 * taps);
      // relu6's upper clamp (fused into the 3x3 stores) on outputs scaled past 6.
      const x8 = sn.tensor(Float32Array.from(xv, (v) => 8 * v), xs);
      ops.depthwiseConv2dForward(x8, w, b, y, g, 2);
      expectClose(y.dataSync(), referenceForward(c, xv.map((v) => 8 * v), wv, bv).map((v) => activate(v, 2, 0)), 'y (relu6, scaled)', 1e-4, 1e-4 * taps);
      x8.dispose();
      for (const t of [x, w, b, y]) t.dispose();
    });

    it('backward matches the reference and central differences; accumulate adds', () => {
      const r = values(ySize(c), 11);
      const x = sn.tensor(Float32Array.from(xv), xs);
      const w = sn.tensor(Float32Array.from(wv), wShape);
      const dy = sn.tensor(Float32Array.from(r), yShape);
      const dx = sn.tensor(new Float32Array(xv.length).fill(NaN), xs);
      const dw = sn.tensor(new Float32Array(wv.length).fill(NaN), wShape);
      const db = sn.tensor(new Float32Array(C * M).fill(NaN), [C * M]);
      ops.depthwiseConv2dBackward(x, w, dy, dx, dw, db, g);
      const want = referenceBackward(c, xv, wv, r);
      const absW = 1e-5 * N * OH * OW + 1e-6;
      expectClose(dx.dataSync(), want.dx, 'dx', 1e-4, 1e-5 * taps * M);
      expectClose(dw.dataSync(), want.dw, 'dw', 1e-4, absW);
      expectClose(db.dataSync(), want.db, 'db', 1e-4, absW);
      if (xv.length + wv.length <= 1500) {
        const loss = () => referenceForward(c, xv, wv, bv).reduce((s, y, i) => s + y * r[i], 0);
        expectClose(dx.dataSync(), numericalGradient(loss, xv, 1e-3), 'dx vs central differences');
        expectClose(dw.dataSync(), numericalGradient(loss, wv, 1e-3), 'dw vs central differences');
      }
      ops.depthwiseConv2dBackward(x, w, dy, null, dw, db, g, true);
      expectClose(dw.dataSync(), want.dw.map((v) => 2 * v), 'dw accumulated', 1e-4, 2 * absW);
      expectClose(db.dataSync(), want.db.map((v) => 2 * v), 'db accumulated', 1e-4, 2 * absW);
      for (const t of [x, w, dy, dx, dw, db]) t.dispose();
    });
  });

  it('throws on wrong shapes, naming them', () => {
    const g: Conv2dGeometry = { strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationH: 1, dilationW: 1 };
    const x = sn.Tensor.empty([1, 4, 4, 3]);
    const w = sn.Tensor.empty([3, 3, 2, 1]);
    const w3 = sn.Tensor.empty([3, 3, 3, 2]);
    const y = sn.Tensor.empty([1, 2, 2, 3]);
    expect(() => ops.depthwiseConv2dForward(x, w, null, y, g)).toThrow(/depthwiseConv2dForward.*3 channels.*w \[3,3,2,1\]/);
    expect(() => ops.depthwiseConv2dForward(x, w3, null, y, g)).toThrow(/depthwiseConv2dForward.*expected y \[1,2,2,6\]/);
    for (const t of [x, w, w3, y]) t.dispose();
  });
});
