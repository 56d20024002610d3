// conv2dForwardMaxPool2 (the direct few-channel conv with a 2x2 stride-2 max pool fused) against
// conv2dForward then maxPool2dForward, which tests/kernels/conv.test.ts and pool.test.ts check against float64:
// bit for bit, on odd shapes (odd and even output sizes, rows narrower than 4, filters not a multiple of 8,
// stride 2, padding, dilation, batch 1), with activations fused in the tile (relu, relu6, leakyRelu: the conv
// pooled window by window in registers) and after the row (sigmoid: pooled from two conv rows), in every
// kernel build. Predict's form on Winograd F(4,3) (no winners): the output
// transform pools each tile, split by whole blocks and filters and by tiles on two threads. Training's form: the winners (argmax) equal the pool's, and
// conv2dBackwardMaxPool2's dw and db equal the pool's backward (masked for a relu) then conv2dBackward's.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { kernelArg } from '../helpers/kernel-args.js';
import { ACTIVATION, type ActivationCode } from '../../src/ops/activation.js';
import { conv2dOutputSize, conv2dForwardMaxPool2, conv2dBackwardMaxPool2, conv2dMaxPool2Fuses, type Conv2dGeometry } from '../../src/ops/conv.js';
import { KERNEL_BUILDS } from './builds.js';
import { engine, type KernelCall } from '../../src/backend/engine.js';

const { ops } = sn;

function geometry(stride: [number, number], pad: [number, number, number, number] = [0, 0, 0, 0], dilation: [number, number] = [1, 1]): Conv2dGeometry {
  return { strideH: stride[0], strideW: stride[1], padTop: pad[0], padBottom: pad[1], padLeft: pad[2], padRight: pad[3], dilationH: dilation[0], dilationW: dilation[1], groups: 1 };
}

const bits = (t: sn.Tensor): number[] => Array.from(new Int32Array(Float32Array.from(t.dataSync()).buffer));

const pool2 = { poolH: 2, poolW: 2, strideH: 2, strideW: 2, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };

// [label, x (N,H,W,C), kernel, filters, geometry, activation]
const cases: [string, [number, number, number, number], [number, number], number, Conv2dGeometry, ActivationCode][] = [
  ['MNIST first layer: 28x28x1, 3x3, 32 filters, relu (26x26 -> 13x13)', [3, 28, 28, 1], [3, 3], 32, geometry([1, 1]), ACTIVATION.relu],
  ['odd output 11x9 (a row and a column dropped), 5 filters, 3 channels, relu6', [2, 13, 11, 3], [3, 3], 5, geometry([1, 1]), ACTIVATION.relu6],
  ["'same' padding, 12 filters, 2 channels, leakyRelu", [1, 8, 10, 2], [3, 3], 12, geometry([1, 1], [1, 1, 1, 1]), ACTIVATION.leakyRelu],
  ['stride 2, 5x5 window, one-sided padding, 4 channels, sigmoid (after the row)', [2, 15, 13, 4], [5, 5], 9, geometry([2, 2], [2, 0, 0, 2]), ACTIVATION.sigmoid],
  ['rows narrower than 4 pixels (3x3 out -> 1x1), dilation 2, linear', [3, 7, 7, 1], [3, 3], 16, geometry([1, 1], [0, 0, 0, 0], [2, 2]), ACTIVATION.linear],
  ['one output row pair, 3 filters (below one f32x4), relu', [1, 4, 9, 3], [3, 2], 3, geometry([1, 1]), ACTIVATION.relu],
  ['rows narrower than 4 pixels pooled in the tile (3x3 out -> 1x1), one channel, relu', [2, 5, 5, 1], [3, 3], 8, geometry([1, 1]), ACTIVATION.relu],
  ['stride 2 and padding pooled in the tile, 2 channels, 11 filters, relu6', [2, 12, 11, 2], [3, 3], 11, geometry([2, 2], [1, 1, 1, 1]), ACTIVATION.relu6],
];

