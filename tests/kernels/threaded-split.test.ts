// Pooling, activations, optimizer updates and the zeroing of parameter gradients split their work between
// threads (src/backend/split.ts). On the threaded build, with shapes large enough to split (and an odd batch,
// so the parts differ), every result must equal the single-threaded one exactly: each element is computed by
// the same code either way.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { rng } from '../helpers/random.js';

afterAll(() => sn.dispose());

const N = 7, H = 32, W = 32, C = 16;
const geometry = { poolH: 3, poolW: 2, strideH: 2, strideW: 2, padTop: 1, padBottom: 0, padLeft: 0, padRight: 1 };
const [OH, OW] = sn.ops.pool2dOutputSize(H, W, geometry);
const r = rng(7);
const xs = Float32Array.from({ length: N * H * W * C }, () => r() * 2 - 1);
const dys = Float32Array.from({ length: N * OH * OW * C }, () => r() * 2 - 1);
const dgs = Float32Array.from({ length: N * C }, () => r() * 2 - 1);

type Results = Record<string, Float32Array>;

/** Runs every split op on the current engine; returns the outputs and the largest number of parallel calls seen. */
function runAll(): { out: Results; widest: number; widestUpdate: number } {
  const e = engine();
  let widest = 1;
  const parallel = e.parallel.bind(e);
  e.parallel = (calls) => {
    widest = Math.max(widest, calls.length);
    parallel(calls);
  };
  try {
    const x = sn.tensor(xs, [N, H, W, C]);
    const dy = sn.tensor(dys, [N, OH, OW, C]);
    const dg = sn.tensor(dgs, [N, C]);
    const y = sn.Tensor.empty([N, OH, OW, C]);
    const argmax = sn.Tensor.empty([N, OH, OW, C]);
    const dx = sn.Tensor.empty([N, H, W, C]);
    const g = sn.Tensor.empty([N, C]);
    const gArg = sn.Tensor.empty([N, C]);
    const out: Results = {};
    sn.ops.maxPool2dForward(x, y, argmax, geometry);
    out.maxY = y.dataSync();
    out.maxArg = new Float32Array(new Int32Array(argmax.dataSync().buffer));
    sn.ops.maxPool2dBackward(dy, argmax, dx);
    out.maxDx = dx.dataSync();
    // Disjoint windows (2x2/2 on the same x): the one-pass backward, plain and masked by y (a relu before).
    const d = { poolH: 2, poolW: 2, strideH: 2, strideW: 2, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 };
    const [dh, dw] = sn.ops.pool2dOutputSize(H, W, d);
    const [dY, dArg, dDy] = [sn.Tensor.empty([N, dh, dw, C]), sn.Tensor.empty([N, dh, dw, C]), sn.tensor(dys.subarray(0, N * dh * dw * C), [N, dh, dw, C])];
    sn.ops.maxPool2dForward(x, dY, dArg, d);
    sn.ops.maxPool2dBackward(dDy, dArg, dx, d);
    out.disjointDx = dx.dataSync();
    sn.ops.maxPool2dBackward(dDy, dArg, dx, d, dY);
    out.maskedDx = dx.dataSync();
    [dY, dArg, dDy].forEach((t) => t.dispose());
    sn.ops.avgPool2dForward(x, y, geometry);
    out.avgY = y.dataSync();
    sn.ops.avgPool2dBackward(dy, dx, geometry);
    out.avgDx = dx.dataSync();
    sn.ops.globalMaxPoolForward(x, g, gArg);
    out.gmaxY = g.dataSync();
    sn.ops.globalMaxPoolBackward(dg, gArg, dx);
    out.gmaxDx = dx.dataSync();
    sn.ops.globalAvgPoolForward(x, g);
    out.gavgY = g.dataSync();
    sn.ops.globalAvgPoolBackward(dg, dx);
    out.gavgDx = dx.dataSync();
    // relu, sigmoid, tanh: backward with x as the incoming gradient.
    const a = sn.Tensor.empty([N, H, W, C]);
    for (const act of [1, 5, 6] as const) {
      sn.ops.activationForward(x, a, act);
      out[`act${act}`] = a.dataSync();
      sn.ops.activationBackward(a, x, dx, act);
      out[`dact${act}`] = dx.dataSync();
    }
    // Optimizer updates over a parameter of x's size (+ 3, a tail past the last 16-float slice), x as gradient.
    const n = x.size + 3;
    const grad = sn.tensor(Float32Array.from({ length: n }, (_, i) => xs[i % xs.length]), [n]);
    const w0 = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const widestBefore = widest;
    widest = 1;
    const updates: Record<string, (w: sn.Tensor, s1: sn.Tensor, s2: sn.Tensor) => void> = {
      sgd: (w) => sn.ops.sgdUpdate(w, grad, null, 0.1),
      momentum: (w, s1) => sn.ops.sgdUpdate(w, grad, s1, 0.1, 0.9),
      nesterov: (w, s1) => sn.ops.sgdUpdate(w, grad, s1, 0.1, 0.9, true),
      adam: (w, s1, s2) => sn.ops.adamUpdate(w, grad, s1, s2, 0.01, 0.9, 0.999, 1e-7, 3),
      rmsprop: (w, s1) => sn.ops.rmspropUpdate(w, grad, s1, null, 0.01),
      rmspropMomentum: (w, s1, s2) => sn.ops.rmspropUpdate(w, grad, s1, s2, 0.01, 0.9, 0.5),
    };
    for (const [name, update] of Object.entries(updates)) {
      const [w, s1, s2] = [sn.tensor(w0, [n]), sn.tensor(new Float32Array(n).fill(0.5), [n]), sn.tensor(new Float32Array(n).fill(0.25), [n])];
      update(w, s1, s2);
      update(w, s1, s2);
      [out[name], out[`${name}S1`], out[`${name}S2`]] = [w.dataSync(), s1.dataSync(), s2.dataSync()];
      [w, s1, s2].forEach((t) => t.dispose());
    }
    grad.dispose();
    const widestUpdate = widest;
    widest = Math.max(widest, widestBefore);
    for (const t of [x, dy, dg, y, argmax, dx, g, gArg, a]) t.dispose();
    return { out, widest, widestUpdate };
  } finally {
    e.parallel = parallel;
  }
}

