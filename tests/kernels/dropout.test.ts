// Dropout kernels in both builds: mask values, keep rate, reproducibility by seed, backward.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';

const { ops } = sn;

function randomValues(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

function run(shape: number[], rate: number, seed: number, xs?: Float32Array) {
  const size = shape.reduce((a, b) => a * b);
  const values = xs ?? randomValues(size, 1);
  const x = sn.tensor(values, shape);
  const y = sn.tensor(new Float32Array(size).fill(42), shape);
  const mask = sn.tensor(new Float32Array(size).fill(42), shape);
  ops.dropoutForward(x, y, mask, rate, seed);
  const out = { xs: values, y: y.dataSync(), mask: mask.dataSync() };
  [x, y, mask].forEach((t) => t.dispose());
  return out;
}

describe.each(['plain', 'relaxed'] as const)('dropout, %s build', (simd) => {
  beforeAll(async () => {
    await sn.ready({ simd });
  });

  it.each([0.1, 0.25, 0.5, 0.9])('rate %s: mask is exactly 0 or 1/(1-rate), y = x * mask, keep fraction ≈ 1 - rate', (rate) => {
    const n = 100_003; // not a multiple of 4: the scalar tail runs too
    const { xs, y, mask } = run([n], rate, 1234);
    const keepScale = Math.fround(1 / (1 - rate));
    let kept = 0;
    const keptByLane = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      if (mask[i] !== 0 && mask[i] !== keepScale) throw new Error(`mask[${i}] = ${mask[i]}, expected 0 or ${keepScale}`);
      if (y[i] !== Math.fround(xs[i] * mask[i])) throw new Error(`y[${i}] = ${y[i]}, expected ${xs[i] * mask[i]}`);
      if (mask[i] !== 0) {
        kept++;
        keptByLane[i % 4]++;
      }
    }
    // Binomial standard deviation of the fraction is sqrt(p(1-p)/n) < 0.0016; allow about 6 of them.
    expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(0.01);
    // No SIMD lane is biased.
    for (const k of keptByLane) expect(Math.abs(k / (n / 4) - (1 - rate))).toBeLessThan(0.02);
  });

  it('draws independent neighbours (pairs of adjacent elements kept together at rate (1-p)^2)', () => {
    const n = 100_000;
    const { mask } = run([n], 0.5, 99);
    let both = 0;
    for (let i = 0; i + 1 < n; i++) if (mask[i] !== 0 && mask[i + 1] !== 0) both++;
    expect(Math.abs(both / (n - 1) - 0.25)).toBeLessThan(0.01);
  });

  it('same seed gives the same mask; a different seed a different one', () => {
    const shape = [3, 5, 7, 17];
    const a = run(shape, 0.3, 7);
    const b = run(shape, 0.3, 7);
    const c = run(shape, 0.3, 8);
    expect(Array.from(a.mask)).toEqual(Array.from(b.mask));
    let differ = 0;
    for (let i = 0; i < a.mask.length; i++) if ((a.mask[i] === 0) !== (c.mask[i] === 0)) differ++;
    // Independent masks at rate 0.3 disagree on 2 * 0.3 * 0.7 = 42 % of elements.
    expect(differ / a.mask.length).toBeGreaterThan(0.35);
    expect(differ / a.mask.length).toBeLessThan(0.49);
    // Seeds beyond 32 bits use their low 32 bits.
    expect(Array.from(run(shape, 0.3, 7 + 2 ** 32).mask)).toEqual(Array.from(a.mask));
  });

  it("an element's draw does not depend on the tensor's size (SIMD body and scalar tail agree)", () => {
    const big = run([1001], 0.5, 5).mask;
    for (const n of [1, 3, 5, 7, 17]) {
      expect(Array.from(run([n], 0.5, 5).mask)).toEqual(Array.from(big.subarray(0, n)));
    }
  });

  it('rate 0 keeps everything unscaled', () => {
    const { xs, y, mask } = run([2, 3, 5, 7], 0, 3);
    expect(Array.from(mask).every((m) => m === 1)).toBe(true);
    expect(Array.from(y)).toEqual(Array.from(xs));
  });

  it('runs in place (y = x)', () => {
    const xs = randomValues(37, 4);
    const reference = run([37], 0.4, 11, xs);
    const x = sn.tensor(xs, [37]);
    const mask = sn.Tensor.empty([37]);
    ops.dropoutForward(x, x, mask, 0.4, 11);
    expect(Array.from(x.dataSync())).toEqual(Array.from(reference.y));
    [x, mask].forEach((t) => t.dispose());
  });

  it.each([[1], [3], [5], [7], [17], [2, 3, 5, 7]])('backward of [%s] matches the numerical gradient of y = x * mask', (...shape) => {
    const size = shape.reduce((a, b) => a * b);
    const xs = randomValues(size, 5);
    const x = sn.tensor(xs, shape);
    const y = sn.Tensor.empty(shape);
    const mask = sn.Tensor.empty(shape);
    ops.dropoutForward(x, y, mask, 0.5, 21);
    const m = Float64Array.from(mask.dataSync());
    const r = randomValues(size, 6);
    // loss(x) = Σ r * x * mask (float64), differentiated numerically element by element.
    const loss = (v: Float64Array) => v.reduce((s, xi, i) => s + r[i] * xi * m[i], 0);
    const v = Float64Array.from(xs);
    const expected = v.map((keep, i) => {
      v[i] = keep + 1e-3;
      const up = loss(v);
      v[i] = keep - 1e-3;
      const down = loss(v);
      v[i] = keep;
      return (up - down) / 2e-3;
    });
    const dy = sn.tensor(r, shape);
    const dx = sn.tensor(new Float32Array(size).fill(9), shape);
    ops.dropoutBackward(dy, mask, dx);
    const got = dx.dataSync();
    for (let i = 0; i < size; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-4 + 1e-3 * Math.abs(expected[i]));
    ops.dropoutBackward(dy, mask, dy); // in place
    expect(Array.from(dy.dataSync())).toEqual(Array.from(got));
    [x, y, mask, dy, dx].forEach((t) => t.dispose());
  });

  it('names the op and the shapes when shapes or rate are wrong', () => {
    const x = sn.Tensor.zeros([2, 3]);
    const bad = sn.Tensor.zeros([3, 2]);
    expect(() => ops.dropoutForward(x, x, bad, 0.5, 1)).toThrow(/dropoutForward: mask \[3,2\] must be shaped like x \[2,3\]/);
    expect(() => ops.dropoutForward(x, x, x, 1, 1)).toThrow(/dropoutForward: rate must be in \[0, 1\), got 1/);
    expect(() => ops.dropoutBackward(x, bad, x)).toThrow(/dropoutBackward: mask \[3,2\] must be shaped like dy \[2,3\]/);
    [x, bad].forEach((t) => t.dispose());
  });
});
