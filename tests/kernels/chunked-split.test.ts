// Long work goes to the pool in chunks, more calls than threads, each taken by the next thread free (src/backend/
// split.ts, ThreadPool.run). The MNIST convnet's training step at batch 64 on 2 threads has two such groups: its
// direct conv → pool, forward and backward. Whichever thread runs a chunk, the outputs are those of
// one thread: the forward exactly (every output is computed by the same code either way), the weights after
// the step to float rounding (dw and db are sums of per-chunk parts).
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { rng } from '../helpers/random.js';
import { mnistConvnet } from '../helpers/models.js';

afterAll(() => sn.dispose());

const N = 64;
const r = rng(11);
const images = Float32Array.from({ length: N * 28 * 28 }, () => r());
const labels = Float32Array.from({ length: N }, (_, i) => (i * 7) % 10);

/** The convnet from seed 5, one SGD step on the batch: its predictions before the step, its weights after, the widest group. */
function step(): { before: Float32Array; after: Float32Array[]; widest: number; groups: number } {
  sn.setSeed(5);
  const m = mnistConvnet();
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
  const x = sn.tensor(images, [N, 28, 28, 1]);
  const y = sn.tensor(labels, [N]);
  const e = engine();
  const parallel = e.parallel.bind(e);
  let widest = 1, groups = 0;
  e.parallel = (calls) => {
    widest = Math.max(widest, calls.length);
    if (calls.length > e.threads) groups++;
    parallel(calls);
  };
  try {
    const p = m.predict(x) as sn.Tensor;
    const before = p.dataSync().slice();
    p.dispose();
    m.trainOnBatch(x, y);
    const weights = m.getWeights();
    const after = weights.map((w) => w.dataSync().slice());
    weights.forEach((w) => w.dispose());
    return { before, after, widest, groups };
  } finally {
    e.parallel = parallel;
    m.dispose();
    x.dispose();
    y.dispose();
  }
}

describe.each(['plain', 'relaxed'] as const)('long work in chunks across threads (%s SIMD)', (simd) => {
  it('gives the single-threaded results, with more calls than threads in the long groups', async () => {
    await sn.ready({ threads: 1, simd });
    const one = step();
    expect(one.widest).toBe(1);
    await sn.ready({ threads: 2, simd });
    const two = step();
    // Training's conv → pool, forward and backward: 4 calls on 2 threads.
    expect(two.widest).toBeGreaterThanOrEqual(4);
    expect(two.groups).toBeGreaterThanOrEqual(2);
    expect(Array.from(two.before)).toEqual(Array.from(one.before));
    two.after.forEach((w, i) => {
      const scale = one.after[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = w.reduce((m, v, j) => Math.max(m, Math.abs(v - one.after[i][j])), 0);
      expect(diff, `weight ${i}`).toBeLessThanOrEqual(1e-5 * scale);
    });
  });
});