describe.each(['plain', 'relaxed'] as const)('ops split across threads (%s SIMD)', (simd) => {
  it('give exactly the single-threaded results for pooling, activations and optimizer updates', async () => {
    await sn.ready({ threads: 1, simd });
    const single = runAll();
    expect(single.widest).toBe(1);
    expect(single.widestUpdate).toBe(1);
    await sn.ready({ threads: 2, simd });
    const threaded = runAll();
    expect(threaded.widest).toBe(2);
    expect(threaded.widestUpdate).toBe(2);
    for (const key of Object.keys(single.out)) {
      expect(Array.from(threaded.out[key]), key).toEqual(Array.from(single.out[key]));
    }
  });
});

describe('parameter gradients zeroed across threads', () => {
  // A dense kernel of 300x256 (76,800 floats) is zeroed in slices on 2 threads each step; training gives the
  // same weights as on one thread, bit for bit (the zeroing comes before every backward that adds into it).
  async function train(threads: number): Promise<{ weights: Float32Array[]; zeroGroups: number }> {
    await sn.ready({ threads });
    const e = engine();
    let zeroGroups = 0;
    const parallel = e.parallel.bind(e);
    e.parallel = (calls) => {
      if (calls.length > 1 && calls[0][0] === 'fill_f32') zeroGroups++;
      parallel(calls);
    };
    try {
      const model = sn.sequential([
        sn.layers.dense({ inputShape: [300], units: 256, activation: 'relu' }),
        sn.layers.dense({ units: 10, activation: 'softmax' }),
      ]);
      model.setWeights(model.getWeights().map((w, i) => sn.tensor(Float32Array.from({ length: w.size }, (_, j) => Math.sin(i + j * 0.37) * 0.05), w.shape)));
      model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      const x = sn.tensor(Float32Array.from({ length: 5 * 300 }, (_, i) => Math.cos(i * 0.11)), [5, 300]);
      const y = sn.tensor(Float32Array.from([1, 3, 5, 7, 9]), [5]);
      for (let step = 0; step < 3; step++) await model.trainOnBatch(x, y);
      const weights = model.getWeights().map((w) => w.dataSync());
      return { weights, zeroGroups };
    } finally {
      e.parallel = parallel;
      sn.dispose(); // the model, its inputs and the weight copies: the next ready() starts another engine
    }
  }

  it('splits the zeroing of a large gradient and changes no bit', async () => {
    const single = await train(1);
    const threaded = await train(2);
    expect(single.zeroGroups).toBe(0);
    expect(threaded.zeroGroups, 'split zeroing groups over 3 steps').toBe(3);
    threaded.weights.forEach((w, i) => expect(Array.from(w), `weight ${i}`).toEqual(Array.from(single.weights[i])));
  });
});
