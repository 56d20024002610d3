// Batch norms folded forward into the conv or dense that reads them (src/model/bn-fold.ts): conv → relu →
// BN → conv as in the demo model. A folded predict equals the unfolded one (every batch norm its own step)
// within 1e-5·max|y| at batch 1 and 4, is folded again after setWeights and fit, and leaves alone what must
// not fold: a padded conv, a second reader, max pooling after a negative scale.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { setBatchNormFolding } from '../../src/model/bn-fold.js';
import { rng } from '../helpers/random.js';

const demoDir = join(dirname(fileURLToPath(import.meta.url)), '../../demo/model');

beforeAll(async () => {
  await sn.ready({ threads: 1 });
});
afterAll(() => setBatchNormFolding(true));

const L = sn.layers;
type Sym = sn.SymbolicTensor;

// Every way forward: into an unpadded conv, through max pooling into a conv, through flatten into a dense,
// through dropout into a dense; odd channel counts; the last layer linear, so outputs are not squashed.
function build(): sn.LayersModel {
  const x = sn.input({ shape: [13, 11, 3] });
  let h = L.conv2d({ filters: 5, kernelSize: 3, activation: 'relu' }).apply(x) as Sym;
  h = L.batchNormalization().apply(h) as Sym;
  h = L.conv2d({ filters: 7, kernelSize: [3, 2], activation: 'relu' }).apply(h) as Sym;
  h = L.batchNormalization({ epsilon: 0.01 }).apply(h) as Sym;
  h = L.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(h) as Sym;
  h = L.conv2d({ filters: 6, kernelSize: 2, useBias: false, activation: 'relu' }).apply(h) as Sym;
  h = L.batchNormalization({ center: false }).apply(h) as Sym;
  h = L.flatten().apply(h) as Sym;
  h = L.dense({ units: 9, activation: 'relu' }).apply(h) as Sym;
  h = L.batchNormalization().apply(h) as Sym;
  h = L.dropout({ rate: 0.3 }).apply(h) as Sym;
  const y = L.dense({ units: 4 }).apply(h) as Sym;
  return sn.model({ inputs: x, outputs: y });
}

/** Random weights; moving statistics far from 0/1, gamma in [0.5, 1.5) (or as `gamma` says). */
function randomize(m: sn.LayersModel, seed: number, gamma = (r: () => number) => 0.5 + r()): void {
  const r = rng(seed);
  const w = m.getWeights();
  const names = m.layers.flatMap((l) => (l as unknown as { params: { name: string }[] }).params.map((p) => p.name));
  const stat = (n: string) => n === 'moving_mean' || n === 'moving_variance';
  const order = [...names.filter((n) => !stat(n)), ...names.filter(stat)];
  m.setWeights(w.map((t, i) => {
    const name = order[i];
    const v = Float32Array.from({ length: t.size }, () =>
      name === 'moving_variance' ? 0.2 + 3 * r() : name === 'gamma' ? gamma(r) : name === 'moving_mean' ? 2 * r() - 1 : r() - 0.5);
    return sn.tensor(v, t.shape);
  }));
  w.forEach((t) => t.dispose());
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

function data(shape: number[], seed: number): sn.Tensor {
  const r = rng(seed);
  return sn.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r() * 2 - 1), shape);
}

/** predict's output and how many batch-norm calls the trace it recorded holds (-1: it replayed one). */
function predict(m: sn.LayersModel, x: sn.Tensor, fold: boolean): { y: Float32Array; bnCalls: number } {
  setBatchNormFolding(fold);
  const e = engine();
  const record = e.record;
  let bnCalls = -1;
  e.record = <T>(f: () => T) => {
    const r = record.call(e, f);
    const name = 'batchnorm_infer_forward_f32';
    bnCalls = r.trace.steps.filter((s) => s.fn === e.kernels[name] || s.calls?.some((c) => c[0] === name)).length;
    return r;
  };
  try {
    const out = m.predict(x) as sn.Tensor;
    const y = out.dataSync();
    out.dispose();
    return { y, bnCalls };
  } finally {
    e.record = record;
    setBatchNormFolding(true);
  }
}

/** Folded and unfolded predicts agree within 1e-5·max|y|; returns the folded run. */
function expectSame(m: sn.LayersModel, x: sn.Tensor, bnLeft: number): Float32Array {
  const plain = predict(m, x, false);
  const folded = predict(m, x, true);
  expect(plain.bnCalls).toBeGreaterThan(bnLeft);
  expect(folded.bnCalls).toBe(bnLeft);
  expect(maxAbs(plain.y)).toBeGreaterThan(0.1);
  expect(maxDiff(folded.y, plain.y)).toBeLessThanOrEqual(1e-5 * maxAbs(plain.y));
  return folded.y;
}

