// Every layer type and every loss: a small model's forward pass (predict) and one SGD step (the updated
// weights, the reported loss, batch-norm moving statistics) against the float64 reference in reference.ts.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { type Arr, type RefState, arr, rng, randomArr, refForward, refLoss, refGradients, relMaxError } from './reference.js';

/** Dropout that records its training mask so the reference can use the same one. */
class SpyDropout extends sn.layers.Dropout {
  lastMask: Float32Array | null = null;
  override forward(x: sn.Tensor, node: sn.Node, arena: never): sn.Tensor {
    const y = super.forward(x, node, arena);
    const mask = node.find('mask');
    this.lastMask = mask ? mask.dataSync() : null;
    return y;
  }
}

type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError' | 'binaryCrossentropy';

interface Case {
  name: string;
  layers: () => sn.Layer[];
  n: number;
  loss: LossName;
  /** Sparse labels as [n, 1] instead of [n]. */
  sparseColumn?: boolean;
}

const L = sn.layers;
const CASES: Case[] = [
  {
    name: 'conv2d valid, stride 2x1, relu → flatten → dense softmax; sparse xent',
    layers: () => [L.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], activation: 'relu', inputShape: [5, 6, 3] }), L.flatten(), L.dense({ units: 3, activation: 'softmax' })],
    n: 3,
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'conv2d same, stride 2, tanh, dilation → globalAveragePooling2d → dense; mse',
    layers: () => [
      L.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', inputShape: [4, 5, 2] }),
      L.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'elu' }),
      L.globalAveragePooling2d(),
      L.dense({ units: 2 }),
    ],
    n: 2,
    loss: 'meanSquaredError',
  },
  {
    name: 'conv1d same, stride 2, relu6 → flatten → dense sigmoid; binary xent',
    layers: () => [L.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6', inputShape: [7, 3] }), L.flatten(), L.dense({ units: 1, activation: 'sigmoid' })],
    n: 4,
    loss: 'binaryCrossentropy',
  },
  {
    name: 'maxPooling2d same (uneven) → dense softmax; categorical xent',
    layers: () => [L.conv2d({ filters: 3, kernelSize: 1, inputShape: [5, 5, 2] }), L.maxPooling2d({ poolSize: 2, padding: 'same' }), L.flatten(), L.dense({ units: 3, activation: 'softmax' })],
    n: 2,
    loss: 'categoricalCrossentropy',
  },
  {
    name: 'averagePooling2d same 2x3 stride 1, stride > pool maxPooling2d → dense; mse',
    layers: () => [
      L.conv2d({ filters: 2, kernelSize: 2, inputShape: [6, 7, 1] }),
      L.averagePooling2d({ poolSize: [2, 3], strides: 1, padding: 'same' }),
      L.maxPooling2d({ poolSize: 1, strides: 2 }),
      L.flatten(),
      L.dense({ units: 2 }),
    ],
    n: 2,
    loss: 'meanSquaredError',
  },
  {
    name: 'maxPooling1d, averagePooling1d same → dense; sparse xent with [n,1] labels',
    layers: () => [
      L.conv1d({ filters: 3, kernelSize: 2, inputShape: [9, 2] }),
      L.maxPooling1d({ poolSize: 2 }),
      L.averagePooling1d({ poolSize: 3, strides: 1, padding: 'same' }),
      L.flatten(),
      L.dense({ units: 4, activation: 'softmax' }),
    ],
    n: 3,
    loss: 'sparseCategoricalCrossentropy',
    sparseColumn: true,
  },
  {
    name: 'globalMaxPooling2d → dense softmax; sparse xent',
    layers: () => [L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', inputShape: [3, 4, 3] }), L.globalMaxPooling2d(), L.dense({ units: 3, activation: 'softmax' })],
    n: 2,
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'dense sigmoid → dense → activation softmax (fused through an Activation layer); categorical xent',
    layers: () => [L.dense({ units: 5, activation: 'sigmoid', inputShape: [6] }), L.dense({ units: 4 }), L.activation({ activation: 'softmax' })],
    n: 3,
    loss: 'categoricalCrossentropy',
  },
  {
    name: 'activation layers (elu, relu, tanh) → dense sigmoid; binary xent',
    layers: () => [
      L.dense({ units: 5, inputShape: [4] }),
      L.activation({ activation: 'elu' }),
      L.dense({ units: 5, useBias: false }),
      L.activation({ activation: 'relu' }),
      L.activation({ activation: 'tanh' }),
      L.dense({ units: 2 }),
      L.activation({ activation: 'sigmoid' }),
    ],
    n: 3,
    loss: 'binaryCrossentropy',
  },
  {
    name: 'conv2d hardSwish (kept pre-activation) → activation hardSwish → dense hardSigmoid; mse',
    layers: () => [
      L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'hardSwish', inputShape: [5, 4, 3] }),
      L.activation({ activation: 'hardSwish' }),
      L.flatten(),
      L.dense({ units: 3, activation: 'hardSigmoid' }),
    ],
    n: 2,
    loss: 'meanSquaredError',
  },
  {
    name: 'leakyReLU (alpha 0.2 and default) → dense; mse',
    layers: () => [L.dense({ units: 6, inputShape: [3] }), L.leakyReLU({ alpha: 0.2 }), L.dense({ units: 4 }), L.leakyReLU(), L.dense({ units: 2 })],
    n: 3,
    loss: 'meanSquaredError',
  },
  {
    name: 'maxout (groups of 3) on dense and conv features → dense; mse',
    layers: () => [L.conv2d({ filters: 6, kernelSize: 2, inputShape: [3, 3, 2] }), L.maxout({ groupSize: 3 }), L.flatten(), L.dense({ units: 2 })],
    n: 2,
    loss: 'meanSquaredError',
  },
  {
    name: 'batchNormalization on conv features and on dense features → dense softmax; sparse xent',
    layers: () => [
      L.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 3, 2] }),
      L.batchNormalization({ momentum: 0.9 }),
      L.activation({ activation: 'relu' }),
      L.flatten(),
      L.dense({ units: 5 }),
      L.batchNormalization(),
      L.dense({ units: 3, activation: 'softmax' }),
    ],
    n: 4,
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'dropout 0.4 → dense; mse',
    layers: () => [L.dense({ units: 8, activation: 'relu', inputShape: [5] }), new SpyDropout({ rate: 0.4 }), L.dense({ units: 3 })],
    n: 4,
    loss: 'meanSquaredError',
  },
  {
    name: 'sigmoid outputs (not softmax, so not fused) → categorical xent normalises as TF.js',
    layers: () => [L.dense({ units: 4, activation: 'sigmoid', inputShape: [3] })],
    n: 3,
    loss: 'categoricalCrossentropy',
  },
  {
    name: 'sigmoid outputs → sparse categorical xent from probabilities',
    layers: () => [L.dense({ units: 3, activation: 'sigmoid', inputShape: [4] })],
    n: 3,
    loss: 'sparseCategoricalCrossentropy',
  },
];

