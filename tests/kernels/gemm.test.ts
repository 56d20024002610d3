// GEMM and dense kernels against float64 references written here (naive triple loops), on odd shapes that
// exercise every edge tile and block boundary, in both kernel builds. denseBackward is checked against
// central differences of loss = sum(y * r) for a random r.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { activate } from '../helpers/reference.js';
import { KERNEL_BUILDS } from './builds.js';
import { engine } from '../../src/backend/engine.js';

const { ops } = sn;

// float32-representable values in [-1, 1), so the reference sees exactly what the kernel sees.
function randomValues(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
}

// op(A)(M,K)·op(B)(K,N) in float64; a is (M,K) or (K,M) when transA, b is (K,N) or (N,K) when transB.
function referenceMatmul(a: Float64Array, b: Float64Array, M: number, N: number, K: number, transA: boolean, transB: boolean): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? a[k * M + i] : a[i * K + k]) * (transB ? b[j * K + k] : b[k * N + j]);
      c[i * N + j] = s;
    }
  return c;
}

// |got - want| <= abs + rel * scale, where scale bounds the size of the terms summed (sum of |products|).
function expectClose(got: Float32Array, want: Float64Array, tol: { abs: number; rel: number }, what: string): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) - (tol.abs + tol.rel * Math.abs(want[i]));
    if (!(err <= worst)) {
      worst = Number.isNaN(err) ? Infinity : err;
      at = i;
    }
  }
  if (at >= 0) expect.fail(`${what}: element ${at} is ${got[at]}, expected ${want[at]}`);
}

function t(values: ArrayLike<number>, shape: number[]): sn.Tensor {
  return sn.tensor(Float32Array.from(values), shape);
}

const builds = KERNEL_BUILDS; // plain and relaxed SIMD, each on 1 and on 2 threads

afterAll(() => sn.dispose());

