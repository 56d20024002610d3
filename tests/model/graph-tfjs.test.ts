// Functional models against TensorFlow.js 4.22 (bench/node_modules): the same graph built with both
// libraries from one builder (the APIs share their names), the same weights, then: countParams, the
// getWeights order, predict, one full-batch SGD step compared weight by weight (batch-norm statistics
// included), and save/load both ways. Skipped with a message when TF.js is absent.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as sn from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const tfjsDir = join(here, '../../bench/node_modules/@tensorflow/tfjs');
const haveTfjs = existsSync(join(tfjsDir, 'package.json'));
if (!haveTfjs) console.warn('graph-tfjs: skipped (run the benchmark install to get bench/node_modules/@tensorflow/tfjs)');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let tf: Any;

beforeAll(async () => {
  await sn.ready();
  if (haveTfjs) {
    tf = await import(/* @vite-ignore */ join(tfjsDir, 'dist/tf.node.js'));
    await tf.setBackend('cpu');
  }
});

/** A graph written once for both libraries: `lib` is sn or tf. */
type Builder = (lib: Any) => { inputs: Any; outputs: Any };

interface Case {
  name: string;
  build: Builder;
  /** Per-sample input shapes. */
  inputs: number[][];
  /** One loss per output. */
  losses: string[];
  n: number;
}

// GoogLeNet's inception (3a) module at any size: 1x1; 1x1 → 3x3; 1x1 → 5x5; 3x3 max pool → 1x1; concatenated.
function inception(size: number, channels: number, f: [number, number, number, number, number, number]): Builder {
  return (lib) => {
    const L = lib.layers;
    const x = lib.input({ shape: [size, size, channels], name: 'inc_in' });
    const conv = (name: string, filters: number, k: number) => L.conv2d({ name, filters, kernelSize: k, padding: 'same', activation: 'relu' });
    const b1 = conv('b1_1x1', f[0], 1).apply(x);
    const b2 = conv('b2_3x3', f[2], 3).apply(conv('b2_1x1', f[1], 1).apply(x));
    const b3 = conv('b3_5x5', f[4], 5).apply(conv('b3_1x1', f[3], 1).apply(x));
    const b4 = conv('b4_1x1', f[5], 1).apply(L.maxPooling2d({ name: 'b4_pool', poolSize: 3, strides: 1, padding: 'same' }).apply(x));
    const y = L.concatenate({ name: 'inc_concat', axis: -1 }).apply([b1, b2, b3, b4]);
    return { inputs: x, outputs: y };
  };
}

