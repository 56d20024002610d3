// The committed MNIST model (demo/model/, convnet-bn: BatchNormalization after every conv and the hidden dense) quantized with 500 training images as calibration: test
// accuracy on all 10,000 test images within 0.2 points of the float model (the target; the
// benchmark reports the same figure with timings).
import { it, expect, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as sn from '../../src/index.js';
import { quantize } from '../../src/quantize/index.js';

const modelDir = join(dirname(fileURLToPath(import.meta.url)), '../../demo/model');

beforeAll(async () => {
  await sn.ready();
});

it('MNIST convnet-bn: int8 test accuracy within 0.2 points of fp32 (10,000 images)', async () => {
  const mnist = await sn.data.loadMnist({ train: 500 });
  const model = await sn.loadModel(`file://${modelDir}`);
  const q = await quantize(model, { calibration: mnist.trainImages });
  try {
    // Every conv and dense runs int8 (the first conv, on 1 channel, by the direct kernel); the BatchNormalizations stay float.
    expect(q.int8Layers).toEqual(['conv2d_1', 'conv2d_2', 'max_pooling2d_1', 'conv2d_3', 'conv2d_4', 'max_pooling2d_2', 'dense_1', 'dense_2']);
    const fp32 = model.evaluate(mnist.testImages, mnist.testLabels, { batchSize: 250 });
    const int8 = q.evaluate(mnist.testImages, mnist.testLabels, { batchSize: 250 });
    console.log(`[int8] demo/model on 10,000 MNIST test images: fp32 ${fp32.accuracy}, int8 ${int8.accuracy}`);
    expect(fp32.accuracy).toBeGreaterThan(0.995);
    expect(Math.abs(int8.accuracy - fp32.accuracy)).toBeLessThanOrEqual(0.002);
  } finally {
    q.dispose();
    model.dispose();
    mnist.dispose();
  }
});