describe.each(KERNEL_BUILDS)('conv2d with a fused 2x2 max pool, %s', (_name, options) => {
  beforeAll(async () => {
    sn.dispose();
    await sn.ready(options);
  });
  afterAll(() => sn.dispose());

  it.each(cases)('%s: equals the conv then the pool, bit for bit', (_label, dims, [KH, KW], F, g, act) => {
    const r = rng(dims[1] * 31 + F);
    const x = sn.tensor(Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => r() * 2 - 1), dims);
    const w = sn.tensor(Float32Array.from({ length: KH * KW * dims[3] * F }, () => r() - 0.5), [KH, KW, dims[3], F]);
    const b = sn.tensor(Float32Array.from({ length: F }, () => r() * 0.4 - 0.2), [F]);
    const [OH, OW] = conv2dOutputSize(dims[1], dims[2], KH, KW, g);
    const z = sn.Tensor.empty([dims[0], OH, OW, F]);
    const pooled = [dims[0], OH >> 1, OW >> 1, F];
    const want = sn.Tensor.empty(pooled);
    const argmax = sn.Tensor.empty(pooled);
    const got = sn.tensor(new Float32Array(want.size).fill(99), pooled);
    try {
      ops.conv2dForward(x, w, b, z, g, act, act === ACTIVATION.leakyRelu ? 0.2 : 0);
      ops.maxPool2dForward(z, want, argmax, pool2);
      // 1 < images < threads: not fused (the conv splits by images); one image fuses, split by pairs of rows.
      const fuses = dims[0] >= (options.threads ?? 1) || dims[0] === 1;
      expect(conv2dMaxPool2Fuses(x, w, g)).toBe(fuses);
      if (!fuses) return;
      conv2dForwardMaxPool2(x, w, b, got, g, act, act === ACTIVATION.leakyRelu ? 0.2 : 0);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      expect(new Set(want.dataSync()).size, 'a case with distinct values').toBeGreaterThan(Math.min(4, want.size - 1));
    } finally {
      [x, w, b, z, want, argmax, got].forEach((t) => t.dispose());
    }
  });

  it.each(cases)('%s: training form — same winners, and dw, db as the pool backward then the conv backward', (_label, dims, [KH, KW], F, g, act) => {
    if (dims[0] < (options.threads ?? 1) && dims[0] !== 1) return; // not fused (see above)
    const r = rng(dims[2] * 17 + F);
    const x = sn.tensor(Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => r() * 2 - 1), dims);
    const w = sn.tensor(Float32Array.from({ length: KH * KW * dims[3] * F }, () => r() - 0.5), [KH, KW, dims[3], F]);
    const b = sn.tensor(Float32Array.from({ length: F }, () => r() * 0.4 - 0.2), [F]);
    const [OH, OW] = conv2dOutputSize(dims[1], dims[2], KH, KW, g);
    const pooled = [dims[0], OH >> 1, OW >> 1, F];
    const alpha = act === ACTIVATION.leakyRelu ? 0.2 : 0;
    const masked = act === ACTIVATION.relu;
    const z = sn.Tensor.empty([dims[0], OH, OW, F]);
    const want = sn.Tensor.empty(pooled), wantArgmax = sn.Tensor.empty(pooled);
    const got = sn.Tensor.empty(pooled), gotArgmax = sn.tensor(new Float32Array(want.size).fill(-1), pooled);
    const dp = sn.tensor(Float32Array.from({ length: want.size }, () => r() * 2 - 1), pooled);
    const dz = sn.Tensor.empty(z.shape);
    const wantDw = sn.Tensor.empty(w.shape), wantDb = sn.Tensor.empty([F]);
    const gotDw = sn.tensor(new Float32Array(w.size).fill(7), w.shape), gotDb = sn.tensor(new Float32Array(F).fill(7), [F]);
    try {
      ops.conv2dForward(x, w, b, z, g, act, alpha);
      ops.maxPool2dForward(z, want, wantArgmax, pool2);
      conv2dForwardMaxPool2(x, w, b, got, g, act, alpha, gotArgmax);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      expect(bits(gotArgmax)).toEqual(bits(wantArgmax));
      ops.maxPool2dBackward(dp, wantArgmax, dz, pool2, masked ? want : undefined);
      ops.conv2dBackward(x, w, dz, null, wantDw, wantDb, g);
      conv2dBackwardMaxPool2(x, w, dp, gotArgmax, got, gotDw, gotDb, g, masked);
      expect(Array.from(gotDw.dataSync())).toEqual(Array.from(wantDw.dataSync()));
      // db: the same sums, grouped by thread part here and over the whole batch there.
      const wantDbValues = wantDb.dataSync();
      const scale = Math.max(...wantDbValues.map(Math.abs));
      gotDb.dataSync().forEach((v, i) => expect(Math.abs(v - wantDbValues[i])).toBeLessThanOrEqual(1e-6 * scale));
      // Accumulating adds to what is there.
      conv2dBackwardMaxPool2(x, w, dp, gotArgmax, got, gotDw, null, g, masked, true);
      gotDw.dataSync().forEach((v, i) => expect(v).toBeCloseTo(2 * wantDw.dataSync()[i], 5));
      if (masked && want.size >= 40) expect(want.dataSync().some((v) => v === 0), 'a relu case where the mask drops gradients').toBe(true);
    } finally {
      [x, w, b, z, want, wantArgmax, got, gotArgmax, dp, dz, wantDw, wantDb, gotDw, gotDb].forEach((t) => t.dispose());
    }
  });

  it('refuses shapes it does not fuse and a wrong output, naming the op', () => {
    const x = sn.Tensor.zeros([2, 6, 6, 32]); // 32 channels: the im2col GEMM, not the direct loop
    const w = sn.Tensor.zeros([3, 3, 32, 8]);
    const x1 = sn.Tensor.zeros([2, 6, 6, 1]);
    const w1 = sn.Tensor.zeros([3, 3, 1, 8]);
    const y = sn.Tensor.zeros([2, 2, 2, 8]);
    const bad = sn.Tensor.zeros([2, 4, 4, 8]);
    try {
      expect(conv2dMaxPool2Fuses(x, w, geometry([1, 1]))).toBe(false);
      expect(() => conv2dForwardMaxPool2(x, w, null, y, geometry([1, 1]))).toThrow(/conv2dForwardMaxPool2: .*does not take the direct loop/);
      expect(() => conv2dForwardMaxPool2(x1, w1, null, bad, geometry([1, 1]))).toThrow(/conv2dForwardMaxPool2: expected y and argmax \[2,2,2,8\]/);
      expect(() => conv2dForwardMaxPool2(x1, w1, null, y, geometry([1, 1]), 0, 0, bad)).toThrow(/conv2dForwardMaxPool2: expected y and argmax \[2,2,2,8\].*argmax \[2,4,4,8\]/);
      // The backward: a pooled gradient of the wrong shape, a dw unlike w.
      const dw = sn.Tensor.zeros([3, 3, 1, 8]);
      expect(() => conv2dBackwardMaxPool2(x1, w1, bad, y, y, dw, null, geometry([1, 1]), true)).toThrow(/conv2dBackwardMaxPool2: expected dp, argmax and y \[2,2,2,8\].*dp \[2,4,4,8\]/);
      expect(() => conv2dBackwardMaxPool2(x1, w1, y, y, y, w, null, geometry([1, 1]), true)).toThrow(/conv2dBackwardMaxPool2: .*dw like w/);
      dw.dispose();
    } finally {
      [x, w, x1, w1, y, bad].forEach((t) => t.dispose());
    }
  });
});

