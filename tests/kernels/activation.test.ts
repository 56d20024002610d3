// Activations, softmax and bias kernels vs float64 references and central differences, in both builds.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import {
  ACTIVATION, activationCode, activationForward, activationBackward, gradFromInput,
  softmaxForward, softmaxBackward, biasAdd, biasGrad, type ActivationCode,
} from '../../src/ops/activation.js';

// The brief's odd sizes plus 2 and 6, so SIMD tails of 1, 2 and 3 floats all occur.
const SIZES = [1, 2, 3, 5, 6, 7, 17, 33, 1003];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randoms(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

// float64 references: f(x) and f'(x).
const ALPHA: Record<string, number> = { leakyRelu: 0.3, elu: 1.0, hardSigmoid: 0.2 };
// Where each activation has a kink (the derivative jumps): central differences stay clear of them.
const KINKS: Record<string, number[]> = { relu6: [6], hardSigmoid: [-2.5, 2.5], hardSwish: [-3, 3] };
function ref(name: string, x: number, alpha: number): number {
  switch (name) {
    case 'relu': return Math.max(x, 0);
    case 'relu6': return Math.min(Math.max(x, 0), 6);
    case 'leakyRelu': return x > 0 ? x : alpha * x;
    case 'elu': return x > 0 ? x : alpha * Math.expm1(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh(x);
    case 'hardSigmoid': return Math.min(Math.max(alpha * x + 0.5, 0), 1);
    case 'hardSwish': return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    default: return x;
  }
}
function refGrad(name: string, x: number, alpha: number): number {
  switch (name) {
    case 'relu': return x > 0 ? 1 : 0;
    case 'relu6': return x > 0 && x < 6 ? 1 : 0;
    case 'leakyRelu': return x > 0 ? 1 : alpha;
    case 'elu': return x > 0 ? 1 : alpha * Math.exp(x);
    case 'sigmoid': { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s); }
    case 'tanh': { const t = Math.tanh(x); return 1 - t * t; }
    case 'hardSigmoid': return alpha * x + 0.5 > 0 && alpha * x + 0.5 < 1 ? alpha : 0;
    case 'hardSwish': return x < -3 ? 0 : x <= 3 ? (2 * x + 3) / 6 : 1; // PyTorch's values at the kinks
    default: return 1;
  }
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) - (abs + rel * Math.abs(expected[i]));
    if (!(err <= 0) && (worst < 0 || err > worstErr)) { worst = i; worstErr = err; }
  }
  if (worst >= 0) {
    expect.fail(`${what}: index ${worst} got ${actual[worst]}, expected ${expected[worst]} (rel ${rel}, abs ${abs})`);
  }
}

const NAMES = Object.keys(ACTIVATION) as (keyof typeof ACTIVATION)[];