describe('batch norms folded forward into the next conv or dense', () => {
  it.each([1, 4])('batch %i: into an unpadded conv, through max pooling, flatten and dropout; no batch norm left', (n) => {
    const m = build();
    const x = data([n, 13, 11, 3], 3);
    try {
      randomize(m, 11);
      const y = expectSame(m, x, 0);
      const again = predict(m, x, true); // replayed
      expect(again.bnCalls).toBe(-1);
      expect(Array.from(again.y)).toEqual(Array.from(y));
    } finally {
      x.dispose();
      m.dispose();
    }
  });

  it('folds again after setWeights and fit; a negative scale before max pooling stops that one fold', async () => {
    const m = build();
    const x = data([6, 13, 11, 3], 5);
    const labels = sn.tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), [6, 4]);
    try {
      randomize(m, 21);
      const before = expectSame(m, x, 0);
      randomize(m, 22);
      const afterSet = expectSame(m, x, 0);
      expect(maxDiff(afterSet, before)).toBeGreaterThan(1e-3);
      m.compile({ optimizer: sn.optimizers.sgd(0.05), loss: 'meanSquaredError' });
      await m.fit(x, labels, { epochs: 2, batchSize: 3, shuffle: false });
      const afterFit = expectSame(m, x, 0);
      expect(maxDiff(afterFit, afterSet)).toBeGreaterThan(1e-4);
      // gamma of any sign: the batch norm before the max pooling (7 channels) has a negative scale somewhere
      // and runs as its own step; the others still fold (a negative scale is fine through flatten/dropout).
      randomize(m, 23, (r) => r() - 0.5);
      const bn2 = m.layers.filter((l) => l.className === 'BatchNormalization')[1];
      const gamma = (bn2 as unknown as { params: { name: string; value: sn.Tensor }[] }).params.find((p) => p.name === 'gamma')!.value;
      expect(Array.from(gamma.dataSync()).some((v) => v < 0)).toBe(true);
      expectSame(m, x, 1);
      randomize(m, 24);
      expectSame(m, x, 0);
    } finally {
      x.dispose();
      labels.dispose();
      m.dispose();
    }
  });

  it('does not fold into a padded conv or past a second reader; a 1x1 "same" conv has no padding and folds', () => {
    const input = sn.input({ shape: [7, 6, 3] });
    const stem = (): Sym => L.batchNormalization().apply(L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input)) as Sym;
    const padded = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(stem()) as Sym; // no fold
    const pointwise = L.conv2d({ filters: 3, kernelSize: 1, padding: 'same', strides: 2 }).apply(stem()) as Sym; // folds
    const shared = stem();
    const readTwice = L.conv2d({ filters: 3, kernelSize: 1 }).apply(shared) as Sym; // shared is also a model output
    const viaPool = L.maxPooling2d({ poolSize: 2 }).apply(stem()) as Sym;
    const poolOut = L.conv2d({ filters: 3, kernelSize: 1 }).apply(viaPool) as Sym; // viaPool is read twice
    const m = sn.model({ inputs: input, outputs: [padded, pointwise, readTwice, shared, poolOut, viaPool] });
    const x = data([2, 7, 6, 3], 7);
    try {
      randomize(m as sn.LayersModel, 31);
      const outs = (fold: boolean) => {
        setBatchNormFolding(fold);
        try {
          return (m.predict(x) as sn.Tensor[]).map((t) => {
            const v = t.dataSync();
            t.dispose();
            return v;
          });
        } finally {
          setBatchNormFolding(true);
        }
      };
      const plain = outs(false);
      const folded = outs(true);
      plain.forEach((p, i) => expect(maxDiff(folded[i], p)).toBeLessThanOrEqual(1e-5 * maxAbs(p)));
      // 3 of the 4 batch norms stay (padded, shared, viaPool): counted on a fresh recording.
      expect(predictCount(m, x)).toBe(3);
    } finally {
      x.dispose();
      m.dispose();
    }
  });

  it.skipIf(!existsSync(join(demoDir, 'model.json')))('demo/model (convnet-bn): every batch norm folds, batch 1 and 4 equal the unfolded predict', async () => {
    const m = (await sn.loadFromDir(demoDir)) as unknown as sn.LayersModel;
    try {
      for (const n of [1, 4]) {
        const r = rng(n);
        const x = sn.tensor(Float32Array.from({ length: n * 784 }, () => r()), [n, 28, 28, 1]);
        try {
          expectSame(m, x, 0);
        } finally {
          x.dispose();
        }
      }
    } finally {
      m.dispose();
    }
  });
});

/** Batch-norm calls in a fresh folded recording of a multi-output model. */
function predictCount(m: sn.LayersModel, x: sn.Tensor): number {
  const e = engine();
  const record = e.record;
  let n = -1;
  e.record = <T>(f: () => T) => {
    const r = record.call(e, f);
    n = r.trace.steps.filter((s) => s.fn === e.kernels.batchnorm_infer_forward_f32).length;
    return r;
  };
  setBatchNormFolding(false); // invalidates the recorded plan
  setBatchNormFolding(true);
  try {
    (m.predict(x) as sn.Tensor[]).forEach((t) => t.dispose());
    return n;
  } finally {
    e.record = record;
  }
}
