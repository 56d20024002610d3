// Augmentation layers (Keras preprocessing): the warps against a float64 reference of TensorFlow's
// transform semantics (fill modes, bilinear/nearest) on odd shapes; a one-pixel image moves by the amounts
// asked; seeds reproduce; active in fit, identity in predict/evaluate; gradients refused mid-network;
// saved under Keras class names, or left out for TF.js.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { seededRandom } from '../../src/random.js';

beforeAll(async () => {
  await sn.ready();
});

const L = sn.layers;
type Fill = 'reflect' | 'wrap' | 'constant' | 'nearest';

/** The layer's training output for x (as fit runs it), as a plain array. */
function trainForward(layer: sn.Layer, x: sn.Tensor): Float32Array {
  if (!layer.built) layer.build(x.shape.slice(1));
  const node = new sn.Node();
  node.training = true;
  const y = layer.forward(x, node, null as never);
  const out = y.dataSync();
  if (y !== x) y.dispose();
  return out;
}

// ---- float64 reference: TensorFlow's ImageProjectiveTransformV3 (affine), written from its definition ----
function mapCoord(v: number, len: number, fill: Fill): number {
  if (fill === 'constant') return v;
  if (len <= 1) return 0;
  if (fill === 'reflect') {
    const twice = 2 * len;
    if (v < 0) {
      if (v < -twice) v += twice * Math.trunc(-v / twice);
      v = v < -len ? v + twice : -v - 1;
    } else if (v > len - 1) {
      v -= twice * Math.trunc(v / twice);
      if (v >= len) v = twice - v - 1;
    }
  } else if (fill === 'wrap') {
    if (v < 0) v += len * (Math.trunc(-v / (len - 1)) + 1);
    else if (v > len - 1) v -= len * Math.trunc(v / (len - 1));
  }
  return Math.min(Math.max(v, 0), len - 1);
}

function refWarp(x: Float32Array, [N, H, W, C]: number[], mats: number[][], fill: Fill, fillValue: number, nearest: boolean): Float64Array {
  const y = new Float64Array(x.length);
  const at = (n: number, r: number, c: number, ch: number) => (r >= 0 && r < H && c >= 0 && c < W ? x[((n * H + r) * W + c) * C + ch] : fillValue);
  for (let n = 0; n < N; n++) {
    const [a0, a1, a2, b0, b1, b2] = mats[n];
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        let sx = mapCoord(a0 * j + a1 * i + a2, W, fill);
        let sy = mapCoord(b0 * j + b1 * i + b2, H, fill);
        if (nearest) [sx, sy] = [Math.round(sx), Math.round(sy)];
        const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
        for (let ch = 0; ch < C; ch++) {
          y[((n * H + i) * W + j) * C + ch] =
            (1 - fy) * ((1 - fx) * at(n, y0, x0, ch) + fx * at(n, y0, x0 + 1, ch)) + fy * ((1 - fx) * at(n, y0 + 1, x0, ch) + fx * at(n, y0 + 1, x0 + 1, ch));
        }
      }
    }
  }
  return y;
}

function randomImages(shape: number[], seed: number): sn.Tensor {
  const r = seededRandom(seed);
  return sn.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => r()), shape);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** One image [1, H, W, C] with value v at (row, col) in every channel (channel k: v + k). */
function onePixel(H: number, W: number, C: number, row: number, col: number, v = 1): sn.Tensor {
  const d = new Float32Array(H * W * C);
  for (let k = 0; k < C; k++) d[(row * W + col) * C + k] = v + k;
  return sn.tensor(d, [1, H, W, C]);
}

/** Where the non-zero pixels of image 0 are: [row, col, channel 0 value]. */
function litPixels(y: Float32Array, H: number, W: number, C: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) if (Math.abs(y[(i * W + j) * C]) > 1e-6) out.push([i, j, y[(i * W + j) * C]]);
  return out;
}

