// The bundled demo model (demo/model/) is what demo/model/training.json and the README say: simdnet scores
// the 10,000 MNIST test images at the recorded accuracy, TensorFlow.js 4.22 (its wasm backend, on the very
// same model.json + weights.bin) scores them the same with the same probabilities to float32 rounding, and the
// README states that figure. Skips where bench/'s TF.js install is missing.
import { it, expect, beforeAll } from 'vitest';
import { createRequire } from 'node:module';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sn from '../../src/index.js';
import { haveTfjs } from '../helpers/tfjs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = join(root, 'demo/model');
const haveModel = existsSync(join(dir, 'model.json'));
const haveTfjsWasm = haveTfjs && existsSync(join(root, 'bench/node_modules/@tensorflow/tfjs-backend-wasm/package.json'));

beforeAll(async () => {
  await sn.ready();
});

/** Index of the largest of each row's 10 probabilities. */
function classes(p: Float32Array): Int32Array {
  const out = new Int32Array(p.length / 10);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (p[i * 10 + k] > p[i * 10 + best]) best = k;
    out[i] = best;
  }
  return out;
}

it.skipIf(!haveModel || !haveTfjsWasm)('demo/model: simdnet and TF.js (wasm) score the 10,000 MNIST test images as training.json and the README say', async () => {
  const record = JSON.parse(await readFile(join(dir, 'training.json'), 'utf8'));
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const bin = await readFile(join(dir, 'weights.bin'));
  // The page downloads weights.bin: float32, one per parameter, and no more than the README says.
  expect((await stat(join(dir, 'weights.bin'))).size).toBe(4 * record.parameters);

  // TF.js as a user would have it: the package and its wasm backend, resolved from bench/ (one tfjs-core).
  const require = createRequire(join(root, 'bench/package.json'));
  const { log, warn } = console;
  console.log = console.warn = () => {}; // TF.js greets Node users
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  Object.assign(console, { log, warn });
  await tf.setBackend('wasm');
  const theirs = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  );
  const ours = await sn.loadModel(`file://${dir}`);
  const mnist = await sn.data.loadMnist({ train: 1, validation: 0 });
  try {
    const labels = mnist.testLabels.dataSync();
    expect(labels.length).toBe(10000);
    const pOurs = ours.predict(mnist.testImages, { batchSize: 500 }).dataSync() as Float32Array;
    const xt = tf.tensor(mnist.testImages.dataSync(), mnist.testImages.shape);
    const yt = theirs.predict(xt, { batchSize: 500 });
    const pTheirs = (await yt.data()) as Float32Array;
    xt.dispose();
    yt.dispose();
    let worst = 0;
    for (let i = 0; i < pOurs.length; i++) worst = Math.max(worst, Math.abs(pOurs[i] - pTheirs[i]));
    expect(worst).toBeLessThan(1e-4);
    const [cOurs, cTheirs] = [classes(pOurs), classes(pTheirs)];
    const accuracy = (c: Int32Array) => c.reduce((n, k, i) => n + (k === labels[i] ? 1 : 0), 0) / labels.length;
    expect(accuracy(cOurs)).toBeCloseTo(record.testAccuracy, 9);
    expect(accuracy(cTheirs)).toBeCloseTo(record.testAccuracy, 9);
    expect(cTheirs).toEqual(cOurs);
    // The README's figure for the bundled model is this one.
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const stated = /The bundled model[\s\S]*?reaches \*\*(\d+\.\d\d) % test accuracy\*\*/.exec(readme);
    expect(stated?.[1]).toBe((100 * record.testAccuracy).toFixed(2));
  } finally {
    ours.dispose();
    theirs.dispose();
    mnist.dispose();
  }
}, 300_000);
