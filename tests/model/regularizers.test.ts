// sn.regularizers: the penalty and its gradient against a float64 reference (odd sizes, blocks), the exact
// 2·λ·w that l2 adds to a dense and a conv2d kernel's gradient in a real training step, the loss it adds,
// and the configs saved (TF.js's L1L2) and read (L1L2, Keras's L1 and L2).
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../layers/reference.js';

beforeAll(async () => {
  await sn.ready();
});

const f32 = Math.fround;

describe('regularize kernel', () => {
  for (const n of [1, 3, 4, 7, 4096, 9001]) {
    it(`n = ${n}: g += l1·sign(w) + 2·l2·w, returns Σ l1|w| + l2·w² (float64 reference)`, () => {
      const r = rng(n);
      const w = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : r() * 2 - 1));
      const g0 = Array.from({ length: n }, () => r() - 0.5);
      const wt = sn.tensor(w, [n]);
      const gt = sn.tensor(g0, [n]);
      const l1 = 0.003;
      const l2 = 0.02;
      const penalty = sn.ops.regularize(wt, gt, l1, l2);
      const W = wt.dataSync(); // the float32 values
      let want = 0;
      for (let i = 0; i < n; i++) want += f32(l1) * Math.abs(W[i]) + f32(l2) * W[i] * W[i];
      // f32 lanes summed per block of 4,096, then in f64: relative error of float32 order
      expect(Math.abs(penalty - want)).toBeLessThanOrEqual(1e-6 * want);
      const g = gt.dataSync();
      for (let i = 0; i < n; i++) {
        const sign = W[i] > 0 ? 1 : W[i] < 0 ? -1 : 0;
        expect(g[i]).toBeCloseTo(f32(g0[i]) + sign * f32(l1) + 2 * f32(l2) * W[i], 6);
      }
      wt.dispose();
      gt.dispose();
    });
  }

  it('refuses a gradient of another size or one that overlaps w', () => {
    const w = sn.tensor([1, 2, 3], [3]);
    const g = sn.tensor([1, 2], [2]);
    expect(() => sn.ops.regularize(w, g, 0, 0.1)).toThrow(/regularize: w \[3\] and its gradient \[2\] differ in size/);
    expect(() => sn.ops.regularize(w, w, 0, 0.1)).toThrow(/regularize/);
    w.dispose();
    g.dispose();
  });
});

/** Two copies of a model, one regularized; after one SGD step on the same batch, the gradients' difference. */
async function gradientDifference(make: (reg: sn.regularizers.L1L2 | undefined) => sn.Sequential, reg: sn.regularizers.L1L2, x: sn.Tensor, y: sn.Tensor) {
  sn.setSeed(11);
  const a = make(reg);
  sn.setSeed(11);
  const b = make(undefined);
  for (const m of [a, b]) m.compile({ optimizer: sn.optimizers.sgd(0.1), loss: 'meanSquaredError' });
  const before = a.getWeights();
  const la = (await a.trainOnBatch(x, y)) as number;
  const lb = (await b.trainOnBatch(x, y)) as number;
  const layerA = a.layers[0];
  const layerB = b.layers[0];
  const result = {
    w: Array.from(before[0].dataSync()),
    bias: Array.from(before[1].dataSync()),
    dKernel: Array.from(layerA.params[0].grad!.dataSync()).map((g, i) => g - layerB.params[0].grad!.dataSync()[i]),
    dBias: Array.from(layerA.params[1].grad!.dataSync()).map((g, i) => g - layerB.params[1].grad!.dataSync()[i]),
    dLoss: la - lb,
  };
  before.forEach((t) => t.dispose());
  a.dispose();
  b.dispose();
  return result;
}

