// Maxout kernels against a float64 reference written here, in both kernel builds; backward against
// central differences (loss = sum(y * r)) on inputs with distinct values so every max is well defined.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';

const { ops } = sn;

// Distinct values 0.01 apart in random order: a central difference of step 1e-3 never changes a winner.
function distinctValues(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Float64Array.from(order, (k) => (k - n / 2) * 0.01);
}

function referenceMaxout(x: Float64Array, c: number, k: number) {
  const groups = c / k;
  const rows = x.length / c;
  const y = new Float64Array(rows * groups);
  const argmax = new Int32Array(y.length);
  for (let r = 0; r < rows; r++)
    for (let g = 0; g < groups; g++) {
      let best = -Infinity;
      for (let t = 0; t < k; t++) {
        const idx = r * c + g * k + t;
        if (x[idx] > best) {
          best = x[idx];
          argmax[r * groups + g] = idx;
        }
      }
      y[r * groups + g] = best;
    }
  return { y, argmax };
}

const int32 = (t: sn.Tensor): Int32Array => new Int32Array(t.dataSync().buffer);

// [x shape, k]
const cases: [number[], number][] = [
  [[1, 1], 1],
  [[1, 1, 1, 3], 3],
  [[2, 3, 5, 6], 2],
  [[3, 15], 5],
  [[2, 1, 4, 14], 7],
  [[4, 17], 17],
  [[2, 2, 3, 12], 4],
  [[1, 7, 2], 2],
  [[3, 1, 1, 34], 2],
];

describe.each(['plain', 'relaxed'] as const)('maxout, %s build', (simd) => {
  beforeAll(async () => {
    await sn.ready({ simd });
  });

  describe.each(cases)('x [%s], groups of %s', (shape, k) => {
    const c = shape[shape.length - 1];
    const outShape = [...shape.slice(0, -1), c / k];
    const size = shape.reduce((a, b) => a * b);

    it('forward matches the reference, argmax included', () => {
      const xs = distinctValues(size, 1);
      const ref = referenceMaxout(xs, c, k);
      const x = sn.tensor(Float32Array.from(xs), shape);
      const y = sn.Tensor.empty(outShape);
      const argmax = sn.Tensor.empty(outShape);
      ops.maxoutForward(x, y, argmax, k);
      expect(Array.from(y.dataSync())).toEqual(Array.from(Float32Array.from(ref.y)));
      expect(Array.from(int32(argmax))).toEqual(Array.from(ref.argmax));
      [x, y, argmax].forEach((t) => t.dispose());
    });

    it('backward matches the numerical gradient', () => {
      const xs = distinctValues(size, 2);
      const r = Float64Array.from(distinctValues(size / k, 3), (v) => v * 3 + 0.1);
      const loss = (v: Float64Array) => referenceMaxout(v, c, k).y.reduce((s, yi, i) => s + yi * r[i], 0);
      const expected = xs.map((keep, i) => {
        xs[i] = keep + 1e-3;
        const up = loss(xs);
        xs[i] = keep - 1e-3;
        const down = loss(xs);
        xs[i] = keep;
        return (up - down) / 2e-3;
      });
      const x = sn.tensor(Float32Array.from(xs), shape);
      const y = sn.Tensor.empty(outShape);
      const argmax = sn.Tensor.empty(outShape);
      ops.maxoutForward(x, y, argmax, k);
      const dy = sn.tensor(Float32Array.from(r), outShape);
      const dx = sn.tensor(new Float32Array(size).fill(8), shape);
      ops.maxoutBackward(dy, argmax, dx, k);
      const got = dx.dataSync();
      for (let i = 0; i < size; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-4 + 1e-3 * Math.abs(expected[i]));
      [x, y, argmax, dy, dx].forEach((t) => t.dispose());
    });
  });

  it.each([2, 3])('ties go to the first element of a group (k = %s)', (k) => {
    const x = sn.tensor(new Float32Array(8 * k).fill(1), [8, k]);
    const y = sn.Tensor.empty([8, 1]);
    const argmax = sn.Tensor.empty([8, 1]);
    ops.maxoutForward(x, y, argmax, k);
    expect(Array.from(int32(argmax))).toEqual(Array.from({ length: 8 }, (_, i) => i * k));
    [x, y, argmax].forEach((t) => t.dispose());
  });

  it('names the shapes when C is not divisible by k or outputs are misshapen', () => {
    const x = sn.Tensor.zeros([2, 3, 10]);
    const y = sn.Tensor.zeros([2, 3, 5]);
    const bad = sn.Tensor.zeros([2, 3, 4]);
    expect(() => ops.maxoutForward(x, y, y, 3)).toThrow(/maxoutForward: x \[2,3,10\] has 10 channels, not divisible by the group size 3/);
    expect(() => ops.maxoutForward(x, bad, y, 2)).toThrow(/maxoutForward: x \[2,3,10\] with groups of 2 needs y of shape \[2,3,5\], got \[2,3,4\]/);
    expect(() => ops.maxoutForward(x, y, bad, 2)).toThrow(/argmax must be \[2,3,5\].*\[2,3,4\]/);
    expect(() => ops.maxoutBackward(bad, y, x, 2)).toThrow(/maxoutBackward: dx \[2,3,10\].*dy.*\[2,3,4\]/);
    [x, y, bad].forEach((t) => t.dispose());
  });
});
