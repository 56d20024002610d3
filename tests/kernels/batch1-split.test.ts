// One image split across threads (latency): the direct first-layer conv by output rows (alone, and fused
// with a 2x2/2 max pooling by pairs of rows), depthwise conv by output rows, max pooling by output
// rows (and a batch's rows split across image boundaries), a batch-1 dense layer (gemv) by columns. On the threaded build every result must equal the
// single-threaded one bit for bit (each output is the same sum either way), and each case must really split
// (else the comparison proves nothing). The conv is also checked against the float64 reference.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { rng } from '../helpers/random.js';
import { conv2dCase, expectClose, outputSize, referenceForward } from '../helpers/conv-reference.js';
import { conv2dForwardMaxPool2 } from '../../src/ops/conv.js';

afterAll(() => sn.dispose());

interface ConvSpec {
  x: [number, number, number, number]; k: [number, number]; F: number; stride: [number, number];
  pad: [number, number, number, number]; dilation: [number, number]; act: 0 | 1 | 5;
}

// Batch 1 on the direct loop (few channels): odd sizes, padding on every side, strides, dilation, F not a
// multiple of 8, rows narrower than 4 pixels, windows reaching into the bottom padding only.
const convs: ConvSpec[] = [
  { x: [1, 28, 28, 1], k: [3, 3], F: 32, stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1], act: 1 },
  { x: [1, 23, 19, 3], k: [3, 3], F: 13, stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1], act: 0 },
  { x: [1, 31, 17, 2], k: [5, 4], F: 60, stride: [2, 3], pad: [2, 3, 1, 2], dilation: [1, 1], act: 5 },
  { x: [1, 27, 21, 4], k: [3, 3], F: 27, stride: [1, 2], pad: [3, 0, 0, 1], dilation: [2, 1], act: 1 },
  { x: [1, 80, 3, 3], k: [3, 2], F: 40, stride: [1, 1], pad: [0, 4, 1, 0], dilation: [1, 1], act: 0 },
];

// Depthwise, one image large enough to split by rows (≥ 2^17 FLOP): TF 'same' at stride 2 (bottom/right padding
// only), a multiplier with dilation and uneven padding, a wide 3x3 on 64 channels (8-wide path), 13 channels.
interface DepthwiseSpec {
  x: [number, number, number, number]; k: [number, number]; M: number; stride: [number, number];
  pad: [number, number, number, number]; dilation: [number, number]; act: 0 | 1;
}
const depthwises: DepthwiseSpec[] = [
  { x: [1, 57, 43, 24], k: [3, 3], M: 1, stride: [2, 2], pad: [0, 1, 0, 1], dilation: [1, 1], act: 1 },
  { x: [1, 50, 31, 7], k: [5, 3], M: 2, stride: [1, 1], pad: [3, 1, 2, 2], dilation: [2, 2], act: 0 },
  { x: [1, 12, 11, 64], k: [3, 3], M: 1, stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1], act: 1 },
  { x: [1, 40, 37, 13], k: [3, 3], M: 1, stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1], act: 0 },
];
const depthwiseCase = (c: DepthwiseSpec) => conv2dCase(c.x, c.k, c.x[3] * c.M, c.stride, c.pad, c.dilation, c.x[3]);

const pools = [
  { x: [1, 26, 26, 32], g: { poolH: 2, poolW: 2, strideH: 2, strideW: 2, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 } },
  { x: [1, 75, 59, 6], g: { poolH: 3, poolW: 2, strideH: 2, strideW: 1, padTop: 1, padBottom: 1, padLeft: 0, padRight: 1 } },
  { x: [3, 63, 61, 9], g: { poolH: 3, poolW: 3, strideH: 2, strideW: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1 } },
];

const denses = [[700, 389], [1600, 10], [257, 1000]] as const;