describe.each(builds)('gemm (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  const sizes = [1, 3, 5, 7, 17, 33, 65];
  // Every M and N from the list with a few K, plus shapes that cross the KC/MC/NC blocks.
  const cases: [number, number, number][] = [];
  for (const M of sizes) for (const N of sizes) cases.push([M, N, (M * 7 + N * 3) % 40 + 1]);
  // M = 1 with 9-12 columns left past the multiples of 32 takes one pass for three groups of four (a 10-class head).
  cases.push([1, 10, 1600], [1, 9, 3], [1, 11, 2], [1, 12, 41], [1, 42, 37]);
  cases.push([1, 1, 1], [4, 8, 1], [8, 16, 64], [100, 130, 400], [97, 1030, 9], [200, 9, 800], [130, 70, 385]);

  it('matmul matches a float64 reference on odd shapes', () => {
    for (const [M, N, K] of cases) {
      const av = randomValues(M * K, M * 1000 + K);
      const bv = randomValues(K * N, N * 1000 + K + 7);
      const a = t(av, [M, K]);
      const b = t(bv, [K, N]);
      const c = sn.tensor(new Float32Array(M * N).fill(NaN), [M, N]);
      ops.matmul(a, b, c);
      expectClose(c.dataSync(), referenceMatmul(av, bv, M, N, K, false, false), { abs: 1e-5 * K, rel: 1e-5 }, `matmul ${M}x${N}x${K}`);
      a.dispose(); b.dispose(); c.dispose();
    }
  });

  it('matmul handles every transpose combination and accumulate', () => {
    // [130, 70, 385] and [5, 1000, 600] are large enough to be split across threads (by rows, then by
    // columns); M = 1 is the gemv path (a strided a when transposed; 8-, 4- and 1-wide columns; K % 4 != 0).
    // M ≤ 96 with K ≤ 384 reads A in place, and with N % 8 = 0 and K ≤ 128 B too (Winograd's products):
    // [7, 24, 37], [96, 16, 128], [13, 8, 129] (one k past that: B packed).
    for (const [M, N, K] of [[5, 7, 3], [17, 33, 65], [65, 1, 17], [3, 65, 130], [33, 17, 1], [130, 70, 385], [5, 1000, 600], [1, 15, 37], [1, 70, 386], [1, 10, 37], [1, 44, 6],
      [7, 24, 37], [96, 16, 128], [13, 8, 129]]) {
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const accumulate of [false, true]) {
            const av = randomValues(M * K, M + K + 1);
            const bv = randomValues(K * N, N + K + 2);
            const cv = randomValues(M * N, M + N + 3);
            const a = t(av, transA ? [K, M] : [M, K]);
            const b = t(bv, transB ? [N, K] : [K, N]);
            const c = t(cv, [M, N]);
            ops.matmul(a, b, c, { transA, transB, accumulate });
            const want = referenceMatmul(av, bv, M, N, K, transA, transB);
            if (accumulate) for (let i = 0; i < want.length; i++) want[i] += cv[i];
            expectClose(c.dataSync(), want, { abs: 1e-5 * K, rel: 1e-5 }, `matmul ${M}x${N}x${K} tA=${transA} tB=${transB} acc=${accumulate}`);
            a.dispose(); b.dispose(); c.dispose();
          }
    }
  });

  it('gives an edge tile\'s rows (M % 4 of them) bitwise the values they get inside whole tiles', () => {
    // The rows left past a multiple of 4 run one at a time (kernel_1x8_strided), the others four at a time:
    // the same products in the same order. Each M here against M rounded up to 4 (extra rows appended), with
    // A read in place (M ≤ 96: Winograd's batch-1 products, 9 x 64 x 32), transposed, packed (M > 96), and
    // edge columns (N % 8 ≠ 0).
    for (const [M, N, K] of [[9, 64, 32], [10, 24, 37], [11, 13, 129], [2, 16, 5], [97, 20, 50], [99, 8, 400]]) {
      const M4 = Math.ceil(M / 4) * 4;
      for (const transA of [false, true])
        for (const accumulate of [false, true]) {
          const av = randomValues(M4 * K, M + K);
          const bv = randomValues(K * N, N + K);
          const cv = randomValues(M4 * N, M + N);
          // A (M4, K) or, transposed, (K, M4); the first M rows of op(A) are A(M)'s.
          const rowsOf = (m: number): number[] => transA
            ? Array.from({ length: K * m }, (_, i) => av[Math.floor(i / m) * M4 + (i % m)])
            : Array.from(av.subarray(0, m * K));
          const b = t(bv, [K, N]);
          const out = [M, M4].map((m) => {
            const a = t(rowsOf(m), transA ? [K, m] : [m, K]);
            const c = t(cv.subarray(0, m * N), [m, N]);
            ops.matmul(a, b, c, { transA, accumulate });
            const values = c.dataSync().subarray(0, M * N);
            a.dispose(); c.dispose();
            return values;
          });
          expect(out[0], `${M}x${N}x${K} tA=${transA} acc=${accumulate}`).toEqual(out[1]);
          b.dispose();
        }
    }
  });

  it('matmul with K = 0 writes zeros (or leaves c when accumulating)', () => {
    const a = sn.tensor(new Float32Array(0), [3, 0]);
    const b = sn.tensor(new Float32Array(0), [0, 5]);
    const c = sn.tensor(new Float32Array(15).fill(2), [3, 5]);
    ops.matmul(a, b, c, { accumulate: true });
    expect(Array.from(c.dataSync())).toEqual(new Array(15).fill(2));
    ops.matmul(a, b, c);
    expect(Array.from(c.dataSync())).toEqual(new Array(15).fill(0));
    a.dispose(); b.dispose(); c.dispose();
  });

  it('denseForward fuses bias and every activation', () => {
    for (const [rows, inUnits, units] of [[1, 1, 1], [3, 5, 7], [17, 33, 10], [65, 7, 17], [2, 100, 65]]) {
      for (let act = 0; act <= 8; act++) {
        const alpha = act === 3 ? 0.3 : 1.1;
        const xv = randomValues(rows * inUnits, rows + act);
        const wv = randomValues(inUnits * units, units + act);
        const bv = randomValues(units, act + 99);
        const x = t(xv, [rows, inUnits]);
        const w = t(wv, [inUnits, units]);
        const b = t(bv, [units]);
        const y = sn.tensor(new Float32Array(rows * units).fill(NaN), [rows, units]);
        ops.denseForward(x, w, b, y, act as sn.ops.ActivationCode, alpha);
        const want = referenceMatmul(xv, wv, rows, units, inUnits, false, false).map((v, i) => activate(v + bv[i % units], act, alpha));
        expectClose(y.dataSync(), want, { abs: 1e-5 * inUnits + 1e-6, rel: 1e-5 }, `denseForward ${rows}x${inUnits}x${units} act=${act}`);
        // Without bias.
        ops.denseForward(x, w, null, y, act as sn.ops.ActivationCode, alpha);
        const want0 = referenceMatmul(xv, wv, rows, units, inUnits, false, false).map((v) => activate(v, act, alpha));
        expectClose(y.dataSync(), want0, { abs: 1e-5 * inUnits + 1e-6, rel: 1e-5 }, `denseForward no bias act=${act}`);
        x.dispose(); w.dispose(); b.dispose(); y.dispose();
      }
    }
  });

  it('denseForward split by columns across threads adds each part its own bias columns (batch 16, 3136 -> 512)', () => {
    // The Dense(512) after a 3,136-wide flatten at batch 16: c is short and wide, so two threads split it by
    // columns, and each part's bias pointer must start at its first column.
    const [rows, inUnits, units] = [16, 3136, 512];
    const xv = randomValues(rows * inUnits, 31);
    const wv = randomValues(inUnits * units, 32);
    const bv = randomValues(units, 33).map((v, i) => v + (i < units / 2 ? -3 : 3)); // two halves, far apart
    const x = t(xv, [rows, inUnits]);
    const w = t(wv, [inUnits, units]);
    const b = t(bv, [units]);
    const y = sn.Tensor.empty([rows, units]);
    const e = engine();
    let widest = 1;
    const parallel = e.parallel.bind(e);
    e.parallel = (calls) => {
      widest = Math.max(widest, calls.length);
      parallel(calls);
    };
    try {
      const product = referenceMatmul(xv, wv, rows, units, inUnits, false, false);
      for (const act of [0, 1, 5] as const) {
        y.set(new Float32Array(rows * units).fill(NaN));
        ops.denseForward(x, w, b, y, act);
        const want = product.map((v, i) => activate(v + bv[i % units], act, 0));
        expectClose(y.dataSync(), want, { abs: 2e-4, rel: 1e-5 }, `denseForward 16x3136x512 act=${act}`);
      }
    } finally {
      e.parallel = parallel;
    }
    expect(widest).toBe(e.threads > 1 ? 2 : 1);
    x.dispose(); w.dispose(); b.dispose(); y.dispose();
  });

  it('GEMM with a fused activation is right when K crosses the 384-deep block (several K, rows and columns)', () => {
    // K > KC = 384 runs the product in several K blocks; bias and activation must be applied once, after the
    // last block, not to a partial sum.
    for (const [rows, inUnits, units] of [[9, 385, 21], [4, 768, 8], [33, 1000, 17], [1, 1153, 65], [70, 400, 130]]) {
      const xv = randomValues(rows * inUnits, rows * 3 + inUnits);
      const wv = randomValues(inUnits * units, units * 5 + inUnits);
      const bv = randomValues(units, units + 1).map((v) => v * 4);
      const x = t(xv, [rows, inUnits]);
      const w = t(wv, [inUnits, units]);
      const b = t(bv, [units]);
      const y = sn.Tensor.empty([rows, units]);
      const product = referenceMatmul(xv, wv, rows, units, inUnits, false, false);
      for (let act = 1; act <= 6; act++) {
        const alpha = act === 3 ? 0.2 : 0.7;
        y.set(new Float32Array(rows * units).fill(NaN));
        ops.denseForward(x, w, b, y, act as sn.ops.ActivationCode, alpha);
        const want = product.map((v, i) => activate(v + bv[i % units], act, alpha));
        expectClose(y.dataSync(), want, { abs: 1e-5 * inUnits, rel: 1e-5 }, `denseForward ${rows}x${inUnits}x${units} act=${act}`);
      }
      x.dispose(); w.dispose(); b.dispose(); y.dispose();
    }
  });

  it('denseBackward matches central differences of sum(y * r)', () => {
    for (const [rows, inUnits, units] of [[1, 1, 1], [3, 5, 7], [4, 17, 9], [1, 33, 3]]) {
      const xv = randomValues(rows * inUnits, 11 + rows);
      const wv = randomValues(inUnits * units, 12 + units);
      const bv = randomValues(units, 13);
      const r = randomValues(rows * units, 14);
      // loss(x, w, b) = Σ (x·w + b) * r in float64.
      const loss = (xa: Float64Array, wa: Float64Array, ba: Float64Array) => {
        const y = referenceMatmul(xa, wa, rows, units, inUnits, false, false);
        let s = 0;
        for (let i = 0; i < y.length; i++) s += (y[i] + ba[i % units]) * r[i];
        return s;
      };
      const numeric = (v: Float64Array, f: () => number) => {
        const g = new Float64Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const keep = v[i];
          v[i] = keep + 1e-3; const up = f();
          v[i] = keep - 1e-3; const down = f();
          v[i] = keep;
          g[i] = (up - down) / 2e-3;
        }
        return g;
      };
      const x = t(xv, [rows, inUnits]);
      const w = t(wv, [inUnits, units]);
      const dy = t(r, [rows, units]);
      const dx = sn.tensor(new Float32Array(xv.length).fill(NaN), [rows, inUnits]);
      const dw = sn.tensor(new Float32Array(wv.length).fill(NaN), [inUnits, units]);
      const db = sn.tensor(new Float32Array(units).fill(NaN), [units]);
      ops.denseBackward(x, w, dy, dx, dw, db);
      const tol = { abs: 1e-4, rel: 1e-3 };
      expectClose(dx.dataSync(), numeric(xv, () => loss(xv, wv, bv)), tol, `dx ${rows}x${inUnits}x${units}`);
      expectClose(dw.dataSync(), numeric(wv, () => loss(xv, wv, bv)), tol, `dw ${rows}x${inUnits}x${units}`);
      expectClose(db.dataSync(), numeric(bv, () => loss(xv, wv, bv)), tol, `db ${rows}x${inUnits}x${units}`);
      // Null outputs are skipped and the others still right.
      const before = dx.dataSync();
      ops.denseBackward(x, w, dy, null, dw, null);
      expect(Array.from(dx.dataSync())).toEqual(Array.from(before));
      x.dispose(); w.dispose(); dy.dispose(); dx.dispose(); dw.dispose(); db.dispose();
    }
  });

  it('throws on wrong shapes, naming them', () => {
    const a = sn.tensor(new Float32Array(6), [2, 3]);
    const b = sn.tensor(new Float32Array(8), [4, 2]);
    const c = sn.tensor(new Float32Array(4), [2, 2]);
    expect(() => ops.matmul(a, b, c)).toThrow(/matmul.*a \[2,3\].*b \[4,2\].*c \[2,2\]/);
    expect(() => ops.denseForward(a, b, null, c)).toThrow(/denseForward.*x \[2,3\].*w \[4,2\]/);
    const bias = sn.tensor(new Float32Array(3), [3]);
    const w = sn.tensor(new Float32Array(6), [3, 2]);
    expect(() => ops.denseForward(a, w, bias, c)).toThrow(/denseForward.*b \[3\]/);
    expect(() => ops.denseBackward(a, w, b, null, null, null)).toThrow(/denseBackward.*dy \[4,2\]/);
    for (const x of [a, b, c, bias, w]) x.dispose();
  });
});
