// Winograd F(2x2,3x3) and F(4x4,3x3) (assembly/winograd.ts) against the direct/im2col kernel and a float64
// reference, on odd shapes: channels and filters not divisible by 4, 'same' and 'valid' padding, batch 1,
// non-square images, output sizes not a multiple of the tile (tiles hanging over the edge), every activation;
// forward, dx alone, and dw + db + dx on the forward's tiles (with accumulate and the fused relu). Also: the
// layer's filter plan follows weight writes, and a batch of one split across two threads equals one thread.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { rng } from '../helpers/random.js';
import { activate, numericalGradient } from '../helpers/reference.js';
import { conv2dCase, referenceForward, referenceBackward, expectClose } from '../helpers/conv-reference.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;

afterAll(() => {
  ops.forceConv2dPath('auto');
  sn.dispose();
});

// Every suite runs on both tile sizes (forced paths), on every build.
const TILES = [['F(2x2,3x3)', 'winograd'], ['F(4x4,3x3)', 'winograd4']] as const;
type WinogradPath = (typeof TILES)[number][1];
const BUILDS_TILES = KERNEL_BUILDS.flatMap(([name, options]) => TILES.map(([tile, path]) => [`${name}, ${tile}`, options, path] as const));

function randomValues(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

interface Case { label: string; N: number; H: number; W: number; C: number; F: number; same: boolean; act: number }

const CASES: Case[] = [
  { label: 'batch 1, 1 channel, valid', N: 1, H: 5, W: 5, C: 1, F: 1, same: false, act: 0 },
  { label: 'odd channels/filters, same, non-square', N: 2, H: 7, W: 10, C: 5, F: 7, same: true, act: 1 },
  { label: 'valid, odd output (tiles over the edge)', N: 3, H: 9, W: 6, C: 13, F: 3, same: false, act: 5 },
  { label: 'same, 3x3 image', N: 1, H: 3, W: 3, C: 4, F: 9, same: true, act: 4 },
  { label: 'wide channels, more tiles than one block', N: 2, H: 26, W: 19, C: 35, F: 66, same: false, act: 3 },
  { label: 'same, 1 row image', N: 2, H: 1, W: 8, C: 17, F: 12, same: true, act: 6 },
  { label: 'hardSigmoid (alpha 0.2), 2 rows', N: 1, H: 2, W: 6, C: 3, F: 5, same: true, act: 7 },
  { label: 'the MNIST convnet\'s conv2, 11x11 outputs', N: 2, H: 13, W: 13, C: 32, F: 64, same: false, act: 1 },
  { label: 'same, 9x6 (two partial 4x4 tiles a side)', N: 1, H: 9, W: 6, C: 5, F: 6, same: true, act: 0 },
];

function run(c: Case, path: WinogradPath | 'kernel', x: sn.Tensor, w: sn.Tensor, b: sn.Tensor, plan: sn.ops.WinogradPlan | null): Float32Array {
  const pad = c.same ? 1 : 0;
  const g = { strideH: 1, strideW: 1, padTop: pad, padBottom: pad, padLeft: pad, padRight: pad, dilationH: 1, dilationW: 1 };
  const [OH, OW] = ops.conv2dOutputSize(c.H, c.W, 3, 3, g);
  const y = sn.Tensor.empty([c.N, OH, OW, c.F]);
  ops.forceConv2dPath(path);
  try {
    ops.conv2dForward(x, w, b, y, g, c.act as sn.ops.ActivationCode, 0.2, plan);
    return y.dataSync();
  } finally {
    ops.forceConv2dPath('auto');
    y.dispose();
  }
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe.each(BUILDS_TILES)('winograd conv2d forward (%s)', (_name, options, path) => {
  it.each(CASES)('matches the direct path and float64: $label', async (c) => {
    await sn.ready(options);
    const xs = randomValues(c.N * c.H * c.W * c.C, 1 + c.C);
    const ws = randomValues(9 * c.C * c.F, 2 + c.F);
    const bs = randomValues(c.F, 3);
    const x = sn.tensor(xs, [c.N, c.H, c.W, c.C]);
    const w = sn.tensor(ws, [3, 3, c.C, c.F]);
    const b = sn.tensor(bs, [c.F]);
    const plan = new ops.WinogradPlan();
    try {
      const direct = run(c, 'kernel', x, w, b, null);
      const wino = run(c, path, x, w, b, null);
      const planned = run(c, path, x, w, b, plan);
      expect(maxDiff(wino, direct)).toBeLessThanOrEqual(1e-4 * maxAbs(direct));
      expect(Array.from(planned)).toEqual(Array.from(wino));
      // And against float64, activation applied afterwards.
      const pad = c.same ? 1 : 0;
      const cc = conv2dCase([c.N, c.H, c.W, c.C], [3, 3], c.F, [1, 1], [pad, pad, pad, pad]);
      const ref = referenceForward(cc, Float64Array.from(xs), Float64Array.from(ws), Float64Array.from(bs)).map((v) => activate(v, c.act, 0.2));
      expect(ref.length).toBe(wino.length);
      expect(maxDiff(wino, ref)).toBeLessThanOrEqual(1e-4 * maxAbs(ref));
    } finally {
      plan.dispose();
      x.dispose(); w.dispose(); b.dispose();
    }
  });
});

describe.each(TILES)('winograd filter plan, %s', (_tile, path) => {
  it('is remade after set, setWeights and an optimizer step', async () => {
    await sn.ready({ simd: 'plain' });
    const model = sn.sequential({ layers: [sn.layers.conv2d({ inputShape: [6, 5, 16], filters: 16, kernelSize: 3, padding: 'same' })] });
    const x = sn.tensor(randomValues(2 * 6 * 5 * 16, 9), [2, 6, 5, 16]);
    // The layer's output must always equal the kernel path on the current weights.
    const check = () => {
      ops.forceConv2dPath(path);
      const y = (model.predict(x) as sn.Tensor).dataSync();
      ops.forceConv2dPath('kernel');
      const ref = (model.predict(x) as sn.Tensor).dataSync();
      ops.forceConv2dPath('auto');
      expect(maxDiff(y, ref)).toBeLessThanOrEqual(1e-4 * maxAbs(ref));
      return y;
    };
    try {
      const y0 = check();
      const [kernel, bias] = model.getWeights();
      kernel.set(randomValues(kernel.size, 10));
      model.setWeights([kernel, bias]);
      const y1 = check();
      expect(maxDiff(y0, y1)).toBeGreaterThan(0.1);
      model.compile({ optimizer: sn.optimizers.sgd(0.5), loss: 'meanSquaredError' });
      await model.fit(x, sn.tensor(randomValues(2 * 6 * 5 * 16, 11), [2, 6, 5, 16]), { epochs: 1, batchSize: 2 });
      const y2 = check();
      expect(maxDiff(y1, y2)).toBeGreaterThan(1e-3);
      kernel.dispose(); bias.dispose();
    } finally {
      ops.forceConv2dPath('auto');
      x.dispose();
      model.dispose();
    }
  });
});

describe.each(TILES)('winograd filter plan in training, %s', (_tile, path) => {
  it('transforms each step\'s weights into the same memory: no allocation per step', async () => {
    await sn.ready({ simd: 'plain' });
    const model = sn.sequential({ layers: [sn.layers.conv2d({ inputShape: [8, 8, 16], filters: 16, kernelSize: 3, padding: 'same' })] });
    model.compile({ optimizer: sn.optimizers.sgd(0.1), loss: 'meanSquaredError' });
    const x = sn.tensor(randomValues(4 * 8 * 8 * 16, 12), [4, 8, 8, 16]);
    const y = sn.tensor(randomValues(4 * 8 * 8 * 16, 13), [4, 8, 8, 16]);
    const heap = engine().heap;
    const alloc = heap.alloc.bind(heap);
    let allocations = 0;
    ops.forceConv2dPath(path);
    try {
      for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
      heap.alloc = (bytes: number) => (allocations++, alloc(bytes));
      const losses = [];
      for (let i = 0; i < 3; i++) losses.push(await model.trainOnBatch(x, y));
      expect(allocations).toBe(0);
      expect(losses[2]).toBeLessThan(losses[0] as number); // the steps still train
    } finally {
      heap.alloc = alloc;
      ops.forceConv2dPath('auto');
      [x, y].forEach((t) => t.dispose());
      model.dispose();
    }
  });
});

describe('batch 1 on two threads', () => {
  // Winograd splits one image by tiles, the im2col kernel by filters: each must equal one thread exactly.
  it.each([
    ['winograd', { N: 1, H: 40, W: 37, C: 32, F: 40 }, 3],
    ['winograd4', { N: 1, H: 41, W: 38, C: 32, F: 40 }, 3],
    ['kernel', { N: 1, H: 30, W: 27, C: 19, F: 44 }, 3],
    ['kernel', { N: 1, H: 40, W: 47, C: 48, F: 40 }, 1],
  ] as const)('%s path, %o, kernel size %i, equals one thread', async (path, c, ksize) => {
    const xs = randomValues(c.N * c.H * c.W * c.C, 21);
    const ws = randomValues(ksize * ksize * c.C * c.F, 22);
    const bs = randomValues(c.F, 23);
    const out: Float32Array[] = [];
    let widest = 0;
    for (const threads of [1, 2]) {
      sn.dispose();
      await sn.ready({ simd: 'plain', threads });
      const e = engine();
      const parallel = e.parallel.bind(e);
      e.parallel = (calls) => {
        widest = Math.max(widest, calls.length);
        parallel(calls);
      };
      try {
        const x = sn.tensor(xs, [c.N, c.H, c.W, c.C]);
        const w = sn.tensor(ws, [ksize, ksize, c.C, c.F]);
        const b = sn.tensor(bs, [c.F]);
        const pad = (ksize - 1) / 2;
        const g = { strideH: 1, strideW: 1, padTop: pad, padBottom: pad, padLeft: pad, padRight: pad, dilationH: 1, dilationW: 1 };
        const y = sn.Tensor.empty([c.N, c.H, c.W, c.F]);
        ops.forceConv2dPath(path);
        ops.conv2dForward(x, w, b, y, g, 1, 0);
        out.push(y.dataSync());
        [x, w, b, y].forEach((t) => t.dispose());
      } finally {
        ops.forceConv2dPath('auto');
        e.parallel = parallel;
      }
    }
    expect(widest).toBe(2);
    expect(maxAbs(out[0])).toBeGreaterThan(0);
    expect(Array.from(out[1])).toEqual(Array.from(out[0]));
  });
});

describe.each(BUILDS_TILES)('winograd conv2d input gradient (%s)', (_name, options, path) => {
  // dx alone = the 'full' conv of dy with the flipped filters: against the kernel's dx and float64, with
  // and without a plan (dw and db not asked, so the weight-gradient path stays out of it).
  it.each(CASES)('matches the direct path and float64: $label', async (c) => {
    await sn.ready(options);
    const pad = c.same ? 1 : 0;
    const g = { strideH: 1, strideW: 1, padTop: pad, padBottom: pad, padLeft: pad, padRight: pad, dilationH: 1, dilationW: 1 };
    const [OH, OW] = ops.conv2dOutputSize(c.H, c.W, 3, 3, g);
    const xs = randomValues(c.N * c.H * c.W * c.C, 31 + c.C);
    const ws = randomValues(9 * c.C * c.F, 32 + c.F);
    const dys = randomValues(c.N * OH * OW * c.F, 33);
    const x = sn.tensor(xs, [c.N, c.H, c.W, c.C]);
    const w = sn.tensor(ws, [3, 3, c.C, c.F]);
    const dy = sn.tensor(dys, [c.N, OH, OW, c.F]);
    const plan = new ops.WinogradPlan();
    const gradX = (which: WinogradPath | 'kernel', p: sn.ops.WinogradPlan | null) => {
      const dx = sn.Tensor.empty(x.shape);
      ops.forceConv2dPath(which);
      try {
        ops.conv2dBackward(x, w, dy, dx, null, null, g, false, p);
        return dx.dataSync();
      } finally {
        ops.forceConv2dPath('auto');
        dx.dispose();
      }
    };
    try {
      const dxK = gradX('kernel', null);
      const dxW = gradX(path, null);
      const dxP = gradX(path, plan);
      const dxP2 = gradX(path, plan); // the kept U'
      expect(maxDiff(dxW, dxK)).toBeLessThanOrEqual(1e-4 * maxAbs(dxK));
      expect(Array.from(dxP)).toEqual(Array.from(dxW));
      expect(Array.from(dxP2)).toEqual(Array.from(dxW));
      const cc = conv2dCase([c.N, c.H, c.W, c.C], [3, 3], c.F, [1, 1], [pad, pad, pad, pad]);
      const ref = referenceBackward(cc, Float64Array.from(xs), Float64Array.from(ws), Float64Array.from(dys));
      expect(maxDiff(dxW, ref.dx)).toBeLessThanOrEqual(1e-4 * maxAbs(ref.dx));
    } finally {
      plan.dispose();
      x.dispose(); w.dispose(); dy.dispose();
    }
  });

  it('the plan remakes U\' after the weights are written', async () => {
    await sn.ready({ simd: 'plain' });
    const c = CASES[4];
    const g = { strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationH: 1, dilationW: 1 };
    const [OH, OW] = ops.conv2dOutputSize(c.H, c.W, 3, 3, g);
    const x = sn.tensor(randomValues(c.N * c.H * c.W * c.C, 41), [c.N, c.H, c.W, c.C]);
    const w = sn.tensor(randomValues(9 * c.C * c.F, 42), [3, 3, c.C, c.F]);
    const dy = sn.tensor(randomValues(c.N * OH * OW * c.F, 43), [c.N, OH, OW, c.F]);
    const dx = sn.Tensor.empty(x.shape);
    const plan = new ops.WinogradPlan();
    const run = (which: WinogradPath | 'kernel') => {
      ops.forceConv2dPath(which);
      try {
        ops.conv2dBackward(x, w, dy, dx, null, null, g, false, which === 'kernel' ? null : plan);
      } finally {
        ops.forceConv2dPath('auto');
      }
      return dx.dataSync();
    };
    try {
      run(path);
      w.set(randomValues(w.size, 44));
      const after = run(path);
      const ref = run('kernel');
      expect(maxDiff(after, ref)).toBeLessThanOrEqual(1e-4 * maxAbs(ref));
    } finally {
      plan.dispose();
      [x, w, dy, dx].forEach((t) => t.dispose());
    }
  });
});

const WEIGHT_CASES: Case[] = [
  ...CASES,
  { label: 'batch 1, odd everything, pad 2 on a 2x5 image', N: 1, H: 2, W: 5, C: 3, F: 6, same: true, act: 0 },
  { label: 'many images, two blocks per image', N: 5, H: 13, W: 13, C: 32, F: 64, same: false, act: 1 },
];

describe.each(BUILDS_TILES)('winograd conv2d weight gradient (%s)', (_name, options, path) => {
  // dw, db and dx in one pass on the forward's tiles (winogradBackward): against the kernel path (max |Δ| ≤
  // 1e-4·max|dw|), float64, and with accumulate; the fused relu against masking dy first.
  it.each(WEIGHT_CASES)('matches the direct path and float64: $label', async (c) => {
    await sn.ready(options);
    const pad = c.label.startsWith('batch 1, odd everything') ? 2 : c.same ? 1 : 0;
    const g = { strideH: 1, strideW: 1, padTop: pad, padBottom: pad, padLeft: pad, padRight: pad, dilationH: 1, dilationW: 1 };
    const [OH, OW] = ops.conv2dOutputSize(c.H, c.W, 3, 3, g);
    const xs = randomValues(c.N * c.H * c.W * c.C, 61 + c.C);
    const ws = randomValues(9 * c.C * c.F, 62 + c.F);
    const dys = randomValues(c.N * OH * OW * c.F, 63);
    const x = sn.tensor(xs, [c.N, c.H, c.W, c.C]);
    const w = sn.tensor(ws, [3, 3, c.C, c.F]);
    const dy = sn.tensor(dys, [c.N, OH, OW, c.F]);
    const plan = new ops.WinogradPlan();
    const grads = (which: WinogradPath | 'kernel', p: sn.ops.WinogradPlan | null, accumulate = false) => {
      const dx = sn.tensor(new Float32Array(x.size).fill(NaN), x.shape);
      const dw = sn.tensor(new Float32Array(w.size).fill(accumulate ? 0.5 : NaN), w.shape);
      const db = sn.tensor(new Float32Array(c.F).fill(accumulate ? -0.25 : NaN), [c.F]);
      ops.forceConv2dPath(which);
      try {
        ops.conv2dBackward(x, w, dy, dx, dw, db, g, accumulate, p);
        return [dx.dataSync(), dw.dataSync(), db.dataSync()];
      } finally {
        ops.forceConv2dPath('auto');
        dx.dispose(); dw.dispose(); db.dispose();
      }
    };
    try {
      const [dxK, dwK, dbK] = grads('kernel', null);
      const [dxW, dwW, dbW] = grads(path, null);
      const [dxP, dwP, dbP] = grads(path, plan);
      expect(maxDiff(dwW, dwK)).toBeLessThanOrEqual(1e-4 * maxAbs(dwK));
      expect(maxDiff(dbW, dbK)).toBeLessThanOrEqual(1e-5 * maxAbs(dbK));
      expect(maxDiff(dxW, dxK)).toBeLessThanOrEqual(1e-4 * maxAbs(dxK));
      expect(Array.from(dwP)).toEqual(Array.from(dwW));
      expect(Array.from(dbP)).toEqual(Array.from(dbW));
      expect(Array.from(dxP)).toEqual(Array.from(dxW));
      const cc = conv2dCase([c.N, c.H, c.W, c.C], [3, 3], c.F, [1, 1], [pad, pad, pad, pad]);
      const ref = referenceBackward(cc, Float64Array.from(xs), Float64Array.from(ws), Float64Array.from(dys));
      expect(maxDiff(dwW, ref.dw)).toBeLessThanOrEqual(1e-4 * maxAbs(ref.dw));
      expect(maxDiff(dbW, ref.db)).toBeLessThanOrEqual(1e-5 * maxAbs(ref.db));
      expect(maxDiff(dxW, ref.dx)).toBeLessThanOrEqual(1e-4 * maxAbs(ref.dx));
      // accumulate adds to what is there (dx is still overwritten).
      const [dxA, dwA, dbA] = grads(path, plan, true);
      expect(maxDiff(dwA, Array.from(dwW, (v) => v + 0.5))).toBeLessThanOrEqual(1e-6 * (1 + maxAbs(dwW)));
      expect(maxDiff(dbA, Array.from(dbW, (v) => v - 0.25))).toBeLessThanOrEqual(1e-6 * (1 + maxAbs(dbW)));
      expect(Array.from(dxA)).toEqual(Array.from(dxW));
      // The fused relu: y = relu(forward), the gradients of dy masked by y > 0.
      const y = sn.Tensor.empty([c.N, OH, OW, c.F]);
      ops.conv2dForward(x, w, null, y, g, 1, 0);
      const yv = y.dataSync();
      const masked = sn.tensor(Float32Array.from(dys, (v, i) => (yv[i] > 0 ? v : 0)), dy.shape);
      const dx1 = sn.Tensor.empty(x.shape), dw1 = sn.Tensor.empty(w.shape), db1 = sn.Tensor.empty([c.F]);
      const dx2 = sn.Tensor.empty(x.shape), dw2 = sn.Tensor.empty(w.shape), db2 = sn.Tensor.empty([c.F]);
      ops.forceConv2dPath(path);
      try {
        expect(ops.conv2dBackwardRelu(x, w, y, dy, dx1, dw1, db1, g, false, plan)).toBe(true);
        ops.conv2dBackward(x, w, masked, dx2, dw2, db2, g, false, plan);
        expect(Array.from(dw1.dataSync())).toEqual(Array.from(dw2.dataSync()));
        expect(Array.from(db1.dataSync())).toEqual(Array.from(db2.dataSync()));
        expect(Array.from(dx1.dataSync())).toEqual(Array.from(dx2.dataSync()));
        ops.forceConv2dPath('kernel');
        expect(ops.conv2dBackwardRelu(x, w, y, dy, dx1, dw1, db1, g, false, plan)).toBe(false);
      } finally {
        ops.forceConv2dPath('auto');
        [y, masked, dx1, dw1, db1, dx2, dw2, db2].forEach((t) => t.dispose());
      }
    } finally {
      plan.dispose();
      x.dispose(); w.dispose(); dy.dispose();
    }
  });

  it.each([
    { N: 1, H: 5, W: 4, C: 3, F: 5, pad: 1 },
    { N: 2, H: 6, W: 5, C: 5, F: 2, pad: 0 },
  ])('matches central differences of sum(y * r): %o', async (c) => {
    await sn.ready(options);
    const g = { strideH: 1, strideW: 1, padTop: c.pad, padBottom: c.pad, padLeft: c.pad, padRight: c.pad, dilationH: 1, dilationW: 1 };
    const [OH, OW] = ops.conv2dOutputSize(c.H, c.W, 3, 3, g);
    const xv = Float64Array.from(randomValues(c.N * c.H * c.W * c.C, 71));
    const wv = Float64Array.from(randomValues(9 * c.C * c.F, 72));
    const bv = Float64Array.from(randomValues(c.F, 73));
    const r = randomValues(c.N * OH * OW * c.F, 74);
    const cc = conv2dCase([c.N, c.H, c.W, c.C], [3, 3], c.F, [1, 1], [c.pad, c.pad, c.pad, c.pad]);
    const x = sn.tensor(Float32Array.from(xv), [c.N, c.H, c.W, c.C]);
    const w = sn.tensor(Float32Array.from(wv), [3, 3, c.C, c.F]);
    const dy = sn.tensor(r, [c.N, OH, OW, c.F]);
    const dx = sn.Tensor.empty(x.shape), dw = sn.Tensor.empty(w.shape), db = sn.Tensor.empty([c.F]);
    ops.forceConv2dPath(path);
    try {
      ops.conv2dBackward(x, w, dy, dx, dw, db, g);
      const loss = () => referenceForward(cc, xv, wv, bv).reduce((s, v, i) => s + v * r[i], 0);
      expectClose(dw.dataSync(), numericalGradient(loss, wv, 1e-3), 'dw vs numerical');
      expectClose(dx.dataSync(), numericalGradient(loss, xv, 1e-3), 'dx vs numerical');
      expectClose(db.dataSync(), numericalGradient(loss, bv, 1e-3), 'db vs numerical');
    } finally {
      ops.forceConv2dPath('auto');
      [x, w, dy, dx, dw, db].forEach((t) => t.dispose());
    }
  });
});

describe.each(TILES)('training with %s', (_tile, path) => {
  it('gives the losses and weights of the kernel path', async () => {
    await sn.ready({ simd: 'plain', threads: 1 });
    const xs = randomValues(8 * 10 * 9 * 3, 51);
    const labels = Array.from({ length: 8 }, (_, i) => i % 4);
    const train = async (which: WinogradPath | 'kernel') => {
      sn.setSeed(7);
      const L = sn.layers;
      const m = sn.sequential([
        L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [10, 9, 3] }),
        L.conv2d({ filters: 20, kernelSize: 3, padding: 'same', activation: 'relu' }), // dx by Winograd (C16 F20)
        L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'tanh' }),
        L.flatten(),
        L.dense({ units: 4, activation: 'softmax' }),
      ]);
      m.compile({ optimizer: sn.optimizers.sgd(0.05), loss: 'sparseCategoricalCrossentropy' });
      const x = sn.tensor(xs, [8, 10, 9, 3]);
      const y = sn.tensor(labels, [8]);
      ops.forceConv2dPath(which);
      try {
        const h = await m.fit(x, y, { epochs: 4, batchSize: 4, shuffle: false });
        const w = m.getWeights();
        const values = w.map((t) => t.dataSync());
        w.forEach((t) => t.dispose());
        return { loss: h.history.loss as number[], values };
      } finally {
        ops.forceConv2dPath('auto');
        x.dispose(); y.dispose(); m.dispose();
      }
    };
    const k = await train('kernel');
    const wg = await train(path);
    k.loss.forEach((l, i) => expect(Math.abs(wg.loss[i] - l)).toBeLessThanOrEqual(1e-4 * Math.abs(l)));
    k.values.forEach((v, i) => expect(maxDiff(wg.values[i], v)).toBeLessThanOrEqual(1e-4 * maxAbs(v)));
  });
});