describe('activationCode', () => {
  it('maps every Keras name to its code', () => {
    expect(NAMES.map(activationCode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(NAMES.filter((n) => gradFromInput(ACTIVATION[n]))).toEqual(['hardSwish']);
  });
  it('throws for unknown names, listing the known ones', () => {
    expect(() => activationCode('gelu')).toThrow(/unknown activation 'gelu'.*relu, relu6/);
    expect(() => activationCode('softmax')).toThrow(/softmaxForward/);
    expect(() => activationCode('toString')).toThrow(/unknown activation/);
  });
});

describe.each(['plain', 'relaxed'] as const)('activation kernels (%s build)', (build) => {
  beforeAll(async () => {
    await sn.ready({ simd: build });
  });

  for (const name of NAMES) {
    const code = ACTIVATION[name] as ActivationCode;
    const alpha = ALPHA[name] ?? 0;

    it(`${name}: forward and backward match float64 for sizes ${SIZES.join(', ')}`, () => {
      for (const n of SIZES) {
        const xs = randoms(n, -8, 8, 11 * n + code);
        const dys = randoms(n, -2, 2, 7 * n + code);
        const x = sn.tensor(xs);
        const y = sn.tensor(new Float32Array(n));
        activationForward(x, y, code, alpha);
        const yv = y.dataSync();
        expectClose(yv, Array.from(xs, (v) => ref(name, v, alpha)), 2e-6, 2e-7, `${name} forward n=${n}`);
        const dy = sn.tensor(dys);
        const dx = sn.tensor(new Float32Array(n));
        activationBackward(gradFromInput(code) ? x : y, dy, dx, code, alpha);
        // Reference derivative at x (not at y) so a wrong "from the output" formula shows up.
        expectClose(dx.dataSync(), Array.from(xs, (v, i) => dys[i] * refGrad(name, v, alpha)), 1e-5, 1e-6, `${name} backward n=${n}`);
        for (const t of [x, y, dy, dx]) t.dispose();
      }
    });

    it(`${name}: backward agrees with central differences of the forward kernel`, () => {
      const n = 33;
      const h = 1e-2;
      // Stay away from kinks (0 for all, KINKS for some) where a difference quotient is meaningless.
      const kinks = [0, ...(KINKS[name] ?? [])];
      const xs = randoms(n, -5, 7, 99 + code).map((v) => (kinks.some((k) => Math.abs(v - k) < 3 * h) ? v + 0.1 : v));
      const dys = randoms(n, -1, 1, 5 + code);
      const plus = sn.tensor(xs.map((v) => v + h));
      const minus = sn.tensor(xs.map((v) => v - h));
      activationForward(plus, plus, code, alpha); // in place
      activationForward(minus, minus, code, alpha);
      const yp = plus.dataSync();
      const ym = minus.dataSync();
      const numeric = Array.from(xs, (_, i) => dys[i] * (yp[i] - ym[i]) / (2 * h));
      const y = sn.tensor(xs);
      if (!gradFromInput(code)) activationForward(y, y, code, alpha);
      const g = sn.tensor(dys);
      activationBackward(y, g, g, code, alpha); // in place: dx is dy
      expectClose(g.dataSync(), numeric, 1e-3, 1e-4, `${name} numeric gradient`);
      for (const t of [plus, minus, y, g]) t.dispose();
    });
  }

  it('saturating activations stay finite and exact-ish for huge inputs', () => {
    const xs = new Float32Array([-1e30, -1e4, -104, -100, -90, -88, -30, 30, 88, 90, 100, 1e4, 1e30, -0, 0]);
    for (const name of ['sigmoid', 'tanh', 'elu'] as const) {
      const code = ACTIVATION[name];
      const x = sn.tensor(xs);
      const y = sn.tensor(new Float32Array(xs.length));
      activationForward(x, y, code, 1);
      const yv = y.dataSync();
      for (const v of yv) expect(Number.isFinite(v)).toBe(true);
      expectClose(yv, Array.from(xs, (v) => ref(name, v, 1)), 1e-6, 1e-38, `${name} at extremes`);
      x.dispose();
      y.dispose();
    }
  });

  it('sigmoid keeps relative precision in its lower tail (no 1 - e cancellation)', () => {
    const xs = new Float32Array([-10, -20, -40, -60, -80]);
    const x = sn.tensor(xs);
    activationForward(x, x, ACTIVATION.sigmoid);
    expectClose(x.dataSync(), Array.from(xs, (v) => 1 / (1 + Math.exp(-v))), 3e-6, 0, 'sigmoid tail');
    x.dispose();
  });

  it('tanh is relatively accurate near zero and odd', () => {
    const xs = new Float32Array([1e-7, -1e-7, 1e-3, -1e-3, 0.3, -0.3, 0.6249, 0.6251, -0.6251, 2, -2]);
    const x = sn.tensor(xs);
    activationForward(x, x, ACTIVATION.tanh);
    expectClose(x.dataSync(), Array.from(xs, Math.tanh), 2e-6, 0, 'tanh near zero');
    x.dispose();
  });

  it('elu keeps relative precision near zero (expm1, not exp - 1)', () => {
    const xs = new Float32Array([-1e-6, -3e-4, -0.01, -0.2, -0.34, -0.36, -0.7, -3]);
    const x = sn.tensor(xs);
    activationForward(x, x, ACTIVATION.elu, 1.5);
    expectClose(x.dataSync(), Array.from(xs, (v) => 1.5 * Math.expm1(v)), 1e-6, 0, 'elu near zero');
    x.dispose();
  });

  it('hardSigmoid takes its slope from alpha (PyTorch 1/6), and both hard activations hit their kinks as PyTorch', () => {
    const xs = new Float32Array([-4, -3.0001, -3, -2.9999, -2.5, -1.5, -1e-3, 0, 1e-3, 1.5, 2.5, 2.9999, 3, 3.0001, 4, 100, -100]);
    const x = sn.tensor(xs);
    const y = sn.tensor(new Float32Array(xs.length));
    const dy = sn.tensor(new Float32Array(xs.length).fill(1));
    activationForward(x, y, ACTIVATION.hardSigmoid, 1 / 6);
    expectClose(y.dataSync(), Array.from(xs, (v) => ref('hardSigmoid', v, 1 / 6)), 1e-6, 1e-7, 'hardSigmoid 1/6');
    activationBackward(y, dy, dy, ACTIVATION.hardSigmoid, 1 / 6);
    expectClose(dy.dataSync(), Array.from(xs, (v) => refGrad('hardSigmoid', v, 1 / 6)), 1e-6, 0, 'hardSigmoid 1/6 grad');
    activationForward(x, y, ACTIVATION.hardSwish);
    expectClose(y.dataSync(), Array.from(xs, (v) => ref('hardSwish', v, 0)), 1e-6, 1e-7, 'hardSwish');
    const ones = sn.tensor(new Float32Array(xs.length).fill(1));
    activationBackward(x, ones, ones, ACTIVATION.hardSwish);
    expectClose(ones.dataSync(), Array.from(xs, (v) => refGrad('hardSwish', v, 0)), 1e-6, 1e-7, 'hardSwish grad at kinks');
    for (const t of [x, y, dy, ones]) t.dispose();
  });

  it('linear copies (and is a no-op in place); codes outside 0..8 throw', () => {
    const x = sn.tensor([1, -2, 3]);
    const y = sn.tensor([0, 0, 0]);
    activationForward(x, y, ACTIVATION.linear);
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3]);
    activationBackward(y, x, y, ACTIVATION.linear);
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3]);
    expect(() => activationForward(x, y, 9 as ActivationCode)).toThrow(/activation code 9/);
    const z = sn.tensor([1, 2]);
    expect(() => activationForward(x, z, ACTIVATION.relu)).toThrow(/activationForward: x \[3\], y \[2\]/);
    for (const t of [x, y, z]) t.dispose();
  });

  describe('softmax', () => {
    const softmaxRef = (row: ArrayLike<number>): number[] => {
      const m = Math.max(...Array.from(row));
      const e = Array.from(row, (v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };

    it('forward matches float64 per row for odd widths', () => {
      for (const cols of SIZES) {
        const rows = cols > 100 ? 2 : 5;
        const xs = randoms(rows * cols, -6, 6, cols);
        const x = sn.tensor(xs, [rows, cols]);
        const y = sn.tensor(new Float32Array(rows * cols), [rows, cols]);
        softmaxForward(x, y);
        const expected: number[] = [];
        for (let r = 0; r < rows; r++) expected.push(...softmaxRef(xs.subarray(r * cols, (r + 1) * cols)));
        expectClose(y.dataSync(), expected, 1e-5, 1e-8, `softmax cols=${cols}`);
        softmaxForward(x, x); // in place
        expectClose(x.dataSync(), expected, 1e-5, 1e-8, `softmax in place cols=${cols}`);
        x.dispose();
        y.dispose();
      }
    });

    it('rows with logits of ±100 and beyond stay finite and sum to 1', () => {
      const xs = new Float32Array([100, -100, 0, 99, 1e30, -1e30, 5, 5, -100, -100, -100, -100, 100, 100, 100, 100, 100]);
      const x = sn.tensor(xs, [1, 17]);
      const y = sn.tensor(new Float32Array(17), [1, 17]);
      softmaxForward(x, y);
      const yv = y.dataSync();
      for (const v of yv) expect(Number.isFinite(v)).toBe(true);
      expect(yv.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expectClose(yv, softmaxRef(Array.from(xs)), 1e-5, 1e-30, 'softmax extremes');
      const wide = sn.tensor([100, -100, 0, -100, 100, 50, 80, 90, 100, 110, -100, -100], [3, 4]);
      softmaxForward(wide, wide);
      const wv = wide.dataSync();
      for (const v of wv) expect(Number.isFinite(v)).toBe(true);
      expectClose(wv, [
        ...softmaxRef([100, -100, 0, -100]), ...softmaxRef([100, 50, 80, 90]), ...softmaxRef([100, 110, -100, -100]),
      ], 1e-5, 1e-30, 'softmax ±100 rows');
      for (const t of [x, y, wide]) t.dispose();
    });

    it('backward matches y·(dy − Σ dy·y) and central differences', () => {
      for (const cols of [1, 3, 5, 7, 17, 33]) {
        const rows = 3;
        const xs = randoms(rows * cols, -3, 3, 40 + cols);
        const ws = randoms(rows * cols, -1, 1, 50 + cols); // L = Σ w · softmax(x), so dL/dy = w
        const y = sn.tensor(new Float32Array(rows * cols), [rows, cols]);
        const x = sn.tensor(xs, [rows, cols]);
        softmaxForward(x, y);
        const yv = y.dataSync();
        const dy = sn.tensor(ws, [rows, cols]);
        const dx = sn.tensor(new Float32Array(rows * cols), [rows, cols]);
        softmaxBackward(y, dy, dx);
        const expected: number[] = [];
        for (let r = 0; r < rows; r++) {
          let dot = 0;
          for (let c = 0; c < cols; c++) dot += ws[r * cols + c] * yv[r * cols + c];
          for (let c = 0; c < cols; c++) expected.push(yv[r * cols + c] * (ws[r * cols + c] - dot));
        }
        expectClose(dx.dataSync(), expected, 1e-5, 1e-7, `softmax backward cols=${cols}`);
        // Central differences of L in float64 through the float64 reference softmax.
        const h = 1e-4;
        const loss = (v: Float64Array) => {
          let total = 0;
          for (let r = 0; r < rows; r++) {
            const p = softmaxRef(v.subarray(r * cols, (r + 1) * cols));
            for (let c = 0; c < cols; c++) total += ws[r * cols + c] * p[c];
          }
          return total;
        };
        const numeric = Array.from(xs, (_, i) => {
          const v = Float64Array.from(xs);
          v[i] += h;
          const up = loss(v);
          v[i] -= 2 * h;
          return (up - loss(v)) / (2 * h);
        });
        expectClose(dx.dataSync(), numeric, 1e-3, 1e-5, `softmax numeric cols=${cols}`);
        softmaxBackward(y, dy, dy); // in place
        expectClose(dy.dataSync(), expected, 1e-5, 1e-7, `softmax backward in place cols=${cols}`);
        for (const t of [x, y, dy, dx]) t.dispose();
      }
    });

    it('names the shapes when they differ', () => {
      const x = sn.tensor(new Float32Array(6), [2, 3]);
      const y = sn.tensor(new Float32Array(6), [3, 2]);
      expect(() => softmaxForward(x, y)).toThrow(/softmaxForward: x \[2,3\], y \[3,2\] must have the same shape/);
      x.dispose();
      y.dispose();
    });
  });

  describe('bias', () => {
    it('biasAdd and biasGrad match float64 for odd channel counts', () => {
      for (const cols of SIZES) {
        for (const rows of cols > 100 ? [1, 3, 17] : [1, 3, 17, 130]) { // 130: several 64-row blocks
          const ys = randoms(rows * cols, -1, 1, rows * 131 + cols);
          const bs = randoms(cols, -1, 1, cols + 3);
          const y = sn.tensor(ys, [rows, cols]);
          const b = sn.tensor(bs);
          biasAdd(y, b);
          expectClose(y.dataSync(), Array.from(ys, (v, i) => v + bs[i % cols]), 1e-6, 1e-7, `biasAdd ${rows}x${cols}`);
          const db = sn.tensor(new Float32Array(cols).fill(123)); // overwritten, not accumulated
          const dy = sn.tensor(ys, [rows, cols]);
          biasGrad(dy, db);
          const sums = new Array(cols).fill(0);
          for (let i = 0; i < ys.length; i++) sums[i % cols] += ys[i];
          expectClose(db.dataSync(), sums, 1e-5, 1e-6, `biasGrad ${rows}x${cols}`);
          for (const t of [y, b, db, dy]) t.dispose();
        }
      }
    });

    it('works on NHWC tensors (C is the last axis) and names shapes on mismatch', () => {
      const y = sn.tensor(new Float32Array(2 * 3 * 3 * 5).fill(1), [2, 3, 3, 5]);
      const b = sn.tensor([1, 2, 3, 4, 5]);
      biasAdd(y, b);
      expect(Array.from(y.dataSync().subarray(0, 10))).toEqual([2, 3, 4, 5, 6, 2, 3, 4, 5, 6]);
      const db = sn.tensor(new Float32Array(5));
      biasGrad(y, db);
      expect(Array.from(db.dataSync())).toEqual([36, 54, 72, 90, 108]);
      const bad = sn.tensor([1, 2, 3]);
      expect(() => biasAdd(y, bad)).toThrow(/biasAdd: bias \[3\] must have 5 values .* y \[2,3,3,5\]/);
      expect(() => biasGrad(y, bad)).toThrow(/biasGrad: db \[3\] must have 5 values/);
      for (const t of [y, b, db, bad]) t.dispose();
    });
  });
});
