// conv3d (NDHWC) against the float64 N-d convolution of tests/helpers/conv-reference.ts, on odd shapes —
// batch 1, depth 1, strides > 1, per-side padding, dilation, channels not divisible by 4, more rows than one
// im2col block — on the plain, relaxed and 2-thread builds; backward against the reference and central
// differences of loss = sum(y · r).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { activate, numericalGradient } from '../helpers/reference.js';
import { outputSize, referenceForward, referenceBackward, ySize, expectClose, type ConvCase } from '../helpers/conv-reference.js';
import type { Conv3dGeometry } from '../../src/ops/conv3d.js';

const { ops } = sn;

function values(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
}

function make(x: number[], k: number[], F: number, s = [1, 1, 1], pad = [0, 0, 0, 0, 0, 0], d = [1, 1, 1]): ConvCase {
  const [N, D, H, W, C] = x;
  return {
    N, D, H, W, C, F, KD: k[0], KH: k[1], KW: k[2], sd: s[0], sh: s[1], sw: s[2],
    pf: pad[0], pb: pad[1], pt: pad[2], pbottom: pad[3], pl: pad[4], pr: pad[5], dd: d[0], dh: d[1], dw: d[2], groups: 1,
  };
}

const cases: [string, ConvCase][] = [
  ['1x1x1 volume, 1x1x1 kernel, 1 channel', make([1, 1, 1, 1, 1], [1, 1, 1], 1)],
  ["3x3x3 'same', 3 channels, 5 filters, batch 2", make([2, 4, 5, 3, 3], [3, 3, 3], 5, [1, 1, 1], [1, 1, 1, 1, 1, 1])],
  ['2x2x2 stride 2, TF same on odd sizes (padding after), 6 channels', make([1, 3, 5, 5, 6], [2, 2, 2], 7, [2, 2, 2], [0, 1, 0, 1, 0, 1])],
  ['depth 1 (a 2D conv), 1x3x2 kernel, stride 1x2x1', make([2, 1, 6, 5, 4], [1, 3, 2], 3, [1, 2, 1])],
  ['dilation 2x1x2, padding front/left only, 5 channels', make([1, 5, 4, 6, 5], [2, 2, 3], 4, [1, 1, 1], [2, 0, 0, 0, 2, 0], [2, 1, 2])],
  ['many rows (several im2col blocks), 32 channels, 32 filters', make([2, 6, 10, 10, 32], [3, 3, 3], 32, [1, 1, 1], [1, 1, 1, 1, 1, 1])],
];

const builds: [string, sn.ReadyOptions][] = [
  ['plain SIMD', { simd: 'plain' }],
  ['relaxed SIMD', { simd: 'relaxed' }],
  ['plain SIMD, 2 threads', { simd: 'plain', threads: 2 }],
];

afterAll(() => sn.dispose());

describe.each(builds)('conv3d (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  describe.each(cases)('%s', (_label, c) => {
    const g: Conv3dGeometry = {
      strideD: c.sd, strideH: c.sh, strideW: c.sw, padFront: c.pf, padBack: c.pb, padTop: c.pt, padBottom: c.pbottom,
      padLeft: c.pl, padRight: c.pr, dilationD: c.dd, dilationH: c.dh, dilationW: c.dw,
    };
    const [OD, OH, OW] = outputSize(c);
    const xShape = [c.N, c.D, c.H, c.W, c.C];
    const wShape = [c.KD, c.KH, c.KW, c.C, c.F];
    const yShape = [c.N, OD, OH, OW, c.F];
    const xv = values(c.N * c.D * c.H * c.W * c.C, 13);
    const wv = values(c.KD * c.KH * c.KW * c.C * c.F, 17);
    const bv = values(c.F, 19);
    const K = c.KD * c.KH * c.KW * c.C;

    it('forward matches the reference (bias, relu)', () => {
      const x = sn.tensor(Float32Array.from(xv), xShape);
      const w = sn.tensor(Float32Array.from(wv), wShape);
      const b = sn.tensor(Float32Array.from(bv), [c.F]);
      const y = sn.tensor(new Float32Array(ySize(c)).fill(NaN), yShape);
      const z = referenceForward(c, xv, wv, bv);
      ops.conv3dForward(x, w, b, y, g, 1);
      expectClose(y.dataSync(), z.map((v) => activate(v, 1, 0)), 'y relu', 1e-4, 1e-5 * K);
      ops.conv3dForward(x, w, null, y, g);
      expectClose(y.dataSync(), referenceForward(c, xv, wv, null), 'y', 1e-4, 1e-5 * K);
      for (const t of [x, w, b, y]) t.dispose();
    });

    it('backward matches the reference and central differences', () => {
      const r = values(ySize(c), 23);
      const x = sn.tensor(Float32Array.from(xv), xShape);
      const w = sn.tensor(Float32Array.from(wv), wShape);
      const dy = sn.tensor(Float32Array.from(r), yShape);
      const dx = sn.tensor(new Float32Array(xv.length).fill(NaN), xShape);
      const dw = sn.tensor(new Float32Array(wv.length).fill(NaN), wShape);
      const db = sn.tensor(new Float32Array(c.F).fill(NaN), [c.F]);
      ops.conv3dBackward(x, w, dy, dx, dw, db, g);
      const want = referenceBackward(c, xv, wv, r);
      const absW = 1e-5 * c.N * OD * OH * OW + 1e-6;
      expectClose(dx.dataSync(), want.dx, 'dx', 1e-4, 1e-5 * c.KD * c.KH * c.KW * c.F);
      expectClose(dw.dataSync(), want.dw, 'dw', 1e-4, absW);
      expectClose(db.dataSync(), want.db, 'db', 1e-4, absW);
      if (xv.length + wv.length <= 1500) {
        const loss = () => referenceForward(c, xv, wv, bv).reduce((s, y, i) => s + y * r[i], 0);
        expectClose(dx.dataSync(), numericalGradient(loss, xv, 1e-3), 'dx vs central differences');
        expectClose(dw.dataSync(), numericalGradient(loss, wv, 1e-3), 'dw vs central differences');
      }
      for (const t of [x, w, dy, dx, dw, db]) t.dispose();
    });
  });

  it('throws on an empty output, naming the shapes', () => {
    const g: Conv3dGeometry = { strideD: 1, strideH: 1, strideW: 1, padFront: 0, padBack: 0, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationD: 1, dilationH: 1, dilationW: 1 };
    const x = sn.Tensor.empty([1, 2, 4, 4, 3]);
    const w = sn.Tensor.empty([3, 3, 3, 3, 2]);
    const y = sn.Tensor.empty([1, 1, 2, 2, 2]);
    expect(() => ops.conv3dForward(x, w, null, y, g)).toThrow(/conv3dForward.*larger than the padded input.*x \[1,2,4,4,3\]/);
    for (const t of [x, w, y]) t.dispose();
  });
});
