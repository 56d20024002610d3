// Batch norms folded into the conv/dense before them in predict's inference plans (src/model/bn-fold.ts):
// a folded predict equals the unfolded one (every batch norm its own step) within 1e-5·max|y|, is folded
// again after fit and setWeights, leaves alone what must not fold (an activation or a second reader between
// them), and runs no batch-norm kernel where everything folds.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { setBatchNormFolding } from '../../src/model/bn-fold.js';
import { rng } from '../helpers/random.js';

beforeAll(async () => {
  await sn.ready({ threads: 1 });
});
afterAll(() => setBatchNormFolding(true));

const L = sn.layers;

// Every kind that folds, with odd channel counts: a Winograd conv (16 -> 33 channels), a conv without
// bias, a depthwise conv (multiplier 2), a grouped conv, a dense; batch norms with moving statistics
// far from 0/1 (set below), so a wrong fold shows; one without gamma (scale off), one without beta (center off).
function build(): sn.LayersModel {
  const x = sn.input({ shape: [9, 7, 16] });
  let h = L.conv2d({ filters: 33, kernelSize: 3, padding: 'same' }).apply(x) as sn.SymbolicTensor;
  h = L.batchNormalization().apply(h) as sn.SymbolicTensor;
  h = L.reLU({ maxValue: 6 }).apply(h) as sn.SymbolicTensor;
  h = L.conv2d({ filters: 6, kernelSize: 1, useBias: false }).apply(h) as sn.SymbolicTensor;
  h = L.batchNormalization({ epsilon: 0.01, scale: false }).apply(h) as sn.SymbolicTensor;
  h = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2 }).apply(h) as sn.SymbolicTensor;
  h = L.batchNormalization({ center: false }).apply(h) as sn.SymbolicTensor;
  h = L.conv2d({ filters: 8, kernelSize: 2, groups: 4 }).apply(h) as sn.SymbolicTensor;
  h = L.batchNormalization().apply(h) as sn.SymbolicTensor;
  h = L.flatten().apply(h) as sn.SymbolicTensor;
  h = L.dense({ units: 7 }).apply(h) as sn.SymbolicTensor;
  h = L.batchNormalization().apply(h) as sn.SymbolicTensor;
  const y = L.dense({ units: 3, activation: 'softmax' }).apply(h) as sn.SymbolicTensor;
  return sn.model({ inputs: x, outputs: y });
}

