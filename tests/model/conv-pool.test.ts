// predict's conv → 2x2 max pool fusion (src/model/conv-pool.ts): which pairs it takes, and predict equal bit
// for bit with and without it — at batch 1 and 5, on 1 and 2 threads (where one image runs unfused) — on a
// graph that also has pairs it must leave alone (a second reader, a 3x3 pool, 'same' pooling), a pair whose
// conv is too wide for the fused loop and one on Winograd F(2,3) (each runs the two layers), and one on
// Winograd F(4,3) (its output transform pools, no winners kept). Training fuses the relu
// (masked) and linear pairs: on the direct loop where the conv's input needs no gradient, on Winograd F(4,3)
// with the input's gradient too; a pair that cannot fuse runs its two layers. Trained weights equal the
// unfused layers'.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { setConvPoolFusion, convPoolPairs, trainingConvPoolPairs } from '../../src/model/conv-pool.js';
import type { Graph } from '../../src/model/graph.js';
import { rng } from '../helpers/random.js';
import { engine } from '../../src/backend/engine.js';
import { kernelArg } from '../helpers/kernel-args.js';
import { setTrainingPlans } from '../../src/model/training-plan.js';

afterAll(() => {
  setConvPoolFusion(true);
  sn.dispose();
});

const L = sn.layers;
type S = sn.SymbolicTensor;

const graphOf = (m: sn.LayersModel): Graph => (m as unknown as { graphFor(w: string): Graph }).graphFor('test');

/** Runs f, returning the kernel calls it ran through the engine's parallel calls. */
async function callsRunBy(f: () => unknown): Promise<unknown[][]> {
  const e = engine();
  const parallel = e.parallel.bind(e);
  const calls: unknown[][] = [];
  e.parallel = (cs) => {
    calls.push(...cs.map((c) => [...c]));
    parallel(cs);
  };
  try {
    await f();
  } finally {
    e.parallel = parallel;
  }
  return calls;
}

/** Runs f, returning the names of the kernels it ran through the engine's parallel calls. */
async function kernelsRunBy(f: () => unknown): Promise<string[]> {
  return (await callsRunBy(f)).map((c) => c[0] as string);
}

function build(): sn.LayersModel {
  sn.setSeed(3);
  const image = sn.input({ shape: [15, 14, 2] });
  let h = L.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }).apply(image) as S; // 13x12
  h = L.maxPooling2d({ poolSize: 2 }).apply(h) as S; // fused: 6x6
  h = L.conv2d({ filters: 20, kernelSize: 2, padding: 'same', activation: 'relu6' }).apply(h) as S; // 20 channels in the next
  const twice = L.conv2d({ filters: 7, kernelSize: 1 }).apply(h) as S; // not direct (1x1: the pointwise GEMM)
  let a = L.maxPooling2d({ poolSize: 2 }).apply(twice) as S; // paired, runs unfused (the conv's path)
  a = L.flatten().apply(a) as S;
  let b = L.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh' }).apply(image) as S;
  const side = L.globalMaxPooling2d().apply(b) as S; // a second reader: not fused
  b = L.maxPooling2d({ poolSize: 2 }).apply(b) as S;
  let w = L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(h) as S; // 20 -> 32: Winograd
  w = L.maxPooling2d({ poolSize: 2 }).apply(w) as S; // paired, runs unfused (F(2,3): its pool is not fused)
  let c = L.conv2d({ filters: 3, kernelSize: 3 }).apply(image) as S;
  c = L.maxPooling2d({ poolSize: 3 }).apply(c) as S; // 3x3: not fused
  let d = L.conv2d({ filters: 5, kernelSize: 2, activation: 'elu' }).apply(image) as S;
  d = L.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(d) as S; // 'same': not fused
  let w4 = L.conv2d({ filters: 24, kernelSize: 3, activation: 'relu' }).apply(h) as S; // 20 -> 24, 4x4: Winograd F(4,3)
  w4 = L.maxPooling2d({ poolSize: 2 }).apply(w4) as S; // fused in its output transform
  const flat = [w, b, c, d, w4].map((t) => L.flatten().apply(t) as S);
  const joined = L.concatenate().apply([a, flat[0], side, ...flat.slice(1)]) as S;
  return sn.model({ inputs: image, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(joined) as S });
}

