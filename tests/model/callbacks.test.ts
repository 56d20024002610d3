// sn.callbacks (Keras semantics) and learning-rate schedules: early stopping stops at the right epoch and
// restores the best weights, schedules give the formula's rate at every step, reduceLROnPlateau and
// learningRateScheduler move the rate as Keras does, terminateOnNaN stops fit instead of throwing.
import { describe, it, expect, beforeAll, vi } from 'vitest';
import * as sn from '../../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

/** A small dense model on random data; only its weights matter here. */
function tiny(lr = 0.05): { model: sn.Sequential; x: sn.Tensor; y: sn.Tensor } {
  sn.setSeed(3);
  const model = sn.sequential([sn.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), sn.layers.dense({ units: 2 })]);
  model.compile({ optimizer: sn.optimizers.sgd(lr), loss: 'meanSquaredError' });
  const x = sn.tensor(Array.from({ length: 24 }, (_, i) => Math.sin(i)), [8, 3]);
  const y = sn.tensor(Array.from({ length: 16 }, (_, i) => Math.cos(i)), [8, 2]);
  return { model, x, y };
}

/** A callback that writes a scripted value into each epoch's logs (placed before the callback under test). */
function script(name: string, values: number[]): sn.Callbacks {
  return { onEpochEnd: (epoch, logs) => void (logs[name] = values[epoch]) };
}

const flat = (ws: sn.Tensor[]): number[] => ws.flatMap((w) => Array.from(w.dataSync()));