describe('augmentation layers move pixels by the amounts asked (training)', () => {
  it('randomTranslation: a one-pixel image moves by heightFactor·H rows and widthFactor·W columns, every channel', () => {
    const x = onePixel(6, 10, 5, 2, 3);
    const layer = L.randomTranslation({ heightFactor: [0.5, 0.5], widthFactor: [-0.2, -0.2], fillMode: 'constant' });
    const y = trainForward(layer, x);
    expect(litPixels(y, 6, 10, 5)).toEqual([[5, 1, 1]]);
    expect(Array.from(y.subarray((5 * 10 + 1) * 5, (5 * 10 + 2) * 5))).toEqual([1, 2, 3, 4, 5]);
    x.dispose();
  });

  it('randomRotation: a quarter turn counter-clockwise takes the top-right pixel to the top-left', () => {
    const x = onePixel(7, 7, 1, 1, 5);
    const y = trainForward(L.randomRotation({ factor: [0.25, 0.25], fillMode: 'constant' }), x);
    const lit = litPixels(y, 7, 7, 1);
    expect(lit.length).toBe(1);
    expect(lit[0][0]).toBe(1);
    expect(lit[0][1]).toBe(1);
    expect(lit[0][2]).toBeCloseTo(1, 5);
    x.dispose();
  });

  it('randomZoom: zooming in 2x about the centre spreads a pixel by bilinear weights', () => {
    const x = onePixel(9, 9, 1, 4, 5);
    const y = trainForward(L.randomZoom({ heightFactor: [-0.5, -0.5], fillMode: 'constant' }), x);
    // Output column j reads input 0.5·j + 2: column 6 reads 5 exactly; 5 and 7 read halfway.
    expect(litPixels(y, 9, 9, 1)).toEqual([
      [3, 5, 0.25], [3, 6, 0.5], [3, 7, 0.25],
      [4, 5, 0.5], [4, 6, 1], [4, 7, 0.5],
      [5, 5, 0.25], [5, 6, 0.5], [5, 7, 0.25],
    ]);
    x.dispose();
  });

  it('fill modes at the border: a row shifted right by 2 reads as TensorFlow does', () => {
    const x = sn.tensor([1, 2, 3, 4, 5], [1, 1, 5, 1]);
    const shifted = (fillMode: Fill) => Array.from(trainForward(L.randomTranslation({ heightFactor: 0, widthFactor: [0.4, 0.4], fillMode, fillValue: 9 }), x));
    expect(shifted('reflect')).toEqual([2, 1, 1, 2, 3]);
    expect(shifted('wrap')).toEqual([4, 5, 1, 2, 3]);
    expect(shifted('nearest')).toEqual([1, 1, 1, 2, 3]);
    expect(shifted('constant')).toEqual([9, 9, 1, 2, 3]);
    x.dispose();
  });

  it('randomFlip: each image is itself or its mirror, both occur; vertical mode leaves columns alone', () => {
    const x = sn.tensor(Array.from({ length: 16 }, () => [1, 2, 3, 4, 5, 6]).flat(), [16, 2, 3, 1]);
    const y = trainForward(L.randomFlip({ mode: 'horizontal', seed: 4 }), x);
    const seen = new Set<string>();
    for (let n = 0; n < 16; n++) seen.add(Array.from(y.subarray(n * 6, n * 6 + 6)).join(','));
    expect([...seen].sort()).toEqual(['1,2,3,4,5,6', '3,2,1,6,5,4']);
    const v = trainForward(L.randomFlip({ mode: 'vertical', seed: 4 }), x);
    const vs = new Set<string>();
    for (let n = 0; n < 16; n++) vs.add(Array.from(v.subarray(n * 6, n * 6 + 6)).join(','));
    expect([...vs].sort()).toEqual(['1,2,3,4,5,6', '4,5,6,1,2,3']);
    x.dispose();
  });
});