describe('the measured choice between F(2x2,3x3), F(4x4,3x3) and the kernel', () => {
  // F(4,3) where its 4x4 tiles need ≥ 1.5x fewer products than 2x2 ones (edge tiles counted): 11x11 outputs
  // (1.78x) take it, 14x14 (1.36x) stay on F(2,3); where it saves, it reaches fewer channels than F(2,3) (the
  // forward from C, F ≥ 16, the weight gradient from C ≥ 4, F ≥ 8). Each auto result equals the expected
  // forced path bit for bit, and differs from the other Winograd size.
  it.each([
    { label: '11x11 outputs C32 F64: F(4,3) both', N: 2, H: 13, W: 13, C: 32, F: 64, pad: 0, fwd: 'winograd4', bwd: 'winograd4' },
    { label: '14x14 outputs C32 F32: F(2,3) both', N: 2, H: 14, W: 14, C: 32, F: 32, pad: 1, fwd: 'winograd', bwd: 'winograd' },
    { label: '12x12 outputs C16 F16: F(4,3) both', N: 2, H: 12, W: 12, C: 16, F: 16, pad: 1, fwd: 'winograd4', bwd: 'winograd4' },
    { label: '8x8 outputs C4 F16: kernel, then F(4,3)', N: 2, H: 8, W: 8, C: 4, F: 16, pad: 1, fwd: 'kernel', bwd: 'winograd4' },
    { label: '14x14 outputs C4 F16: kernel both', N: 2, H: 14, W: 14, C: 4, F: 16, pad: 1, fwd: 'kernel', bwd: 'kernel' },
  ] as const)('$label', async (c) => {
    await sn.ready({ simd: 'plain', threads: 1 });
    const g = { strideH: 1, strideW: 1, padTop: c.pad, padBottom: c.pad, padLeft: c.pad, padRight: c.pad, dilationH: 1, dilationW: 1 };
    const [OH, OW] = ops.conv2dOutputSize(c.H, c.W, 3, 3, g);
    const x = sn.tensor(randomValues(c.N * c.H * c.W * c.C, 81), [c.N, c.H, c.W, c.C]);
    const w = sn.tensor(randomValues(9 * c.C * c.F, 82), [3, 3, c.C, c.F]);
    const dy = sn.tensor(randomValues(c.N * OH * OW * c.F, 83), [c.N, OH, OW, c.F]);
    const results = (path: WinogradPath | 'kernel' | 'auto') => {
      const y = sn.Tensor.empty([c.N, OH, OW, c.F]), dx = sn.Tensor.empty(x.shape), dw = sn.Tensor.empty(w.shape);
      ops.forceConv2dPath(path);
      try {
        ops.conv2dForward(x, w, null, y, g, 0, 0);
        ops.conv2dBackward(x, w, dy, dx, dw, null, g);
        return { y: Array.from(y.dataSync()), grads: [dx, dw].map((t) => Array.from(t.dataSync())) };
      } finally {
        ops.forceConv2dPath('auto');
        [y, dx, dw].forEach((t) => t.dispose());
      }
    };
    const other = (p: string) => (p === 'winograd' ? 'winograd4' : 'winograd');
    try {
      const auto = results('auto');
      expect(auto.y).toEqual(results(c.fwd).y);
      expect(auto.y).not.toEqual(results(other(c.fwd)).y);
      expect(auto.grads).toEqual(results(c.bwd).grads);
      expect(auto.grads).not.toEqual(results(other(c.bwd)).grads);
    } finally {
      [x, w, dy].forEach((t) => t.dispose());
    }
  });
});
