// Batch normalization kernels against a float64 reference written here, in both kernel builds.
// Backward is checked against central differences of the reference: loss = sum(y * r), so dL/dy = r.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';

const { ops } = sn;

function randomValues(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-3, abs = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = abs + rel * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

// Per-channel batch statistics of x (rows, C) in float64: mean and biased variance.
function batchStats(x: Float64Array, c: number) {
  const rows = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / rows;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / rows;
  return { mean, variance, rows };
}

function normalize(x: Float64Array, c: number, mean: Float64Array, variance: Float64Array, gamma: Float64Array, beta: Float64Array, eps: number) {
  return x.map((v, i) => (gamma[i % c] * (v - mean[i % c])) / Math.sqrt(variance[i % c] + eps) + beta[i % c]);
}

function referenceTrain(x: Float64Array, c: number, gamma: Float64Array, beta: Float64Array, eps: number) {
  const { mean, variance } = batchStats(x, c);
  return normalize(x, c, mean, variance, gamma, beta, eps);
}

const f32 = (a: ArrayLike<number>): Float32Array => Float32Array.from(a);
const toF64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

const shapes: number[][] = [[1, 1, 1, 1], [2, 3, 5, 7], [4, 3], [3, 2, 2, 5], [2, 1, 9, 17], [1, 4, 4, 1], [5, 1]];
const EPS = 1e-3;

describe.each(['plain', 'relaxed'] as const)('batch normalization, %s build', (simd) => {
  beforeAll(async () => {
    await sn.ready({ simd });
  });

  describe.each(shapes)('x [%s]', (...shape) => {
    const c = shape[shape.length - 1];
    const size = shape.reduce((a, b) => a * b);
    const xs = randomValues(size, 1, -2, 3);
    const gs = randomValues(c, 2, 0.5, 1.5);
    const bs = randomValues(c, 3);
    const mm0 = randomValues(c, 4);
    const mv0 = randomValues(c, 5, 0.5, 2);

    function trainForward(momentum: number, unbiased = false) {
      const t = {
        x: sn.tensor(f32(xs), shape), gamma: sn.tensor(f32(gs), [c]), beta: sn.tensor(f32(bs), [c]),
        y: sn.tensor(new Float32Array(size).fill(99), shape), mean: sn.Tensor.zeros([c]), invStd: sn.Tensor.zeros([c]),
        movingMean: sn.tensor(f32(mm0), [c]), movingVariance: sn.tensor(f32(mv0), [c]),
      };
      ops.batchNormTrainForward(t.x, t.gamma, t.beta, t.y, t.mean, t.invStd, t.movingMean, t.movingVariance, momentum, EPS, unbiased);
      return t;
    }
    const disposeAll = (t: Record<string, sn.Tensor>) => Object.values(t).forEach((v) => v.dispose());

    it('training forward normalizes with the batch statistics and saves them', () => {
      const t = trainForward(0.99);
      const { mean, variance } = batchStats(xs, c);
      expectClose(t.y.dataSync(), referenceTrain(xs, c, gs, bs, EPS), 1e-4, 1e-5);
      expectClose(t.mean.dataSync(), mean, 1e-5, 1e-6);
      expectClose(t.invStd.dataSync(), variance.map((v) => 1 / Math.sqrt(v + EPS)), 1e-5, 1e-6);
      disposeAll(t);
    });

    it('updates the moving statistics with the biased variance (TF.js), or the unbiased one on request', () => {
      const momentum = 0.9;
      const { mean, variance, rows } = batchStats(xs, c);
      let t = trainForward(momentum);
      expectClose(t.movingMean.dataSync(), mm0.map((m, i) => m * momentum + mean[i] * (1 - momentum)), 1e-5, 1e-6);
      expectClose(t.movingVariance.dataSync(), mv0.map((v, i) => v * momentum + variance[i] * (1 - momentum)), 1e-5, 1e-6);
      disposeAll(t);
      t = trainForward(momentum, true);
      const factor = rows > 1 ? rows / (rows - 1) : 1;
      expectClose(t.movingVariance.dataSync(), mv0.map((v, i) => v * momentum + variance[i] * factor * (1 - momentum)), 1e-5, 1e-6);
      disposeAll(t);
    });

    it('inference forward uses the moving statistics (and may run in place)', () => {
      const x = sn.tensor(f32(xs), shape);
      const gamma = sn.tensor(f32(gs), [c]);
      const beta = sn.tensor(f32(bs), [c]);
      const mm = sn.tensor(f32(mm0), [c]);
      const mv = sn.tensor(f32(mv0), [c]);
      const y = sn.Tensor.empty(shape);
      const expected = normalize(xs, c, mm0, mv0, gs, bs, EPS);
      ops.batchNormInferForward(x, gamma, beta, mm, mv, y, EPS);
      expectClose(y.dataSync(), expected, 1e-4, 1e-5);
      ops.batchNormInferForward(x, gamma, beta, mm, mv, x, EPS);
      expectClose(x.dataSync(), expected, 1e-4, 1e-5);
      [x, gamma, beta, mm, mv, y].forEach((v) => v.dispose());
    });

    it('backward gives dx, dgamma, dbeta matching numerical gradients', () => {
      const r = randomValues(size, 6);
      const loss = (xv: Float64Array, gv: Float64Array, bv: Float64Array) => dot(referenceTrain(xv, c, gv, bv, EPS), r);
      const gxs = numericalGradient((v) => loss(v, gs, bs), toF64(xs), 1e-3);
      const ggs = numericalGradient((v) => loss(xs, v, bs), toF64(gs), 1e-3);
      const gbs = numericalGradient((v) => loss(xs, gs, v), toF64(bs), 1e-3);
      const t = trainForward(0.99);
      const dy = sn.tensor(f32(r), shape);
      const dx = sn.tensor(new Float32Array(size).fill(5), shape);
      const dgamma = sn.tensor(new Float32Array(c).fill(5), [c]);
      const dbeta = sn.tensor(new Float32Array(c).fill(5), [c]);
      ops.batchNormBackward(t.x, dy, t.gamma, t.mean, t.invStd, dx, dgamma, dbeta);
      expectClose(dx.dataSync(), gxs);
      expectClose(dgamma.dataSync(), ggs);
      expectClose(dbeta.dataSync(), gbs);
      // Outputs may be skipped, and dx may overwrite dy.
      ops.batchNormBackward(t.x, dy, t.gamma, t.mean, t.invStd, dy, null, null);
      expectClose(dy.dataSync(), gxs);
      disposeAll(t);
      [dy, dx, dgamma, dbeta].forEach((v) => v.dispose());
    });
  });

  it('stays accurate when the mean is far larger than the spread', () => {
    const c = 5;
    const xs = randomValues(64 * c, 7, -1, 1).map((v) => 1000 + v);
    const gs = new Float64Array(c).fill(1);
    const bs = new Float64Array(c);
    const x = sn.tensor(f32(xs), [64, c]);
    const xs32 = toF64(x.dataSync()); // the reference sees the same float32 inputs
    const gamma = sn.tensor(f32(gs), [c]);
    const beta = sn.tensor(f32(bs), [c]);
    const y = sn.Tensor.empty([64, c]);
    const mean = sn.Tensor.empty([c]);
    const invStd = sn.Tensor.empty([c]);
    const mm = sn.Tensor.zeros([c]);
    const mv = sn.Tensor.zeros([c]);
    ops.batchNormTrainForward(x, gamma, beta, y, mean, invStd, mm, mv, 0.99, EPS);
    expectClose(y.dataSync(), referenceTrain(xs32, c, gs, bs, EPS), 1e-3, 1e-3);
    [x, gamma, beta, y, mean, invStd, mm, mv].forEach((v) => v.dispose());
  });

  it('names the op and the shapes when shapes are wrong', () => {
    const x = sn.Tensor.zeros([2, 3, 4]);
    const c4 = sn.Tensor.zeros([4]);
    const c3 = sn.Tensor.zeros([3]);
    const y = sn.Tensor.zeros([2, 3, 4]);
    const yBad = sn.Tensor.zeros([2, 4, 3]);
    expect(() => ops.batchNormTrainForward(x, c3, c4, y, c4, c4, c4, c4, 0.99, EPS)).toThrow(/batchNormTrainForward: gamma must be \[4\] for x \[2,3,4\], got \[3\]/);
    expect(() => ops.batchNormTrainForward(x, c4, c4, yBad, c4, c4, c4, c4, 0.99, EPS)).toThrow(/y must be shaped like x \[2,3,4\], got \[2,4,3\]/);
    expect(() => ops.batchNormInferForward(x, c4, c4, c4, c3, y, EPS)).toThrow(/batchNormInferForward: movingVariance must be \[4\].*\[3\]/);
    expect(() => ops.batchNormBackward(x, yBad, c4, c4, c4, null, null, null)).toThrow(/batchNormBackward: dy.*\[2,4,3\]/);
    expect(() => ops.batchNormBackward(x, y, c4, c4, c4, null, c3, null)).toThrow(/dgamma must be \[4\].*\[3\]/);
    [x, c4, c3, y, yBad].forEach((v) => v.dispose());
  });
});
