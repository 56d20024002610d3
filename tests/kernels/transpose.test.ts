// Transpose (the Permute layer's kernel) against a float64 index-mapping reference, on ranks 2–6, unit axes,
// sizes not divisible by 4, the row-copy path (last axis kept) and the gather path; its backward (transpose
// by the inverse permutation) against central differences of loss = Σ r·transpose(x). Plain, relaxed and
// 2-thread builds.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { expectClose } from '../helpers/conv-reference.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;
const values = (n: number, seed: number) => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
};

/** y[i] = x[perm-mapped index], in float64, by explicit multi-indices. */
function reference(x: Float64Array, shape: number[], perm: number[]): Float64Array {
  const yShape = perm.map((a) => shape[a]);
  const y = new Float64Array(x.length);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < y.length; i++) {
    // idx: y's multi-index of i
    let rem = i;
    for (let k = yShape.length - 1; k >= 0; k--) { idx[k] = rem % yShape[k]; rem = Math.floor(rem / yShape[k]); }
    let xi = 0;
    const xIdx = new Array(shape.length);
    perm.forEach((a, k) => { xIdx[a] = idx[k]; });
    for (let a = 0; a < shape.length; a++) xi = xi * shape[a] + xIdx[a];
    y[i] = x[xi];
  }
  return y;
}

const cases: [string, number[], number[]][] = [
  ['2D swap, 5x7', [5, 7], [1, 0]],
  ['NCHW → NHWC, batch 1, 3x5x7', [1, 3, 5, 7], [0, 2, 3, 1]],
  ['NHWC → NCHW, batch 2, 5x6x3', [2, 5, 6, 3], [0, 3, 1, 2]],
  ['last axis kept (row copies), 9 wide', [3, 4, 2, 9], [0, 2, 1, 3]],
  ['unit axes', [1, 4, 1, 3], [0, 3, 2, 1]],
  ['rank 5 (NDHWC → NCDHW)', [2, 3, 4, 5, 3], [0, 4, 1, 2, 3]],
  ['rank 6 reversed', [2, 3, 2, 1, 3, 2], [0, 5, 4, 3, 2, 1]],
  ['identity', [2, 3, 5], [0, 1, 2]],
  ['large enough to leave cache, 2x37x41x13', [2, 37, 41, 13], [0, 3, 2, 1]],
];

afterAll(() => sn.dispose());

describe.each(KERNEL_BUILDS)('transpose (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  it.each(cases)('%s', (_label, shape, perm) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const xv = values(n, n);
    const x = sn.tensor(Float32Array.from(xv), shape);
    const yShape = perm.map((a) => shape[a]);
    const y = sn.Tensor.empty(yShape);
    ops.transpose(x, y, perm);
    expect(Array.from(y.dataSync())).toEqual(Array.from(reference(xv, shape, perm)));
    // Backward: dx = transpose(dy, inverse); checked against central differences on small cases.
    const r = values(n, 7);
    const dy = sn.tensor(Float32Array.from(r), yShape);
    const dx = sn.Tensor.empty(shape);
    ops.transpose(dy, dx, ops.inversePermutation(perm));
    if (n <= 400) {
      const loss = (v: Float64Array) => reference(v, shape, perm).reduce((s, e, i) => s + e * r[i], 0);
      expectClose(dx.dataSync(), numericalGradient(loss, xv, 1e-3), 'dx vs central differences');
    } else {
      // A transpose and its inverse give back x exactly.
      const back = sn.Tensor.empty(shape);
      ops.transpose(y, back, ops.inversePermutation(perm));
      expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
      back.dispose();
    }
    for (const t of [x, y, dy, dx]) t.dispose();
  });

  it('refuses a permutation that does not match the shapes', () => {
    const x = sn.Tensor.empty([2, 3, 4]);
    const y = sn.Tensor.empty([2, 3, 4]);
    expect(() => ops.transpose(x, y, [0, 2, 1])).toThrow(/transpose: perm \[0,2,1\].*x \[2,3,4\].*y \[2,3,4\]/);
    expect(() => ops.transpose(x, x, [0, 1, 2])).toThrow(/transpose/);
    x.dispose();
    y.dispose();
  });
});
