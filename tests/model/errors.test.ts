// Every bad input gets an Error naming the layer and the shapes; afterwards the model still predicts the
// same and its weights are unchanged.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';

let model: sn.Sequential;
let x: sn.Tensor;
let y: sn.Tensor;
let weightsBefore: Float32Array[];
let predBefore: Float32Array;

function snapshot(): Float32Array[] {
  const ws = model.getWeights();
  const out = ws.map((w) => w.dataSync());
  ws.forEach((w) => w.dispose());
  return out;
}

/** The model is unchanged and still works. */
function expectIntact(): void {
  const now = snapshot();
  expect(now.length).toBe(weightsBefore.length);
  now.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weightsBefore[i])));
  const p = model.predict(x);
  expect(Array.from(p.dataSync())).toEqual(Array.from(predBefore));
  p.dispose();
}

beforeAll(async () => {
  await sn.ready();
  sn.setSeed(5);
  model = sn.sequential([
    sn.layers.dense({ name: 'hidden', units: 6, activation: 'relu', inputShape: [4] }),
    sn.layers.batchNormalization({ name: 'norm' }),
    sn.layers.dense({ name: 'out', units: 3, activation: 'softmax' }),
  ]);
  x = sn.tensor(Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)), [5, 4]);
  y = sn.tensor([0, 1, 2, 1, 0], [5]);
  weightsBefore = snapshot();
  const p = model.predict(x);
  predBefore = p.dataSync();
  p.dispose();
});

afterAll(() => {
  model.dispose();
  x.dispose();
  y.dispose();
});

