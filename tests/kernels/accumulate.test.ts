// Backward kernels with `accumulate` add their parameter gradients (dw, db, dgamma, dbeta) to what the
// tensors hold instead of overwriting them: a layer called twice per batch (a shared layer) sums its calls.
// Checked against the same call without accumulate plus the prior contents, on one thread and on two
// (where conv2d splits the batch and sums partial dw), with odd shapes.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';

afterAll(() => sn.dispose());

const r = rng(31);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() * 2 - 1);
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const t = (s: number[]): sn.Tensor => sn.tensor(rand(size(s)), s);

/** Expects after = before + fresh element by element (float32 sums: relative 1e-5). */
function expectSum(after: Float32Array, before: Float32Array, fresh: Float32Array, what: string): void {
  expect(after.length, what).toBe(fresh.length);
  let worst = 0;
  for (let i = 0; i < after.length; i++) {
    const want = before[i] + fresh[i];
    worst = Math.max(worst, Math.abs(after[i] - want) / (1e-3 + Math.abs(want)));
  }
  expect(worst, what).toBeLessThan(1e-4);
}

function convCase(N: number, H: number, W: number, C: number, F: number, K: number, stride: number): void {
  const g = { strideH: stride, strideW: 1, padTop: 1, padBottom: 0, padLeft: 0, padRight: 1, dilationH: 1, dilationW: 1 };
  const [OH, OW] = sn.ops.conv2dOutputSize(H, W, K, K, g);
  const x = t([N, H, W, C]);
  const w = t([K, K, C, F]);
  const dy = t([N, OH, OW, F]);
  const dw = sn.Tensor.empty([K, K, C, F]);
  const db = sn.Tensor.empty([F]);
  sn.ops.conv2dBackward(x, w, dy, null, dw, db, g);
  const freshW = dw.dataSync();
  const freshB = db.dataSync();
  const priorW = rand(dw.size);
  const priorB = rand(F);
  dw.set(priorW);
  db.set(priorB);
  const dx = sn.Tensor.empty(x.shape);
  sn.ops.conv2dBackward(x, w, dy, dx, dw, db, g, true);
  expectSum(dw.dataSync(), priorW, freshW, `conv dw ${[N, H, W, C, F, K]}`);
  expectSum(db.dataSync(), priorB, freshB, `conv db ${[N, H, W, C, F, K]}`);
  // dx is not accumulated: the same as a plain call that also asks for dw (the same path: where Winograd
  // takes the weight gradient, dx comes from its tiles, a few ulps from the kernel's dx).
  const dx2 = sn.Tensor.empty(x.shape);
  const dw2 = sn.Tensor.empty(w.shape);
  sn.ops.conv2dBackward(x, w, dy, dx2, dw2, null, g);
  expect(Array.from(dx.dataSync())).toEqual(Array.from(dx2.dataSync()));
  for (const v of [x, w, dy, dw, db, dx, dx2, dw2]) v.dispose();
}

function denseCase(rows: number, inUnits: number, units: number): void {
  const x = t([rows, inUnits]);
  const w = t([inUnits, units]);
  const dy = t([rows, units]);
  const dw = sn.Tensor.empty(w.shape);
  const db = sn.Tensor.empty([units]);
  sn.ops.denseBackward(x, w, dy, null, dw, db);
  const freshW = dw.dataSync();
  const freshB = db.dataSync();
  const priorW = rand(dw.size);
  const priorB = rand(units);
  dw.set(priorW);
  db.set(priorB);
  sn.ops.denseBackward(x, w, dy, null, dw, db, true);
  expectSum(dw.dataSync(), priorW, freshW, `dense dw ${[rows, inUnits, units]}`);
  expectSum(db.dataSync(), priorB, freshB, `dense db ${[rows, inUnits, units]}`);
  for (const v of [x, w, dy, dw, db]) v.dispose();
}

function batchNormCase(rows: number, c: number): void {
  const x = t([rows, c]);
  const dy = t([rows, c]);
  const gamma = t([c]);
  const mean = t([c]);
  const invStd = sn.tensor(rand(c).map((v) => 1 + Math.abs(v)), [c]);
  const dg = sn.Tensor.empty([c]);
  const dbeta = sn.Tensor.empty([c]);
  sn.ops.batchNormBackward(x, dy, gamma, mean, invStd, null, dg, dbeta);
  const freshG = dg.dataSync();
  const freshB = dbeta.dataSync();
  const priorG = rand(c);
  const priorB = rand(c);
  dg.set(priorG);
  dbeta.set(priorB);
  sn.ops.batchNormBackward(x, dy, gamma, mean, invStd, null, dg, dbeta, true);
  expectSum(dg.dataSync(), priorG, freshG, `batch norm dgamma ${[rows, c]}`);
  expectSum(dbeta.dataSync(), priorB, freshB, `batch norm dbeta ${[rows, c]}`);
  for (const v of [x, dy, gamma, mean, invStd, dg, dbeta]) v.dispose();
}

describe.each([1, 2])('backward with accumulate adds parameter gradients (%i thread(s))', (threads) => {
  it('conv2d: dw and db add up, dx is overwritten', async () => {
    await sn.ready({ threads, simd: 'plain' });
    convCase(1, 1, 1, 1, 1, 1, 1);
    convCase(3, 7, 5, 3, 5, 3, 2);
    convCase(9, 20, 17, 20, 13, 3, 1); // large enough to split across threads
  });
  it('dense: dw and db add up', async () => {
    await sn.ready({ threads, simd: 'plain' });
    denseCase(1, 1, 1);
    denseCase(7, 13, 5);
    denseCase(130, 70, 33);
  });
  it('batch normalization: dgamma and dbeta add up', async () => {
    await sn.ready({ threads, simd: 'plain' });
    batchNormCase(1, 1);
    batchNormCase(11, 7);
  });
});
