// firstNonFinite (assembly/elementwise.ts first_nonfinite_f32): blocks of 16 values summed as v − v (NaN
// where any is NaN or ±Infinity), then f32x4 blocks, then single values. The first non-finite value must be
// found wherever it falls — first or last of a 16-block, in the f32x4 tail, in the scalar tail — and before
// any later one; checked against a plain JS scan.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { firstNonFinite } from '../../src/ops/finite.js';
import { rng } from '../helpers/random.js';
import { KERNEL_BUILDS } from './builds.js';

afterAll(() => sn.dispose());

const r = rng(7);
const reference = (v: Float32Array) => v.findIndex((x) => !Number.isFinite(x));

describe.each(KERNEL_BUILDS)('firstNonFinite (%s)', (_, options) => {
  it('finds the first NaN or ±Infinity wherever it is, or -1', async () => {
    await sn.ready(options);
    let checked = 0;
    for (const n of [0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 35, 50, 64 * 13 + 7]) {
      // Large finite values too: v − v is 0 for every finite v (3e38 − 3e38, the smallest subnormal).
      const base = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 3e38 * (r() < 0.5 ? -1 : 1) : i % 11 === 5 ? 1e-45 : r() * 200 - 100));
      const t = sn.tensor(base, [n]);
      expect(firstNonFinite(t), `n ${n}, all finite`).toBe(-1);
      t.dispose();
      const spots = [...new Set([0, 1, 3, 4, 15, 16, 17, n - 5, n - 4, n - 1, Math.floor(n / 2)])].filter((i) => i >= 0 && i < n);
      for (const at of spots) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const v = base.slice();
          v[at] = bad;
          // A later one (another kind) must not be found first.
          if (at + 9 < n) v[at + 9] = Number.isNaN(bad) ? Infinity : NaN;
          const u = sn.tensor(v, [n]);
          expect(firstNonFinite(u), `n ${n}, ${bad} at ${at}`).toBe(reference(v));
          expect(reference(v)).toBe(at);
          u.dispose();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
