// quantize (simdnet/quantize) end to end: which layers run int8, how close predictions stay to fp32, save/load giving the
// same bytes, plain and relaxed builds giving the same bytes, errors, and memory returned on dispose.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../../src/index.js';
import { quantize, loadQuantizedModel, type QuantizedModel, type QuantizeArgs } from '../../src/quantize/index.js';
import { rng } from '../helpers/random.js';

const L = sn.layers;

/** Sets every weight from a seeded PRNG (variances positive, so batch norm stays finite). */
function randomize(model: sn.Sequential, seed: number): void {
  const r = rng(seed);
  const ws = model.getWeights();
  const specs = model.namedWeights().map((w) => w.spec.name);
  ws.forEach((w, i) => {
    const variance = specs[i].endsWith('moving_variance');
    const fanIn = w.shape.length > 1 ? w.size / w.shape[w.shape.length - 1] : 4;
    const limit = Math.sqrt(6 / fanIn);
    w.set(Float32Array.from({ length: w.size }, () => (variance ? 0.5 + r() : (r() * 2 - 1) * limit)));
  });
  model.setWeights(ws);
  for (const w of ws) w.dispose();
}

function images(n: number, shape: number[], seed: number): sn.Tensor {
  const r = rng(seed);
  const size = n * shape.reduce((a, b) => a * b, 1);
  return sn.tensor(Float32Array.from({ length: size }, () => r()), [n, ...shape]);
}

/** A model that touches every path: a direct int8 first conv (3 channels), int8 convs (3x3 same, 1x1), int8 max
 * pooling, batch norm in float between int8 layers, global pooling in float, int8 dense layers, softmax. */
