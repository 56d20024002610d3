// A relu conv read only by a max pool with disjoint windows: in training the pool's backward does the
// relu's (src/model/relu-pool.ts). Training with the fusion must give the weights training without it gives,
// on the pairs it fuses (a 'same' conv, a Winograd-sized conv, a 1D conv, a pool with gaps between windows)
// beside what it must leave alone (overlapping windows, relu6, a second reader of the conv's output).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { setReluPoolFusion, reluPoolSteps } from '../../src/model/relu-pool.js';
import type { Graph } from '../../src/model/graph.js';
import { rng } from '../helpers/random.js';

beforeAll(async () => {
  await sn.ready({ threads: 1 });
});
afterAll(() => setReluPoolFusion(true));

const L = sn.layers;
type S = sn.SymbolicTensor;

function build(): sn.LayersModel {
  const image = sn.input({ shape: [13, 11, 3] });
  let h = L.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(image) as S;
  h = L.maxPooling2d({ poolSize: 2 }).apply(h) as S; // fused (6x5 of 13x11: a row and a column left over)
  h = L.conv2d({ filters: 24, kernelSize: 3, activation: 'relu' }).apply(h) as S;
  const side = L.globalAveragePooling2d().apply(h) as S; // a second reader of that conv: not fused
  h = L.maxPooling2d({ poolSize: 2 }).apply(h) as S;
  h = L.conv2d({ filters: 16, kernelSize: 1, activation: 'relu6' }).apply(h) as S;
  h = L.maxPooling2d({ poolSize: 1 }).apply(h) as S; // relu6: not fused
  const seq = L.reshape({ targetShape: [8, 4] }).apply(h) as S;
  let s = L.conv1d({ filters: 7, kernelSize: 2, activation: 'relu' }).apply(seq) as S;
  s = L.maxPooling1d({ poolSize: 2, strides: 3 }).apply(s) as S; // fused, a gap between windows
  let o = L.conv2d({ filters: 6, kernelSize: 2, activation: 'relu' }).apply(image) as S;
  o = L.maxPooling2d({ poolSize: 3, strides: 2 }).apply(o) as S; // overlapping windows: not fused
  const joined = L.concatenate().apply([L.flatten().apply(s) as S, side, L.flatten().apply(o) as S]) as S;
  const y = L.dense({ units: 4, activation: 'softmax' }).apply(joined) as S;
  const m = sn.model({ inputs: image, outputs: y });
  m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.2 }), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

describe('relu backward fused into the max pool after it', () => {
  it('finds exactly the pairs it may fuse', () => {
    const m = build();
    const graph = (m as unknown as { graphFor(w: string): Graph }).graphFor('test');
    const names = [...reluPoolSteps(graph)].map((s) => s.layer.className).join(',');
    expect(names).toBe('Conv2D,MaxPooling2D,Conv1D,MaxPooling1D');
    m.dispose();
  });

  it('trains to the same weights as the relu backward on its own (3 steps, batch 5)', async () => {
    const r = rng(4);
    const x = sn.tensor(Float32Array.from({ length: 5 * 13 * 11 * 3 }, () => r() * 2 - 1), [5, 13, 11, 3]);
    const labels = sn.tensor(Float32Array.from([0, 3, 1, 2, 3]), [5]);
    const weightsAfter = async (fused: boolean) => {
      setReluPoolFusion(fused);
      sn.setSeed(9);
      const m = build();
      for (let i = 0; i < 3; i++) await m.trainOnBatch(x, labels);
      const w = m.getWeights().map((t) => t.dataSync().slice());
      m.dispose();
      return w;
    };
    const fused = await weightsAfter(true);
    const plain = await weightsAfter(false);
    expect(fused.length).toBe(plain.length);
    fused.forEach((w, i) => {
      const scale = Math.max(...plain[i].map(Math.abs), 1e-3);
      w.forEach((v, j) => expect(Math.abs(v - plain[i][j]), `weight ${i}[${j}]`).toBeLessThanOrEqual(1e-6 * scale));
    });
    x.dispose();
    labels.dispose();
  });
});
