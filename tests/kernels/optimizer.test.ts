// Optimizer kernels vs float64 references of the TensorFlow.js update rules over several steps, plus worked
// numbers from the documented formulas, in both builds.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { sgdUpdate, adamUpdate, rmspropUpdate } from '../../src/ops/optimizer.js';

const SIZES = [1, 3, 5, 7, 17, 33, 1003];
const STEPS = 5;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randoms(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= abs + rel * Math.abs(expected[i]))) {
      expect.fail(`${what}: index ${i} got ${actual[i]}, expected ${expected[i]} (rel ${rel}, abs ${abs})`);
    }
  }
}

// Gradients for each step (the same for the kernel and the reference), some tiny, some large.
function gradients(n: number, seed: number): Float32Array[] {
  return Array.from({ length: STEPS }, (_, s) => randoms(n, -1, 1, seed * 31 + s).map((v, i) => (i % 5 === 0 ? v * 1e-3 : i % 7 === 0 ? v * 30 : v)));
}

// Runs `steps` updates through the kernel: state tensors start at zero and persist across steps.
function runKernel(w0: Float32Array, grads: Float32Array[], stateCount: number, update: (w: sn.Tensor, g: sn.Tensor, state: sn.Tensor[], step: number) => void): { w: Float32Array; state: Float32Array[] } {
  const w = sn.tensor(w0);
  const state = Array.from({ length: stateCount }, () => sn.tensor(new Float32Array(w0.length)));
  grads.forEach((gv, s) => {
    const g = sn.tensor(gv);
    update(w, g, state, s + 1);
    g.dispose();
  });
  const out = { w: w.dataSync(), state: state.map((t) => t.dataSync()) };
  w.dispose();
  state.forEach((t) => t.dispose());
  return out;
}