function mixedModel(): sn.Sequential {
  const m = sn.sequential([
    L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [10, 9, 3] }),
    L.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 10, kernelSize: 1, activation: 'relu6' }),
    L.batchNormalization(),
    L.conv2d({ filters: 9, kernelSize: 2, strides: 2, padding: 'same' }),
    L.globalAveragePooling2d(),
    L.dense({ units: 7, activation: 'relu' }),
    L.dropout({ rate: 0.5 }),
    L.dense({ units: 5, activation: 'softmax' }),
  ]);
  randomize(m, 3);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('quantize', () => {
  beforeAll(async () => {
    await sn.ready();
  });

  it('runs conv/dense/max-pool int8 and the rest fp32, close to the float model', async () => {
    const model = mixedModel();
    const calibration = images(64, [10, 9, 3], 1);
    const x = images(40, [10, 9, 3], 2);
    const q = await quantize(model, { calibration });
    try {
      const lines: string[] = [];
      q.summary((l) => lines.push(l));
      const runs = (name: string) => lines.find((l) => l.startsWith(name))!.trim().split(/\s+/).pop();
      const names = model.layers.map((l) => l.name);
      expect(names.map(runs)).toEqual(['int8', 'int8', 'int8', 'int8', 'fp32', 'int8', 'fp32', 'int8', '—', 'int8']);
      expect(q.int8Layers).toEqual([names[0], names[1], names[2], names[3], names[5], names[7], names[9]]);
      const want = model.predict(x);
      const got = q.predict(x, { batchSize: 7 });
      // Softmax outputs of 5 classes: 7-bit activations through 5 quantized layers move them by a few
      // hundredths at most; the float model and the quantized one agree on nearly every argmax.
      const a = want.dataSync(), b = got.dataSync();
      expect(maxAbsDiff(a, b)).toBeLessThan(0.06);
      let agree = 0;
      for (let i = 0; i < 40; i++) {
        const arg = (v: Float32Array) => v.subarray(i * 5, i * 5 + 5).reduce((best, x, j, row) => (x > row[best] ? j : best), 0);
        if (arg(a) === arg(b)) agree++;
      }
      expect(agree).toBeGreaterThanOrEqual(36);
      // Not a copy of the float model: quantization did change the outputs.
      expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
      want.dispose();
      got.dispose();
    } finally {
      q.dispose();
      model.dispose();
      calibration.dispose();
      x.dispose();
    }
  });

  it('replays recorded runs: repeated predicts give the same bytes, and a float layer whose weights change is recorded again', async () => {
    const model = mixedModel();
    const calibration = images(64, [10, 9, 3], 1);
    const x = images(13, [10, 9, 3], 4);
    const q = await quantize(model, { calibration });
    try {
      // 13 rows in runs of 5: two recorded row counts (5 and 3), each replayed.
      const first = q.predict(x, { batchSize: 5 });
      const second = q.predict(x, { batchSize: 5 });
      const whole = q.predict(x, { batchSize: 13 });
      expect(second.dataSync()).toEqual(first.dataSync());
      expect(whole.dataSync()).toEqual(first.dataSync());
      // The batch norm runs in float: new weights there must reach the next predict.
      const bn = q.layers.find((l) => l.className === 'BatchNormalization')!;
      const gamma = bn.params.find((p) => p.name === 'gamma')!.value;
      gamma.set(Float32Array.from(gamma.dataSync(), (v) => v * 3));
      const changed = q.predict(x, { batchSize: 5 });
      expect(maxAbsDiff(changed.dataSync(), first.dataSync())).toBeGreaterThan(1e-3);
      for (const t of [first, second, whole, changed]) t.dispose();
    } finally {
      q.dispose();
      model.dispose();
      calibration.dispose();
      x.dispose();
    }
  });

  it('folds a BatchNormalization into the int8 conv or dense after it (through pooling, flatten, dropout), not into a padded conv', async () => {
    const m = sn.sequential([
      L.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', inputShape: [11, 10, 2] }),
      L.batchNormalization(), // -> pool -> valid conv: folds (its scales are made positive below)
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 8, kernelSize: 2, activation: 'relu' }),
      L.batchNormalization(), // -> 'same' conv: padded, stays fp32
      L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      L.batchNormalization({ center: false }), // -> flatten -> dense: folds (any sign: no pooling on the way)
      L.flatten(),
      L.dense({ units: 9, activation: 'relu' }),
      L.batchNormalization({ scale: false }), // -> dropout -> dense: folds (no gamma: scales 1/σ)
      L.dropout({ rate: 0.3 }),
      L.dense({ units: 4, activation: 'softmax' }),
    ]);
    randomize(m, 21);
    const gamma = m.layers[1].params.find((p) => p.name === 'gamma')!.value;
    gamma.set(Float32Array.from(gamma.dataSync(), (v) => Math.abs(v) + 0.1));
    const calibration = images(64, [11, 10, 2], 5);
    const x = images(24, [11, 10, 2], 6);
    const q = await quantize(m, { calibration });
    try {
      const lines: string[] = [];
      q.summary((l) => lines.push(l));
      const runs = m.layers.map((l) => lines.find((line) => line.startsWith(l.name))!.trim().split(/\s+/).pop());
      expect(runs).toEqual(['int8', 'folded', 'int8', 'int8', 'fp32', 'int8', 'folded', '—', 'int8', 'folded', '—', 'int8']);
      const want = m.predict(x);
      const got = q.predict(x);
      expect(maxAbsDiff(want.dataSync(), got.dataSync())).toBeLessThan(0.06);
      want.dispose();
      got.dispose();
    } finally {
      q.dispose();
      m.dispose();
      calibration.dispose();
      x.dispose();
    }
  });

  it('percentile ranges and per-tensor weights also work; skip keeps a layer in float', async () => {
    const model = mixedModel();
    const calibration = images(64, [10, 9, 3], 1);
    const x = images(16, [10, 9, 3], 2);
    const want = model.predict(x);
    try {
      const variants = [
        await quantize(model, { calibration, percentile: 99.9 }),
        await quantize(model, { calibration, perChannel: false }),
        await quantize(model, { calibration, skip: [model.layers[7].name] }),
      ];
      // Percentile ranges are inside the min/max ones: never a larger scale.
      const minmax = await quantize(model, { calibration });
      variants[0].spec.tensors.forEach((t, i) => {
        if (t && t.scale !== 1) expect(t.scale).toBeLessThanOrEqual(minmax.spec.tensors[i]!.scale);
      });
      minmax.dispose();
      expect(variants[2].int8Layers).not.toContain(model.layers[7].name);
      for (const q of variants) {
        const got = q.predict(x);
        expect(maxAbsDiff(want.dataSync(), got.dataSync())).toBeLessThan(0.1);
        got.dispose();
        q.dispose();
      }
    } finally {
      want.dispose();
      model.dispose();
      calibration.dispose();
      x.dispose();
    }
  });

  it('save → loadQuantizedModel gives the same bytes (artifacts and file://); sn.loadModel refuses it', async () => {
    const model = mixedModel();
    const calibration = images(32, [10, 9, 3], 4);
    const x = images(9, [10, 9, 3], 5);
    const q = await quantize(model, { calibration });
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-int8-'));
    try {
      const artifacts = await q.save(`file://${dir}`);
      const kernel = artifacts.weightSpecs!.find((s) => s.name === `${model.layers[1].name}/kernel`)!;
      expect(kernel.dtype).toBe('int8');
      await expect(sn.loadModel(artifacts)).rejects.toThrow(/loadQuantizedModel/);
      const first = q.predict(x);
      const want = first.dataSync();
      first.dispose();
      for (const source of [artifacts, `file://${dir}`]) {
        const again = await loadQuantizedModel(source);
        const got = again.predict(x);
        expect(got.dataSync()).toEqual(want);
        expect(again.int8Layers).toEqual(q.int8Layers);
        got.dispose();
        again.dispose();
      }
      const y = sn.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3], [9]);
      const r1 = q.evaluate(x, y);
      expect(r1.accuracy).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(r1.loss)).toBe(true);
      y.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      q.dispose();
      model.dispose();
      calibration.dispose();
      x.dispose();
    }
  });

  it('clear errors, nothing half-made, and every tensor returned on dispose', async () => {
    const before = sn.memoryInfo().liveTensors;
    const model = mixedModel();
    const calibration = images(8, [10, 9, 3], 6);
    const live = sn.memoryInfo().liveTensors;
    await expect(quantize({} as sn.Sequential, { calibration })).rejects.toThrow(/expects a model .*got an empty object/);
    await expect(quantize(model, {} as QuantizeArgs)).rejects.toThrow(/calibration must be a live Tensor of sample inputs, got undefined/);
    const wrong = images(2, [9, 9, 3], 7);
    await expect(quantize(model, { calibration: wrong })).rejects.toThrow(/expects input shape \[null,10,9,3\] but got \[2,9,9,3\]/);
    await expect(quantize(model, { calibration, percentile: 20 })).rejects.toThrow(/percentile must be a number in \(50, 100\], got 20/);
    await expect(quantize(model, { calibration, skip: ['nope'] })).rejects.toThrow(/skip names 'nope'/);
    const nan = sn.tensor(new Float32Array(calibration.size).fill(NaN), calibration.shape);
    await expect(quantize(model, { calibration: nan })).rejects.toThrow(/not finite/);
    expect(sn.memoryInfo().liveTensors).toBe(live + 2);
    const q = await quantize(model, { calibration, loss: 'sparseCategoricalCrossentropy' });
    expect(() => q.predict(wrong)).toThrow(/expects input shape \[null,10,9,3\] but got \[2,9,9,3\]/);
    q.dispose();
    q.dispose();
    expect(() => q.predict(calibration)).toThrow(/disposed/);
    const uncompiled = sn.sequential([L.dense({ units: 2, inputShape: [3] })]);
    const cal2 = sn.tensor([1, 2, 3], [1, 3]);
    const q2 = await quantize(uncompiled, { calibration: cal2 });
    const label = sn.tensor([0], [1]);
    expect(() => q2.evaluate(cal2, label)).toThrow(/no loss/);
    label.dispose();
    q2.dispose();
    await expect(loadQuantizedModel({ modelTopology: {} } as sn.ModelArtifacts)).rejects.toThrow(/not a quantized simdnet model/);
    for (const t of [wrong, nan, calibration, cal2]) t.dispose();
    model.dispose();
    uncompiled.dispose();
    expect(sn.memoryInfo().liveTensors).toBe(before);
  });
});