describe('kernelRegularizer / biasRegularizer in training', () => {
  it('dense: l2 adds exactly 2·λ·w to the kernel gradient and λ·Σw² to the loss; the bias is untouched', async () => {
    const lambda = 0.05;
    const x = sn.tensor(Array.from({ length: 15 }, (_, i) => Math.sin(i + 1)), [3, 5]);
    const y = sn.tensor(Array.from({ length: 9 }, (_, i) => Math.cos(i)), [3, 3]);
    const d = await gradientDifference(
      (reg) => sn.sequential([sn.layers.dense({ units: 3, inputShape: [5], kernelRegularizer: reg })]),
      sn.regularizers.l2({ l2: lambda }),
      x,
      y,
    );
    d.dKernel.forEach((g, i) => expect(g).toBeCloseTo(2 * lambda * d.w[i], 6));
    expect(d.dBias.every((g) => g === 0)).toBe(true);
    expect(d.dLoss).toBeCloseTo(lambda * d.w.reduce((s, v) => s + v * v, 0), 5);
    x.dispose();
    y.dispose();
  });

  it('conv2d (odd shapes, stride 2): l1l2 adds l1·sign(w) + 2·l2·w to kernel and bias gradients', async () => {
    const x = sn.tensor(Array.from({ length: 2 * 5 * 7 * 3 }, (_, i) => Math.sin(i * 0.7)), [2, 5, 7, 3]);
    const y = sn.tensor(Array.from({ length: 2 * 2 * 3 * 5 }, (_, i) => Math.cos(i)), [2, 2, 3, 5]);
    const reg = sn.regularizers.l1l2({ l1: 0.01, l2: 0.03 });
    const d = await gradientDifference(
      (r) => sn.sequential([sn.layers.conv2d({ filters: 5, kernelSize: [3, 2], strides: 2, inputShape: [5, 7, 3], kernelRegularizer: r, biasRegularizer: r })]),
      reg,
      x,
      y,
    );
    const want = (w: number): number => 0.01 * Math.sign(w) + 2 * 0.03 * w;
    d.dKernel.forEach((g, i) => expect(g).toBeCloseTo(want(d.w[i]), 6));
    // the bias starts at zero: sign(0) = 0 (TensorFlow's), so its gradient is unchanged
    d.dBias.forEach((g) => expect(g).toBe(0));
    x.dispose();
    y.dispose();
  });

  it('the fit loss includes the penalty; evaluate does not (as TF.js); a frozen layer adds nothing', async () => {
    sn.setSeed(2);
    const model = sn.sequential([sn.layers.dense({ units: 2, inputShape: [2], kernelRegularizer: sn.regularizers.l2({ l2: 10 }) })]);
    model.compile({ optimizer: sn.optimizers.sgd(1e-9), loss: 'meanSquaredError' });
    const x = sn.tensor([1, 2, 3, 4], [2, 2]);
    const y = sn.tensor([0, 0, 0, 0], [2, 2]);
    const w = model.getWeights();
    const penalty = 10 * Array.from(w[0].dataSync()).reduce((s, v) => s + v * v, 0);
    const h = await model.fit(x, y, { epochs: 1, batchSize: 2 });
    expect(h.history.loss[0] - model.evaluate(x, y).loss).toBeCloseTo(penalty, 4);
    model.layers[0].trainable = false;
    model.compile({ optimizer: sn.optimizers.sgd(1e-9), loss: 'meanSquaredError' });
    const frozen = await model.fit(x, y, { epochs: 1, batchSize: 2 });
    expect(frozen.history.loss[0]).toBeCloseTo(model.evaluate(x, y).loss, 6);
    w.forEach((t) => t.dispose());
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('regularizer configs', () => {
  it('saves L1L2 as TF.js writes it, loads it back (and Keras L2 / L1), regularizing as before', async () => {
    const model = sn.sequential([
      sn.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [4, 4, 1], kernelRegularizer: sn.regularizers.l2({ l2: 0.02 }) }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 2, kernelRegularizer: 'l1', biasRegularizer: sn.regularizers.l1l2({ l1: 0.5, l2: 0.25 }) }),
    ]);
    const art = await model.save();
    const layers = (art.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect(layers[0].config.kernel_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0, l2: 0.02 } });
    expect(layers[0].config.bias_regularizer).toBeNull();
    expect(layers[2].config.kernel_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0.01, l2: 0 } });
    expect(layers[2].config.bias_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0.5, l2: 0.25 } });
    // Keras writes l2(...) as 'L2' and l1(...) as 'L1'
    layers[0].config.kernel_regularizer = { class_name: 'L2', config: { l2: 0.02 } };
    layers[2].config.kernel_regularizer = { class_name: 'L1', config: { l1: 0.01 } };
    const again = await sn.loadModel(art);
    const art2 = await again.save();
    const layers2 = (art2.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect(layers2.map((l) => [l.config.kernel_regularizer, l.config.bias_regularizer])).toEqual([
      [{ class_name: 'L1L2', config: { l1: 0, l2: 0.02 } }, null],
      [undefined, undefined],
      [{ class_name: 'L1L2', config: { l1: 0.01, l2: 0 } }, { class_name: 'L1L2', config: { l1: 0.5, l2: 0.25 } }],
    ]);
    layers[0].config.kernel_regularizer = { class_name: 'OrthogonalRegularizer', config: {} };
    await expect(sn.loadModel(art)).rejects.toThrow(/kernel_regularizer is 'OrthogonalRegularizer'; simdnet reads L1L2, L1 and L2/);
    expect(() => sn.layers.dense({ units: 1, kernelRegularizer: 0.1 as unknown as 'l2' })).toThrow(/kernelRegularizer must be sn.regularizers.l1\/l2\/l1l2/);
    expect(() => sn.regularizers.l2({ l2: -1 })).toThrow(/l2: l2 must be a finite number ≥ 0, got -1/);
    model.dispose();
    again.dispose();
  });
});
