// The training loop: it learns, memory stays flat, callbacks and history follow TF.js, validation works,
// and the optimizers follow their update rules.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../layers/reference.js';

beforeAll(async () => {
  await sn.ready();
});

/** n images 8x8x1: class 0 a horizontal bar, 1 a vertical bar, 2 a diagonal; at random places, with noise. */
function bars(n: number, seed: number): { x: sn.Tensor; y: sn.Tensor } {
  const r = rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    const at = 1 + Math.floor(r() * 6);
    for (let p = 0; p < 64; p++) x[i * 64 + p] = (r() - 0.5) * 0.4;
    for (let t = 0; t < 8; t++) {
      const [row, col] = c === 0 ? [at, t] : c === 1 ? [t, at] : [t, t];
      x[i * 64 + row * 8 + col] += 1;
    }
  }
  return { x: sn.tensor(x, [n, 8, 8, 1]), y: sn.tensor(y, [n]) };
}

/** Two interleaved half-moons in 2D: not linearly separable. */
function moons(n: number, seed: number): { x: sn.Tensor; y: sn.Tensor } {
  const r = rng(seed);
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * r();
    x[2 * i] = c === 0 ? Math.cos(t) : 1 - Math.cos(t);
    x[2 * i + 1] = (c === 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + (r() - 0.5) * 0.1;
    y[i] = c;
  }
  return { x: sn.tensor(x, [n, 2]), y: sn.tensor(y, [n, 1]) };
}