const identityResidual: Builder = (lib) => {
  const L = lib.layers;
  const x = lib.input({ shape: [6, 5, 4], name: 'res_in' });
  const h = L.conv2d({ name: 'res_c1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
  const h2 = L.conv2d({ name: 'res_c2', filters: 4, kernelSize: 3, padding: 'same' }).apply(h);
  const s = L.add({ name: 'res_add' }).apply([h2, x]);
  const a = L.activation({ name: 'res_relu', activation: 'relu' }).apply(s);
  const g = L.globalAveragePooling2d({ name: 'res_gap' }).apply(a);
  return { inputs: x, outputs: L.dense({ name: 'res_out', units: 3 }).apply(g) };
};

const projectionResidual: Builder = (lib) => {
  const L = lib.layers;
  const x = lib.input({ shape: [7, 6, 3], name: 'proj_in' });
  let h = L.conv2d({ name: 'proj_c1', filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(x);
  h = L.batchNormalization({ name: 'proj_bn1', momentum: 0.9 }).apply(h);
  h = L.activation({ name: 'proj_r1', activation: 'relu' }).apply(h);
  h = L.conv2d({ name: 'proj_c2', filters: 5, kernelSize: 3, padding: 'same', useBias: false }).apply(h);
  h = L.batchNormalization({ name: 'proj_bn2', momentum: 0.9 }).apply(h);
  let s = L.conv2d({ name: 'proj_short', filters: 5, kernelSize: 1, strides: 2, useBias: false }).apply(x);
  s = L.batchNormalization({ name: 'proj_bn_s', momentum: 0.9 }).apply(s);
  const y = L.activation({ name: 'proj_r2', activation: 'relu' }).apply(L.add({ name: 'proj_add' }).apply([h, s]));
  const out = L.dense({ name: 'proj_out', units: 2, activation: 'sigmoid' }).apply(L.flatten({ name: 'proj_flat' }).apply(y));
  return { inputs: x, outputs: out };
};

// Two inputs: image features and a side vector, concatenated, then gated by a sigmoid of the side input.
const twoInput: Builder = (lib) => {
  const L = lib.layers;
  const img = lib.input({ shape: [5, 5, 2], name: 'two_img' });
  const side = lib.input({ shape: [3], name: 'two_side' });
  const f = L.flatten({ name: 'two_flat' }).apply(L.conv2d({ name: 'two_conv', filters: 3, kernelSize: 3, activation: 'tanh' }).apply(img));
  const s = L.dense({ name: 'two_side_d', units: 4, activation: 'relu' }).apply(side);
  const c = L.concatenate({ name: 'two_cat' }).apply([f, s]);
  const h = L.dense({ name: 'two_h', units: 6, activation: 'tanh' }).apply(c);
  const gate = L.dense({ name: 'two_gate', units: 6, activation: 'sigmoid' }).apply(side);
  const g = L.multiply({ name: 'two_mul' }).apply([h, gate]);
  return { inputs: [img, side], outputs: L.dense({ name: 'two_out', units: 4, activation: 'softmax' }).apply(g) };
};

// Siamese: one encoder (shared weights) applied to two inputs; average, maximum and minimum of the codes.
const siamese: Builder = (lib) => {
  const L = lib.layers;
  const a = lib.input({ shape: [4, 4, 1], name: 'sia_a' });
  const b = lib.input({ shape: [4, 4, 1], name: 'sia_b' });
  const conv = L.conv2d({ name: 'sia_conv', filters: 3, kernelSize: 2, activation: 'relu' });
  const flat = L.flatten({ name: 'sia_flat' });
  const enc = L.dense({ name: 'sia_enc', units: 5, activation: 'tanh' });
  const ea = enc.apply(flat.apply(conv.apply(a)));
  const eb = enc.apply(flat.apply(conv.apply(b)));
  const avg = L.average({ name: 'sia_avg' }).apply([ea, eb]);
  const mx = L.maximum({ name: 'sia_max' }).apply([ea, eb]);
  const mn = L.minimum({ name: 'sia_min' }).apply([ea, eb]);
  const cat = L.concatenate({ name: 'sia_cat' }).apply([avg, mx, mn]);
  return { inputs: [a, b], outputs: L.dense({ name: 'sia_out', units: 1, activation: 'sigmoid' }).apply(cat) };
};

// Two outputs from one trunk, each with its own loss.
const twoOutput: Builder = (lib) => {
  const L = lib.layers;
  const x = lib.input({ shape: [6, 6, 2], name: 'out2_in' });
  const t = L.conv2d({ name: 'out2_trunk', filters: 4, kernelSize: 3, activation: 'relu' }).apply(x);
  const p = L.maxPooling2d({ name: 'out2_pool', poolSize: 2 }).apply(t);
  const f = L.flatten({ name: 'out2_flat' }).apply(p);
  const cls = L.dense({ name: 'out2_class', units: 3, activation: 'softmax' }).apply(f);
  const reg = L.dense({ name: 'out2_reg', units: 2 }).apply(L.globalAveragePooling2d({ name: 'out2_gap' }).apply(t));
  return { inputs: x, outputs: [cls, reg] };
};

const CASES: Case[] = [
  { name: 'inception module (small)', build: inception(5, 6, [4, 3, 5, 2, 3, 2]), inputs: [[5, 5, 6]], losses: ['meanSquaredError'], n: 3 },
  { name: 'identity residual block', build: identityResidual, inputs: [[6, 5, 4]], losses: ['meanSquaredError'], n: 4 },
  { name: 'projection residual block with batch norm', build: projectionResidual, inputs: [[7, 6, 3]], losses: ['binaryCrossentropy'], n: 5 },
  { name: 'two inputs (concatenate + multiply gate)', build: twoInput, inputs: [[5, 5, 2], [3]], losses: ['categoricalCrossentropy'], n: 4 },
  { name: 'siamese shared encoder (average, maximum, minimum)', build: siamese, inputs: [[4, 4, 1], [4, 4, 1]], losses: ['binaryCrossentropy'], n: 4 },
  { name: 'two outputs, two losses', build: twoOutput, inputs: [[6, 6, 2]], losses: ['categoricalCrossentropy', 'meanSquaredError'], n: 3 },
];

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function data(shape: number[], n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * size(shape) }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5);
}

/** Labels that fit each loss: one-hot rows, values in (0,1), or any values. */
function labels(loss: string, shape: number[], n: number, seed: number): Float32Array {
  const cols = size(shape);
  const out = new Float32Array(n * cols);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < cols; c++) {
      const v = Math.sin((r * cols + c) * 0.71 + seed);
      out[r * cols + c] = loss === 'categoricalCrossentropy' ? (c === (r + seed) % cols ? 1 : 0) : loss === 'binaryCrossentropy' ? 0.5 + 0.45 * v : v;
    }
  }
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 2e-4): void {
  expect(got.length, what).toBe(want.length);
  let scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst / scale, what).toBeLessThan(tol);
}

