// Issue 12's later layers against TensorFlow.js 4.22 (bench/node_modules, as modern-cnn.test.ts): permute,
// layerNormalization, reLU with any maxValue, batchNormalization with center/scale off. A simdnet model is saved, loaded by TF.js, both predict the same;
// then each takes one full-batch SGD step (MSE) and they must still predict the same — forward, gradients,
// weight names and configs at once. Odd shapes: batch 1 and 3, non-square, channels not divisible by 4.
// The same models also round-trip through simdnet's own save/load.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { haveTfjs, loadTfjs, type Tf } from '../helpers/tfjs.js';

let tf: Tf;

beforeAll(async () => {
  await sn.ready();
  if (haveTfjs) tf = await loadTfjs();
});
afterAll(() => sn.dispose());

const L = sn.layers;
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const inputs = (shape: number[], n: number) => Float32Array.from({ length: n * size(shape) }, (_, i) => Math.sin(i * 0.37) * 1.5);

// [label, input shape, layers, batch]
const models: [string, number[], () => sn.Layer[], number, boolean?][] = [
  ['permute NCHW → NHWC, conv2d, permute back (the ONNX boundary), batch 1', [3, 5, 7], () => [
    L.permute({ dims: [2, 3, 1], inputShape: [3, 5, 7] }),
    L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'tanh' }),
    L.permute({ dims: [3, 1, 2] }),
    L.flatten(),
    L.dense({ units: 3 }),
  ], 1],
  ['permute of a sequence and of a volume (rank 3 and 5 with the batch)', [4, 6], () => [
    L.permute({ dims: [2, 1], inputShape: [4, 6] }),
    L.dense({ units: 5 }),
    L.reshape({ targetShape: [3, 2, 5, 1] }),
    L.permute({ dims: [4, 3, 1, 2] }),
    L.flatten(),
    L.dense({ units: 2 }),
  ], 3],
  ['layerNormalization: last axis, whole images, flat with epsilon 1e-5', [5, 4, 3], () => [
    L.conv2d({ filters: 5, kernelSize: 2, inputShape: [5, 4, 3] }),
    L.layerNormalization(),
    L.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }),
    L.layerNormalization({ axis: [1, 2, 3] }),
    L.flatten(),
    L.layerNormalization({ epsilon: 1e-5 }),
    L.dense({ units: 2 }),
  ], 3],
  ['reLU with maxValue 3 and 0.5 (any cap)', [5, 3], () => [
    L.dense({ units: 7, inputShape: [5, 3] }),
    L.reLU({ maxValue: 3 }),
    L.dense({ units: 6 }),
    L.reLU({ maxValue: 0.5 }),
    L.flatten(),
    L.dense({ units: 2 }),
    L.reLU(),
  ], 3],
  // TF.js 4.22 cannot train LayerNormalization or BatchNormalization with center or scale off (its training
  // path reads the missing gamma/beta and throws): only the forward is compared. The kernel tests check the
  // layer norm's gradients (float64); the batch norm's training is checked below against gamma 1 and beta 0.
  ['layerNormalization with scale off and with center off (forward only: TF.js cannot train these)', [4, 5], () => [
    L.layerNormalization({ scale: false, inputShape: [4, 5] }),
    L.dense({ units: 3 }),
    L.layerNormalization({ center: false }),
  ], 3, false],
  ['batchNormalization with scale off, center off and both off (Keras weights without gamma or beta)', [5, 3, 6], () => [
    L.conv2d({ filters: 5, kernelSize: 2, inputShape: [5, 3, 6] }),
    L.batchNormalization({ scale: false }),
    L.conv2d({ filters: 3, kernelSize: [2, 1], activation: 'tanh' }),
    L.batchNormalization({ center: false, momentum: 0.5 }),
    L.flatten(),
    L.batchNormalization({ center: false, scale: false, momentum: 0.5 }),
    L.dense({ units: 2 }),
  ], 3, false],
  ['layerNormalization of a sequence, batch 1', [3, 7], () => [
    L.dense({ units: 6, inputShape: [3, 7] }),
    L.layerNormalization({ axis: 2 }),
    L.flatten(),
    L.dense({ units: 3 }),
  ], 1],
];

async function compareWithTfjs(shape: number[], layers: sn.Layer[], N: number, tfjsTrains = true): Promise<void> {
  sn.setSeed(12);
  const model = sn.sequential(layers);
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
  const xs = inputs(shape, N);
  const x = sn.tensor(xs, [N, ...shape]);
  const out = model.outputShape.slice(1) as number[];
  const ys = Float32Array.from({ length: N * size(out) }, (_, i) => Math.cos(i * 0.7));
  const y = sn.tensor(ys, [N, ...out]);
  const artifacts = await model.save();
  const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const again = await sn.loadModel(artifacts);
  const compare = (what: string, other: { predict: (x: Tf) => Tf }, tfjs: boolean) => {
    const mine = model.predict(x);
    const r = tfjs ? other.predict(tf.tensor(xs, [N, ...shape])) : other.predict(x);
    const got = r.dataSync();
    const m = mine.dataSync();
    expect(got.length, what).toBe(m.length);
    m.forEach((v, i) => expect(Math.abs(v - got[i]), `${what}: element ${i}`).toBeLessThan(1e-4 * (1 + Math.abs(got[i]))));
    mine.dispose();
    if (!tfjs) r.dispose();
  };
  compare('simdnet save → loadModel', again, false);
  compare('before training', theirs, true);
  if (tfjsTrains) {
    theirs.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
    await theirs.trainOnBatch(tf.tensor(xs, [N, ...shape]), tf.tensor(ys, [N, ...out]));
    await model.trainOnBatch(x, y);
    compare('after one SGD step', theirs, true);
  }
  for (const t of [x, y]) t.dispose();
  model.dispose();
  again.dispose();
}

