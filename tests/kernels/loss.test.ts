// Loss kernels vs float64 references (values, analytic gradients and central differences), label checks and
// the accuracy count, in both builds.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import {
  softmaxCrossEntropySparse, softmaxCrossEntropy, categoricalCrossentropy, sparseCategoricalCrossentropy,
  meanSquaredError, binaryCrossentropy, countCorrect,
} from '../../src/ops/loss.js';

const EPS = 1e-7;
const ONE_MINUS_EPS = Math.fround(1 - 1e-7);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randoms(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function labelsFor(rows: number, classes: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: rows }, () => Math.floor(r() * classes));
}

// Probability rows that do not quite sum to 1 (the TF.js losses normalise them).
function probRows(rows: number, classes: number, seed: number): Float32Array {
  const p = randoms(rows * classes, 0.05, 1, seed);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += p[r * classes + c];
    for (let c = 0; c < classes; c++) p[r * classes + c] *= 1.1 / s;
  }
  return p;
}

function oneHotRows(labels: Float32Array, classes: number): Float32Array {
  const t = new Float32Array(labels.length * classes);
  labels.forEach((l, r) => (t[r * classes + l] = 1));
  return t;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= abs + rel * Math.abs(expected[i]))) {
      expect.fail(`${what}: index ${i} got ${actual[i]}, expected ${expected[i]} (rel ${rel}, abs ${abs})`);
    }
  }
}

function numericGrad(f: (x: Float64Array) => number, x: ArrayLike<number>, h: number): number[] {
  return Array.from(x, (_, i) => {
    const v = Float64Array.from(x);
    v[i] += h;
    const up = f(v);
    v[i] -= 2 * h;
    return (up - f(v)) / (2 * h);
  });
}

// ---- float64 reference losses (means over rows), written from the TF.js definitions ----
function logSumExp(row: ArrayLike<number>): number {
  const m = Math.max(...Array.from(row));
  return m + Math.log(Array.from(row).reduce((s, v) => s + Math.exp(v - m), 0));
}
function refSoftmaxXent(x: ArrayLike<number>, t: ArrayLike<number>, rows: number, classes: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.prototype.slice.call(x, r * classes, (r + 1) * classes) as number[];
    const lse = logSumExp(row);
    for (let c = 0; c < classes; c++) total += t[r * classes + c] * (lse - row[c]);
  }
  return total / rows;
}
function refProbXent(p: ArrayLike<number>, t: ArrayLike<number>, rows: number, classes: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += p[r * classes + c];
    for (let c = 0; c < classes; c++) {
      const q = Math.min(Math.max(p[r * classes + c] / s, EPS), ONE_MINUS_EPS);
      total -= t[r * classes + c] * Math.log(q);
    }
  }
  return total / rows;
}
function refMse(p: ArrayLike<number>, t: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) total += (p[i] - t[i]) ** 2;
  return total / p.length;
}
function refBce(p: ArrayLike<number>, t: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const y = Math.min(Math.max(p[i], EPS), ONE_MINUS_EPS);
    total -= t[i] * Math.log(y) + (1 - t[i]) * Math.log(1 - y);
  }
  return total / p.length;
}

const SHAPES: [number, number][] = [[1, 1], [3, 3], [5, 5], [2, 7], [3, 17], [4, 33], [2, 1003], [7, 10]];

