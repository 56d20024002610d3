// The ReLU clamp kernel (Keras's ReLU: cap, negative slope, threshold) against a float64 reference and
// central differences, sizes not divisible by 4, in place; plain, relaxed and 2-thread builds.
import { describe, it, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';
import { numericalGradient } from '../helpers/reference.js';
import { expectClose } from '../helpers/conv-reference.js';
import { KERNEL_BUILDS } from './builds.js';

const { ops } = sn;

const f = (v: number, c: sn.ops.ReluClamp) => (v > c.threshold ? Math.min(v, c.maxValue) : c.negativeSlope * (v - c.threshold));

/** Values in [-4, 8], kept 0.05 away from the kinks (threshold, cap) so a central difference never crosses one. */
function values(n: number, seed: number, c: sn.ops.ReluClamp): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => {
    let v = r() * 12 - 4;
    for (const k of [c.threshold, c.maxValue]) if (Math.abs(v - k) < 0.05) v = k + 0.1;
    return Math.fround(v);
  });
}

afterAll(() => sn.dispose());

describe.each(KERNEL_BUILDS)('relu clamp (%s)', (_name, options) => {
  beforeAll(async () => {
    await sn.ready(options);
  });

  const clamps: [string, sn.ops.ReluClamp, number][] = [
    ['maxValue 3', { maxValue: 3, negativeSlope: 0, threshold: 0 }, 37],
    ['no cap, slope 0.2, threshold 1.5', { maxValue: Infinity, negativeSlope: 0.2, threshold: 1.5 }, 13],
    ['cap 5, slope 0.1, threshold 0.5, one value', { maxValue: 5, negativeSlope: 0.1, threshold: 0.5 }, 1],
    ['cap 0.5 below threshold 2 (Keras: then 0.5 above, slope below)', { maxValue: 0.5, negativeSlope: 0.3, threshold: 2 }, 9],
    ['large enough to split across threads', { maxValue: 6, negativeSlope: 0.05, threshold: 0 }, 100_003],
  ];

  it.each(clamps)('%s', (_label, c, n) => {
    const xv = values(n, n, c);
    const x = sn.tensor(Float32Array.from(xv), [n]);
    const y = sn.Tensor.empty([n]);
    ops.reluClampForward(x, y, c);
    expectClose(y.dataSync(), xv.map((v) => f(v, c)), 'y', 1e-6, 1e-7);
    const r = values(n, 3, { maxValue: Infinity, negativeSlope: 0, threshold: 0 });
    const dy = sn.tensor(Float32Array.from(r), [n]);
    ops.reluClampBackward(x, dy, dy, c); // in place
    const want = n <= 100
      ? numericalGradient((v) => v.reduce((s, e, i) => s + f(e, c) * r[i], 0), xv, 1e-3)
      : xv.map((v, i) => r[i] * (v > c.threshold ? (v < c.maxValue ? 1 : 0) : c.negativeSlope));
    expectClose(dy.dataSync(), want, 'dx');
    for (const t of [x, y, dy]) t.dispose();
  });
});