describe('plain and relaxed builds give the same bytes on an all-int8 model', () => {
  it('quantized in the plain build, loaded in the relaxed build: identical outputs', async () => {
    const make = () => {
      const m = sn.sequential([
        L.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [7, 6, 8] }),
        L.maxPooling2d({ poolSize: 2 }),
        L.conv2d({ filters: 16, kernelSize: 1, activation: 'relu' }),
        L.flatten(),
        L.dense({ units: 6 }),
      ]);
      randomize(m, 9);
      return m;
    };
    const outputs: Float32Array[] = [];
    let artifacts: sn.ModelArtifacts | null = null;
    for (const simd of ['plain', 'relaxed'] as const) {
      await sn.ready({ simd });
      const x = images(5, [7, 6, 8], 10);
      let q: QuantizedModel;
      if (artifacts) q = await loadQuantizedModel(artifacts);
      else {
        const model = make();
        const calibration = images(20, [7, 6, 8], 11);
        q = await quantize(model, { calibration });
        model.dispose();
        calibration.dispose();
      }
      expect(q.int8Layers.length).toBe(4);
      artifacts ??= await q.save();
      const y = q.predict(x);
      outputs.push(y.dataSync());
      for (const t of [x, y]) t.dispose();
      q.dispose();
    }
    expect(outputs[1]).toEqual(outputs[0]);
    await sn.ready();
  });
});
