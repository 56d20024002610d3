// Layer normalization against a float64 reference and central differences (dx, dgamma, dbeta), with and
// without gamma/beta, rows of C values with C not divisible by 4, one row, C = 1; plain, relaxed and
// 2-thread builds.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { expectClose } from '../helpers/conv-reference.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;
const values = (n: number, seed: number, scale = 1, shift = 0) => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround((r() * 2 - 1) * scale + shift));
};

function reference(x: Float64Array, g: Float64Array | null, b: Float64Array | null, C: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[r * C + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c] - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - m) * rs * (g ? g[c] : 1) + (b ? b[c] : 0);
  }
  return y;
}

afterAll(() => sn.dispose());

describe.each(KERNEL_BUILDS)('layer normalization (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  // [rows, C, parameters, epsilon]
  it.each([[3, 7, 'gamma beta', 1e-3], [1, 13, 'gamma beta', 1e-5], [4, 8, '', 1e-3], [2, 1, 'gamma beta', 1e-3], [5, 3, '', 0.1], [3, 6, 'gamma', 1e-3], [2, 9, 'beta', 1e-3]] as const)(
    'rows %i, C %i, parameters "%s", epsilon %f', (rows, C, params, eps) => {
      const n = rows * C;
      const xv = values(n, n + C, 2, 0.5);
      const gv = params.includes('gamma') ? values(C, 3, 1, 0.2) : null;
      const bv = params.includes('beta') ? values(C, 4) : null;
      const r = values(n, 9);
      const x = sn.tensor(Float32Array.from(xv), [rows, C]);
      const g = gv && sn.tensor(Float32Array.from(gv), [C]);
      const b = bv && sn.tensor(Float32Array.from(bv), [C]);
      const y = sn.Tensor.empty([rows, C]);
      const mean = sn.Tensor.empty([rows]);
      const rstd = sn.Tensor.empty([rows]);
      ops.layerNormForward(x, g, b, y, mean, rstd, C, eps);
      expectClose(y.dataSync(), reference(xv, gv, bv, C, eps), 'y', 1e-4, 1e-5);
      // Backward of loss = Σ y·r, accumulated onto 0.5 in dgamma and dbeta; dx in place over dy.
      const dy = sn.tensor(Float32Array.from(r), [rows, C]);
      const dg = sn.tensor(new Float32Array(C).fill(0.5), [C]);
      const db = sn.tensor(new Float32Array(C).fill(0.5), [C]);
      ops.layerNormBackward(x, g, mean, rstd, dy, dy, gv ? dg : null, bv ? db : null, C);
      const loss = (xa: Float64Array, ga: Float64Array | null, ba: Float64Array | null) =>
        reference(xa, ga, ba, C, eps).reduce((s, v, i) => s + v * r[i], 0);
      const h = 1e-3;
      const tol = C === 1 ? 1e-3 : 2e-3; // C = 1: y = beta whatever x, dx = 0
      expectClose(dy.dataSync(), numericalGradient((v) => loss(v, gv, bv), xv, h), 'dx vs central differences', tol, tol);
      if (gv) expectClose(dg.dataSync(), numericalGradient((v) => loss(xv, v, bv), gv, h).map((d) => d + 0.5), 'dgamma', 1e-3, 1e-3);
      if (bv) expectClose(db.dataSync(), numericalGradient((v) => loss(xv, gv, v), bv, h).map((d) => d + 0.5), 'dbeta', 1e-3, 1e-3);
      for (const t of [x, g, b, y, mean, rstd, dy, dg, db]) t?.dispose();
    });

  it('refuses shapes that are not rows of C', () => {
    const x = sn.Tensor.empty([2, 5]);
    const m = sn.Tensor.empty([2]);
    const g = sn.Tensor.empty([4]);
    const y = sn.Tensor.empty([2, 5]);
    const s = sn.Tensor.empty([2]);
    expect(() => ops.layerNormForward(x, g, null, y, m, s, 5, 1e-3)).toThrow(/layerNormForward: x \[2,5\] must be rows of 5/);
    expect(() => ops.layerNormForward(x, null, null, x, m, s, 5, 1e-3)).toThrow(/shares memory/);
    for (const t of [x, m, g, y, s]) t.dispose();
  });
});
