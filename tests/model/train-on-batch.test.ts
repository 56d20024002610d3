import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

function model(seed: number) {
  sn.setSeed(seed);
  const m = sn.sequential([
    sn.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 5, 2] }),
    sn.layers.flatten(),
    sn.layers.dense({ units: 4, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const n = 7;
const xs = new Float32Array(n * 6 * 5 * 2).map((_, i) => Math.sin(i * 0.37));
const ys = new Float32Array(n).map((_, i) => i % 4);

describe('trainOnBatch', () => {
  it('takes the same step as fit() over one batch, and reports loss and accuracy', async () => {
    const x = sn.tensor(xs, [n, 6, 5, 2]);
    const y = sn.tensor(ys, [n]);
    const a = model(3);
    const b = model(3);
    const before = a.evaluate(x, y);
    const out = (await a.trainOnBatch(x, y)) as number[];
    expect(out).toHaveLength(2);
    expect(out[0]).toBeCloseTo(before.loss, 5); // the loss of the batch before the step
    expect(out[1]).toBeCloseTo(before.accuracy, 6);
    await b.fit(x, y, { epochs: 1, batchSize: n, shuffle: false, verbose: 0 });
    const wa = a.getWeights().map((t) => t.dataSync());
    const wb = b.getWeights().map((t) => t.dataSync());
    for (let i = 0; i < wa.length; i++) expect(Array.from(wa[i])).toEqual(Array.from(wb[i]));
    expect(a.evaluate(x, y).loss).toBeLessThan(before.loss);
    for (const t of [x, y]) t.dispose();
    a.dispose();
    b.dispose();
  });

  it('names the problem for bad labels and leaves the weights alone', async () => {
    const x = sn.tensor(xs, [n, 6, 5, 2]);
    const y = sn.tensor(ys.slice(0, 5), [5]);
    const m = model(4);
    const w = m.getWeights().map((t) => Array.from(t.dataSync()));
    await expect(m.trainOnBatch(x, y)).rejects.toThrow(/trainOnBatch/);
    expect(m.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(w);
    x.dispose();
    y.dispose();
    m.dispose();
  });
});