function labelsFor(c: Case, outShape: number[], r: () => number): Arr {
  const classes = outShape[outShape.length - 1];
  switch (c.loss) {
    case 'sparseCategoricalCrossentropy':
      return arr(c.sparseColumn ? [c.n, 1] : [c.n], Array.from({ length: c.n }, () => Math.floor(r() * classes)));
    case 'categoricalCrossentropy': {
      const y = arr([c.n, classes]);
      for (let i = 0; i < c.n; i++) y.data[i * classes + Math.floor(r() * classes)] = 1;
      return y;
    }
    case 'binaryCrossentropy':
      return arr([c.n, ...outShape], Array.from({ length: c.n * outShape.reduce((a, b) => a * b, 1) }, () => (r() < 0.5 ? 0 : 1)));
    default:
      return randomArr([c.n, ...outShape], r);
  }
}

const f32 = (a: Arr): Arr => ({ shape: a.shape, data: Float64Array.from(Float32Array.from(a.data)) });

describe.each(['plain', 'relaxed'] as const)('layers vs float64 reference (%s SIMD)', (simd) => {
  beforeAll(async () => {
    await sn.ready({ simd });
  });

  describe.each(CASES)('$name', (c) => {
    it('forward pass and one SGD step match', async () => {
      sn.setSeed(3);
      const layers = c.layers();
      const model = sn.sequential(layers);
      const lr = 0.5;
      model.compile({ optimizer: sn.optimizers.sgd({ learningRate: lr }), loss: c.loss });
      const r = rng(11 + c.name.length);
      // Random parameters everywhere (non-zero biases, positive variances) so every path shows.
      const st: RefState = {
        params: layers.map((l) =>
          l.params.map((p) => {
            let a = randomArr(p.value.shape, r, 0.6);
            if (p.name === 'gamma' || p.name === 'moving_variance') a = { shape: a.shape, data: a.data.map((v) => 0.5 + Math.abs(v)) };
            a = f32(a);
            p.value.set(a.data);
            return a;
          }),
        ),
        masks: new Map(),
        bnStats: new Map(),
      };
      const x = f32(randomArr([c.n, ...model.inputShape!], r));
      const y = labelsFor(c, model.outputShape.slice(1) as number[], r);
      const xt = sn.tensor(Float32Array.from(x.data), x.shape);
      const yt = sn.tensor(Float32Array.from(y.data), y.shape);

      // Forward (inference mode).
      const pred = model.predict(xt);
      const ref = refForward(layers, st, x, false);
      expect(pred.shape).toEqual(ref.shape);
      expect(relMaxError(pred.dataSync(), ref.data)).toBeLessThan(1e-4);
      pred.dispose();

      // One SGD step on the whole batch.
      const before = layers.map((l) => l.params.map((p) => p.value.dataSync()));
      const history = await model.fit(xt, yt, { epochs: 1, batchSize: c.n, shuffle: false });
      layers.forEach((l, i) => {
        if (l instanceof SpyDropout) st.masks!.set(i, Float64Array.from(l.lastMask!));
      });
      const last = layers[layers.length - 1];
      const fused = c.loss.endsWith('ategoricalCrossentropy') && last.hasSoftmaxOutput;
      const refL = refLoss(c.loss, refForward(layers, st, x, true, fused), y, fused);
      expect(Math.abs(history.history.loss[0] - refL)).toBeLessThan(1e-4 * Math.max(1, Math.abs(refL)));

      const grads = refGradients(layers, st, x, y, c.loss, fused);
      layers.forEach((l, li) => {
        l.params.forEach((p, pi) => {
          const after = p.value.dataSync();
          const delta = after.map((v, i) => v - before[li][pi][i]);
          if (p.trainable) {
            const want = grads[li][pi].data.map((g) => -lr * g);
            expect(relMaxError(delta, want, 1e-4), `${l.name}/${p.name}`).toBeLessThan(2e-3);
          } else {
            // Batch-norm moving statistics: moving = momentum * moving + (1 - momentum) * batch (biased variance).
            const stats = st.bnStats!.get(li)!;
            const m = (l as sn.layers.BatchNormalization).momentum;
            const batch = p.name === 'moving_mean' ? stats.mean : stats.variance;
            const want = st.params[li][pi].data.map((v, i) => m * v + (1 - m) * batch[i]);
            expect(relMaxError(after, want), `${l.name}/${p.name}`).toBeLessThan(1e-4);
          }
        });
      });
      xt.dispose();
      yt.dispose();
      model.dispose();
    });
  });
});
