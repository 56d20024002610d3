// Grouped conv2d (Keras's `groups`, a simdnet extension: TF.js ignores it) against TensorFlow.js 4.22 as the
// issue asks: the same weights as `groups` separate TF.js convs on the channel slices, outputs concatenated.
// Forward, then one full-batch SGD step (MSE): simdnet's updated kernel and bias must equal what TF.js's
// gradients of those convs give. Odd shapes: batch 1 and 3, non-square images and kernels, strides > 1,
// 'same' on odd sizes, channels per group not divisible by 4.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { haveTfjs, loadTfjs, type Tf } from '../helpers/tfjs.js';

let tf: Tf;

beforeAll(async () => {
  await sn.ready();
  if (haveTfjs) tf = await loadTfjs();
});
afterAll(() => sn.dispose());

const close = (what: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i]), `${what}: element ${i}`).toBeLessThan(1e-4 * (1 + Math.abs(want[i])));
};

// [label, input [H, W, C], filters, groups, kernel, strides, padding, batch]
const cases: [string, [number, number, number], number, number, [number, number], [number, number], 'same' | 'valid', number][] = [
  ['2 groups of 3 channels → 5 filters each, 3x2 kernel, stride 2x1, same, batch 3', [7, 5, 6], 10, 2, [3, 2], [2, 1], 'same', 3],
  ['3 groups of 3 channels → 2 filters each, 2x3 kernel, valid, batch 1', [6, 5, 9], 6, 3, [2, 3], [1, 1], 'valid', 1],
  ["AlexNet's shape in small: 2 groups of 5, 1x1 images' edge (3x3 same on 3x4), batch 2", [3, 4, 10], 4, 2, [3, 3], [1, 1], 'same', 2],
];

describe.skipIf(!haveTfjs)('grouped conv2d against TF.js 4.22 convs on the channel slices', () => {
  it.each(cases)('%s: forward, then one SGD step', async (_label, shape, F, G, kernel, strides, padding, N) => {
    sn.setSeed(5);
    const lr = 0.1;
    const model = sn.sequential([sn.layers.conv2d({ filters: F, kernelSize: kernel, strides, padding, groups: G, activation: 'tanh', inputShape: shape })]);
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: lr }), loss: 'meanSquaredError' });
    // A non-zero bias, so its gradient path is exercised from a general point.
    const [w0, b0] = model.getWeights();
    const bias = Float32Array.from({ length: F }, (_, i) => 0.1 * Math.sin(i + 1));
    const bT = sn.tensor(bias, [F]);
    model.setWeights([w0, bT]);
    const wv = w0.dataSync().slice();
    const xs = Float32Array.from({ length: N * shape[0] * shape[1] * shape[2] }, (_, i) => Math.sin(i * 0.37) * 1.5);
    const x = sn.tensor(xs, [N, ...shape]);
    const out = model.outputShape.slice(1) as number[];
    const ys = Float32Array.from({ length: N * out[0] * out[1] * out[2] }, (_, i) => Math.cos(i * 0.7));
    const y = sn.tensor(ys, [N, ...out]);

    // TF.js: G convs on the channel slices, concatenated along channels, then tanh and MSE.
    const C = shape[2];
    const [Cg, Fg] = [C / G, F / G];
    const tx = tf.tensor(xs, [N, ...shape]);
    const tw = tf.tensor(wv, [...kernel, Cg, F]);
    const tb = tf.tensor(bias, [F]);
    const forward = (w: Tf, b: Tf) => {
      const parts = [];
      for (let g = 0; g < G; g++) {
        const xg = tf.slice(tx, [0, 0, 0, g * Cg], [-1, -1, -1, Cg]);
        const wg = tf.slice(w, [0, 0, 0, g * Fg], [-1, -1, -1, Fg]);
        parts.push(tf.conv2d(xg, wg, strides, padding));
      }
      return tf.tanh(tf.add(tf.concat(parts, 3), b));
    };
    const mine = model.predict(x);
    close('forward', mine.dataSync(), forward(tw, tb).dataSync());
    mine.dispose();

    const ty = tf.tensor(ys, [N, ...out]);
    const [gw, gb] = tf.grads((w: Tf, b: Tf) => tf.mean(tf.square(tf.sub(forward(w, b), ty))))([tw, tb]);
    await model.trainOnBatch(x, y);
    const [w1, b1] = model.getWeights();
    close('kernel after one SGD step', w1.dataSync(), tf.sub(tw, tf.mul(gw, lr)).dataSync());
    close('bias after one SGD step', b1.dataSync(), tf.sub(tb, tf.mul(gb, lr)).dataSync());
    for (const t of [w0, b0, bT, x, y, w1, b1]) t.dispose();
    model.dispose();
  });
});