describe('training', () => {
  it('an MLP learns two moons (binary cross-entropy, sigmoid output)', async () => {
    sn.setSeed(1);
    const train = moons(400, 1);
    const test = moons(200, 2);
    const model = sn.sequential([
      sn.layers.dense({ units: 16, activation: 'tanh', inputShape: [2] }),
      sn.layers.dense({ units: 16, activation: 'relu' }),
      sn.layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.02 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(train.x, train.y, { epochs: 40, batchSize: 32 });
    expect(h.history.loss[39]).toBeLessThan(h.history.loss[0] / 4);
    expect(model.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.97);
    for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
    model.dispose();
  });

  it('a tiny conv net learns bars (conv, pool, dropout, batch norm, softmax + sparse xent)', async () => {
    sn.setSeed(2);
    const train = bars(300, 3);
    const test = bars(150, 4);
    const model = sn.sequential([
      sn.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [8, 8, 1] }),
      sn.layers.batchNormalization(),
      sn.layers.maxPooling2d({ poolSize: 2 }),
      sn.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }),
      sn.layers.globalMaxPooling2d(),
      sn.layers.dropout({ rate: 0.2 }),
      sn.layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(train.x, train.y, { epochs: 15, batchSize: 16, validationData: [test.x, test.y] });
    expect(h.history.val_acc![14]).toBeGreaterThan(0.95);
    expect(model.evaluate(test.x, test.y).accuracy).toBeGreaterThan(0.95);
    for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
    model.dispose();
  });

  it.each([
    ['an MLP with batch norm and dropout', () => [
      sn.layers.dense({ units: 12, activation: 'relu', inputShape: [2] }),
      sn.layers.batchNormalization(),
      sn.layers.dropout({ rate: 0.3 }),
      sn.layers.dense({ units: 2, activation: 'softmax' }),
    ]],
    ['a conv net', () => [
      sn.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
      sn.layers.maxPooling2d({ poolSize: 2 }),
      sn.layers.batchNormalization(),
      sn.layers.flatten(),
      sn.layers.dropout({ rate: 0.25 }),
      sn.layers.dense({ units: 3, activation: 'softmax' }),
    ]],
  ])('memory is flat over 50 epochs: %s', async (_name, layers) => {
    sn.setSeed(3);
    const ls = layers();
    const conv = ls[0] instanceof sn.layers.Conv2D;
    // 250 samples and batch 32: the last batch of each epoch is a different size, as in real use.
    const data = conv ? bars(250, 5) : moons(250, 5);
    const y = conv ? data.y : sn.tensor(data.y.dataSync(), [250]);
    const val = conv ? bars(40, 6) : moons(40, 6);
    const model = sn.sequential(ls);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const valY = conv ? val.y : sn.tensor(val.y.dataSync(), [40]);
    let afterFirst: { wasmBytes: number; liveTensors: number } | null = null;
    const samples: { wasmBytes: number; liveTensors: number }[] = [];
    await model.fit(data.x, y, {
      epochs: 50,
      batchSize: 32,
      validationData: [data.x.shape[0] ? val.x : val.x, valY],
      callbacks: {
        onEpochEnd: (epoch) => {
          if (epoch === 0) afterFirst = sn.memoryInfo();
          else samples.push(sn.memoryInfo());
        },
      },
    });
    expect(samples.length).toBe(49);
    for (const s of samples) expect(s).toEqual(afterFirst);
    for (const t of new Set([data.x, data.y, y, val.x, val.y, valY])) t.dispose();
    model.dispose();
  });

  it('reports history and calls callbacks as TF.js; yields between batches', async () => {
    sn.setSeed(4);
    const { x, y } = moons(50, 7);
    const model = sn.sequential([sn.layers.dense({ units: 4, activation: 'relu', inputShape: [2] }), sn.layers.dense({ units: 1, activation: 'sigmoid' })]);
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const events: string[] = [];
    let timerRan = 0;
    const timer = setInterval(() => timerRan++, 0);
    const h = await model.fit(x, y, {
      epochs: 2,
      batchSize: 20,
      validationSplit: 0.2,
      callbacks: {
        onTrainBegin: () => events.push('trainBegin'),
        onEpochBegin: (e) => events.push(`epochBegin ${e}`),
        onBatchEnd: (b, logs) => {
          events.push(`batch ${b} ${logs.size}`);
          expect(Number.isFinite(logs.loss) && logs.acc! >= 0 && logs.acc! <= 1).toBe(true);
        },
        onEpochEnd: async (e, logs) => {
          events.push(`epochEnd ${e} ${Object.keys(logs).sort().join(',')}`);
          await new Promise((r) => setTimeout(r, 1));
        },
        onTrainEnd: () => events.push('trainEnd'),
      },
    });
    clearInterval(timer);
    // validationSplit 0.2 of 50: 40 training samples → batches of 20, 20.
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batch 0 20',
      'batch 1 20',
      'epochEnd 0 acc,loss,val_acc,val_loss',
      'epochBegin 1',
      'batch 0 20',
      'batch 1 20',
      'epochEnd 1 acc,loss,val_acc,val_loss',
      'trainEnd',
    ]);
    expect(Object.keys(h.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect(h.history.loss.length).toBe(2);
    expect(h.epoch).toEqual([0, 1]);
    expect(timerRan).toBeGreaterThan(0);
    // A second fit while one runs is refused; stopTraining ends the first after the current batch.
    const first = model.fit(x, y, { epochs: 5, batchSize: 10, callbacks: { onBatchEnd: (b) => { if (b === 1) model.stopTraining = true; } } });
    await expect(model.fit(x, y)).rejects.toThrow(/another fit\(\) on this model is still running/);
    expect((await first).history.loss.length).toBe(1);
    // Without metrics and validation: only loss.
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const h2 = await model.fit(x, y, { epochs: 1 });
    expect(Object.keys(h2.history)).toEqual(['loss']);
    x.dispose();
    y.dispose();
    model.dispose();
  });

  it('setSeed makes a whole run (init, shuffling, dropout) reproducible', async () => {
    const run = async (): Promise<number[]> => {
      sn.setSeed(123);
      const { x, y } = moons(64, 8);
      const model = sn.sequential([
        sn.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }),
        sn.layers.dropout({ rate: 0.5 }),
        sn.layers.dense({ units: 1, activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const h = await model.fit(x, y, { epochs: 3, batchSize: 10 });
      x.dispose();
      y.dispose();
      model.dispose();
      return h.history.loss;
    };
    expect(await run()).toEqual(await run());
  });

  it('predict batches internally and gives the same as one batch', () => {
    const model = sn.sequential([sn.layers.dense({ units: 3, activation: 'softmax', inputShape: [5] })]);
    const x = sn.tensor(Float32Array.from({ length: 35 }, (_, i) => Math.sin(i)), [7, 5]);
    const a = model.predict(x, { batchSize: 2 });
    const b = model.predict(x, { batchSize: 100 });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const rows = a.arraySync() as number[][];
    for (const row of rows) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    for (const t of [a, b, x]) t.dispose();
    model.dispose();
  });
});

describe('optimizers follow their update rules (3 steps on a linear model, MSE)', () => {
  // Reference: gradients of MSE for y = x·W + b, in float64, and each optimizer's rule as TF.js writes it.
  const n = 4;
  const xs = Array.from({ length: n * 3 }, (_, i) => Math.sin(i + 1));
  const ts = Array.from({ length: n * 2 }, (_, i) => Math.cos(i));
  function grads(w: number[], b: number[]): [number[], number[]] {
    const gw = new Array(6).fill(0);
    const gb = new Array(2).fill(0);
    for (let r = 0; r < n; r++)
      for (let u = 0; u < 2; u++) {
        let z = b[u];
        for (let k = 0; k < 3; k++) z += xs[r * 3 + k] * w[k * 2 + u];
        const d = (2 * (z - ts[r * 2 + u])) / (n * 2);
        gb[u] += d;
        for (let k = 0; k < 3; k++) gw[k * 2 + u] += d * xs[r * 3 + k];
      }
    return [gw, gb];
  }
  type Rule = (p: number[], g: number[], s: Record<string, number[]>, t: number) => void;
  const rules: [string, () => sn.optimizers.Optimizer, Rule][] = [
    ['sgd momentum 0.9', () => sn.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), (p, g, s) => {
      s.v ??= p.map(() => 0);
      p.forEach((_, i) => {
        s.v[i] = 0.9 * s.v[i] - 0.1 * g[i];
        p[i] += s.v[i];
      });
    }],
    ['adam', () => sn.optimizers.adam({ learningRate: 0.05 }), (p, g, s, t) => {
      s.m ??= p.map(() => 0);
      s.v ??= p.map(() => 0);
      p.forEach((_, i) => {
        s.m[i] = 0.9 * s.m[i] + 0.1 * g[i];
        s.v[i] = 0.999 * s.v[i] + 0.001 * g[i] * g[i];
        const lr = (0.05 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
        p[i] -= (lr * s.m[i]) / (Math.sqrt(s.v[i]) + 1e-7);
      });
    }],
    ['rmsprop', () => sn.optimizers.rmsprop({ learningRate: 0.05 }), (p, g, s) => {
      s.ms ??= p.map(() => 0);
      p.forEach((_, i) => {
        s.ms[i] = 0.9 * s.ms[i] + 0.1 * g[i] * g[i];
        p[i] -= (0.05 * g[i]) / Math.sqrt(s.ms[i] + 1e-7);
      });
    }],
  ];
  it.each(rules)('%s', async (_name, make, rule) => {
    const model = sn.sequential([sn.layers.dense({ units: 2, inputShape: [3] })]);
    model.compile({ optimizer: make(), loss: 'meanSquaredError' });
    const [wt, bt] = model.getWeights();
    const w = Array.from(wt.dataSync(), Number);
    const b = [0.1, -0.2];
    const bias = sn.tensor(b, [2]);
    model.setWeights([wt, bias]);
    const sw: Record<string, number[]> = {};
    const sb: Record<string, number[]> = {};
    const x = sn.tensor(xs, [n, 3]);
    const y = sn.tensor(ts, [n, 2]);
    for (let t = 1; t <= 3; t++) {
      const [gw, gb] = grads(w, b);
      rule(w, gw, sw, t);
      rule(b, gb, sb, t);
      await model.fit(x, y, { epochs: 1, batchSize: n, shuffle: false });
    }
    const [w2, b2] = model.getWeights();
    w2.dataSync().forEach((v, i) => expect(v).toBeCloseTo(w[i], 5));
    b2.dataSync().forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    for (const tt of [wt, bt, bias, x, y, w2, b2]) tt.dispose();
    model.dispose();
  });
});