describe('conv → 2x2 max pool fused in predict', () => {
  it('pairs a conv with the 2x2/2 valid max pool that alone reads it', async () => {
    await sn.ready({ threads: 1 });
    const m = build();
    const pairs = [...convPoolPairs(graphOf(m))].map(([conv, pool]) => `${conv.layer.name}->${pool.layer.name}`);
    expect(pairs).toEqual(['conv2d_1->max_pooling2d_1', 'conv2d_3->max_pooling2d_2', 'conv2d_5->max_pooling2d_4', 'conv2d_8->max_pooling2d_7']);
    m.dispose();
  });

  it.each([1, 2])('predicts the same bits as the unfused layers at batch 1 and 5 (%i threads)', async (threads) => {
    sn.dispose();
    await sn.ready({ threads });
    const m = build();
    const r = rng(8);
    for (const n of [1, 5]) {
      const x = sn.tensor(Float32Array.from({ length: n * 15 * 14 * 2 }, () => r() * 2 - 1), [n, 15, 14, 2]);
      setConvPoolFusion(false);
      const want = m.predict(x) as sn.Tensor;
      setConvPoolFusion(true);
      let got!: sn.Tensor;
      const calls = await callsRunBy(() => (got = m.predict(x) as sn.Tensor));
      const kernels = calls.map((c) => c[0]);
      // The fused kernel runs (the first pair) when there is an image per thread or one image (split by rows
      // across threads), else not at all; Winograd F(4,3) pools (its pool flag) whatever the batch, keeping
      // no winners (am = 0).
      expect(kernels.includes('conv2d_forward_maxpool2_f32'), `batch ${n}`).toBe(n >= threads || n === 1);
      const pooled = calls.filter((c) => c[0] === 'winograd_forward_f32' && kernelArg(c, 'pool') === 1);
      expect(pooled.length, `batch ${n}`).toBeGreaterThan(0);
      expect(pooled.every((c) => kernelArg(c, 'am') === 0), `batch ${n}`).toBe(true);
      expect(Array.from(got.dataSync()), `batch ${n}`).toEqual(Array.from(want.dataSync()));
      [x, want, got].forEach((t) => t.dispose());
    }
    m.dispose();
  });

  it('keeps the direct loop for convs that run direct: one on 8-16 channels that Winograd F(4,3) takes pools there', async () => {
    sn.dispose();
    await sn.ready({ threads: 1 });
    for (const [c, hw] of [[16, 10], [8, 14]]) {
      sn.setSeed(4);
      // C ≤ 16 with a 3x3 kernel is the direct loop's, but F = 32 takes F(4,3): the fused direct loop was 1.2-1.7x slower.
      const m = sn.sequential([L.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [hw, hw, c] }), L.maxPooling2d({ poolSize: 2 })]);
      const r = rng(c);
      const x = sn.tensor(Float32Array.from({ length: 3 * hw * hw * c }, () => r() * 2 - 1), [3, hw, hw, c]);
      setConvPoolFusion(false);
      const want = m.predict(x) as sn.Tensor;
      setConvPoolFusion(true);
      let got!: sn.Tensor;
      const calls = await callsRunBy(() => (got = m.predict(x) as sn.Tensor));
      expect(calls.map((k) => k[0]), `C${c}`).not.toContain('conv2d_forward_maxpool2_f32');
      expect(calls.some((k) => k[0] === 'winograd_forward_f32' && kernelArg(k, 'pool') === 1), `C${c}`).toBe(true);
      expect(Array.from(got.dataSync()), `C${c}`).toEqual(Array.from(want.dataSync()));
      [x, want, got, m].forEach((t) => t.dispose());
    }
  });
});