// [label, x (N,H,W,C), filters, padding, path, activation, parts on two threads]
const winogradCases: [string, [number, number, number, number], number, number, 'winograd4', ActivationCode, number][] = [
  // 11x11 -> 5x5 (the last row and column dropped); one image: split by filters on two threads.
  ["the MNIST convnet's second conv: 13x13x32, 64 filters, relu, F(4,3)", [1, 13, 13, 32], 64, 0, 'winograd4', ACTIVATION.relu, 2],
  // 'same' 9x10 -> 4x5; 37 filters: a lane tail of 1.
  ["'same', 9x10, 37 filters, leakyRelu, batch 3", [3, 9, 10, 16], 37, 1, 'winograd4', ACTIVATION.leakyRelu, 2],
  // 12x10 -> 6x5: the 4x4 tiles' last column half outside; many tiles: split by tiles.
  ['valid 14x12, 21 channels, 33 filters, sigmoid, F(4,3), batch 4', [4, 14, 12, 21], 33, 0, 'winograd4', ACTIVATION.sigmoid, 2],
  ['3 filters (below one f32x4), linear, F(4,3)', [2, 8, 7, 5], 3, 1, 'winograd4', ACTIVATION.linear, 1],
];

describe.each(KERNEL_BUILDS)('Winograd conv2d with a 2x2 max pool in its output transform, %s', (_name, options) => {
  beforeAll(async () => {
    sn.dispose();
    await sn.ready(options);
  });
  afterAll(() => {
    ops.forceConv2dPath('auto');
    sn.dispose();
  });

  it.each(winogradCases)('%s: equals the conv then the pool, bit for bit', (_label, dims, F, pad, path, act, split) => {
    const r = rng(dims[2] * 13 + F);
    const xs = Float32Array.from({ length: dims.reduce((a, b) => a * b) }, () => r() * 2 - 1);
    xs[5 * dims[3] + 2] = NaN; // NaNs reach some windows: the pool's rule for them (skipped by pmax) holds too
    const x = sn.tensor(xs, dims);
    const w = sn.tensor(Float32Array.from({ length: 9 * dims[3] * F }, () => r() - 0.5), [3, 3, dims[3], F]);
    const b = sn.tensor(Float32Array.from({ length: F }, () => r() * 0.4 - 0.2), [F]);
    const g = geometry([1, 1], [pad, pad, pad, pad]);
    const [OH, OW] = conv2dOutputSize(dims[1], dims[2], 3, 3, g);
    const z = sn.Tensor.empty([dims[0], OH, OW, F]);
    const pooled = [dims[0], OH >> 1, OW >> 1, F];
    const want = sn.Tensor.empty(pooled);
    const got = sn.tensor(new Float32Array(want.size).fill(99), pooled);
    const e = engine();
    const parallel = e.parallel.bind(e);
    const calls: KernelCall[] = [];
    e.parallel = (cs) => {
      calls.push(...cs);
      parallel(cs);
    };
    try {
      ops.forceConv2dPath(path);
      const alpha = act === ACTIVATION.leakyRelu ? 0.2 : 0;
      ops.conv2dForward(x, w, b, z, g, act, alpha);
      ops.maxPool2dForward(z, want, null, pool2);
      expect(conv2dMaxPool2Fuses(x, w, g), 'with winners: the direct loop only').toBe(false);
      ops.forceConv2dPath('winograd');
      expect(conv2dMaxPool2Fuses(x, w, g, false), 'F(2,3) does not pool').toBe(false);
      ops.forceConv2dPath(path);
      expect(conv2dMaxPool2Fuses(x, w, g, false)).toBe(true);
      calls.length = 0;
      conv2dForwardMaxPool2(x, w, b, got, g, act, alpha);
      // Winograd ran with its pool flag and no winners (am = 0), split where the work pays.
      const parts = calls.filter((c) => c[0] === 'winograd_forward_f32');
      expect(parts.length).toBe(options.threads ? split : 1);
      expect(parts.every((c) => kernelArg(c, 'pool') === 1 && kernelArg(c, 'am') === 0)).toBe(true);
      expect(bits(got)).toEqual(bits(want));
      expect(new Set(want.dataSync()).size, 'a case with distinct values').toBeGreaterThan(Math.min(4, want.size - 1));
      expect(z.dataSync().some(Number.isNaN), 'NaNs in the conv output').toBe(true);
    } finally {
      e.parallel = parallel;
      ops.forceConv2dPath('auto');
      [x, w, b, z, want, got].forEach((t) => t.dispose());
    }
  });
});