function randomize(m: sn.LayersModel, seed: number): void {
  const r = rng(seed);
  const w = m.getWeights();
  // Keras order: trainable weights then the moving statistics; a variance must stay positive.
  const names = m.layers.flatMap((l) => (l as unknown as { params: { name: string }[] }).params.map((p) => p.name));
  const trainableFirst = [...names.filter((n) => n !== 'moving_mean' && n !== 'moving_variance'), ...names.filter((n) => n === 'moving_mean' || n === 'moving_variance')];
  m.setWeights(w.map((t, i) => {
    const name = trainableFirst[i];
    const v = Float32Array.from({ length: t.size }, () =>
      name === 'moving_variance' ? 0.2 + 3 * r() : name === 'gamma' ? 0.5 + r() : name === 'moving_mean' ? 2 * r() - 1 : r() - 0.5);
    return sn.tensor(v, t.shape);
  }));
  w.forEach((t) => t.dispose());
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

function data(n: number, seed: number): sn.Tensor {
  const r = rng(seed);
  return sn.tensor(Float32Array.from({ length: n * 9 * 7 * 16 }, () => r() * 2 - 1), [n, 9, 7, 16]);
}

/** predict's output, and how many batch-norm and relu-clamp calls the trace it recorded holds (-1: it replayed one). */
function predict(m: sn.LayersModel, x: sn.Tensor, fold: boolean): { y: Float32Array; bnCalls: number; reluCalls: number } {
  setBatchNormFolding(fold);
  const e = engine();
  const record = e.record;
  let bnCalls = -1; // -1: nothing recorded (a replay)
  let reluCalls = -1;
  e.record = <T>(f: () => T) => {
    const r = record.call(e, f);
    const names = ['batchnorm_infer_forward_f32', 'relu_clamp_forward_f32'] as const;
    const count = (name: (typeof names)[number]) =>
      r.trace.steps.filter((s) => s.fn === e.kernels[name] || s.calls?.some((c) => c[0] === name)).length;
    [bnCalls, reluCalls] = names.map(count);
    return r;
  };
  try {
    const out = m.predict(x) as sn.Tensor;
    const y = out.dataSync();
    out.dispose();
    return { y, bnCalls, reluCalls };
  } finally {
    e.record = record;
    setBatchNormFolding(true);
  }
}

describe('batch norm folding in inference plans', () => {
  it.each([1, 4])('batch %i: folded predict equals every batch norm run alone, and runs none of them', (n) => {
    const m = build();
    const x = data(n, 3);
    try {
      randomize(m, 11);
      const plain = predict(m, x, false);
      const folded = predict(m, x, true);
      expect(plain.bnCalls).toBe(5);
      expect(folded.bnCalls).toBe(0);
      expect(plain.reluCalls).toBe(1);
      expect(folded.reluCalls).toBe(0); // the relu6 after the first batch norm runs in the conv
      expect(maxAbs(plain.y)).toBeGreaterThan(0);
      expect(maxDiff(folded.y, plain.y)).toBeLessThanOrEqual(1e-5 * maxAbs(plain.y));
      // Replayed (no recording) it is still the same.
      const again = predict(m, x, true);
      expect(again.bnCalls).toBe(-1);
      expect(Array.from(again.y)).toEqual(Array.from(folded.y));
    } finally {
      x.dispose();
      m.dispose();
    }
  });

  it('folds again after setWeights and after fit, and evaluate in between changes nothing', async () => {
    const m = build();
    const x = data(6, 5);
    const labels = sn.tensor([0, 1, 2, 0, 1, 2], [6]);
    try {
      randomize(m, 21);
      const before = predict(m, x, true).y;
      randomize(m, 22);
      const afterSet = predict(m, x, true).y;
      expect(maxDiff(afterSet, before)).toBeGreaterThan(1e-3);
      expect(maxDiff(afterSet, predict(m, x, false).y)).toBeLessThanOrEqual(1e-5 * maxAbs(afterSet));
      m.compile({ optimizer: sn.optimizers.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
      await m.fit(x, labels, { epochs: 2, batchSize: 3, shuffle: false });
      const afterFit = predict(m, x, true).y;
      expect(maxDiff(afterFit, afterSet)).toBeGreaterThan(1e-4);
      m.evaluate(x, labels); // runs the real weights (and their Winograd plan) in between
      const replayed = predict(m, x, true).y;
      expect(Array.from(replayed)).toEqual(Array.from(afterFit));
      const plain = predict(m, x, false).y;
      expect(maxDiff(afterFit, plain)).toBeLessThanOrEqual(1e-5 * maxAbs(plain));
    } finally {
      x.dispose();
      labels.dispose();
      m.dispose();
    }
  });

  it('does not fold through an activation or a second reader', () => {
    const input = sn.input({ shape: [5, 5, 3] });
    const a = L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input) as sn.SymbolicTensor;
    const bnA = L.batchNormalization().apply(a) as sn.SymbolicTensor; // after a relu: not affine in x
    const b = L.conv2d({ filters: 4, kernelSize: 3 }).apply(input) as sn.SymbolicTensor;
    const bnB = L.batchNormalization().apply(b) as sn.SymbolicTensor;
    const sum = L.add().apply([bnA, bnB, b]) as sn.SymbolicTensor; // b is read twice
    const m = sn.model({ inputs: input, outputs: sum });
    const r = rng(7);
    const x = sn.tensor(Float32Array.from({ length: 2 * 75 }, () => r() * 2 - 1), [2, 5, 5, 3]);
    try {
      randomize(m as sn.LayersModel, 31);
      const plain = predict(m, x, false);
      const folded = predict(m, x, true);
      expect(folded.bnCalls).toBe(2);
      expect(Array.from(folded.y)).toEqual(Array.from(plain.y));
    } finally {
      x.dispose();
      m.dispose();
    }
  });

  it('fuses only a plain relu or relu6 after a folded batch norm', () => {
    const input = sn.input({ shape: [6, 5, 3] });
    const branch = (act: sn.Layer) => act.apply(L.batchNormalization().apply(L.conv2d({ filters: 5, kernelSize: 3 }).apply(input))) as sn.SymbolicTensor;
    const outs = [
      branch(L.reLU({ maxValue: 4 })), branch(L.reLU({ negativeSlope: 0.1 })), branch(L.activation({ activation: 'relu' })),
      branch(L.activation({ activation: 'tanh' })), branch(L.reLU()),
    ];
    const m = sn.model({ inputs: input, outputs: L.concatenate().apply(outs) as sn.SymbolicTensor });
    const r = rng(8);
    const x = sn.tensor(Float32Array.from({ length: 3 * 90 }, () => r() * 2 - 1), [3, 6, 5, 3]);
    try {
      randomize(m as sn.LayersModel, 41);
      const plain = predict(m, x, false);
      const folded = predict(m, x, true);
      expect(folded.bnCalls).toBe(0);
      expect(plain.reluCalls).toBe(3);
      expect(folded.reluCalls).toBe(2); // maxValue 4 and the leaky one stay
      expect(maxDiff(folded.y, plain.y)).toBeLessThanOrEqual(1e-5 * maxAbs(plain.y));
    } finally {
      x.dispose();
      m.dispose();
    }
  });
});