const r = rng(13);
const fill = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
const data = {
  convs: convs.map((c) => ({ x: fill(c.x.reduce((a, b) => a * b)), w: fill(c.k[0] * c.k[1] * c.x[3] * c.F), b: fill(c.F) })),
  depthwises: depthwises.map((c) => ({ x: fill(c.x.reduce((a, b) => a * b)), w: fill(c.k[0] * c.k[1] * c.x[3] * c.M), b: fill(c.x[3] * c.M) })),
  pools: pools.map((p) => fill(p.x.reduce((a, b) => a * b))),
  denses: denses.map(([i, u]) => ({ x: fill(i), w: fill(i * u), b: fill(u) })),
};

/** Every case on the current engine: outputs, and per case the widest parallel group of its kernel. */
function runAll(): { out: Float32Array[]; widths: number[] } {
  const e = engine();
  let widest = 1;
  const parallel = e.parallel.bind(e);
  e.parallel = (calls) => {
    widest = Math.max(widest, calls.length);
    parallel(calls);
  };
  const out: Float32Array[] = [];
  const widths: number[] = [];
  const record = (f: () => Float32Array[]) => {
    widest = 1;
    out.push(...f());
    widths.push(widest);
  };
  try {
    convs.forEach((c, i) => record(() => {
      const [, OH, OW] = outputSize(conv2dCase(c.x, c.k, c.F, c.stride, c.pad, c.dilation));
      const x = sn.tensor(data.convs[i].x, c.x), w = sn.tensor(data.convs[i].w, [...c.k, c.x[3], c.F]);
      const b = sn.tensor(data.convs[i].b, [c.F]), y = sn.Tensor.empty([1, OH, OW, c.F]);
      const [padTop, padBottom, padLeft, padRight] = c.pad;
      const g = { strideH: c.stride[0], strideW: c.stride[1], padTop, padBottom, padLeft, padRight, dilationH: c.dilation[0], dilationW: c.dilation[1] };
      sn.ops.conv2dForward(x, w, b, y, g, c.act);
      const v = y.dataSync();
      [x, w, b, y].forEach((t) => t.dispose());
      return [v];
    }));
    // The same convs fused with a 2x2/2 max pooling (predict's conv → pool pairs): split by pairs of rows.
    convs.forEach((c, i) => record(() => {
      const [, OH, OW] = outputSize(conv2dCase(c.x, c.k, c.F, c.stride, c.pad, c.dilation));
      const x = sn.tensor(data.convs[i].x, c.x), w = sn.tensor(data.convs[i].w, [...c.k, c.x[3], c.F]);
      const b = sn.tensor(data.convs[i].b, [c.F]), y = sn.Tensor.empty([1, OH >> 1, OW >> 1, c.F]);
      const [padTop, padBottom, padLeft, padRight] = c.pad;
      const g = { strideH: c.stride[0], strideW: c.stride[1], padTop, padBottom, padLeft, padRight, dilationH: c.dilation[0], dilationW: c.dilation[1] };
      conv2dForwardMaxPool2(x, w, b, y, g, c.act);
      const v = y.dataSync();
      [x, w, b, y].forEach((t) => t.dispose());
      return [v];
    }));
    depthwises.forEach((c, i) => record(() => {
      const [, OH, OW] = outputSize(depthwiseCase(c));
      const CM = c.x[3] * c.M;
      const x = sn.tensor(data.depthwises[i].x, c.x), w = sn.tensor(data.depthwises[i].w, [...c.k, c.x[3], c.M]);
      const b = sn.tensor(data.depthwises[i].b, [CM]), y = sn.Tensor.empty([1, OH, OW, CM]);
      const [padTop, padBottom, padLeft, padRight] = c.pad;
      const g = { strideH: c.stride[0], strideW: c.stride[1], padTop, padBottom, padLeft, padRight, dilationH: c.dilation[0], dilationW: c.dilation[1] };
      sn.ops.depthwiseConv2dForward(x, w, b, y, g, c.act);
      const v = y.dataSync();
      [x, w, b, y].forEach((t) => t.dispose());
      return [v];
    }));
    pools.forEach((p, i) => record(() => {
      const [N, H, W, C] = p.x;
      const [OH, OW] = sn.ops.pool2dOutputSize(H, W, p.g);
      const x = sn.tensor(data.pools[i], p.x), y = sn.Tensor.empty([N, OH, OW, C]), argmax = sn.Tensor.empty([N, OH, OW, C]);
      sn.ops.maxPool2dForward(x, y, argmax, p.g);
      const v = [y.dataSync(), new Float32Array(new Int32Array(argmax.dataSync().buffer))];
      sn.ops.maxPool2dForward(x, y, null, p.g); // inference: no argmax
      v.push(y.dataSync());
      [x, y, argmax].forEach((t) => t.dispose());
      return v;
    }));
    denses.forEach(([inUnits, units], i) => record(() => {
      const x = sn.tensor(data.denses[i].x, [1, inUnits]), w = sn.tensor(data.denses[i].w, [inUnits, units]);
      const b = sn.tensor(data.denses[i].b, [units]), y = sn.Tensor.empty([1, units]);
      sn.ops.denseForward(x, w, b, y, 1);
      const v = y.dataSync();
      [x, w, b, y].forEach((t) => t.dispose());
      return [v];
    }));
    return { out, widths };
  } finally {
    e.parallel = parallel;
  }
}

