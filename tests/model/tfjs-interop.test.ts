// Weights and topologies move between simdnet and TensorFlow.js 4.22 both ways, with the same predictions.
// Uses the TF.js the benchmark installs (bench/node_modules); skipped with a message when it is absent.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as sn from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const tfjsDir = join(here, '../../bench/node_modules/@tensorflow/tfjs');
const haveTfjs = existsSync(join(tfjsDir, 'package.json'));
if (!haveTfjs) console.warn('tfjs-interop: skipped (run the benchmark install to get bench/node_modules/@tensorflow/tfjs)');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tf = any;
let tf: Tf;

beforeAll(async () => {
  await sn.ready();
  if (haveTfjs) {
    tf = await import(/* @vite-ignore */ join(tfjsDir, 'dist/tf.node.js'));
    await tf.setBackend('cpu');
  }
});

const L = sn.layers;
const models: [string, number[], () => sn.Layer[]][] = [
  ['conv2d, batch norm, leakyReLU, max/avg pooling, flatten, dropout, dense softmax', [9, 8, 3], () => [
    L.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [9, 8, 3] }),
    L.batchNormalization({ momentum: 0.9 }),
    L.leakyReLU({ alpha: 0.1 }),
    L.maxPooling2d({ poolSize: 2, padding: 'same' }),
    L.averagePooling2d({ poolSize: [2, 1], strides: 1 }),
    L.flatten(),
    L.dropout({ rate: 0.3 }),
    L.dense({ units: 4, activation: 'softmax' }),
  ]],
  ['conv1d, 1D pooling, dense elu, activation sigmoid', [11, 2], () => [
    L.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', inputShape: [11, 2] }),
    L.maxPooling1d({ poolSize: 2 }),
    L.averagePooling1d({ poolSize: 2, strides: 1, padding: 'same' }),
    L.flatten(),
    L.dense({ units: 6, activation: 'elu' }),
    L.dense({ units: 2 }),
    L.activation({ activation: 'sigmoid' }),
  ]],
  ['conv2d relu6 dilated, global pooling', [7, 7, 2], () => [
    L.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, activation: 'relu6', inputShape: [7, 7, 2] }),
    L.conv2d({ filters: 4, kernelSize: 1, useBias: false }),
    L.globalAveragePooling2d(),
    L.dense({ units: 3 }),
  ]],
  ['conv2d and activation hardSigmoid (TF.js formula: 0.2x + 0.5 clamped)', [5, 5, 2], () => [
    L.conv2d({ filters: 6, kernelSize: 3, activation: 'hardSigmoid', inputShape: [5, 5, 2] }),
    L.flatten(),
    L.dense({ units: 3 }),
    L.activation({ activation: 'hardSigmoid' }),
  ]],
];

function inputs(shape: number[], n: number): Float32Array {
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37) * 2);
}

describe.skipIf(!haveTfjs)('TensorFlow.js interop', () => {
  it.each(models)('simdnet → TF.js: %s', async (_name, shape, layers) => {
    sn.setSeed(8);
    const model = sn.sequential(layers());
    // Non-trivial batch-norm statistics and biases: train a step first.
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const xs = inputs(shape, 3);
    const x = sn.tensor(xs, [3, ...shape]);
    const out = model.outputShape.slice(1) as number[];
    const y = sn.tensor(new Float32Array(3 * out.reduce((a, b) => a * b, 1)).fill(0.5), [3, ...out]);
    await model.fit(x, y, { epochs: 2, batchSize: 3 });
    const artifacts = await model.save();
    const theirs = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const mine = model.predict(x).dataSync();
    const got = (theirs.predict(tf.tensor(xs, [3, ...shape])) as Tf).dataSync();
    expect(got.length).toBe(mine.length);
    got.forEach((v: number, i: number) => expect(v).toBeCloseTo(mine[i], 4));
    for (const t of [x, y]) t.dispose();
    model.dispose();
  });

  it('TF.js → simdnet: a model built and saved by TF.js loads and predicts the same', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 5, 2] }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 3, kernelSize: [2, 1], strides: [1, 2] }));
    m.add(tf.layers.leakyReLU());
    m.add(tf.layers.globalMaxPooling2d({}));
    m.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
    // Move the batch-norm statistics off their defaults.
    const bn = m.layers[1];
    bn.setWeights(bn.getWeights().map((w: Tf, i: number) => tf.add(w, tf.scalar(i === 3 ? 0.5 : 0.2 * (i + 1)))));
    let saved: sn.ModelArtifacts | null = null;
    await m.save(tf.io.withSaveHandler(async (a: sn.ModelArtifacts) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const model = await sn.loadModel(saved!);
    expect(model.layers.map((l) => l.className)).toEqual(['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'Conv2D', 'LeakyReLU', 'GlobalMaxPooling2D', 'Dense']);
    const xs = inputs([6, 5, 2], 4);
    const want = (m.predict(tf.tensor(xs, [4, 6, 5, 2])) as Tf).dataSync();
    const x = sn.tensor(xs, [4, 6, 5, 2]);
    const got = model.predict(x).dataSync();
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    // getWeights order matches TF.js's model.getWeights().
    const theirs = m.getWeights();
    const ours = model.getWeights();
    expect(ours.map((w) => w.shape)).toEqual(theirs.map((w: Tf) => w.shape));
    ours.forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(theirs[i].dataSync())));
    ours.forEach((w) => w.dispose());
    x.dispose();
    model.dispose();
  });
});
