// quantize of functional models (sn.model): a residual block and an inception-style block. Convs and dense
// layers run int8, merges (Add, Concatenate) and global pooling stay fp32 with conversions around them;
// outputs stay within the quantization error of fp32, and save/load gives the same bytes.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { quantize, loadQuantizedModel, type QuantizedModel } from '../../src/quantize/index.js';
import { rng } from '../helpers/random.js';

const L = sn.layers;

function randomize(model: sn.LayersModel, seed: number): void {
  const r = rng(seed);
  const ws = model.getWeights();
  ws.forEach((w) => {
    const fanIn = w.shape.length > 1 ? w.size / w.shape[w.shape.length - 1] : 4;
    const limit = Math.sqrt(6 / fanIn);
    w.set(Float32Array.from({ length: w.size }, () => (r() * 2 - 1) * limit));
  });
  model.setWeights(ws);
  for (const w of ws) w.dispose();
}

function images(n: number, shape: number[], seed: number): sn.Tensor {
  const r = rng(seed);
  return sn.tensor(Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => r()), [n, ...shape]);
}

/** conv → conv, added to the first conv's output (a residual block), pooled, dense softmax. */
function residual(): sn.LayersModel {
  const x = sn.input({ shape: [10, 9, 3] });
  const a = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(x);
  const b = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'body' }).apply(a);
  const sum = L.add({ name: 'skip' }).apply([a, b]);
  const p = L.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(sum);
  const f = L.flatten({ name: 'flat' }).apply(p);
  const y = L.dense({ units: 5, activation: 'softmax', name: 'head' }).apply(f);
  const m = sn.model({ inputs: x, outputs: y, name: 'residual' });
  randomize(m, 5);
  return m;
}

/** Three branches (1x1 conv, 3x3 conv, 3x3 max pool then 1x1 conv) concatenated, then a conv and a dense head. */
function inception(): sn.LayersModel {
  const x = sn.input({ shape: [9, 8, 12] });
  const b1 = L.conv2d({ filters: 6, kernelSize: 1, activation: 'relu', name: 'b1' }).apply(x);
  const b2 = L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'b2' }).apply(x);
  const pooled = L.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'b3_pool' }).apply(x);
  const b3 = L.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'b3' }).apply(pooled);
  const cat = L.concatenate({ name: 'cat' }).apply([b1, b2, b3]);
  const c = L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'mix' }).apply(cat);
  const g = L.globalAveragePooling2d({ name: 'gap' }).apply(c);
  const y = L.dense({ units: 4, activation: 'softmax', name: 'head' }).apply(g);
  const m = sn.model({ inputs: x, outputs: y, name: 'inception' });
  randomize(m, 9);
  return m;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function runsOf(q: QuantizedModel): Record<string, string> {
  const lines: string[] = [];
  q.summary((l) => lines.push(l));
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = /^(\S+) \(\w+\)\s.*\s(int8|fp32|—)$/.exec(l);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

describe('quantize of functional models', () => {
  beforeAll(async () => {
    await sn.ready();
  });

  const cases = [
    { name: 'residual', make: residual, shape: [10, 9, 3], classes: 5,
      runs: { stem: 'int8', body: 'int8', skip: 'fp32', pool: 'int8', flat: '—', head: 'int8' } },
    { name: 'inception-style', make: inception, shape: [9, 8, 12], classes: 4,
      runs: { b1: 'int8', b2: 'int8', b3_pool: 'int8', b3: 'int8', cat: 'fp32', mix: 'int8', gap: 'fp32', head: 'int8' } },
  ];

  for (const c of cases) {
    it(`${c.name}: convs and dense int8, merges fp32, within the quantization error of fp32; save/load gives the same bytes`, async () => {
      const model = c.make();
      const calibration = images(64, c.shape, 1);
      const x = images(30, c.shape, 2);
      const q = await quantize(model, { calibration });
      let back: QuantizedModel | null = null;
      let floatDisposed = false;
      try {
        expect(runsOf(q)).toEqual(c.runs);
        const want = model.predict(x) as sn.Tensor;
        const got = q.predict(x, { batchSize: 7 });
        const a = want.dataSync(), b = got.dataSync();
        // Softmax outputs: 7-bit activations through 3–4 quantized layers move them by a few hundredths.
        expect(maxAbsDiff(a, b)).toBeLessThan(0.06);
        expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
        let agree = 0;
        const arg = (v: Float32Array, i: number) => v.subarray(i * c.classes, (i + 1) * c.classes).reduce((best, t, j, row) => (t > row[best] ? j : best), 0);
        for (let i = 0; i < 30; i++) if (arg(a, i) === arg(b, i)) agree++;
        expect(agree).toBeGreaterThanOrEqual(27);
        // The quantized model owns copies: disposing the float model leaves it working.
        model.dispose();
        floatDisposed = true;
        const again = q.predict(x, { batchSize: 7 });
        expect(again.dataSync()).toEqual(b);
        back = await loadQuantizedModel(await q.save());
        expect(runsOf(back)).toEqual(c.runs);
        const loaded = back.predict(x, { batchSize: 30 });
        expect(loaded.dataSync()).toEqual(b);
        for (const t of [want, got, again, loaded]) t.dispose();
      } finally {
        q.dispose();
        back?.dispose();
        if (!floatDisposed) model.dispose();
        calibration.dispose();
        x.dispose();
      }
    });
  }
});