function asList<T>(v: T | T[]): T[] {
  return Array.isArray(v) ? v : [v];
}

describe.skipIf(!haveTfjs)('functional models against TensorFlow.js', () => {
  it.each(CASES)('$name: params, weight order, predict, one SGD step, save/load both ways', async (c) => {
    sn.setSeed(3);
    const mine = sn.model({ ...c.build(sn), name: 'mine' });
    const theirs = tf.model({ ...c.build(tf), name: 'theirs' });
    expect(mine.countParams()).toBe(theirs.countParams());
    // getWeights in TF.js's model.weights order, same names.
    const names = mine.namedWeights().map((w) => w.spec.name);
    expect(names).toEqual(theirs.weights.map((w: Any) => w.originalName));
    // Non-trivial batch-norm statistics, then the same weights in TF.js.
    const ws = mine.getWeights();
    ws.forEach((w, i) => {
      if (/moving_variance/.test(names[i])) w.set(w.dataSync().map((_, j) => 0.5 + 0.1 * j));
      if (/moving_mean|gamma|beta/.test(names[i])) w.set(w.dataSync().map((_, j) => 0.1 * Math.sin(j + i)));
    });
    mine.setWeights(ws);
    theirs.setWeights(ws.map((w) => tf.tensor(w.dataSync(), w.shape)));
    ws.forEach((w) => w.dispose());

    const xs = c.inputs.map((s, i) => data(s, c.n, i));
    const xMine = xs.map((v, i) => sn.tensor(v, [c.n, ...c.inputs[i]]));
    const xTheirs = xs.map((v, i) => tf.tensor(v, [c.n, ...c.inputs[i]]));
    const outShapes = asList(theirs.outputs).map((t: Any) => t.shape.slice(1) as number[]);
    const ys = c.losses.map((loss, k) => labels(loss, outShapes[k], c.n, k + 1));
    const yMine = ys.map((v, k) => sn.tensor(v, [c.n, ...outShapes[k]]));
    const yTheirs = ys.map((v, k) => tf.tensor(v, [c.n, ...outShapes[k]]));

    // predict
    const pm = asList(mine.predict(xMine.length === 1 ? xMine[0] : xMine));
    const pt = asList(theirs.predict(xTheirs.length === 1 ? xTheirs[0] : xTheirs));
    expect(pm.length).toBe(pt.length);
    pm.forEach((p, k) => expectClose(p.dataSync(), pt[k].dataSync(), `predict output ${k}`));
    pm.forEach((p) => p.dispose());

    // one full-batch SGD step
    const before = mine.getWeights().map((w) => {
      const v = w.dataSync();
      w.dispose();
      return v;
    });
    const lr = 0.1;
    mine.compile({ optimizer: sn.optimizers.sgd({ learningRate: lr }), loss: c.losses.length === 1 ? (c.losses[0] as never) : (c.losses as never) });
    theirs.compile({ optimizer: tf.train.sgd(lr), loss: c.losses.length === 1 ? c.losses[0] : c.losses });
    const lossMine = await mine.trainOnBatch(xMine.length === 1 ? xMine[0] : xMine, yMine.length === 1 ? yMine[0] : yMine);
    const lossTheirs = await theirs.trainOnBatch(xTheirs.length === 1 ? xTheirs[0] : xTheirs, yTheirs.length === 1 ? yTheirs[0] : yTheirs);
    expectClose(asList(lossMine as number | number[]), asList(lossTheirs), 'losses after the step', 1e-4);
    const after = mine.getWeights();
    const afterTheirs = theirs.getWeights();
    // The step moved the weights (so the comparison below is not of two untouched copies).
    const moved = after.filter((w, i) => !/moving_/.test(names[i]) && w.dataSync().some((v, j) => Math.abs(v - before[i][j]) > 1e-6));
    expect(moved.length, 'trainable weights the step changed').toBeGreaterThanOrEqual(0.8 * names.filter((n) => !/moving_/.test(n)).length);
    after.forEach((w, i) => expectClose(w.dataSync(), afterTheirs[i].dataSync(), `weight ${names[i]} after one step`));
    after.forEach((w) => w.dispose());

    // simdnet → TF.js
    const saved = await mine.save();
    const loadedTheirs = await tf.loadLayersModel(tf.io.fromMemory(saved));
    const p1 = asList(mine.predict(xMine.length === 1 ? xMine[0] : xMine));
    const p2 = asList(loadedTheirs.predict(xTheirs.length === 1 ? xTheirs[0] : xTheirs));
    p1.forEach((p, k) => expectClose(p2[k].dataSync(), p.dataSync(), `TF.js loads simdnet's file: output ${k}`));

    // TF.js → simdnet
    let art: sn.ModelArtifacts | null = null;
    await theirs.save(tf.io.withSaveHandler(async (a: sn.ModelArtifacts) => ((art = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loadedMine = await sn.loadModel(art!);
    expect(loadedMine.countParams()).toBe(mine.countParams());
    const p3 = asList(loadedMine.predict(xMine.length === 1 ? xMine[0] : xMine));
    const p4 = asList(theirs.predict(xTheirs.length === 1 ? xTheirs[0] : xTheirs));
    p3.forEach((p, k) => expectClose(p.dataSync(), p4[k].dataSync(), `simdnet loads TF.js's file: output ${k}`));

    for (const t of [...xMine, ...yMine, ...p1, ...p3]) t.dispose();
    mine.dispose();
    loadedMine.dispose();
  });

  it("GoogLeNet's inception (3a) module has 163,696 parameters, as in TF.js", () => {
    const build = inception(28, 192, [64, 96, 128, 16, 32, 32]);
    const mine = sn.model(build(sn));
    const theirs = tf.model(build(tf));
    expect(mine.countParams()).toBe(163696);
    expect(theirs.countParams()).toBe(163696);
    expect(mine.outputShape).toEqual([null, 28, 28, 256]);
    mine.dispose();
  });
});