describe.each(['plain', 'relaxed'] as const)('one image split across threads (%s SIMD)', (simd) => {
  it('gives bitwise the single-threaded results, and the conv matches the float64 reference', async () => {
    await sn.ready({ threads: 1, simd });
    const single = runAll();
    expect(single.widths.every((w) => w === 1)).toBe(true);
    convs.forEach((c, i) => {
      const cc = conv2dCase(c.x, c.k, c.F, c.stride, c.pad, c.dilation);
      const d = data.convs[i];
      const ref = referenceForward(cc, Float64Array.from(d.x), Float64Array.from(d.w), Float64Array.from(d.b))
        .map((v) => (c.act === 1 ? Math.max(v, 0) : c.act === 5 ? 1 / (1 + Math.exp(-v)) : v));
      expectClose(single.out[i], ref, `conv ${i}`);
      // The fused one against the 2x2/2 max pool of the reference.
      const [, OH, OW] = outputSize(cc);
      const pooled = Array.from({ length: (OH >> 1) * (OW >> 1) * c.F }, (_, o) => {
        const [f, q] = [o % c.F, Math.floor(o / c.F)];
        const [i0, j0] = [2 * Math.floor(q / (OW >> 1)), 2 * (q % (OW >> 1))];
        return Math.max(...[[0, 0], [0, 1], [1, 0], [1, 1]].map(([di, dj]) => ref[((i0 + di) * OW + j0 + dj) * c.F + f]));
      });
      expectClose(single.out[convs.length + i], pooled, `conv ${i} + max pool`);
    });
    depthwises.forEach((c, i) => {
      const d = data.depthwises[i];
      const ref = referenceForward(depthwiseCase(c), Float64Array.from(d.x), Float64Array.from(d.w), Float64Array.from(d.b))
        .map((v) => (c.act === 1 ? Math.max(v, 0) : v));
      expectClose(single.out[2 * convs.length + i], ref, `depthwise ${i}`);
    });
    for (const threads of [2, 3]) {
      await sn.ready({ threads, simd });
      const split = runAll();
      // Every case splits but the 1600→10 dense (too little work: it must stay whole).
      const expected = [...convs.map(() => true), ...convs.map(() => true), ...depthwises.map(() => true), ...pools.map(() => true), true, false, true];
      expect(split.widths.map((w) => w > 1)).toEqual(expected);
      split.out.forEach((v, i) => {
        const same = v.length === single.out[i].length && v.every((x, j) => Object.is(x, single.out[i][j]));
        expect(same, `output ${i} with ${threads} threads`).toBe(true);
      });
    }
  });
});