describe('the warp kernel against the float64 reference', () => {
  const shape = [3, 5, 7, 6]; // batch 3, non-square, 6 channels: one f32x4 and a scalar tail
  const cases: { name: string; layer: () => sn.Layer; mat: (h: number, w: number) => number[] }[] = [
    {
      name: 'rotation',
      layer: () => L.randomRotation({ factor: [0.07, 0.07], fillMode: 'reflect' }),
      mat: (h, w) => {
        const t = 0.07 * 2 * Math.PI, c = Math.cos(t), s = Math.sin(t);
        return [c, -s, (w - 1 - (c * (w - 1) - s * (h - 1))) / 2, s, c, (h - 1 - (s * (w - 1) + c * (h - 1))) / 2];
      },
    },
    { name: 'zoom out, wrap', layer: () => L.randomZoom({ heightFactor: [0.6, 0.6], widthFactor: [0.3, 0.3], fillMode: 'wrap' }), mat: (h, w) => [1.3, 0, ((w - 1) / 2) * -0.3, 0, 1.6, ((h - 1) / 2) * -0.6] },
    { name: 'translation by fractions, constant 0.5', layer: () => L.randomTranslation({ heightFactor: [-0.3, -0.3], widthFactor: [0.45, 0.45], fillMode: 'constant', fillValue: 0.5 }), mat: (h, w) => [1, 0, -0.45 * w, 0, 1, 0.3 * h] },
    { name: 'rotation, nearest fill and nearest interpolation', layer: () => L.randomRotation({ factor: [-0.4, -0.4], fillMode: 'nearest', interpolation: 'nearest' }), mat: (h, w) => {
      const t = -0.4 * 2 * Math.PI, c = Math.cos(t), s = Math.sin(t);
      return [c, -s, (w - 1 - (c * (w - 1) - s * (h - 1))) / 2, s, c, (h - 1 - (s * (w - 1) + c * (h - 1))) / 2];
    } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const x = randomImages(shape, 3);
      const layer = c.layer() as sn.Layer & { fillMode: Fill; fillValue: number; interpolation: string };
      const y = trainForward(layer, x);
      const m = c.mat(shape[1], shape[2]);
      const want = refWarp(x.dataSync(), shape, [m, m, m], layer.fillMode, layer.fillValue, layer.interpolation === 'nearest');
      expect(maxDiff(y, want)).toBeLessThan(1e-5);
      x.dispose();
    });
  }

  it('randomContrast: (x − mean)·f + mean per image and channel, clipped to valueRange', () => {
    const shape2 = [4, 3, 5, 3];
    const x = randomImages(shape2, 8);
    const layer = L.randomContrast({ factor: [0.5, 0.9], valueRange: [0.1, 0.9], seed: 21 });
    const y = trainForward(layer, x);
    const r = seededRandom(21);
    const xs = x.dataSync();
    const [N, H, W, C] = shape2;
    const want = new Float64Array(xs.length);
    for (let n = 0; n < N; n++) {
      const f = 0.5 + (1.9 - 0.5) * r();
      for (let ch = 0; ch < C; ch++) {
        let mean = 0;
        for (let p = 0; p < H * W; p++) mean += xs[(n * H * W + p) * C + ch];
        mean /= H * W;
        for (let p = 0; p < H * W; p++) {
          const k = (n * H * W + p) * C + ch;
          want[k] = Math.min(Math.max((xs[k] - mean) * f + mean, 0.1), 0.9);
        }
      }
    }
    expect(maxDiff(y, want)).toBeLessThan(1e-5);
    x.dispose();
  });
});

describe('seeds', () => {
  it('sn.setSeed reproduces the draws; a layer seed gives its own stream', () => {
    const x = randomImages([5, 6, 6, 2], 1);
    const layer = L.randomRotation({ factor: 0.2 });
    sn.setSeed(11);
    const a = trainForward(layer, x);
    sn.setSeed(11);
    const b = trainForward(layer, x);
    const c = trainForward(layer, x);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(maxDiff(a, c)).toBeGreaterThan(0.01);
    const s1 = trainForward(L.randomTranslation({ heightFactor: 0.3, widthFactor: 0.3, seed: 9 }), x);
    sn.setSeed(12345);
    const s2 = trainForward(L.randomTranslation({ heightFactor: 0.3, widthFactor: 0.3, seed: 9 }), x);
    expect(Array.from(s1)).toEqual(Array.from(s2));
    x.dispose();
  });
});

/** A translation that records what it output in training. */
class SpyTranslation extends L.RandomTranslation {
  outputs: Float32Array[] = [];
  override forward(x: sn.Tensor, node: sn.Node, arena: never): sn.Tensor {
    const y = super.forward(x, node, arena);
    this.outputs.push(y.dataSync());
    return y;
  }
}

