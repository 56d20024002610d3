// PReLU against a float64 reference and central differences, alpha per position and shared (periodic),
// sizes not divisible by 4, on the plain and relaxed builds.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { expectClose } from '../helpers/conv-reference.js';

const { ops } = sn;
const values = (n: number, seed: number) => {
  const r = rng(seed);
  // Away from 0 so a central difference never crosses the kink.
  return Float64Array.from({ length: n }, () => { const v = r() * 2 - 1; return Math.fround(v + (v < 0 ? -0.05 : 0.05)); });
};

afterAll(() => sn.dispose());

describe.each([['plain', { simd: 'plain' }], ['relaxed', { simd: 'relaxed' }]] as const)('prelu (%s)', (_n, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  it.each([[3, 7, 7], [2, 12, 4], [5, 6, 3], [1, 1, 1]])('rows %i, row %i, alpha period %i', (rows, S, A) => {
    const xv = values(rows * S, S);
    const av = values(A, A + 1);
    const r = values(rows * S, 9);
    const ref = (x: Float64Array, a: Float64Array) => x.map((v, i) => (v > 0 ? v : a[i % A] * v));
    const x = sn.tensor(Float32Array.from(xv), [rows, S]);
    const alpha = sn.tensor(Float32Array.from(av), [A]);
    const y = sn.Tensor.empty([rows, S]);
    ops.preluForward(x, alpha, y);
    expectClose(y.dataSync(), ref(xv, av), 'y', 1e-6, 1e-7);
    const dy = sn.tensor(Float32Array.from(r), [rows, S]);
    const dx = sn.Tensor.empty([rows, S]);
    const da = sn.tensor(new Float32Array(A).fill(0.5), [A]);
    ops.preluBackward(x, alpha, dy, dx, da);
    const loss = (xa: Float64Array, aa: Float64Array) => ref(xa, aa).reduce((s, v, i) => s + v * r[i], 0);
    expectClose(dx.dataSync(), numericalGradient((v) => loss(v, av), xv, 1e-3), 'dx vs central differences');
    expectClose(da.dataSync(), numericalGradient((v) => loss(xv, v), av, 1e-3).map((g) => g + 0.5), 'dalpha (accumulated onto 0.5)');
    for (const t of [x, alpha, y, dy, dx, da]) t.dispose();
  });

  it('throws when x is not whole rows of alpha', () => {
    const x = sn.Tensor.empty([2, 5]);
    const a = sn.Tensor.empty([3]);
    expect(() => ops.preluForward(x, a, x)).toThrow(/preluForward: x \[2,5\].*alpha \[3\]/);
    x.dispose();
    a.dispose();
  });
});