describe.skipIf(!haveTfjs)('permute, layerNormalization, reLU, batchNormalization against TensorFlow.js 4.22', () => {
  it.each(models)('%s: predictions, then one SGD step, match', async (_name, shape, layers, batch, tfjsTrains) => {
    await compareWithTfjs(shape, layers(), batch, tfjsTrains);
  });
});

describe('batchNormalization with center/scale off', () => {
  // With gamma 1 and beta 0, a full batch norm computes what one without them does, in training too (batch
  // statistics, dx, moving averages); one SGD step must move every other weight alike.
  it('trains as a full batch norm whose gamma is 1 and beta 0 (one SGD step, every other weight equal)', async () => {
    const build = (bn: sn.layers.BatchNormalizationArgs) => {
      sn.setSeed(5);
      const m = sn.sequential([
        L.conv2d({ filters: 6, kernelSize: 2, inputShape: [4, 5, 3] }),
        L.batchNormalization({ ...bn, momentum: 0.5 }),
        L.flatten(),
        L.dense({ units: 2 }),
      ]);
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      return m;
    };
    const x = sn.tensor(inputs([4, 5, 3], 3), [3, 4, 5, 3]);
    const y = sn.tensor(Float32Array.from({ length: 6 }, (_, i) => Math.cos(i)), [3, 2]);
    const full = build({});
    // Each layer's weights by layer index and name.
    const named = (m: sn.LayersModel) => new Map(m.layers.flatMap((l, i) =>
      (l as unknown as { params: { name: string; value: sn.Tensor }[] }).params.map((p) => [`${i}:${p.name}`, p.value.dataSync().slice()] as const)));
    for (const off of [{ scale: false }, { center: false }, { center: false, scale: false }]) {
      const bare = build(off);
      bare.setWeights(full.getWeights().filter((_, i) => !((off.scale === false && i === 2) || (off.center === false && i === 3))));
      await bare.trainOnBatch(x, y);
      const again = build({});
      again.setWeights(full.getWeights());
      await again.trainOnBatch(x, y);
      const a = named(bare);
      const b = named(again);
      expect(a.size, JSON.stringify(off)).toBe(b.size - (off.scale === false ? 1 : 0) - (off.center === false ? 1 : 0));
      for (const [name, v] of a) {
        const w = b.get(name)!;
        expect(w, `${JSON.stringify(off)} ${name}`).toBeDefined();
        v.forEach((e, i) => expect(Math.abs(e - w[i]), `${JSON.stringify(off)} ${name}[${i}]`).toBeLessThan(1e-6));
      }
      bare.dispose();
      again.dispose();
    }
    full.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('layerNormalization', () => {
  it('refuses axes that are not the trailing ones', () => {
    expect(() => sn.sequential([L.layerNormalization({ axis: 1, inputShape: [4, 5] })])).toThrow(/LayerNormalization.*axis 1.*trailing/);
    expect(() => L.layerNormalization({ epsilon: 0 })).toThrow(/epsilon must be a positive number/);
  });
});

describe('reLU with negativeSlope and threshold (Keras options TF.js lacks; the kernel tests check them against float64)', () => {
  it('saves them only when set, loads them back, and computes Keras\'s formula', async () => {
    const model = sn.sequential([L.reLU({ maxValue: 2, negativeSlope: 0.25, threshold: 0.5, inputShape: [7] }), L.reLU({ maxValue: 4 })]);
    const artifacts = await model.save();
    const layers = (artifacts.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect(layers[0].config).toMatchObject({ max_value: 2, negative_slope: 0.25, threshold: 0.5 });
    expect(layers[1].config).not.toHaveProperty('negative_slope');
    const again = await sn.loadModel(artifacts);
    const xs = [-2, -0.3, 0.5, 0.7, 1.9, 2.5, 9];
    const x = sn.tensor(xs, [1, 7]);
    // The second layer (cap 4) zeroes the first one's negative part.
    const want = xs.map((v) => Math.fround(Math.max(0, v > 0.5 ? Math.min(v, 2) : 0.25 * (v - 0.5))));
    expect(want.filter((v) => v > 0 && v < 2).length).toBeGreaterThan(1);
    for (const m of [model, again]) {
      const y = m.predict(x);
      Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
      y.dispose();
    }
    x.dispose();
    model.dispose();
    again.dispose();
  });

  it('refuses negative options', () => {
    expect(() => L.reLU({ maxValue: -1 })).toThrow(/maxValue must be a number ≥ 0 or null/);
    expect(() => L.reLU({ negativeSlope: -0.1 })).toThrow(/negativeSlope must be a number ≥ 0/);
  });
});

describe('permute', () => {
  it('refuses dims that are not a permutation of 1..rank, and a rank that does not match', () => {
    expect(() => L.permute({ dims: [1, 1] })).toThrow(/dims must be a permutation of 1\.\.2/);
    expect(() => L.permute({ dims: [0, 1] })).toThrow(/permutation/);
    expect(() => sn.sequential([L.permute({ dims: [2, 1], inputShape: [2, 3, 4] })])).toThrow(/Permute.*rank 2.*\[null,2,3,4\]/);
  });
});
