// Inference plans (src/model/inference-plan.ts): predict replays a recorded run. These tests change what a
// stale replay would get wrong — Winograd-transformed filters after fit/setWeights/Tensor.set, a forced
// conv path, replaced layers — and compare with a model built fresh from the same weights.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { rng } from '../helpers/random.js';
import { mnistConvnet } from '../helpers/models.js';

beforeAll(async () => {
  await sn.ready({ threads: 1 });
});
afterAll(() => sn.ops.forceConv2dPath('auto'));

// Conv 3x3 with 16 channels in and 32 filters out: the Winograd path, whose filter transform the plan keeps.
function build(): sn.Sequential {
  const L = sn.layers;
  return sn.sequential([
    L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 7, 3] }),
    L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dropout({ rate: 0.3 }),
    L.dense({ units: 5, activation: 'softmax' }),
  ]);
}

function data(n: number, seed: number): sn.Tensor {
  const r = rng(seed);
  return sn.tensor(Float32Array.from({ length: n * 9 * 7 * 3 }, () => r() * 2 - 1), [n, 9, 7, 3]);
}

/** What a model never run before computes with `m`'s weights. */
function fresh(m: sn.Sequential, x: sn.Tensor): Float32Array {
  const other = build();
  const one = sn.tensor(x.dataSync().slice(0, x.size / x.shape[0]), [1, ...x.shape.slice(1)]);
  (other.predict(one) as sn.Tensor).dispose(); // builds it
  one.dispose();
  const w = m.getWeights();
  other.setWeights(w);
  w.forEach((t) => t.dispose());
  const y = other.predict(x);
  const v = y.dataSync();
  y.dispose();
  other.dispose();
  return v;
}

function predictValues(m: sn.Sequential, x: sn.Tensor, batchSize?: number): Float32Array {
  const y = m.predict(x, batchSize ? { batchSize } : {}) as sn.Tensor;
  const v = y.dataSync();
  y.dispose();
  return v;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('inference plans', () => {
  it('replays the same outputs, batch by batch and for a tail batch', () => {
    const m = build();
    const x = data(7, 1);
    const first = predictValues(m, x, 3); // batches of 3, 3 and 1: two plans
    const again = predictValues(m, x, 3);
    expect(maxDiff(first, again)).toBe(0);
    const whole = predictValues(m, x, 7);
    expect(maxDiff(first, whole)).toBeLessThan(1e-6);
    expect(maxDiff(first, fresh(m, x))).toBeLessThan(1e-6);
    x.dispose();
    m.dispose();
  });

  it('uses the new weights after setWeights, fit and Tensor.set (not the stale transformed filters)', async () => {
    const m = build();
    const x = data(1, 2);
    const before = predictValues(m, x);
    predictValues(m, x); // replayed at least once

    // setWeights: every weight scaled, so the conv's Winograd filters change.
    const w = m.getWeights();
    const scaled = w.map((t) => sn.tensor(t.dataSync().map((v) => v * 1.5), t.shape));
    m.setWeights(scaled);
    const afterSet = predictValues(m, x);
    expect(maxDiff(afterSet, before)).toBeGreaterThan(1e-3);
    expect(maxDiff(afterSet, fresh(m, x))).toBeLessThan(1e-6);

    // fit: one optimizer step.
    m.compile({ optimizer: sn.optimizers.sgd(0.5), loss: 'sparseCategoricalCrossentropy' });
    const xs = data(8, 3);
    const ys = sn.tensor([0, 1, 2, 3, 4, 0, 1, 2], [8]);
    await m.fit(xs, ys, { epochs: 1, batchSize: 8, verbose: 0 } as never);
    const afterFit = predictValues(m, x);
    expect(maxDiff(afterFit, afterSet)).toBeGreaterThan(1e-4);
    expect(maxDiff(afterFit, fresh(m, x))).toBeLessThan(1e-6);

    // A write through Tensor.set on the conv kernel itself.
    const kernel = m.layers[1].params[0].value;
    kernel.set(kernel.dataSync().map((v) => -v));
    const afterWrite = predictValues(m, x);
    expect(maxDiff(afterWrite, afterFit)).toBeGreaterThan(1e-4);
    expect(maxDiff(afterWrite, fresh(m, x))).toBeLessThan(1e-6);

    [...w, ...scaled, x, xs, ys].forEach((t) => t.dispose());
    m.dispose();
  });

  it('follows a forced conv path', () => {
    const m = build();
    const x = data(2, 4);
    const auto = predictValues(m, x);
    predictValues(m, x);
    sn.ops.forceConv2dPath('kernel');
    try {
      const direct = predictValues(m, x);
      // Winograd and the direct kernel round differently: a stale replay would give `auto` bit for bit.
      expect(maxDiff(auto, direct)).toBeGreaterThan(0);
      expect(maxDiff(auto, direct)).toBeLessThan(1e-5);
      expect(maxDiff(direct, fresh(m, x))).toBe(0);
      expect(maxDiff(direct, predictValues(m, x))).toBe(0);
    } finally {
      sn.ops.forceConv2dPath('auto');
    }
    expect(maxDiff(auto, predictValues(m, x))).toBe(0);
    x.dispose();
    m.dispose();
  });

  it('keeps memory flat over repeated predicts and gives it back on dispose', () => {
    const x = data(5, 5);
    const base = engine().heap.bytesInUse;
    const m = build();
    predictValues(m, x, 2);
    const after = engine().heap.bytesInUse;
    for (let i = 0; i < 20; i++) predictValues(m, x, 2);
    for (let i = 0; i < 5; i++) predictValues(m, x, 1 + (i % 3));
    for (let i = 0; i < 5; i++) predictValues(m, x, 2);
    expect(engine().heap.bytesInUse).toBeLessThanOrEqual(after);
    m.dispose();
    expect(engine().heap.bytesInUse).toBe(base);
    x.dispose();
  });

  it('refuses a disposed model', async () => {
    const m = build();
    const x = data(1, 6);
    predictValues(m, x);
    m.dispose();
    expect(() => m.predict(x)).toThrow(/disposed/);
    x.dispose();
  });
});

describe('inference plans on two threads', () => {
  it('give the outputs of one thread, at batch 1 (split layers) and batch 4', async () => {
    // The MNIST convnet's shape: its 32→64 conv runs on Winograd, split by tiles at batch 1 on 2 threads.
    const make = mnistConvnet;
    const r = rng(8);
    const xs = Float32Array.from({ length: 4 * 784 }, () => r());
    const results: Float32Array[][] = [];
    let weights: { v: Float32Array; shape: number[] }[] = [];
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
      const m = make();
      const x1 = sn.tensor(xs.slice(0, 784), [1, 28, 28, 1]);
      const x4 = sn.tensor(xs, [4, 28, 28, 1]);
      if (threads === 1) {
        (m.predict(x1) as sn.Tensor).dispose();
        weights = m.getWeights().map((t) => ({ v: t.dataSync(), shape: t.shape }));
      } else {
        const ts = weights.map((w) => sn.tensor(w.v, w.shape));
        (m.predict(x1) as sn.Tensor).dispose();
        m.setWeights(ts);
        ts.forEach((t) => t.dispose());
      }
      results.push([predictValues(m, x1), predictValues(m, x1), predictValues(m, x4), predictValues(m, x4)]);
      m.dispose();
      x1.dispose();
      x4.dispose();
      e.parallel = parallel;
    }
    sn.dispose();
    await sn.ready({ threads: 1 });
    expect(widest).toBe(2);
    for (let i = 0; i < 4; i++) expect(Array.from(results[1][i])).toEqual(Array.from(results[0][i]));
  });
});
