// Winograd F(2x2,3x3) forward (assembly/winograd.ts) against the direct/im2col kernel and a float64
// reference, on odd shapes: channels and filters not divisible by 4, 'same' and 'valid' padding, batch 1,
// non-square images, odd output sizes (tiles hanging over the edge), every activation. Also: the layer's
// filter plan follows weight writes, and a batch of one split across two threads equals one thread.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { rng } from '../helpers/random.js';
import { activate } from '../helpers/reference.js';
import { conv2dCase, referenceForward } from '../helpers/conv-reference.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;

afterAll(() => {
  ops.forceConv2dPath('auto');
  sn.dispose();
});

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
];

function run(c: Case, path: 'winograd' | 'kernel', x: sn.Tensor, w: sn.Tensor, b: sn.Tensor, plan: sn.ops.WinogradPlan | null): Float32Array {
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

describe.each(KERNEL_BUILDS)('winograd conv2d forward (%s)', (_name, options) => {
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
      const wino = run(c, 'winograd', x, w, b, null);
      const planned = run(c, 'winograd', x, w, b, plan);
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

describe('winograd filter plan', () => {
  it('is remade after set, setWeights and an optimizer step', async () => {
    await sn.ready({ simd: 'plain' });
    const model = sn.sequential({ layers: [sn.layers.conv2d({ inputShape: [6, 5, 16], filters: 16, kernelSize: 3, padding: 'same' })] });
    const x = sn.tensor(randomValues(2 * 6 * 5 * 16, 9), [2, 6, 5, 16]);
    // The layer's output must always equal the kernel path on the current weights.
    const check = () => {
      ops.forceConv2dPath('winograd');
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

describe('batch 1 on two threads', () => {
  // Winograd splits one image by tiles, the im2col kernel by filters: each must equal one thread exactly.
  it.each([
    ['winograd', { N: 1, H: 40, W: 37, C: 32, F: 40 }, 3],
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