describe('earlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best epoch\'s weights', async () => {
    const { model, x, y } = tiny();
    const seen: number[][] = [];
    const snapshot: sn.Callbacks = {
      onEpochEnd: () => {
        const w = model.getWeights();
        seen.push(flat(w));
        w.forEach((t) => t.dispose());
      },
    };
    // best at epoch 2 (0.5); 0.6, 0.55 do not improve: with patience 2, training stops after epoch 4.
    const es = sn.callbacks.earlyStopping({ patience: 2, restoreBestWeights: true });
    const h = await model.fit(x, y, { epochs: 20, batchSize: 4, callbacks: [script('val_loss', [1, 0.8, 0.5, 0.6, 0.55, 0.4, 0.3]), snapshot, es] });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(es.stoppedEpoch).toBe(4);
    expect(es.bestEpoch).toBe(2);
    const final = model.getWeights();
    expect(flat(final)).toEqual(seen[2]);
    expect(flat(final)).not.toEqual(seen[4]);
    final.forEach((t) => t.dispose());
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('without restoreBestWeights keeps the last weights; minDelta and mode max (accuracy) follow Keras', async () => {
    const { model, x, y } = tiny();
    const live = sn.memoryInfo().liveTensors;
    // mode 'auto' on val_acc is max. Gains of 0.005 < minDelta 0.01 do not count: best stays at epoch 0.
    const es = sn.callbacks.earlyStopping({ monitor: 'val_acc', minDelta: 0.01, patience: 3 });
    const h = await model.fit(x, y, { epochs: 10, batchSize: 8, callbacks: [script('val_acc', [0.5, 0.505, 0.51, 0.509, 0.9]), es] });
    expect(es.mode).toBe('max');
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(es.best).toBe(0.5);
    // A baseline not beaten keeps `wait` counting through improvements (Keras): patience 2 stops at the
    // first flat epoch (3); without the baseline the flat epochs 3, 4 reach patience only at epoch 4.
    const losses = [1, 0.9, 0.8, 0.85, 0.85, 0.85, 0.85];
    const withBaseline = await model.fit(x, y, { epochs: 7, batchSize: 8, callbacks: [script('loss', losses), sn.callbacks.earlyStopping({ monitor: 'loss', patience: 2, baseline: 0.1 })] });
    expect(withBaseline.epoch).toEqual([0, 1, 2, 3]);
    const without = await model.fit(x, y, { epochs: 7, batchSize: 8, callbacks: [script('loss', losses), sn.callbacks.earlyStopping({ monitor: 'loss', patience: 2 })] });
    expect(without.epoch).toEqual([0, 1, 2, 3, 4]);
    expect(sn.memoryInfo().liveTensors).toBe(live);
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('on a real run: monitors the real val_loss and stops when it rises', async () => {
    const { model, x, y } = tiny(2); // a rate this large makes val_loss wander
    const es = sn.callbacks.earlyStopping({ patience: 1 });
    const h = await model.fit(x, y, { epochs: 30, batchSize: 8, validationData: [x, y], callbacks: [es] });
    const v = h.history.val_loss!;
    // Keras's rule replayed on the logged values.
    let best = Infinity;
    let wait = 0;
    let stop = v.length - 1;
    for (let e = 0; e < v.length; e++) {
      wait++;
      if (v[e] < best) {
        best = v[e];
        wait = 0;
      } else if (wait >= 1 && e > 0) {
        stop = e;
        break;
      }
    }
    expect(h.epoch.length).toBe(stop + 1);
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('checks its options and warns (once) about a missing log', async () => {
    expect(() => sn.callbacks.earlyStopping({ patience: -1 })).toThrow(/earlyStopping: patience must be an integer ≥ 0, got -1/);
    expect(() => sn.callbacks.earlyStopping({ mode: 'up' as 'min' })).toThrow(/mode must be 'auto', 'min' or 'max', got 'up'/);
    expect(() => sn.callbacks.reduceLROnPlateau({ factor: 1 })).toThrow(/factor must be in \(0, 1\), got 1/);
    const { model, x, y } = tiny();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const h = await model.fit(x, y, { epochs: 3, batchSize: 8, callbacks: [sn.callbacks.earlyStopping()] });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/no 'val_loss' \(they have: loss\)/);
    warn.mockRestore();
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

/** The learning rate each update of trainOnBatch really used: a linear unit w·x with MSE on (x=1, y=0). */
async function ratesUsed(optimizer: sn.optimizers.Optimizer, steps: number): Promise<number[]> {
  const model = sn.sequential([sn.layers.dense({ units: 1, useBias: false, kernelInitializer: 'ones', inputShape: [1] })]);
  model.compile({ optimizer, loss: 'meanSquaredError' });
  const x = sn.tensor([1], [1, 1]);
  const y = sn.tensor([0], [1, 1]);
  const rates: number[] = [];
  for (let s = 0; s < steps; s++) {
    const before = model.getWeights()[0];
    const w0 = before.dataSync()[0];
    before.dispose();
    await model.trainOnBatch(x, y);
    const after = model.getWeights()[0];
    const w1 = after.dataSync()[0];
    after.dispose();
    rates.push((1 - w1 / w0) / 2); // w1 = w0 − lr·2w0
  }
  model.dispose();
  x.dispose();
  y.dispose();
  return rates;
}

describe('learning-rate schedules', () => {
  it('cosineDecay: each step uses lr0·((1−α)·½(1+cos(π·min(step, T)/T)) + α)', async () => {
    const lr0 = 0.1;
    const T = 7;
    const alpha = 0.1;
    const formula = (s: number): number => lr0 * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, T)) / T)) + alpha);
    const rates = await ratesUsed(sn.optimizers.sgd({ learningRate: sn.optimizers.schedules.cosineDecay({ initialLearningRate: lr0, decaySteps: T, alpha }) }), 10);
    rates.forEach((r, s) => expect(r).toBeCloseTo(formula(s), 6));
    expect(rates[9]).toBeCloseTo(lr0 * alpha, 6);
  });

  it('cosineDecay with alpha 0 ends at a rate of 0, which every optimizer takes (the weights stop moving)', async () => {
    const T = 4;
    const cosine = () => sn.optimizers.schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: T, alpha: 0 });
    const rates = await ratesUsed(sn.optimizers.sgd({ learningRate: cosine() }), 6);
    rates.forEach((r, s) => expect(r).toBeCloseTo(0.1 * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, T)) / T)), 6));
    expect(rates.slice(T)).toEqual([0, 0]);
    for (const make of [sn.optimizers.adam, sn.optimizers.rmsprop, sn.optimizers.sgd]) {
      const o = make({ learningRate: cosine() });
      o.iterations = T;
      expect(o.learningRate).toBe(0);
      // Adam and RMSprop at rate 0 leave w exactly as it was, whatever their moments.
      expect(await ratesUsed(make({ learningRate: 0 }), 2)).toEqual([0, 0]);
    }
  });

  it('exponentialDecay per epoch in fit: the rate read at each epoch begin is lr0·rate^(step/T), staircase floors', async () => {
    const { model, x, y } = tiny();
    const schedule = sn.optimizers.schedules.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 3, decayRate: 0.5, staircase: true });
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: schedule }), loss: 'meanSquaredError' });
    const read: number[] = [];
    // 8 rows in batches of 2: 4 steps per epoch, so epoch e starts at step 4e.
    await model.fit(x, y, { epochs: 5, batchSize: 2, callbacks: { onEpochBegin: () => void read.push(model.optimizer!.learningRate) } });
    read.forEach((r, e) => expect(r).toBeCloseTo(0.05 * Math.pow(0.5, Math.floor((4 * e) / 3)), 12));
    expect(() => (model.optimizer!.learningRate = 0.1)).toThrow(/follows a ExponentialDecay schedule and cannot be set/);
    const smooth = await ratesUsed(sn.optimizers.sgd({ learningRate: sn.optimizers.schedules.exponentialDecay({ initialLearningRate: 0.2, decaySteps: 2, decayRate: 0.3 }) }), 5);
    smooth.forEach((r, s) => expect(r).toBeCloseTo(0.2 * Math.pow(0.3, s / 2), 6));
    expect(() => sn.optimizers.schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 0 })).toThrow(/cosineDecay: decaySteps must be a positive integer, got 0/);
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('learningRateScheduler and reduceLROnPlateau', () => {
  it('learningRateScheduler sets schedule(epoch, lr) before each epoch and logs it as learning_rate', async () => {
    const { model, x, y } = tiny(0.08);
    const given: number[] = [];
    const used: number[] = [];
    const cb = sn.callbacks.learningRateScheduler((epoch, lr) => {
      given.push(lr);
      return epoch < 2 ? lr : lr * 0.5;
    });
    const h = await model.fit(x, y, { epochs: 4, batchSize: 8, callbacks: [cb, { onBatchBegin: () => void used.push(model.optimizer!.learningRate) }] });
    expect(given).toEqual([0.08, 0.08, 0.08, 0.04]);
    expect(used).toEqual([0.08, 0.08, 0.04, 0.02]);
    expect(h.history.learning_rate).toEqual([0.08, 0.08, 0.04, 0.02]);
    const bad = sn.callbacks.learningRateScheduler(() => NaN);
    await expect(model.fit(x, y, { epochs: 1, callbacks: [bad] })).rejects.toThrow(/learningRateScheduler: the schedule returned NaN for epoch 0/);
    model.dispose();
    x.dispose();
    y.dispose();
  });

  it('reduceLROnPlateau multiplies the rate by factor after `patience` flat epochs, then cools down; never below minLr', async () => {
    const { model, x, y } = tiny(0.1);
    const cb = sn.callbacks.reduceLROnPlateau({ patience: 2, factor: 0.5, cooldown: 1, minLr: 0.03 });
    // Improves at 0, 1; flat at 2, 3 → halved after epoch 3. Epoch 4 ends the cooldown and (as in Keras)
    // already counts, so flat 4, 5 → reduced after epoch 5, to minLr 0.03 rather than 0.025; then no further.
    const values = [1, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
    const h = await model.fit(x, y, { epochs: 10, batchSize: 8, callbacks: [script('val_loss', values), cb] });
    // logged before that epoch's reduction, as Keras logs it
    expect(h.history.learning_rate).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03]);
    expect(model.optimizer!.learningRate).toBe(0.03);
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('terminateOnNaN', () => {
  /** A linear unit that diverges: each SGD step multiplies w by about −2·lr·x², so the loss overflows float32 within a few steps. */
  function diverging(): { model: sn.Sequential; x: sn.Tensor; y: sn.Tensor } {
    const model = sn.sequential([sn.layers.dense({ units: 1, useBias: false, kernelInitializer: 'ones', inputShape: [1] })]);
    model.compile({ optimizer: sn.optimizers.sgd(1e3), loss: 'meanSquaredError' });
    return { model, x: sn.tensor([1e3, 1e3], [2, 1]), y: sn.tensor([0, 0], [2, 1]) };
  }

  it('without it fit rejects at the non-finite loss; with it fit resolves, stopped, the weights finite', async () => {
    const a = diverging();
    await expect(a.model.fit(a.x, a.y, { epochs: 10, batchSize: 1, shuffle: false })).rejects.toThrow(/the loss is (NaN|Infinity)/);
    const b = diverging();
    const ends: number[] = [];
    const h = await b.model.fit(a.x, a.y, {
      epochs: 10,
      batchSize: 1,
      shuffle: false,
      callbacks: [sn.callbacks.terminateOnNaN(), { onBatchEnd: (_b, logs) => void ends.push(logs.loss) }],
    });
    expect(Number.isFinite(ends[ends.length - 1])).toBe(false);
    expect(ends.slice(0, -1).every(Number.isFinite)).toBe(true);
    expect(h.epoch.length).toBeLessThan(10);
    expect(Number.isFinite(h.history.loss[h.history.loss.length - 1])).toBe(false);
    const w = b.model.getWeights()[0];
    expect(Number.isFinite(w.dataSync()[0])).toBe(true);
    w.dispose();
    for (const m of [a, b]) m.model.dispose();
    for (const t of [a.x, a.y, b.x, b.y]) t.dispose();
  });
});
