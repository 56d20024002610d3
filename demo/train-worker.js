// Trains a fresh CNN on the MNIST subset in a Web Worker, so the page stays responsive. Reports every
// batch's loss and accuracy, and sends the trained model back as TF.js layers-model artifacts.
//
// Messages in:  { type: 'train', trainCount, epochs, batchSize, learningRate, seed, stopFlag? }
//               { type: 'stop' }   (stopFlag, an Int32Array on shared memory, also works while fit runs)
// Messages out: { type: 'status', text } · { type: 'start', totalSteps, info }
//               { type: 'batch', step, loss, acc } · { type: 'epoch', epoch, step, logs }
//               { type: 'done', artifacts, test, stopped, seconds } · { type: 'error', message }
import * as sn from '../dist/simdnet.js';
import { parseSubset, toFloat } from './mnist-subset.js';

let stopRequested = false;
let stopFlag = null;
let subsetPromise = null;

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'stop') stopRequested = true;
  else if (msg.type === 'train') {
    train(msg).catch((err) => self.postMessage({ type: 'error', message: String(err?.message ?? err) }));
  }
};

function loadSubset() {
  subsetPromise ??= fetch(new URL('./data/mnist-subset.bin', import.meta.url)).then(async (res) => {
    if (!res.ok) throw new Error(`training data: data/mnist-subset.bin answered ${res.status} (npm start builds it)`);
    return parseSubset(await res.arrayBuffer());
  });
  return subsetPromise;
}

/** The model trained in the browser: two conv blocks, small enough for a few seconds per epoch. */
export function buildModel() {
  return sn.sequential([
    sn.layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
    sn.layers.maxPooling2d({ poolSize: 2 }),
    sn.layers.flatten(),
    sn.layers.dense({ units: 10, activation: 'softmax' }),
  ]);
}

async function train({ trainCount = 5000, epochs = 2, batchSize = 64, learningRate = 2e-3, seed = 1, threads = 1, stopFlag: flag = null }) {
  stopRequested = false;
  stopFlag = flag;
  // A worker may block (Atomics.wait), so it can drive a thread pool where the page itself could not.
  const info = await sn.ready({ threads });
  self.postMessage({ type: 'status', text: 'Loading the MNIST subset…' });
  const data = await loadSubset();
  const px = data.rows * data.cols;
  const n = Math.min(trainCount, data.trainCount);
  const train = toFloat(data.trainImages, data.trainLabels, n, px);
  const test = toFloat(data.testImages, data.testLabels, data.testCount, px);

  sn.setSeed(seed);
  const x = sn.tensor(train.x, [n, data.rows, data.cols, 1]);
  const y = sn.tensor(train.y, [n]);
  const xt = sn.tensor(test.x, [data.testCount, data.rows, data.cols, 1]);
  const yt = sn.tensor(test.y, [data.testCount]);
  const model = buildModel();
  model.compile({ optimizer: sn.optimizers.adam({ learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

  const batchesPerEpoch = Math.ceil(n / batchSize);
  let step = 0;
  self.postMessage({ type: 'start', totalSteps: batchesPerEpoch * epochs, info, trainCount: n });
  const t0 = performance.now();
  let stopped = false;
  try {
    await model.fit(x, y, {
      epochs,
      batchSize,
      shuffle: true,
      validationData: [xt, yt],
      callbacks: {
        onBatchEnd: (batch, logs) => {
          step++;
          self.postMessage({ type: 'batch', step, loss: logs.loss, acc: logs.acc ?? logs.accuracy ?? null });
          if (stopRequested || (stopFlag && Atomics.load(stopFlag, 0) === 1)) throw new Error('stopped by the user');
        },
        onEpochEnd: (epoch, logs) => {
          self.postMessage({ type: 'epoch', epoch, step, logs: { ...logs } });
        },
      },
    });
  } catch (err) {
    if (!stopRequested && !(stopFlag && Atomics.load(stopFlag, 0) === 1)) throw err;
    stopped = true; // the weights so far are kept: a model stopped early still works
  }
  const seconds = (performance.now() - t0) / 1000;
  const result = model.evaluate(xt, yt);
  const testScores = { loss: Number(result.loss), accuracy: Number(result.accuracy) };
  const artifacts = await model.save();
  for (const t of [x, y, xt, yt]) t.dispose();
  const weightData = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : artifacts.weightData.buffer;
  self.postMessage(
    { type: 'done', artifacts: { modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weightData, format: artifacts.format }, test: testScores, stopped, seconds, steps: step, trainCount: n },
    [weightData],
  );
}