describe('in a model', () => {
  it('act in fit, are the identity in predict and evaluate, and can be saved without for TF.js', async () => {
    sn.setSeed(2);
    const spy = new SpyTranslation({ heightFactor: [1 / 6, 1 / 6], widthFactor: 0, fillMode: 'constant', inputShape: [6, 6, 1] });
    const model = sn.sequential([
      spy,
      L.randomRotation({ factor: 0.1 }),
      L.randomZoom({ heightFactor: 0.1 }),
      L.randomFlip(),
      L.randomContrast({ factor: 0.2, valueRange: [0, 1] }),
      L.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }),
      L.flatten(),
      L.dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: sn.optimizers.sgd(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = sn.tensor(Array.from({ length: 4 }, (_, n) => onePixel(6, 6, 1, n, 2).dataSync()).flatMap((a) => Array.from(a)), [4, 6, 6, 1]);
    const y = sn.tensor([0, 1, 0, 1], [4]);
    await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    // Training moved every image's pixel down one row.
    for (let n = 0; n < 4; n++) expect(litPixels(spy.outputs[0].subarray(n * 36), 6, 6, 1)[0].slice(0, 2)).toEqual([n + 1, 2]);
    spy.outputs = [];
    const p = model.predict(x);
    expect(Array.from(spy.outputs[0])).toEqual(Array.from(x.dataSync())); // identity at inference
    const plain = await sn.loadModel(await model.save(undefined, { includeAugmentation: false }));
    const layers = (plain.save as unknown) && (await plain.save()).modelTopology as { config: { layers: { class_name: string }[] } };
    expect(layers.config.layers.map((l) => l.class_name)).toEqual(['Conv2D', 'Flatten', 'Dense']);
    plain.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const q = plain.predict(x) as sn.Tensor;
    expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
    expect(plain.evaluate(x, y)).toEqual(model.evaluate(x, y));
    for (const t of [p, q, x, y]) t.dispose();
    plain.dispose();
    model.dispose();
  });

  it('save and load under Keras class names with their configs', async () => {
    const layers = [
      L.rescaling({ scale: 1 / 255, offset: -0.5, inputShape: [8, 6, 3] }),
      L.resizing({ height: 5, width: 4 }),
      L.randomTranslation({ heightFactor: [-0.1, 0.2], widthFactor: 0.1, fillMode: 'wrap', seed: 3 }),
      L.randomRotation({ factor: 0.05, interpolation: 'nearest' }),
      L.randomZoom({ heightFactor: 0.2, widthFactor: [-0.1, 0.3], fillMode: 'constant', fillValue: 0.25 }),
      L.randomFlip({ mode: 'vertical' }),
      L.randomContrast({ factor: [0.1, 0.3] }),
      L.flatten(),
    ];
    const model = sn.sequential(layers);
    const art = await model.save();
    const topo = art.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    expect(topo.config.layers.map((l) => l.class_name)).toEqual(['Rescaling', 'Resizing', 'RandomTranslation', 'RandomRotation', 'RandomZoom', 'RandomFlip', 'RandomContrast', 'Flatten']);
    expect(topo.config.layers[2].config).toMatchObject({ height_factor: [-0.1, 0.2], width_factor: [-0.1, 0.1], fill_mode: 'wrap', seed: 3 });
    const again = (await sn.loadModel(art)) as sn.Sequential;
    const topo2 = (await again.save()).modelTopology as typeof topo;
    expect(topo2.config.layers.map((l) => l.config)).toEqual(topo.config.layers.map((l) => l.config));
    // Functional: the skipped layer's output is read as its input.
    const inp = sn.input({ shape: [4, 4, 1] });
    const flip = L.randomFlip().apply(inp);
    const out = L.dense({ units: 1 }).apply(L.flatten().apply(flip));
    const f = sn.model({ inputs: inp, outputs: out });
    const ft = (await f.save(undefined, { includeAugmentation: false })).modelTopology as { config: { layers: { class_name: string; inbound_nodes: unknown[] }[] } };
    expect(ft.config.layers.map((l) => l.class_name)).toEqual(['InputLayer', 'Flatten', 'Dense']);
    expect(JSON.stringify(ft.config.layers[1].inbound_nodes)).toContain(JSON.stringify(inp.sourceLayer.name));
    const fx = randomImages([2, 4, 4, 1], 5);
    const f2 = await sn.loadModel(await f.save(undefined, { includeAugmentation: false }));
    expect(maxDiff((f2.predict(fx) as sn.Tensor).dataSync(), (f.predict(fx) as sn.Tensor).dataSync())).toBe(0);
    for (const m of [model, again, f, f2]) m.dispose();
  });

  it('refuse to pass a gradient back to a layer with weights; weightless layers before them are fine', async () => {
    const x = randomImages([4, 6, 6, 1], 2);
    const y = sn.tensor([0, 1, 1, 0], [4]);
    const bad = sn.sequential([L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', inputShape: [6, 6, 1] }), L.randomFlip(), L.flatten(), L.dense({ units: 2, activation: 'softmax' })]);
    bad.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const before = bad.getWeights().map((w) => w.dataSync());
    await expect(bad.fit(x, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/random_flip_\d+ \(RandomFlip\) passes no gradient back.*put augmentation layers at the model's input/);
    expect(bad.getWeights().map((w) => w.dataSync())).toEqual(before); // nothing half-updated
    const good = sn.sequential([
      L.rescaling({ scale: 2, inputShape: [6, 6, 1] }),
      L.randomTranslation({ heightFactor: 0.2, widthFactor: 0.2 }),
      L.randomZoom({ heightFactor: 0.2 }),
      L.conv2d({ filters: 2, kernelSize: 3 }),
      L.flatten(),
      L.dense({ units: 2, activation: 'softmax' }),
    ]);
    good.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    // The conv after the weightless layers is not asked for its input gradient (it would go nowhere).
    const conv = good.layers[3] as sn.Layer;
    const asked: boolean[] = [];
    const backward = conv.backward.bind(conv);
    conv.backward = (dy, node, arena, needDx) => (asked.push(needDx), backward(dy, node, arena, needDx));
    const h = await good.fit(x, y, { epochs: 2, verbose: 0 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((a) => a === false)).toBe(true);
    for (const m of [bad, good]) m.dispose();
    x.dispose();
    y.dispose();
  });

  it('rescaling: y = x·scale + offset, dx = dy·scale; resizing: bilinear with half-pixel centres', () => {
    const x = randomImages([2, 5, 7, 3], 4);
    const r = L.rescaling({ scale: -3, offset: 0.5 });
    r.build([5, 7, 3]);
    const node = new sn.Node();
    const yr = r.forward(x, node, null as never);
    expect(maxDiff(yr.dataSync(), Array.from(x.dataSync(), (v) => v * -3 + 0.5))).toBeLessThan(1e-6);
    const dy = randomImages([2, 5, 7, 3], 6);
    const want = Array.from(dy.dataSync(), (v) => v * -3);
    const dx = r.backward(dy, node, null as never, true)!;
    expect(maxDiff(dx.dataSync(), want)).toBeLessThan(1e-6);
    const rs = L.resizing({ height: 3, width: 4 });
    rs.build([5, 7, 3]);
    const yz = rs.forward(x, new sn.Node(), null as never);
    expect(yz.shape).toEqual([2, 3, 4, 3]);
    const xs = x.dataSync();
    const axis = (o: number, n: number, out: number) => {
      const s = (o + 0.5) * (n / out) - 0.5;
      const f = Math.floor(s);
      return [Math.max(f, 0), Math.min(Math.ceil(s), n - 1), s - f];
    };
    let worst = 0;
    for (let n = 0; n < 2; n++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) for (let c = 0; c < 3; c++) {
      const [t, b, fy] = axis(i, 5, 3);
      const [l, rr, fx] = axis(j, 7, 4);
      const v = (row: number, col: number) => xs[((n * 5 + row) * 7 + col) * 3 + c];
      const top = v(t, l) + (v(t, rr) - v(t, l)) * fx;
      const bot = v(b, l) + (v(b, rr) - v(b, l)) * fx;
      worst = Math.max(worst, Math.abs(yz.dataSync()[((n * 3 + i) * 4 + j) * 3 + c] - (top + (bot - top) * fy)));
    }
    expect(worst).toBeLessThan(1e-5);
    for (const t of [x, yr, dy, yz]) t.dispose();
  });

  it("resizing with cropToAspectRatio: Keras's centred window (its truncations), then bilinear; backward is the adjoint, 0 outside", async () => {
    // [H, W] -> [height, width] and the window Keras's smart_resize takes: [top, left, rows, cols].
    const cases: [number, number, number, number, [number, number, number, number]][] = [
      [7, 5, 2, 3, [2, 0, 3, 5]], // too tall: 3 of 7 rows, from row 2
      [6, 9, 4, 4, [0, 1, 6, 6]], // too wide: 6 of 9 columns, from column 1
      [5, 7, 3, 4, [0, 0, 5, 6]], // trunc(5·4/3) = 6 columns, from trunc(1/2) = 0
      [4, 6, 2, 3, [0, 0, 4, 6]], // same ratio: no crop
    ];
    for (const [H, W, oh, ow, win] of cases) {
      const C = 3;
      const rs = L.resizing({ height: oh, width: ow, cropToAspectRatio: true });
      rs.build([H, W, C]);
      expect(rs.cropWindow(H, W), `${H}x${W} -> ${oh}x${ow}`).toEqual(win);
      const [top, left, ch, cw] = win;
      const x = randomImages([2, H, W, C], H * 10 + W);
      const node = new sn.Node();
      node.inputs = [x];
      const y = rs.forward(x, node, null as never);
      expect(y.shape).toEqual([2, oh, ow, C]);
      const xs = x.dataSync();
      const axis = (o: number, n: number, out: number) => {
        const s = (o + 0.5) * (n / out) - 0.5;
        const f = Math.floor(s);
        return [Math.max(f, 0), Math.min(Math.ceil(s), n - 1), s - f];
      };
      const want = new Float64Array(y.size);
      for (let n = 0; n < 2; n++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let c = 0; c < C; c++) {
        const [t, b, fy] = axis(i, ch, oh);
        const [l, r, fx] = axis(j, cw, ow);
        const v = (row: number, col: number) => xs[((n * H + top + Math.max(row, 0)) * W + left + Math.max(col, 0)) * C + c];
        const upper = v(t, l) + (v(t, r) - v(t, l)) * fx;
        const lower = v(b, l) + (v(b, r) - v(b, l)) * fx;
        want[((n * oh + i) * ow + j) * C + c] = upper + (lower - upper) * fy;
      }
      expect(maxDiff(y.dataSync(), want)).toBeLessThan(1e-5);
      // Linear in x: <dy, resize(x)> = <backward(dy), x>, and no gradient reaches pixels outside the window.
      const dy = randomImages([2, oh, ow, C], 99);
      const dx = rs.backward(dy, node, null as never, true)!;
      const dxs = dx.dataSync();
      const dys = dy.dataSync();
      const ys = y.dataSync();
      let lhs = 0;
      let rhs = 0;
      for (let k = 0; k < ys.length; k++) lhs += dys[k] * ys[k];
      for (let k = 0; k < xs.length; k++) rhs += dxs[k] * xs[k];
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.abs(lhs));
      let outside = 0;
      for (let n = 0; n < 2; n++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
        if (i >= top && i < top + ch && j >= left && j < left + cw) continue;
        for (let c = 0; c < C; c++) outside = Math.max(outside, Math.abs(dxs[((n * H + i) * W + j) * C + c]));
      }
      expect(outside).toBe(0);
      for (const t of [x, y, dy, dx]) t.dispose();
    }
    // Saved as Keras's crop_to_aspect_ratio and read back.
    const m = sn.sequential([L.resizing({ height: 2, width: 3, cropToAspectRatio: true, inputShape: [7, 5, 1] })]);
    const topo = (await m.save()).modelTopology as { config: { layers: { config: Record<string, unknown> }[] } };
    expect(topo.config.layers[0].config.crop_to_aspect_ratio).toBe(true);
    const back = await sn.loadModel(await m.save());
    const img = randomImages([1, 7, 5, 1], 3);
    expect(maxDiff(back.predict(img).dataSync(), m.predict(img).dataSync())).toBe(0);
    expect(() => L.resizing({ height: 2, width: 2, cropToAspectRatio: 'yes' as never })).toThrow(/cropToAspectRatio must be true or false, got 'yes'/);
    for (const t of [m, back]) t.dispose();
    img.dispose();
  });

  it('errors name the layer and the value', () => {
    expect(() => L.randomTranslation({ heightFactor: 2, widthFactor: 0 })).toThrow(/random_translation_\d+: heightFactor must be a number or a pair \[lower, upper\] within \[-1, 1\], got 2/);
    expect(() => L.randomRotation({ factor: [0.3, 0.1] })).toThrow(/factor must be a number or a pair/);
    expect(() => L.randomZoom({ heightFactor: 0.1, fillMode: 'mirror' as never })).toThrow(/fillMode must be one of reflect, wrap, constant, nearest, got 'mirror'/);
    expect(() => L.randomFlip({ mode: 'diagonal' as never })).toThrow(/mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical'/);
    expect(() => L.randomContrast({ factor: 1.5 })).toThrow(/factor must be a number or a pair/);
    expect(() => L.rescaling({ scale: NaN })).toThrow(/scale must be a finite number, got NaN/);
    expect(() => L.resizing({ height: 0, width: 3 })).toThrow(/height must be a positive integer, got 0/);
    expect(() => sn.sequential([L.randomFlip({ inputShape: [10] })]).predict(sn.tensor([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]))).toThrow(/random_flip_\d+/);
  });
});
