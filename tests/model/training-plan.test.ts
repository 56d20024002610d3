// Training plans (src/model/training-plan.ts): from the second step of a batch size on, trainBatch replays a
// recorded step. Each test trains the same model twice from the same seed, step by step (plans off) and
// with plans, and asks for the same weights, losses and moving statistics bit for bit — with dropout and
// augmentation (drawn live), a learning-rate schedule and Adam (live updates), several inputs and outputs, weight
// penalties, and the changes a stale trace would get wrong: a frozen layer, setWeights, a forced conv path,
// a new compile. Replays are counted, so a plan that is never used fails too.
import { describe, it, expect, beforeAll, afterAll, afterEach, vi } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { setTrainingPlans, trainingReplays } from '../../src/model/training-plan.js';
import * as layerClasses from '../../src/layers/index.js';
import type { Graph } from '../../src/model/graph.js';
import { rng } from '../helpers/random.js';
import { readdirSync, readFileSync } from 'node:fs';

const L = sn.layers;

beforeAll(async () => {
  await sn.ready({ threads: 1 });
});
afterEach(() => setTrainingPlans(true));
afterAll(() => sn.ops.forceConv2dPath('auto'));

function tensorOf(shape: number[], seed: number, f = (v: number) => v * 2 - 1): sn.Tensor {
  const r = rng(seed);
  return sn.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => f(r())), shape);
}

/** Counts the traces engine.replay runs while `f` runs (inference plans' included). */
async function replaysDuring(f: () => Promise<unknown>): Promise<number> {
  const spy = vi.spyOn(engine(), 'replay');
  try {
    await f();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

interface Run {
  weights: Float32Array[];
  losses: number[];
  replays: number;
}

/** Builds (seeded), compiles and trains with `train`; plans on or off. */
async function trainWith(plans: boolean, build: () => sn.LayersModel, train: (m: sn.LayersModel) => Promise<number[]>): Promise<Run> {
  setTrainingPlans(plans);
  sn.setSeed(42);
  const m = build();
  let losses: number[] = [];
  const replays = await replaysDuring(async () => (losses = await train(m)));
  const weights = m.getWeights().map((t) => {
    const v = t.dataSync().slice();
    t.dispose();
    return v;
  });
  m.dispose();
  return { weights, losses, replays };
}

/** Trains both ways and checks the same results bit for bit, and that the plans replayed `minReplays` steps. */
async function expectSameTraining(build: () => sn.LayersModel, train: (m: sn.LayersModel) => Promise<number[]>, minReplays: number): Promise<Run> {
  const stepByStep = await trainWith(false, build, train);
  const planned = await trainWith(true, build, train);
  expect(stepByStep.replays).toBe(0);
  expect(planned.replays).toBeGreaterThanOrEqual(minReplays);
  expect(planned.losses).toEqual(stepByStep.losses);
  expect(planned.weights.length).toBe(stepByStep.weights.length);
  planned.weights.forEach((w, i) => expect(w, `weight ${i}`).toEqual(stepByStep.weights[i]));
  return planned;
}

/** A conv net on the Winograd path (3x3, 16 → 32 channels) with dropout and batch norm. */
function convnet(): sn.Sequential {
  return sn.sequential([
    L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [9, 7, 3] }),
    L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
    L.batchNormalization(),
    L.maxPooling2d({ poolSize: 2 }),
    L.flatten(),
    L.dropout({ rate: 0.3 }),
    L.dense({ units: 5, activation: 'softmax', kernelRegularizer: sn.regularizers.l2({ l2: 0.01 }) }),
  ]);
}

const lossesOf = (h: sn.History) => h.history.loss as number[];

