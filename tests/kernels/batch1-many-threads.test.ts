// One image on 4 and 8 threads (src/ops/winograd.ts winogradParts, src/ops/conv.ts forwardByRows): the MNIST
// convnet's batch-1 predict splits its first conv by output rows into up to 5 parts and its second (Winograd
// F(4,3), 9 tiles) into one part per thread: a block of 4 tiles by F/T filters each and the 9th tile by filters.
// The core count is stubbed at 8, so the pools are that wide on any machine (on fewer cores they take turns:
// slower, the same bits). Each split must really happen as described and give the single-thread bits.
import { describe, it, expect, afterAll, beforeAll, vi } from 'vitest';
import * as sn from '../../src/index.js';
import { engine, type KernelCall } from '../../src/backend/engine.js';
import { kernelArg } from '../helpers/kernel-args.js';
import { rng } from '../helpers/random.js';
import { mnistConvnet } from '../helpers/models.js';

beforeAll(() => {
  vi.stubGlobal('navigator', { hardwareConcurrency: 8 });
});

afterAll(() => {
  vi.unstubAllGlobals();
  sn.dispose();
});

/** The outputs of one batch-1 predict, and the parallel groups it ran (each group's calls). */
function predictOnce(image: Float32Array): { out: Float32Array; groups: KernelCall[][] } {
  sn.setSeed(13);
  const m = mnistConvnet();
  const x = sn.tensor(image, [1, 28, 28, 1]);
  const e = engine();
  const parallel = e.parallel.bind(e);
  const groups: KernelCall[][] = [];
  e.parallel = (calls) => {
    groups.push([...calls]);
    parallel(calls);
  };
  try {
    const y = m.predict(x) as sn.Tensor;
    const out = y.dataSync().slice();
    y.dispose();
    return { out, groups };
  } finally {
    e.parallel = parallel;
    x.dispose();
    m.dispose();
  }
}

const r = rng(5);
const image = Float32Array.from({ length: 784 }, () => r());

describe.each(['plain', 'relaxed'] as const)('a batch-1 predict on 4 and 8 threads (%s SIMD)', (simd) => {
  it('splits both convs across the pool and gives the single-thread bits', async () => {
    await sn.ready({ threads: 1, simd });
    const single = predictOnce(image);
    expect(single.groups.every((g) => g.length === 1)).toBe(true);
    for (const threads of [4, 8]) {
      await sn.ready({ threads, simd });
      expect(engine().threads).toBe(threads);
      const split = predictOnce(image);
      const widest = (kernel: string) => Math.max(0, ...split.groups.filter((g) => g[0][0] === kernel).map((g) => g.length));
      // The first conv (389 kFLOP): parts of at least MIN_FLOP_PER_SPLIT_IMAGE (2^16), its 13 pooled rows.
      expect(widest('conv2d_forward_maxpool2_f32'), `${threads} threads: first conv`).toBe(Math.min(threads, 5));
      const wino = split.groups.find((g) => g[0][0] === 'winograd_forward_f32')!;
      expect(wino.length, `${threads} threads: second conv`).toBe(threads);
      const part = (c: KernelCall) => ['t0', 'tn', 'f0', 'fn', 't1', 'tn1', 'f1', 'fn1'].map((n) => kernelArg(c, n));
      // Each part: a whole block of 4 tiles by 64/T filters, and the 9th tile by 64/T filters.
      const covered = new Set<string>();
      for (const c of wino) {
        const [t0, tn, f0, fn, t1, tn1, f1, fn1] = part(c);
        expect([tn, fn, tn1, fn1], `${threads} threads: part`).toEqual([4, 128 / threads, 1, 64 / threads]);
        for (const [ts, tc, fs, fc] of [[t0, tn, f0, fn], [t1, tn1, f1, fn1]]) {
          for (let t = ts; t < ts + tc; t++) for (let f = fs; f < fs + fc; f++) covered.add(`${t},${f}`);
        }
      }
      expect(covered.size, 'every (tile, filter) once').toBe(9 * 64);
      expect(Array.from(split.out), `${threads} threads`).toEqual(Array.from(single.out));
    }
  });
});