describe.each(['plain', 'relaxed'] as const)('loss kernels (%s build)', (build) => {
  beforeAll(async () => {
    await sn.ready({ simd: build });
  });

  it('softmaxCrossEntropySparse: value, gradient, central differences; labels (N) and (N,1)', () => {
    for (const [rows, classes] of SHAPES) {
      const xs = randoms(rows * classes, -5, 5, rows * 97 + classes);
      const ls = labelsFor(rows, classes, classes);
      const t = oneHotRows(ls, classes);
      const logits = sn.tensor(xs, [rows, classes]);
      const labels = sn.tensor(ls, classes % 2 ? [rows] : [rows, 1]);
      const d = sn.tensor(new Float32Array(rows * classes), [rows, classes]);
      const loss = softmaxCrossEntropySparse(logits, labels, d);
      const f = (v: ArrayLike<number>) => refSoftmaxXent(v, t, rows, classes);
      expect(loss).toBeCloseTo(f(xs), 5);
      expect(softmaxCrossEntropySparse(logits, labels, null)).toBe(loss);
      const analytic: number[] = [];
      for (let r = 0; r < rows; r++) {
        const row = Array.from(xs.subarray(r * classes, (r + 1) * classes));
        const lse = logSumExp(row);
        for (let c = 0; c < classes; c++) analytic.push((Math.exp(row[c] - lse) - t[r * classes + c]) / rows);
      }
      expectClose(d.dataSync(), analytic, 1e-5, 1e-8, `sparse xent grad ${rows}x${classes}`);
      if (classes <= 33) expectClose(d.dataSync(), numericGrad(f, xs, 1e-4), 1e-3, 1e-5, `sparse xent numeric ${rows}x${classes}`);
      // In place: dlogits may be the logits.
      softmaxCrossEntropySparse(logits, labels, logits);
      expectClose(logits.dataSync(), analytic, 1e-5, 1e-8, `sparse xent in place ${rows}x${classes}`);
      for (const x of [logits, labels, d]) x.dispose();
    }
  });

  it('softmaxCrossEntropy (dense): probability targets and unnormalised targets', () => {
    for (const [rows, classes] of SHAPES) {
      const xs = randoms(rows * classes, -5, 5, rows * 31 + classes);
      for (const scale of [1, 2.5]) {
        const t = probRows(rows, classes, classes + 1).map((v) => (v / 1.1) * scale);
        const logits = sn.tensor(xs, [rows, classes]);
        const targets = sn.tensor(t, [rows, classes]);
        const d = sn.tensor(new Float32Array(rows * classes), [rows, classes]);
        const loss = softmaxCrossEntropy(logits, targets, d);
        const f = (v: ArrayLike<number>) => refSoftmaxXent(v, t, rows, classes);
        expect(loss).toBeCloseTo(f(xs), 5);
        if (classes <= 33) expectClose(d.dataSync(), numericGrad(f, xs, 1e-4), 1e-3, 1e-5, `dense xent numeric ${rows}x${classes} scale ${scale}`);
        if (scale === 1) {
          const analytic: number[] = [];
          for (let r = 0; r < rows; r++) {
            const row = Array.from(xs.subarray(r * classes, (r + 1) * classes));
            const lse = logSumExp(row);
            let ts = 0;
            for (let c = 0; c < classes; c++) ts += t[r * classes + c];
            for (let c = 0; c < classes; c++) analytic.push((Math.exp(row[c] - lse) * ts - t[r * classes + c]) / rows);
          }
          expectClose(d.dataSync(), analytic, 1e-5, 1e-8, `dense xent grad ${rows}x${classes}`);
        }
        for (const x of [logits, targets, d]) x.dispose();
      }
    }
  });

  it('fused softmax cross-entropy stays finite for logits of ±100 and beyond', () => {
    const xs = new Float32Array([100, -100, 0, 1e30, -1e30, 100, 100, -100, 50, 0, -100, 100]);
    const logits = sn.tensor(xs, [3, 4]);
    const labels = sn.tensor([1, 3, 2]);
    const d = sn.tensor(new Float32Array(12), [3, 4]);
    const loss = softmaxCrossEntropySparse(logits, labels, d);
    expect(Number.isFinite(loss)).toBe(true);
    const expected = refSoftmaxXent(xs, oneHotRows(new Float32Array([1, 3, 2]), 4), 3, 4);
    expect(Math.abs(loss - expected)).toBeLessThanOrEqual(1e-6 * expected);
    for (const v of d.dataSync()) expect(Number.isFinite(v)).toBe(true);
    const t = sn.tensor(oneHotRows(new Float32Array([1, 3, 2]), 4), [3, 4]);
    expect(Number.isFinite(softmaxCrossEntropy(logits, t, d))).toBe(true);
    for (const v of d.dataSync()) expect(Number.isFinite(v)).toBe(true);
    for (const x of [logits, labels, d, t]) x.dispose();
  });

  it('categoricalCrossentropy from probabilities: normalised, clipped, value and gradient', () => {
    for (const [rows, classes] of SHAPES) {
      if (classes === 1) continue; // one class: q is always 1, clipped, gradient 0 (checked below)
      const p = probRows(rows, classes, rows * 7 + classes);
      const t = probRows(rows, classes, rows * 3 + classes + 1).map((v) => v / 1.1);
      const probs = sn.tensor(p, [rows, classes]);
      const targets = sn.tensor(t, [rows, classes]);
      const d = sn.tensor(new Float32Array(rows * classes), [rows, classes]);
      const loss = categoricalCrossentropy(probs, targets, d);
      const f = (v: ArrayLike<number>) => refProbXent(v, t, rows, classes);
      expect(loss).toBeCloseTo(f(p), 5);
      if (classes <= 33) expectClose(d.dataSync(), numericGrad(f, p, 1e-5), 1e-3, 1e-4, `cce numeric ${rows}x${classes}`);
      expect(categoricalCrossentropy(probs, targets, null)).toBe(loss);
      for (const x of [probs, targets, d]) x.dispose();
    }
  });

  it('categoricalCrossentropy clips zeros and ones as TF.js (loss −log 1e-7, no gradient through the clip)', () => {
    const p = new Float32Array([0, 1, 0, 0.5, 0.5, 0, 1, 0, 0]);
    const t = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const probs = sn.tensor(p, [3, 3]);
    const targets = sn.tensor(t, [3, 3]);
    const d = sn.tensor(new Float32Array(9), [3, 3]);
    const loss = categoricalCrossentropy(probs, targets, d);
    expect(loss).toBeCloseTo(refProbXent(p, t, 3, 3), 5);
    expect(loss).toBeCloseTo((-Math.log(1e-7) - Math.log(0.5) - Math.log(1e-7)) / 3, 4);
    const dv = d.dataSync();
    for (const v of dv) expect(Number.isFinite(v)).toBe(true);
    // Row 0: every q clipped → zero gradient. Row 1: (g − Σ g q) / Σp / 3 with g = −t/q.
    expectClose(dv, [0, 0, 0, 1 / 3, (-2 + 1) / 3, 1 / 3, 0, 0, 0], 1e-5, 1e-7, 'cce clipped grad');
    for (const x of [probs, targets, d]) x.dispose();
    const one = sn.tensor([1, 1], [2, 1]);
    const oneT = sn.tensor([1, 1], [2, 1]);
    const dOne = sn.tensor([9, 9], [2, 1]);
    expect(categoricalCrossentropy(one, oneT, dOne)).toBeCloseTo(-Math.log(ONE_MINUS_EPS), 6);
    expect(Array.from(dOne.dataSync())).toEqual([0, 0]);
    for (const x of [one, oneT, dOne]) x.dispose();
  });

  it('sparseCategoricalCrossentropy from probabilities matches the one-hot dense loss', () => {
    for (const [rows, classes] of SHAPES) {
      const p = classes === 1 ? new Float32Array(rows).fill(1) : probRows(rows, classes, rows * 5 + classes);
      const ls = labelsFor(rows, classes, classes + 2);
      const t = oneHotRows(ls, classes);
      const probs = sn.tensor(p, [rows, classes]);
      const labels = sn.tensor(ls, [rows, 1]);
      const d = sn.tensor(new Float32Array(rows * classes), [rows, classes]);
      const loss = sparseCategoricalCrossentropy(probs, labels, d);
      const f = (v: ArrayLike<number>) => refProbXent(v, t, rows, classes);
      expect(loss).toBeCloseTo(f(p), 5);
      if (classes > 1 && classes <= 33) expectClose(d.dataSync(), numericGrad(f, p, 1e-5), 1e-3, 1e-4, `scce numeric ${rows}x${classes}`);
      // Same numbers as the dense kernel given the one-hot targets.
      const targets = sn.tensor(t, [rows, classes]);
      const d2 = sn.tensor(new Float32Array(rows * classes), [rows, classes]);
      expect(categoricalCrossentropy(probs, targets, d2)).toBeCloseTo(loss, 6);
      expectClose(d.dataSync(), d2.dataSync(), 1e-5, 1e-8, `scce vs cce ${rows}x${classes}`);
      for (const x of [probs, labels, d, targets, d2]) x.dispose();
    }
  });

  it('meanSquaredError: value, gradient, central differences', () => {
    for (const n of [1, 3, 5, 7, 17, 33, 1003, 4099]) {
      const p = randoms(n, -3, 3, n);
      const t = randoms(n, -3, 3, n + 1);
      const pred = sn.tensor(p, n % 2 ? [n] : [n / 2, 2]);
      const target = sn.tensor(t, pred.shape);
      const d = sn.tensor(new Float32Array(n), pred.shape);
      const loss = meanSquaredError(pred, target, d);
      expect(loss).toBeCloseTo(refMse(p, t), 5);
      expectClose(d.dataSync(), Array.from(p, (v, i) => (2 * (v - t[i])) / n), 1e-5, 1e-9, `mse grad n=${n}`);
      if (n <= 33) expectClose(d.dataSync(), numericGrad((v) => refMse(v, t), p, 1e-4), 1e-3, 1e-6, `mse numeric n=${n}`);
      meanSquaredError(pred, target, pred); // in place
      expectClose(pred.dataSync(), d.dataSync(), 0, 0, `mse in place n=${n}`);
      for (const x of [pred, target, d]) x.dispose();
    }
  });

  it('binaryCrossentropy: value, gradient, central differences, clipping', () => {
    for (const n of [1, 3, 5, 7, 17, 33, 1003]) {
      const p = randoms(n, 0.02, 0.98, n + 5);
      const t = randoms(n, 0, 1, n + 6).map((v, i) => (i % 3 === 0 ? v : Math.round(v)));
      const probs = sn.tensor(p, [n, 1]);
      const targets = sn.tensor(t, [n, 1]);
      const d = sn.tensor(new Float32Array(n), [n, 1]);
      const loss = binaryCrossentropy(probs, targets, d);
      expect(loss).toBeCloseTo(refBce(p, t), 5);
      expectClose(d.dataSync(), Array.from(p, (y, i) => (y - t[i]) / (y * (1 - y)) / n), 1e-4, 1e-7, `bce grad n=${n}`);
      if (n <= 33) expectClose(d.dataSync(), numericGrad((v) => refBce(v, t), p, 1e-5), 1e-3, 1e-4, `bce numeric n=${n}`);
      for (const x of [probs, targets, d]) x.dispose();
    }
    const probs = sn.tensor([0, 1, 0, 1, 0.5], [5]);
    const targets = sn.tensor([1, 0, 0, 1, 1], [5]);
    const d = sn.tensor(new Float32Array(5), [5]);
    const loss = binaryCrossentropy(probs, targets, d);
    expect(loss).toBeCloseTo(refBce([0, 1, 0, 1, 0.5], [1, 0, 0, 1, 1]), 4);
    expect(Number.isFinite(loss)).toBe(true);
    const dv = d.dataSync();
    expect(Array.from(dv.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(dv[4]).toBeCloseTo(-2 / 5, 6);
    for (const x of [probs, targets, d]) x.dispose();
  });

  it('sparse losses and countCorrect throw for labels outside [0, classes), naming row and label, writing nothing', () => {
    const logits = sn.tensor(randoms(12, -1, 1, 3), [4, 3]);
    for (const bad of [3, -1, 1.5, NaN, 1e10]) {
      const labels = sn.tensor([0, 2, bad, 1]);
      const d = sn.tensor(new Float32Array(12).fill(7), [4, 3]);
      const shown = String(Math.fround(bad));
      const pattern = new RegExp(`softmaxCrossEntropySparse: label ${shown.replace('.', '\\.')} at row 2 is not a class index in \\[0, 3\\)`);
      expect(() => softmaxCrossEntropySparse(logits, labels, d)).toThrow(pattern);
      expect(() => sparseCategoricalCrossentropy(logits, labels, d)).toThrow(/sparseCategoricalCrossentropy: label .* at row 2/);
      expect(() => countCorrect(logits, labels, true)).toThrow(/countCorrect: label .* at row 2 .*\[0, 3\)/);
      expect(Array.from(d.dataSync())).toEqual(new Array(12).fill(7));
      labels.dispose();
      d.dispose();
    }
    const wrongCount = sn.tensor([0, 1, 2]);
    expect(() => softmaxCrossEntropySparse(logits, wrongCount, null)).toThrow(/labels \[3\] must hold one class index per row of logits \[4,3\] \(4 rows\)/);
    const wrongShape = sn.tensor(new Float32Array(10), [5, 2]);
    expect(() => softmaxCrossEntropy(logits, wrongShape, null)).toThrow(/logits \[4,3\] and targets \[5,2\]/);
    expect(() => meanSquaredError(logits, logits, wrongShape)).toThrow(/pred \[4,3\] and dpred \[5,2\]/);
    for (const x of [logits, wrongCount, wrongShape]) x.dispose();
  });

  // Numbers printed by TensorFlow.js 4.22 (tfjs-core + tfjs-layers, cpu backend): valueAndGrad of the mean of
  // tf.metrics.categoricalCrossentropy / meanSquaredError / binaryCrossentropy, and tf.losses.softmaxCrossEntropy.
  describe('agrees with TensorFlow.js', () => {
    const P = [0.7, 0.2, 0.1, 0.0, 0.1, 0.3, 0.5, 0.3, 0.0, 0.0, 1.0, 0.0]; // unnormalised row, zeros and a one (clipped)
    const T = [1, 0, 0, 0, 0, 0.5, 0.5, 0, 0, 1, 0, 0];
    const L = [0, 2, 1];
    const Z = [2, -1, 0.5, 3, 100, -100, 0, 50, -3, -3, -3, -3];
    const TFJS = {"cce": {"loss": 5.8685503005981445, "grad": [-0.14285716, 0.33333334, 0.33333334, 0.33333334, 0.27777779, -0.27777773, -0.055555552, 0.27777779, 0, 0, 0, 0]}, "scce": {"loss": 5.783412933349609, "grad": [-0.14285716, 0.33333334, 0.33333334, 0.33333334, 0.27777779, 0.27777779, -0.3888889, 0.27777779, 0, 0, 0, 0]}, "mse": {"loss": 0.1899999976158142, "grad": [-0.050000004, 0.033333335, 0.016666668, 0, 0.016666668, -0.033333331, 0, 0.050000004, 0, -0.16666667, 0.16666667, 0]}, "bce": {"loss": 2.8900973796844482, "grad": [-0.1190476, 0.10416667, 0.092592567, 0, 0.092592567, -0.079365067, 0, 0.11904763, 0, 0, 0, 0]}, "sparseFromLogits": {"loss": 6.2961602210998535, "grad": [-0.24981622, 0.0041580708, 0.018635182, 0.22702298, 0, 0, 0, 0, 0.083333336, -0.25, 0.083333336, 0.083333336]}, "denseFromLogits": {"loss": 50.9234619140625, "grad": [-0.24981624, 0.0041580726, 0.018635184, 0.22702301, 0.33333334, -0.16666667, -0.16666667, 6.4291665e-23, 0.083333336, -0.25, 0.083333336, 0.083333336]}};
    const run = (op: (p: sn.Tensor, t: sn.Tensor, d: sn.Tensor) => number, pv: number[], tv: number[], tShape: number[]) => {
      const p = sn.tensor(pv, [3, 4]);
      const t = sn.tensor(tv, tShape);
      const d = sn.tensor(new Float32Array(12), [3, 4]);
      const loss = op(p, t, d);
      const grad = Array.from(d.dataSync());
      for (const x of [p, t, d]) x.dispose();
      return { loss, grad };
    };
    it('categorical, sparse categorical, mean squared and binary cross-entropy on probabilities', () => {
      for (const [name, op, tv, shape] of [
        ['cce', categoricalCrossentropy, T, [3, 4]],
        ['scce', sparseCategoricalCrossentropy, L, [3]],
        ['mse', meanSquaredError, T, [3, 4]],
        ['bce', binaryCrossentropy, T, [3, 4]],
      ] as const) {
        const got = run(op, P, [...tv], [...shape]);
        const want = TFJS[name];
        expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(2e-6 * want.loss);
        expectClose(got.grad, want.grad, 2e-5, 1e-7, `${name} vs TF.js`);
      }
    });
    it('softmax cross-entropy from logits (dense: tf.losses.softmaxCrossEntropy)', () => {
      const got = run(softmaxCrossEntropy, Z, T, [3, 4]);
      expect(Math.abs(got.loss - TFJS.denseFromLogits.loss)).toBeLessThanOrEqual(2e-6 * TFJS.denseFromLogits.loss);
      expectClose(got.grad, TFJS.denseFromLogits.grad, 2e-5, 1e-7, 'dense from logits vs TF.js');
    });
    it('sparse from logits: same as softmax + sparseCategoricalCrossentropy, except where TF.js clips', () => {
      const got = run(softmaxCrossEntropySparse, Z, L, [3]);
      const want = TFJS.sparseFromLogits;
      // Rows 0 and 2 agree. In row 1 the label's probability is e^-100: TF.js clips it to 1e-7 (loss 16.1,
      // zero gradient); the fused kernel keeps the exact loss (100) and gradient (softmax - onehot) / 3.
      expectClose(got.grad.slice(0, 4), want.grad.slice(0, 4), 2e-5, 1e-7, 'row 0 vs TF.js');
      expectClose(got.grad.slice(8), want.grad.slice(8), 2e-5, 1e-7, 'row 2 vs TF.js');
      expectClose(got.grad.slice(4, 8), [1 / 3, 0, -1 / 3, Math.exp(-50) / 3], 1e-5, 1e-12, 'row 1 exact');
      expect(got.loss).toBeCloseTo(want.loss + (100 + Math.log(1e-7)) / 3, 4);
    });
  });

  it('countCorrect: sparse, dense (argmax of targets), ties to the first index, one-column binary', () => {
    const pred = sn.tensor([
      0.1, 0.7, 0.2,
      0.5, 0.5, 0.0, // tie: argmax 0
      0.0, 0.0, 0.9,
      0.3, 0.3, 0.4,
      1.0, 2.0, 3.0,
    ], [5, 3]);
    const labels = sn.tensor([1, 0, 2, 0, 2], [5, 1]);
    expect(countCorrect(pred, labels, true)).toBe(4);
    const targets = sn.tensor(oneHotRows(new Float32Array([1, 1, 2, 0, 2]), 3), [5, 3]);
    expect(countCorrect(pred, targets, false)).toBe(3);
    const binPred = sn.tensor([0.2, 0.5, 0.51, 0.9, 0.1], [5, 1]);
    const binT = sn.tensor([0, 0, 1, 0, 1], [5, 1]);
    expect(countCorrect(binPred, binT, false)).toBe(3);
    expect(countCorrect(binPred, binT, true)).toBe(3);
    // Larger random case vs a reference argmax, 17 classes (SIMD width does not divide it).
    const rows = 50;
    const classes = 17;
    const p = randoms(rows * classes, 0, 1, 77);
    const ls = labelsFor(rows, classes, 78);
    const argmax = (r: number) => {
      let at = 0;
      for (let c = 1; c < classes; c++) if (p[r * classes + c] > p[r * classes + at]) at = c;
      return at;
    };
    for (let r = 0; r < 10; r++) ls[r] = argmax(r); // some rows right for sure
    let expected = 0;
    for (let r = 0; r < rows; r++) if (argmax(r) === ls[r]) expected++;
    const big = sn.tensor(p, [rows, classes]);
    const bigL = sn.tensor(ls);
    expect(countCorrect(big, bigL, true)).toBe(expected);
    expect(expected).toBeGreaterThanOrEqual(10);
    for (const x of [pred, labels, targets, binPred, binT, big, bigL]) x.dispose();
  });
});