describe('errors leave the model intact', () => {
  it('fit before compile', async () => {
    await expect(model.fit(x, y)).rejects.toThrow(/fit: call model.compile/);
    expect(() => model.evaluate(x, y)).toThrow(/evaluate: call model.compile/);
    expectIntact();
  });

  it('unknown optimizer, loss or metric names', () => {
    expect(() => model.compile({ optimizer: 'adagrad', loss: 'meanSquaredError' })).toThrow(/unknown optimizer 'adagrad'/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'hinge' })).toThrow(/unknown loss 'hinge'/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['auc'] })).toThrow(/unknown metric 'auc'/);
    expectIntact();
  });

  it('wrong input shape to predict, fit and evaluate names the first layer and both shapes', async () => {
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const bad = sn.tensor(new Float32Array(15), [5, 3]);
    expect(() => model.predict(bad)).toThrow(/hidden expects input shape \[null,4\] but got \[5,3\]/);
    await expect(model.fit(bad, y)).rejects.toThrow(/hidden expects input shape \[null,4\] but got \[5,3\]/);
    expect(() => model.evaluate(bad, y)).toThrow(/hidden expects input shape \[null,4\] but got \[5,3\]/);
    const rank3 = sn.tensor(new Float32Array(40), [5, 2, 4]);
    expect(() => model.predict(rank3)).toThrow(/expects input shape \[null,4\] but got \[5,2,4\]/);
    bad.dispose();
    rank3.dispose();
    expectIntact();
  });

  it('labels that do not match the loss: count, shape and range', async () => {
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const few = sn.tensor([0, 1, 2], [3]);
    await expect(model.fit(x, few)).rejects.toThrow(/out.*labels have 3 rows.*5 samples/);
    const outOfRange = sn.tensor([0, 1, 3, 1, 0], [5]);
    await expect(model.fit(x, outOfRange)).rejects.toThrow(/sparseCategoricalCrossentropy expects integer class indices in \[0, 2\], but label 2 is 3/);
    const fractional = sn.tensor([0, 1, 0.5, 1, 0], [5]);
    await expect(model.fit(x, fractional)).rejects.toThrow(/label 2 is 0.5/);
    const oneHot = sn.tensor(new Float32Array(15), [5, 3]);
    await expect(model.fit(x, oneHot)).rejects.toThrow(/expects labels of shape \[5\] or \[5,1\].*got \[5,3\]/);

    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await expect(model.fit(x, y)).rejects.toThrow(/out.*categoricalCrossentropy expects labels of shape \[5,3\].*got \[5\]/);
    expect(() => model.evaluate(x, y)).toThrow(/categoricalCrossentropy expects labels of shape \[5,3\]/);

    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    const twos = sn.tensor(new Float32Array(15).fill(2), [5, 3]);
    await expect(model.fit(x, twos)).rejects.toThrow(/binaryCrossentropy expects values in \[0, 1\], but label 0 is 2/);

    const xv = sn.tensor(new Float32Array(8), [2, 4]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(x, y, { validationData: [xv, y] })).rejects.toThrow(/validationData.*labels have 5 rows.*2 samples/);
    for (const t of [few, outOfRange, fractional, oneHot, twos, xv]) t.dispose();
    expectIntact();
  });

  it('bad fit options', async () => {
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(x, y, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer, got 0/);
    await expect(model.fit(x, y, { validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be in \(0, 1\)/);
    expect(() => model.predict(x, { batchSize: 2.5 })).toThrow(/batchSize/);
    expectIntact();
  });

  it('setWeights with the wrong count or a wrong shape changes nothing', () => {
    const ws = model.getWeights();
    expect(ws.map((w) => w.shape)).toEqual([[4, 6], [6], [6], [6], [6, 3], [3], [6], [6]]);
    expect(() => model.setWeights(ws.slice(1))).toThrow(/setWeights expects 8 tensors \(hidden\/kernel, hidden\/bias, norm\/gamma.*but got 7/);
    // A correct first weight, then a wrong shape: the first must not be written either.
    const changed = ws.map((w) => w.clone());
    changed[0].set(new Float32Array(24).fill(9));
    changed[4].dispose();
    changed[4] = sn.tensor(new Float32Array(18), [3, 6]);
    expect(() => model.setWeights(changed)).toThrow(/out\/kernel expects shape \[6,3\] but weight 4 has shape \[3,6\]/);
    changed[4].dispose();
    changed[4] = sn.tensor(new Float32Array(18), [6, 3]);
    changed[5].dispose();
    expect(() => model.setWeights(changed)).toThrow(/weight 5 \(out\/bias\) is not a live Tensor/);
    for (const w of [...ws, ...changed]) w.dispose();
    expectIntact();
  });

  it('getWeights returns copies and setWeights copies in', () => {
    const ws = model.getWeights();
    ws[0].set(new Float32Array(24).fill(1));
    expectIntact(); // writing the copy did not touch the model
    model.setWeights(ws);
    ws[0].set(new Float32Array(24).fill(2)); // nor does writing after setWeights
    const now = model.getWeights();
    expect(Array.from(now[0].dataSync())).toEqual(new Array(24).fill(1));
    // put the original back
    const orig = weightsBefore.map((w, i) => sn.tensor(w, now[i].shape));
    model.setWeights(orig);
    for (const w of [...ws, ...now, ...orig]) w.dispose();
    expectIntact();
  });

  it('a throwing callback rejects fit and leaves the weights of the last finished batch', async () => {
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    let batches = 0;
    const live = sn.memoryInfo().liveTensors;
    await expect(
      model.fit(x, y, {
        batchSize: 2,
        epochs: 3,
        callbacks: {
          onBatchEnd: () => {
            batches++;
            if (batches === 2) throw new Error('stop here');
          },
        },
      }),
    ).rejects.toThrow('stop here');
    expect(batches).toBe(2);
    // The model still predicts finite values and trains on.
    const p = model.predict(x);
    expect(p.dataSync().every(Number.isFinite)).toBe(true);
    p.dispose();
    const h = await model.fit(x, y, { epochs: 1 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    expect(sn.memoryInfo().liveTensors).toBe(live); // nothing leaked by the aborted fit
    // restore for the other tests
    const shapes = [[4, 6], [6], [6], [6], [6, 3], [3], [6], [6]];
    const orig = weightsBefore.map((w, i) => sn.tensor(w, shapes[i]));
    model.setWeights(orig);
    orig.forEach((t) => t.dispose());
    expectIntact();
  });

  it('a model without an input shape says so', () => {
    const m = sn.sequential([sn.layers.dense({ units: 2 })]);
    expect(() => m.countParams()).toThrow(/not built: give the first layer an inputShape/);
    expect(() => m.summary(() => undefined)).toThrow(/inputShape/);
    // It builds from the first data it sees.
    const t = sn.tensor(new Float32Array(6), [2, 3]);
    const p = m.predict(t);
    expect(p.shape).toEqual([2, 2]);
    expect(m.countParams()).toBe(8);
    p.dispose();
    t.dispose();
    m.dispose();
  });
});