describe.each(['plain', 'relaxed'] as const)('optimizer kernels (%s build)', (build) => {
  beforeAll(async () => {
    await sn.ready({ simd: build });
  });

  it('sgd without momentum: w −= lr·g', () => {
    for (const n of SIZES) {
      const w0 = randoms(n, -1, 1, n);
      const grads = gradients(n, n);
      const got = runKernel(w0, grads, 0, (w, g) => sgdUpdate(w, g, null, 0.05, 0, false));
      const ref = Float64Array.from(w0);
      for (const g of grads) for (let i = 0; i < n; i++) ref[i] -= 0.05 * g[i];
      expectClose(got.w, ref, 1e-5, 1e-6, `sgd n=${n}`);
    }
  });

  for (const nesterov of [false, true]) {
    it(`sgd with momentum 0.9${nesterov ? ', nesterov' : ''}: TF.js MomentumOptimizer`, () => {
      for (const n of SIZES) {
        const w0 = randoms(n, -1, 1, n + 1);
        const grads = gradients(n, n + 2);
        const got = runKernel(w0, grads, 1, (w, g, [vel]) => sgdUpdate(w, g, vel, 0.01, 0.9, nesterov));
        const ref = Float64Array.from(w0);
        const acc = new Float64Array(n);
        for (const g of grads) {
          for (let i = 0; i < n; i++) {
            acc[i] = 0.9 * acc[i] + g[i];
            ref[i] -= 0.01 * (nesterov ? g[i] + 0.9 * acc[i] : acc[i]);
          }
        }
        expectClose(got.w, ref, 1e-5, 1e-6, `momentum n=${n}`);
        expectClose(got.state[0], acc, 1e-5, 1e-6, `momentum accumulator n=${n}`);
      }
    });
  }

  for (const epsilon of [1e-7, 1e-3]) {
    it(`adam (TF.js, bias-corrected, epsilon ${epsilon}) over ${STEPS} steps`, () => {
      for (const n of SIZES) {
        const w0 = randoms(n, -1, 1, n + 3);
        const grads = gradients(n, n + 4);
        const [lr, b1, b2] = [0.01, 0.9, 0.999];
        const got = runKernel(w0, grads, 2, (w, g, [m, v], step) => adamUpdate(w, g, m, v, lr, b1, b2, epsilon, step));
        const ref = Float64Array.from(w0);
        const m = new Float64Array(n);
        const v = new Float64Array(n);
        grads.forEach((g, s) => {
          const t = s + 1;
          for (let i = 0; i < n; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            ref[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + epsilon);
          }
        });
        expectClose(got.w, ref, 1e-5, 2e-6, `adam n=${n}`);
        expectClose(got.state[0], m, 1e-5, 1e-7, `adam m n=${n}`);
        expectClose(got.state[1], v, 1e-5, 1e-9, `adam v n=${n}`);
      }
    });
  }

  for (const momentum of [0, 0.5]) {
    it(`rmsprop (TF.js, rho 0.9, momentum ${momentum}) over ${STEPS} steps`, () => {
      for (const n of SIZES) {
        const w0 = randoms(n, -1, 1, n + 5);
        const grads = gradients(n, n + 6);
        const [lr, rho, eps] = [0.001, 0.9, 1e-7];
        const got = runKernel(w0, grads, 2, (w, g, [ms, mom]) => rmspropUpdate(w, g, ms, momentum ? mom : null, lr, rho, momentum, eps));
        const ref = Float64Array.from(w0);
        const ms = new Float64Array(n);
        const mom = new Float64Array(n);
        for (const g of grads) {
          for (let i = 0; i < n; i++) {
            ms[i] = rho * ms[i] + (1 - rho) * g[i] * g[i];
            mom[i] = momentum * mom[i] + (lr * g[i]) / Math.sqrt(ms[i] + eps);
            ref[i] -= mom[i];
          }
        }
        expectClose(got.w, ref, 1e-5, 1e-6, `rmsprop n=${n}`);
        expectClose(got.state[0], ms, 1e-5, 1e-9, `rmsprop ms n=${n}`);
        if (momentum) expectClose(got.state[1], mom, 1e-5, 1e-8, `rmsprop mom n=${n}`);
        else expect(Array.from(got.state[1])).toEqual(new Array(n).fill(0)); // untouched without a buffer
      }
    });
  }

  it('worked numbers from the documented formulas (loss w²/2, so g = w)', () => {
    const step = (update: (w: sn.Tensor, g: sn.Tensor, state: sn.Tensor[], t: number) => void, stateCount: number, steps: number) => {
      const w = sn.tensor([1.0]);
      const state = Array.from({ length: stateCount }, () => sn.tensor([0]));
      const values: number[] = [];
      for (let t = 1; t <= steps; t++) {
        const g = w.clone();
        update(w, g, state, t);
        g.dispose();
        values.push(w.dataSync()[0]);
      }
      w.dispose();
      state.forEach((s) => s.dispose());
      return values;
    };
    // Keras SGD docs: lr 0.1 → 0.9; with momentum 0.9 the second step moves by 0.18.
    expect(step((w, g) => sgdUpdate(w, g, null, 0.1, 0, false), 0, 1)[0]).toBeCloseTo(0.9, 6);
    const mom = step((w, g, [v]) => sgdUpdate(w, g, v, 0.1, 0.9, false), 1, 2);
    expect(mom[0]).toBeCloseTo(0.9, 6);
    expect(mom[0] - mom[1]).toBeCloseTo(0.18, 6);
    // Adam's first step is lr·g/(|g| + ε): 1 − 0.1·(1/(1 + 1e-7)), up to TF.js's float32 beta^t (1e-6 here).
    expect(step((w, g, [m, v], t) => adamUpdate(w, g, m, v, 0.1, 0.9, 0.999, 1e-7, t), 2, 1)[0]).toBeCloseTo(1 - 0.1 / (1 + 1e-7), 5);
    // RMSprop's first step: ms = 0.1·g², w −= lr·g/sqrt(0.1·g² + ε) = 0.01/sqrt(0.1).
    expect(step((w, g, [ms]) => rmspropUpdate(w, g, ms, null, 0.01, 0.9, 0, 1e-7), 1, 1)[0]).toBeCloseTo(1 - 0.01 / Math.sqrt(0.1 + 1e-7), 7);
  });

  // Weights printed by TensorFlow.js 4.22 (cpu backend) after three applyGradients calls with these gradients:
  // tf.train.sgd(0.1), momentum(0.1, 0.9[, nesterov]), adam(0.01, 0.9, 0.999), rmsprop(0.01, 0.9, momentum).
  it('agrees with TensorFlow.js after three steps', () => {
    const W0 = new Float32Array([0.5, -1.5, 2.0, 0.0, -0.25]);
    const G = [[0.1, -0.2, 0.3, 1e-4, -5], [0.2, 0.2, -0.1, 0, 3], [-0.3, 0.05, 0.0, 2, -1]].map((g) => Float32Array.from(g));
    const TFJS = {"sgd": [0.5, -1.505, 1.98, -0.20001, 0.04999999], "momentum": [0.46490002, -1.4888, 1.9377, -0.20002711, 0.63499999], "nesterov": [0.46841002, -1.49492, 1.9239299, -0.38003439, 0.84649992], "adam": [0.48101434, -1.4920399, 1.9829044, -0.0230693, -0.23554549], "rmsprop": [0.46571398, -1.4972571, 1.9788601, -0.03476936, -0.22944324], "rmspropMomentum": [0.4277125, -1.485011, 1.9603846, -0.037129298, -0.2141777]};
    const cases: [keyof typeof TFJS, number, (w: sn.Tensor, g: sn.Tensor, s: sn.Tensor[], t: number) => void][] = [
      ['sgd', 0, (w, g) => sgdUpdate(w, g, null, 0.1, 0, false)],
      ['momentum', 1, (w, g, [v]) => sgdUpdate(w, g, v, 0.1, 0.9, false)],
      ['nesterov', 1, (w, g, [v]) => sgdUpdate(w, g, v, 0.1, 0.9, true)],
      ['adam', 2, (w, g, [m, v], t) => adamUpdate(w, g, m, v, 0.01, 0.9, 0.999, 1e-7, t)],
      ['rmsprop', 1, (w, g, [ms]) => rmspropUpdate(w, g, ms, null, 0.01, 0.9, 0, 1e-7)],
      ['rmspropMomentum', 2, (w, g, [ms, mom]) => rmspropUpdate(w, g, ms, mom, 0.01, 0.9, 0.5, 1e-7)],
    ];
    for (const [name, stateCount, update] of cases) {
      expectClose(runKernel(W0, G, stateCount, update).w, TFJS[name], 1e-6, 1e-7, `${name} vs TF.js`);
    }
  });

  it('names the shapes when a state buffer does not match, and requires the buffers momentum needs', () => {
    const w = sn.tensor(new Float32Array(6), [2, 3]);
    const g = sn.tensor(new Float32Array(6), [2, 3]);
    const bad = sn.tensor(new Float32Array(5), [5]);
    expect(() => sgdUpdate(w, bad, null, 0.1, 0, false)).toThrow(/sgdUpdate: g \[5\] must have as many values as the parameter w \[2,3\]/);
    expect(() => sgdUpdate(w, g, null, 0.1, 0.9, false)).toThrow(/sgdUpdate: momentum 0.9 needs a velocity/);
    expect(() => adamUpdate(w, g, g, bad, 0.1, 0.9, 0.999, 1e-7, 1)).toThrow(/adamUpdate: v \[5\]/);
    expect(() => adamUpdate(w, g, g, g, 0.1, 0.9, 0.999, 1e-7, 0)).toThrow(/step 0 must count from 1/);
    expect(() => rmspropUpdate(w, g, g, null, 0.1, 0.9, 0.5, 1e-7)).toThrow(/rmspropUpdate: momentum 0.5 needs a momentum buffer/);
    for (const t of [w, g, bad]) t.dispose();
  });
});