describe('training plans', () => {
  it.each([1, 2])('fit with dropout, batch norm, a penalty, Adam on a schedule: the same weights and losses (%i threads)', async (threads) => {
    await sn.ready({ threads });
    const x = tensorOf([23, 9, 7, 3], 1);
    const y = tensorOf([23], 2, (v) => Math.floor(v * 5));
    const run = await expectSameTraining(
      () => {
        const m = convnet();
        const learningRate = sn.optimizers.schedules.exponentialDecay({ initialLearningRate: 0.01, decaySteps: 2, decayRate: 0.5 });
        m.compile({ optimizer: sn.optimizers.adam({ learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        return m;
      },
      async (m) => {
        const h = await m.fit(x, y, { epochs: 3, batchSize: 5, shuffle: true, verbose: 0 });
        return [...lossesOf(h), ...(h.history.acc as number[])];
      },
      // 5 batches an epoch (the last of 3 rows runs step by step); the first epoch's first two steps record.
      3 * 4 - 2,
    );
    // Batch norm's moving statistics moved (the replayed kernels wrote them).
    expect(run.weights[6].some((v) => v !== 0)).toBe(true);
    [x, y].forEach((t) => t.dispose());
    await sn.ready({ threads: 1 });
  });

  it('a model of two inputs and two outputs, loss weights and SGD with momentum: the same', async () => {
    const build = (): sn.LayersModel => {
      const a = sn.input({ shape: [6, 6, 2], name: 'a' });
      const b = sn.input({ shape: [4], name: 'b' });
      const c = L.conv2d({ filters: 5, kernelSize: 3, activation: 'relu' }).apply(a) as sn.SymbolicTensor;
      const f = L.flatten().apply(c) as sn.SymbolicTensor;
      const d = L.dense({ units: 4, activation: 'relu' }).apply(b) as sn.SymbolicTensor;
      const j = L.concatenate().apply([f, d]) as sn.SymbolicTensor;
      const shared = L.dense({ units: 4 });
      const s = L.add().apply([shared.apply(j) as sn.SymbolicTensor, d]) as sn.SymbolicTensor;
      const out1 = L.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(s) as sn.SymbolicTensor;
      const out2 = L.dense({ units: 2, name: 'reg' }).apply(s) as sn.SymbolicTensor;
      const m = sn.model({ inputs: [a, b], outputs: [out1, out2] });
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'], lossWeights: [1, 0.5] });
      return m;
    };
    const xa = tensorOf([8, 6, 6, 2], 3);
    const xb = tensorOf([8, 4], 4);
    const y1 = tensorOf([8], 5, (v) => Math.floor(v * 3));
    const y2 = tensorOf([8, 2], 6);
    await expectSameTraining(build, async (m) => {
      const out: number[] = [];
      for (let i = 0; i < 6; i++) out.push(...((await m.trainOnBatch([xa, xb], [y1, y2])) as number[]));
      return out;
    }, 4);
    [xa, xb, y1, y2].forEach((t) => t.dispose());
  });

  it('follows a frozen layer, setWeights, a forced conv path and a new compile: the same as step by step', async () => {
    const x = tensorOf([6, 9, 7, 3], 7);
    const y = tensorOf([6], 8, (v) => Math.floor(v * 5));
    const build = (): sn.LayersModel => {
      const m = convnet();
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await expectSameTraining(build, async (m) => {
      const losses: number[] = [];
      const steps = async (n: number) => {
        for (let i = 0; i < n; i++) losses.push((await m.trainOnBatch(x, y)) as number);
      };
      await steps(4);
      m.layers[1].trainable = false; // the Winograd conv stops moving
      await steps(3);
      m.layers[1].trainable = true;
      const w = m.getWeights();
      m.setWeights(w.map((t) => sn.tensor(t.dataSync().map((v) => v * 0.9), t.shape)));
      w.forEach((t) => t.dispose());
      await steps(3);
      sn.ops.forceConv2dPath('im2col');
      await steps(3);
      sn.ops.forceConv2dPath('auto');
      m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.002 }), loss: 'sparseCategoricalCrossentropy' });
      await steps(3);
      return losses;
    }, 6);
    [x, y].forEach((t) => t.dispose());
  });

  it('records what is derived from the weights even when it was fresh: predict between steps, a layer unfrozen or frozen and set', async () => {
    // predict after the first step transforms the Winograd filters of the new weights; the step that records
    // then finds them fresh. A trace without the transform would replay stale filters.
    const x = tensorOf([5, 9, 7, 3], 21);
    const y = tensorOf([5], 22, (v) => Math.floor(v * 5));
    const build = (): sn.LayersModel => {
      const m = convnet();
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await expectSameTraining(build, async (m) => {
      const losses: number[] = [];
      const predictions = async () => {
        const p = m.predict(x) as sn.Tensor;
        losses.push(...p.dataSync());
        p.dispose();
      };
      losses.push((await m.trainOnBatch(x, y)) as number);
      await predictions();
      for (let i = 0; i < 4; i++) losses.push((await m.trainOnBatch(x, y)) as number);
      await predictions();
      // Frozen for a step (its filters stay fresh), then trained again from the step that records.
      m.layers[1].trainable = false;
      losses.push((await m.trainOnBatch(x, y)) as number);
      m.layers[1].trainable = true;
      for (let i = 0; i < 4; i++) losses.push((await m.trainOnBatch(x, y)) as number);
      await predictions();
      // Frozen while replayed, and its weights replaced: the replays must use the new ones.
      m.layers[1].trainable = false;
      for (let i = 0; i < 3; i++) losses.push((await m.trainOnBatch(x, y)) as number);
      const w = m.getWeights();
      m.setWeights(w.map((t) => sn.tensor(t.dataSync().map((v) => v * 0.8), t.shape)));
      w.forEach((t) => t.dispose());
      for (let i = 0; i < 3; i++) losses.push((await m.trainOnBatch(x, y)) as number);
      return losses;
    }, 8);
    [x, y].forEach((t) => t.dispose());
  });

  it('a non-finite loss in a replayed step throws and leaves the weights as they were', async () => {
    const m = sn.sequential([
      L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [9, 7, 3] }),
      L.flatten(),
      L.dropout({ rate: 0.2 }),
      L.dense({ units: 5 }),
    ]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tensorOf([4, 9, 7, 3], 9);
    const y = tensorOf([4, 5], 10);
    const bad = tensorOf([4, 9, 7, 3], 9, (v) => v * 1e30); // finite inputs whose squared errors overflow
    for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y); // the second records, the third replays
    const before = m.getWeights().map((t) => t.dataSync().slice());
    const replay = vi.spyOn(engine(), 'replay');
    try {
      await expect(m.trainOnBatch(bad, y)).rejects.toThrow(/the loss is (NaN|-?Infinity)/);
      expect(replay).toHaveBeenCalledTimes(1);
    } finally {
      replay.mockRestore();
    }
    m.getWeights().forEach((t, i) => expect(t.dataSync(), `weight ${i}`).toEqual(before[i]));
    expect(Number.isFinite(await m.trainOnBatch(x, y))).toBe(true); // and training goes on
    // The same in the step that records: nothing recorded, nothing written; the next step records.
    const fresh = sn.sequential([L.dense({ units: 5, inputShape: [9, 7, 3] }), L.flatten(), L.dense({ units: 5 })]);
    fresh.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await fresh.trainOnBatch(x, y); // step by step
    const weights = fresh.getWeights().map((t) => t.dataSync().slice());
    await expect(fresh.trainOnBatch(bad, y)).rejects.toThrow(/the loss is/);
    fresh.getWeights().forEach((t, i) => expect(t.dataSync(), `weight ${i}`).toEqual(weights[i]));
    expect(await replaysDuring(async () => {
      for (let i = 0; i < 3; i++) expect(Number.isFinite(await fresh.trainOnBatch(x, y))).toBe(true);
    })).toBe(2);
    fresh.dispose();
    [x, y, bad].forEach((t) => t.dispose());
    m.dispose();
  });

  it.each([true, false])('predict after training steps uses the new weights: the Winograd filters and folded batch norm follow (plans %s)', async (plans) => {
    setTrainingPlans(plans);
    const build = (frozen: boolean) => sn.sequential([
      L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', inputShape: [9, 7, 16], trainable: !frozen }),
      // Folded into the frozen conv by predict; only its moving statistics move, which no optimizer marks.
      L.batchNormalization({ center: false, scale: false }),
      L.flatten(),
      L.dense({ units: 3, activation: 'softmax' }),
    ]);
    sn.setSeed(5);
    const m = build(true);
    m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
    const x = tensorOf([4, 9, 7, 16], 11);
    const y = tensorOf([4], 12, (v) => Math.floor(v * 3));
    const p0 = (m.predict(x) as sn.Tensor);
    const before = p0.dataSync().slice();
    p0.dispose();
    for (let i = 0; i < 2; i++) await m.trainOnBatch(x, y); // with plans: the second step records
    (m.predict(x) as sn.Tensor).dispose(); // folds the statistics of now
    for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y); // replayed
    const p1 = m.predict(x) as sn.Tensor;
    const after = p1.dataSync().slice();
    p1.dispose();
    const other = build(true);
    (other.predict(x) as sn.Tensor).dispose();
    const w = m.getWeights();
    other.setWeights(w);
    w.forEach((t) => t.dispose());
    const p2 = other.predict(x) as sn.Tensor;
    const expected = p2.dataSync().slice();
    p2.dispose();
    expect(after).not.toEqual(before);
    after.forEach((v, i) => expect(Math.abs(v - expected[i]), `output ${i}`).toBeLessThan(1e-6));
    [x, y].forEach((t) => t.dispose());
    m.dispose();
    other.dispose();
  });

  it('keeps memory flat over replayed steps, and gives it back at the end of fit', async () => {
    const m = convnet();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = tensorOf([8, 9, 7, 3], 13);
    const y = tensorOf([8], 14, (v) => Math.floor(v * 5));
    const heap = engine().heap;
    for (let i = 0; i < 4; i++) await m.trainOnBatch(x, y);
    const settled = heap.bytesInUse;
    const replays = await replaysDuring(async () => {
      for (let i = 0; i < 30; i++) await m.trainOnBatch(x, y);
    });
    expect(replays).toBe(30);
    expect(heap.bytesInUse).toBe(settled);
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(heap.bytesInUse).toBeLessThan(settled);
    [x, y].forEach((t) => t.dispose());
    m.dispose();
  });

  it('augmentation layers draw new transforms each replayed step: the same as step by step', async () => {
    const x = tensorOf([6, 8, 8, 2], 17, (v) => v * 255);
    const y = tensorOf([6], 18, (v) => Math.floor(v * 3));
    const build = (): sn.LayersModel => {
      const m = sn.sequential([
        L.randomFlip({ inputShape: [8, 8, 2] }),
        L.randomTranslation({ heightFactor: 0.2, widthFactor: 0.2, seed: 7 }),
        L.randomContrast({ factor: 0.3 }),
        L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
        L.flatten(),
        L.dense({ units: 3, activation: 'softmax' }),
      ]);
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    await expectSameTraining(build, async (m) => lossesOf(await m.fit(x, y, { epochs: 4, batchSize: 3, verbose: 0 })), 5);
    [x, y].forEach((t) => t.dispose());
  });

  it('trains step by step where a layer is not the library\'s own (a subclass of sn.Layer)', async () => {
    class Doubling extends sn.Layer {
      readonly className = 'Doubling';
      protected computeOutputShape(s: number[]): number[] {
        return s;
      }
      forward(x: sn.Tensor): sn.Tensor {
        return x;
      }
      backward(dy: sn.Tensor): sn.Tensor {
        return dy;
      }
      protected layerConfig(): Record<string, unknown> {
        return {};
      }
    }
    const graphOf = (m: sn.LayersModel): Graph => (m as unknown as { graphFor(w: string): Graph }).graphFor('test');
    const custom = sn.sequential([new Doubling({ inputShape: [4] }), L.dense({ units: 2 })]);
    const augmented = sn.sequential([L.randomFlip({ inputShape: [4, 4, 1] }), L.flatten(), L.dense({ units: 2 })]);
    const plain = sn.sequential([L.flatten({ inputShape: [4, 4, 1] }), L.dense({ units: 2 })]);
    expect([custom, augmented, plain].map((m) => trainingReplays(graphOf(m)))).toEqual([false, true, true]);
    custom.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tensorOf([3, 4], 15);
    const y = tensorOf([3, 2], 16);
    expect(await replaysDuring(async () => {
      for (let i = 0; i < 4; i++) await custom.trainOnBatch(x, y);
    })).toBe(0);
    [x, y].forEach((t) => t.dispose());
    [custom, augmented, plain].forEach((m) => m.dispose());
  });

  it('replays every layer class that src/layers exports, and no other', () => {
    // trainingReplays finds a layer's class among those exports: a layer class left out of them would
    // silently train step by step. Every concrete class of the layers folder must be exported.
    const exported = new Set(Object.values(layerClasses));
    const files = readdirSync('src/layers').filter((f) => f.endsWith('.ts'));
    const declared = files.flatMap((f) => [...readFileSync(`src/layers/${f}`, 'utf8').matchAll(/^(?:export )?class (\w+)/gm)].map((m) => m[1]));
    expect(declared.length).toBeGreaterThan(30);
    for (const name of declared) expect(exported.has((layerClasses as Record<string, unknown>)[name]), name).toBe(true);
  });
});