function buildForTraining(): sn.LayersModel {
  sn.setSeed(5);
  const image = sn.input({ shape: [12, 11, 1] });
  let a = L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }).apply(image) as S; // 10x9: fused, masked
  a = L.maxPooling2d({ poolSize: 2 }).apply(a) as S; // 5x4 (a column dropped)
  let b = L.conv2d({ filters: 5, kernelSize: 2 }).apply(image) as S; // linear, 11x10: fused, unmasked
  b = L.maxPooling2d({ poolSize: 2 }).apply(b) as S; // 5x5 (a row dropped)
  let c = L.conv2d({ filters: 6, kernelSize: 2, activation: 'relu' }).apply(a) as S; // its input needs a gradient: not fused
  c = L.maxPooling2d({ poolSize: 2 }).apply(c) as S;
  let d = L.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh' }).apply(image) as S; // tanh: not fused in training
  d = L.maxPooling2d({ poolSize: 2 }).apply(d) as S;
  let e = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }).apply(image) as S; // 12x11x8, not pooled
  e = L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(e) as S; // Winograd F(4,3): fused with dx
  e = L.maxPooling2d({ poolSize: 2 }).apply(e) as S; // 6x5 (a column dropped)
  const joined = L.concatenate().apply([L.flatten().apply(c) as S, L.flatten().apply(b) as S, L.flatten().apply(d) as S, L.flatten().apply(e) as S]) as S;
  return sn.model({ inputs: image, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(joined) as S });
}

describe('conv → 2x2 max pool fused in training', () => {
  it('pairs a relu or linear conv', async () => {
    await sn.ready({ threads: 1 });
    const m = buildForTraining();
    const convs = [...trainingConvPoolPairs(graphOf(m))].map(([conv, pool]) => `${(conv.layer as unknown as { filters: number; activation: string }).filters} ${(conv.layer as unknown as { filters: number; activation: string }).activation} -> ${pool.layer.className}`);
    expect(convs.sort()).toEqual(['32 relu -> MaxPooling2D', '5 linear -> MaxPooling2D', '6 relu -> MaxPooling2D', '8 relu -> MaxPooling2D']);
    m.dispose();
  });

  it.each([1, 2])('trains to the weights of the unfused layers at batch 5 and 1 (%i threads)', async (threads) => {
    sn.dispose();
    await sn.ready({ threads });
    const r = rng(12);
    for (const n of [5, 1]) {
      const x = sn.tensor(Float32Array.from({ length: n * 12 * 11 }, () => r() * 2 - 1), [n, 12, 11, 1]);
      const labels = sn.tensor(Float32Array.from({ length: n }, (_, i) => i % 3), [n]);
      const calls: unknown[][] = [];
      const weightsAfter = async (fused: boolean) => {
        setConvPoolFusion(fused);
        const m = buildForTraining();
        m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
        // Step by step: a replayed step (training plans) runs its kernels without engine.parallel seeing them.
        setTrainingPlans(false);
        try {
          calls.push(...(await callsRunBy(async () => {
            for (let i = 0; i < 3; i++) await m.trainOnBatch(x, labels);
          })));
        } finally {
          setTrainingPlans(true);
        }
        const w = m.getWeights().map((t) => t.dataSync().slice());
        m.dispose();
        return w;
      };
      // The winners (pooled) or 0: the forward's last argument, the backward's second last.
      const winners = (c: unknown[]) => c[c.length - (c[0] === 'winograd_backward_f32' ? 2 : 1)];
      const pooledWinograd = (name: string) => calls.filter((c) => c[0] === name && winners(c) !== 0).length;
      const plain = await weightsAfter(false);
      expect(calls.filter((c) => (c[0] as string).includes('maxpool2'))).toEqual([]);
      expect(pooledWinograd('winograd_forward_f32') + pooledWinograd('winograd_backward_f32')).toBe(0);
      calls.length = 0;
      const fused = await weightsAfter(true);
      // Each step: two fused forwards and two fused backwards on the direct loop, one of each on Winograd.
      const kernels = calls.map((c) => c[0]);
      expect(kernels.filter((k) => k === 'conv2d_backward_maxpool2_f32').length, `batch ${n}`).toBeGreaterThanOrEqual(6);
      expect(kernels.filter((k) => k === 'conv2d_forward_maxpool2_f32').length, `batch ${n}`).toBeGreaterThanOrEqual(6);
      expect(pooledWinograd('winograd_forward_f32'), `batch ${n}`).toBeGreaterThanOrEqual(3);
      expect(pooledWinograd('winograd_backward_f32'), `batch ${n}`).toBeGreaterThanOrEqual(3);
      fused.forEach((w, i) => {
        const scale = Math.max(...plain[i].map(Math.abs), 1e-3);
        w.forEach((v, j) => expect(Math.abs(v - plain[i][j]), `batch ${n}, weight ${i}[${j}]`).toBeLessThanOrEqual(1e-5 * scale));
      });
      [x, labels].forEach((t) => t.dispose());
    }
  });
});
