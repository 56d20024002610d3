// The layer graph without TF.js: every merge layer (subtract included, which TF.js lacks) forward and one
// SGD step against a float64 reference written from the math; loss weights; per-output logs; errors at
// apply() and sn.model(); the functional summary; flat memory over 30 epochs of a residual model.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { rng } from '../helpers/random.js';

beforeAll(async () => {
  await sn.ready();
});

const L = sn.layers;
type Kind = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum' | 'concat1' | 'concat-1';

// ---- float64 reference: inputs x_i (n, r, c) → p_i = x_i · W_i (dense, no bias) → merge → y; MSE loss ----

function matmulRows(x: Float64Array, w: Float64Array, rows: number, k: number, m: number): Float64Array {
  const out = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let q = 0; q < k; q++) s += x[r * k + q] * w[q * m + j];
    out[r * m + j] = s;
  }
  return out;
}

/** y and d(y)/d(p_i)·g for each merge kind, element by element (concatenate handled by index maps). */
function mergeRef(kind: Kind, ps: Float64Array[], n: number, rows: number, units: number): { y: Float64Array; back: (g: Float64Array) => Float64Array[] } {
  const size = ps[0].length;
  if (kind === 'concat1' || kind === 'concat-1') {
    // Per sample, p_i is (rows, units); concat on axis 1 stacks rows, on axis -1 joins units.
    const k = ps.length;
    const y = new Float64Array(size * k);
    const where = (i: number, s: number, r: number, u: number): number =>
      kind === 'concat1' ? s * rows * k * units + (i * rows + r) * units + u : s * rows * k * units + r * k * units + i * units + u;
    ps.forEach((p, i) => {
      for (let s = 0; s < n; s++) for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) y[where(i, s, r, u)] = p[(s * rows + r) * units + u];
    });
    return {
      y,
      back: (g) => ps.map((_, i) => {
        const d = new Float64Array(size);
        for (let s = 0; s < n; s++) for (let r = 0; r < rows; r++) for (let u = 0; u < units; u++) d[(s * rows + r) * units + u] = g[where(i, s, r, u)];
        return d;
      }),
    };
  }
  const y = new Float64Array(size);
  const winner = new Int32Array(size);
  for (let e = 0; e < size; e++) {
    const v = ps.map((p) => p[e]);
    switch (kind) {
      case 'add': y[e] = v.reduce((a, b) => a + b, 0); break;
      case 'average': y[e] = v.reduce((a, b) => a + b, 0) / v.length; break;
      case 'subtract': y[e] = v[0] - v[1]; break;
      case 'multiply': y[e] = v.reduce((a, b) => a * b, 1); break;
      default: {
        let best = 0;
        for (let i = 1; i < v.length; i++) if (kind === 'maximum' ? v[i] > v[best] : v[i] < v[best]) best = i;
        winner[e] = best;
        y[e] = v[best];
      }
    }
  }
  return {
    y,
    back: (g) => ps.map((_, i) => {
      const d = new Float64Array(size);
      for (let e = 0; e < size; e++) {
        switch (kind) {
          case 'add': d[e] = g[e]; break;
          case 'average': d[e] = g[e] / ps.length; break;
          case 'subtract': d[e] = i === 0 ? g[e] : -g[e]; break;
          case 'multiply': d[e] = ps.reduce((a, p, j) => (j === i ? a : a * p[e]), g[e]); break;
          default: d[e] = winner[e] === i ? g[e] : 0;
        }
      }
      return d;
    }),
  };
}

function layerFor(kind: Kind): sn.Layer {
  switch (kind) {
    case 'concat1': return L.concatenate({ axis: 1 });
    case 'concat-1': return L.concatenate();
    default: return L[kind]();
  }
}

describe('merge layers against a float64 reference (forward and one SGD step)', () => {
  const cases: [Kind, number][] = [
    ['add', 3], ['subtract', 2], ['multiply', 3], ['average', 2], ['maximum', 3], ['minimum', 2], ['concat1', 2], ['concat-1', 3],
  ];
  it.each(cases)('%s of %i inputs', async (kind, k) => {
    const r = rng(11 + k);
    const n = 3, rows = 2, inUnits = 4, units = 5;
    const inputs = Array.from({ length: k }, (_, i) => sn.input({ shape: [rows, inUnits], name: `m_in${i}` }));
    const dense = inputs.map((_, i) => L.dense({ units, useBias: false, name: `m_dense${i}` }));
    const merged = layerFor(kind).apply(inputs.map((x, i) => dense[i].apply(x)));
    const model = sn.model({ inputs, outputs: merged });
    const xs = inputs.map(() => Float64Array.from({ length: n * rows * inUnits }, () => r() * 2 - 1));
    const ws = dense.map(() => Float64Array.from({ length: inUnits * units }, () => r() * 2 - 1));
    model.setWeights(ws.map((w) => sn.tensor(Float32Array.from(w), [inUnits, units])));
    const xT = xs.map((x) => sn.tensor(Float32Array.from(x), [n, rows, inUnits]));

    const ps = xs.map((x, i) => matmulRows(x, ws[i], n * rows, inUnits, units));
    const ref = mergeRef(kind, ps, n, rows, units);
    const pred = model.predict(xT) as sn.Tensor;
    expect(pred.shape).toEqual([n, ...(model.outputShape as number[]).slice(1)]);
    const got = pred.dataSync();
    ref.y.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));

    // One SGD step on MSE: dy = 2 (y - t) / size; dW_i = x_iᵀ · dp_i.
    const t = Float64Array.from({ length: ref.y.length }, () => r() * 2 - 1);
    const lr = 0.5;
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: lr }), loss: 'meanSquaredError' });
    const yT = sn.tensor(Float32Array.from(t), pred.shape);
    const loss = (await model.trainOnBatch(xT, yT)) as number;
    const g = ref.y.map((v, i) => (2 * (v - t[i])) / ref.y.length);
    const wantLoss = ref.y.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) / ref.y.length;
    expect(loss).toBeCloseTo(wantLoss, 5);
    const dps = ref.back(g);
    const after = model.getWeights();
    after.forEach((w, i) => {
      const x = xs[i];
      const v = w.dataSync();
      for (let q = 0; q < inUnits; q++) for (let j = 0; j < units; j++) {
        let d = 0;
        for (let row = 0; row < n * rows; row++) d += x[row * inUnits + q] * dps[i][row * units + j];
        expect(v[q * units + j]).toBeCloseTo(ws[i][q * units + j] - lr * d, 5);
      }
      w.dispose();
    });
    for (const tns of [...xT, yT, pred]) tns.dispose();
    model.dispose();
  });

  it('the same tensor merged with itself gets both gradients (add([h, h]) = 2h)', async () => {
    const x = sn.input({ shape: [3] });
    const d = L.dense({ units: 2, useBias: false });
    const h = d.apply(x);
    const twice = sn.model({ inputs: x, outputs: L.add().apply([h, h]) });
    const once = sn.model({ inputs: x, outputs: L.dense({ units: 2, useBias: false }).apply(x) });
    const w = sn.tensor([0.1, -0.2, 0.3, 0.4, -0.5, 0.6], [3, 2]);
    const w2 = sn.tensor([0.2, -0.4, 0.6, 0.8, -1.0, 1.2], [3, 2]);
    twice.setWeights([w]);
    once.setWeights([w2]);
    const xs = sn.tensor([1, 2, 3, -1, 0.5, 2], [2, 3]);
    const ys = sn.tensor([0.3, -0.1, 0.2, 0.5], [2, 2]);
    for (const m of [twice, once]) m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    expect(await twice.trainOnBatch(xs, ys)).toBeCloseTo((await once.trainOnBatch(xs, ys)) as number, 6);
    // d/dW of f(2W) is 2 f'(2W): the doubled model's step on W is half the plain model's on 2W... in 2W units, equal.
    const a = twice.getWeights()[0].dataSync().map((v) => 2 * v);
    const b = once.getWeights()[0].dataSync();
    // once moved 2W by -lr·g; twice moved W by -lr·2g, i.e. 2W by -4·lr·g.
    const gOnce = b.map((v, i) => (w2.dataSync()[i] - v) / 0.1);
    a.forEach((v, i) => expect(v).toBeCloseTo(w2.dataSync()[i] - 4 * 0.1 * gOnce[i], 5));
    for (const t of [w, w2, xs, ys]) t.dispose();
    twice.dispose();
    once.dispose();
  });
});

describe('graph errors leave everything unchanged', () => {
  it('a merge of mismatched shapes throws at apply(), naming the layer and both shapes', () => {
    const a = sn.input({ shape: [4, 3] });
    const b = sn.input({ shape: [4, 2] });
    const add = L.add({ name: 'bad_add' });
    expect(() => add.apply([a, b])).toThrow(/bad_add \(Add\) needs inputs of one shape; got input shapes \[null,4,3\], \[null,4,2\]/);
    expect(add.inboundNodes.length).toBe(0);
    expect(add.built).toBe(false);
    // It still works on fitting shapes afterwards.
    expect(add.apply([a, a]).shape).toEqual([null, 4, 3]);
    const cat = L.concatenate({ name: 'bad_cat', axis: 1 });
    expect(() => cat.apply([a, b])).toThrow(/bad_cat \(Concatenate\) needs inputs that match on every axis but axis 1; got input shapes \[null,4,3\], \[null,4,2\]/);
    const d = L.dense({ units: 2, name: 'one_input' });
    expect(() => d.apply([a, b])).toThrow(/one_input \(Dense\) takes one input but was given 2/);
    expect(() => L.conv2d({ filters: 1, kernelSize: 2, name: 'rank_conv' }).apply(a)).toThrow(/rank_conv.*\[null,4,3\]/);
    expect(() => d.apply(sn.tensor([1, 2], [1, 2]) as never)).toThrow(/apply expects symbolic tensors/);
  });

  it('outputs that need an input not given throw naming that input', () => {
    const a = sn.input({ shape: [2], name: 'given_a' });
    const b = sn.input({ shape: [2], name: 'missing_b' });
    const y = L.add().apply([a, L.dense({ units: 2 }).apply(b)]);
    expect(() => sn.model({ inputs: a, outputs: y })).toThrow(/depend on input 'missing_b', which is not among the model's inputs \(given_a\)/);
    expect(() => sn.model({ inputs: [a, b], outputs: L.dense({ units: 1 }).apply(a) })).toThrow(/no output depends on input 'missing_b'/);
    const m = sn.model({ inputs: [a, b], outputs: y });
    expect(m.inputNames).toEqual(['given_a', 'missing_b']);
    m.dispose();
  });

  it('fit with a wrong input count, shape or label changes nothing', async () => {
    const a = sn.input({ shape: [3], name: 'fa' });
    const b = sn.input({ shape: [2], name: 'fb' });
    const y = L.dense({ units: 2, name: 'fo' }).apply(L.concatenate().apply([a, b]));
    const m = sn.model({ inputs: [a, b], outputs: y });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const before = m.getWeights().map((w) => w.dataSync());
    const xa = sn.tensor(new Float32Array(12), [4, 3]);
    const xb = sn.tensor(new Float32Array(8), [4, 2]);
    const bad = sn.tensor(new Float32Array(12), [4, 3]);
    const ys = sn.tensor(new Float32Array(8), [4, 2]);
    await expect(m.fit(xa, ys)).rejects.toThrow(/has 2 inputs \(fa, fb\) but x has 1 tensors/);
    await expect(m.fit([xa, bad], ys)).rejects.toThrow(/fb \(input 1\) expects input shape \[null,2\] but got \[4,3\]/);
    await expect(m.fit([xa, xb], xa)).rejects.toThrow(/fo/);
    await expect(m.fit({ fa: xa, nope: xb } as never, ys)).rejects.toThrow(/names nope/);
    m.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i])));
    // Inputs by name work.
    const h = await m.fit({ fa: xa, fb: xb }, ys, { epochs: 1 });
    expect(h.history.loss.length).toBe(1);
    for (const t of [xa, xb, bad, ys]) t.dispose();
    m.dispose();
  });
});

describe('several outputs', () => {
  function build(): sn.LayersModel {
    const x = sn.input({ shape: [4], name: 'mo_in' });
    const h = L.dense({ units: 5, activation: 'tanh', name: 'mo_h' }).apply(x);
    const c = L.dense({ units: 3, activation: 'softmax', name: 'mo_class' }).apply(h);
    const r = L.dense({ units: 2, name: 'mo_reg' }).apply(h);
    return sn.model({ inputs: x, outputs: [c, r] });
  }
  const xs = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i));
  const labels = Float32Array.from({ length: 6 }, (_, i) => i % 3);
  const targets = Float32Array.from({ length: 12 }, (_, i) => Math.cos(i));

  it('names logs per output as TF.js does, and predict returns one tensor per output', async () => {
    sn.setSeed(5);
    const m = build();
    m.compile({ optimizer: 'adam', loss: { mo_class: 'sparseCategoricalCrossentropy', mo_reg: 'meanSquaredError' }, metrics: ['accuracy'] });
    const x = sn.tensor(xs, [6, 4]);
    const y1 = sn.tensor(labels, [6]);
    const y2 = sn.tensor(targets, [6, 2]);
    const h = await m.fit(x, [y1, y2], { epochs: 2, batchSize: 4, validationData: [x, [y1, y2]] });
    expect(Object.keys(h.history).sort()).toEqual(
      ['loss', 'mo_class_acc', 'mo_class_loss', 'mo_reg_acc', 'mo_reg_loss', 'val_loss', 'val_mo_class_acc', 'val_mo_class_loss', 'val_mo_reg_acc', 'val_mo_reg_loss'].sort(),
    );
    h.history.loss.forEach((l, e) => expect(l).toBeCloseTo(h.history.mo_class_loss![e] + h.history.mo_reg_loss![e], 5));
    const ev = m.evaluate(x, [y1, y2]);
    expect(ev.loss).toBeCloseTo(ev.mo_class_loss + ev.mo_reg_loss, 5);
    const p = m.predict(x) as sn.Tensor[];
    expect(p.map((t) => t.shape)).toEqual([[6, 3], [6, 2]]);
    p.forEach((t) => t.dispose());
    const summary: string[] = [];
    m.summary((l) => summary.push(l));
    expect(summary.join('\n')).toMatch(/Layer \(type\)\s+Output Shape\s+Param #\s+Connected to/);
    expect(summary.join('\n')).toMatch(/mo_class \(Dense\)\s+\[null,3\]\s+18\s+mo_h\[0\]\[0\]/);
    for (const t of [x, y1, y2]) t.dispose();
    m.dispose();
  });

  it('lossWeights scale each output’s gradient: a step with [a, b] is a·(step with [1, 0]) + b·(step with [0, 1])', async () => {
    const x = sn.tensor(xs, [6, 4]);
    const y1 = sn.tensor(labels, [6]);
    const y2 = sn.tensor(targets, [6, 2]);
    const step = async (lossWeights: number[]): Promise<{ loss: number; moved: Float32Array[] }> => {
      sn.setSeed(9);
      const m = build();
      const w0 = m.getWeights().map((w) => w.dataSync());
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1 }), loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'], lossWeights });
      const r = (await m.trainOnBatch(x, [y1, y2])) as number[];
      const moved = m.getWeights().map((w, i) => w.dataSync().map((v, j) => v - w0[i][j]));
      m.dispose();
      return { loss: r[0], moved };
    };
    const a = await step([1, 0]);
    const b = await step([0, 1]);
    const both = await step([2, 0.5]);
    expect(both.loss).toBeCloseTo(2 * a.loss + 0.5 * b.loss, 5);
    both.moved.forEach((d, i) => d.forEach((v, j) => expect(v).toBeCloseTo(2 * a.moved[i][j] + 0.5 * b.moved[i][j], 5)));
    expect(b.moved[2].every((v) => v === 0)).toBe(true); // mo_class/kernel gets nothing when its loss weighs 0
    // Saved files leave loss weights out (TF.js refuses them).
    sn.setSeed(9);
    const m = build();
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError', lossWeights: [1, 2] });
    const saved = await m.save();
    expect(JSON.stringify(saved.trainingConfig)).not.toMatch(/loss_weights|lossWeights/);
    m.dispose();
    for (const t of [x, y1, y2]) t.dispose();
  });
});

describe('residual model memory', () => {
  it('stays flat over 30 epochs', async () => {
    sn.setSeed(1);
    const x = sn.input({ shape: [8, 8, 3] });
    const c0 = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    let h = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(c0);
    h = L.batchNormalization().apply(h);
    const s = L.activation({ activation: 'relu' }).apply(L.add().apply([h, c0]));
    const out = L.dense({ units: 3, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(s));
    const m = sn.model({ inputs: x, outputs: out });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const xs = sn.tensor(Float32Array.from({ length: 20 * 192 }, (_, i) => Math.sin(i * 0.1)), [20, 8, 8, 3]);
    const ys = sn.tensor(Float32Array.from({ length: 20 }, (_, i) => i % 3), [20]);
    await m.fit(xs, ys, { epochs: 2, batchSize: 8 });
    const start = sn.memoryInfo();
    const h2 = await m.fit(xs, ys, { epochs: 30, batchSize: 8 });
    const end = sn.memoryInfo();
    expect(end.wasmBytes).toBe(start.wasmBytes);
    expect(end.liveTensors).toBe(start.liveTensors);
    expect(h2.history.loss[29]).toBeLessThan(h2.history.loss[0]);
    xs.dispose();
    ys.dispose();
    m.dispose();
  });
});

describe('Sequential is a chain of the same graph', () => {
  it('takes an inputLayer first, as TF.js does, and matches sn.model over the same layers', async () => {
    sn.setSeed(2);
    const seq = sn.sequential([L.inputLayer({ inputShape: [5] }), L.dense({ units: 4, activation: 'relu' }), L.dense({ units: 2 })]);
    expect(seq.layers.length).toBe(2);
    expect(seq.outputShape).toEqual([null, 2]);
    const x = sn.input({ shape: [5] });
    const fn = sn.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(L.dense({ units: 4, activation: 'relu' }).apply(x)) });
    const w = seq.getWeights();
    fn.setWeights(w);
    w.forEach((t) => t.dispose());
    const xs = sn.tensor(Float32Array.from({ length: 15 }, (_, i) => Math.cos(i)), [3, 5]);
    const a = seq.predict(xs);
    const b = fn.predict(xs) as sn.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    // Saved and loaded, the input shape survives (it goes on the first layer).
    const again = await sn.loadModel(await seq.save());
    const c = again.predict(xs) as sn.Tensor;
    expect(Array.from(c.dataSync())).toEqual(Array.from(a.dataSync()));
    for (const t of [xs, a, b, c]) t.dispose();
    seq.dispose();
    fn.dispose();
    again.dispose();
  });
});

describe('functional files from Keras', () => {
  // A Keras 2 'Functional' config (flat input_layers/output_layers for one input and output) and the same
  // graph in Keras 3's form (inbound_nodes as { args: [keras tensors with keras_history] }).
  const dense = (name: string, units: number): Record<string, unknown> => ({ name, units, activation: 'linear', use_bias: true, trainable: true });
  const keras2 = {
    class_name: 'Functional',
    config: {
      name: 'k2',
      layers: [
        { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 3], dtype: 'float32', name: 'in' }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'd1', config: dense('d1', 2), inbound_nodes: [[['in', 0, 0, {}]]] },
        { class_name: 'Dense', name: 'd2', config: dense('d2', 2), inbound_nodes: [[['in', 0, 0, {}]]] },
        { class_name: 'Subtract', name: 'sub', config: { name: 'sub' }, inbound_nodes: [[['d1', 0, 0, {}], ['d2', 0, 0, {}]]] },
      ],
      input_layers: ['in', 0, 0],
      output_layers: ['sub', 0, 0],
    },
  };
  const kt = (layer: string): Record<string, unknown> => ({ class_name: '__keras_tensor__', config: { shape: [null, 2], dtype: 'float32', keras_history: [layer, 0, 0] } });
  const keras3 = JSON.parse(JSON.stringify(keras2));
  keras3.config.layers[0].config = { batch_shape: [null, 3], dtype: 'float32', name: 'in' };
  keras3.config.layers[1].inbound_nodes = [{ args: [kt('in')], kwargs: {} }];
  keras3.config.layers[2].inbound_nodes = [{ args: [kt('in')], kwargs: {} }];
  keras3.config.layers[3].inbound_nodes = [{ args: [[kt('d1'), kt('d2')]], kwargs: {} }];
  const weights = (): { specs: sn.WeightSpec[]; data: ArrayBuffer } => {
    const values = [[1, 2, 3, 4, 5, 6], [0.5, -0.5], [6, 5, 4, 3, 2, 1], [0, 1]];
    const specs = ['d1/kernel', 'd1/bias', 'd2/kernel', 'd2/bias'].map((name, i) => ({ name, shape: i % 2 ? [2] : [3, 2], dtype: 'float32' }));
    return { specs, data: Float32Array.from(values.flat()).buffer };
  };

  it.each([['Keras 2', keras2], ['Keras 3', keras3]])('%s: loads and computes d1(x) - d2(x)', async (_name, topology) => {
    const { specs, data } = weights();
    const m = await sn.loadModel({ modelTopology: topology, weightSpecs: specs, weightData: data });
    expect(m.layers.map((l) => l.className)).toEqual(['InputLayer', 'Dense', 'Dense', 'Subtract']);
    const x = sn.tensor([1, 0, -1], [1, 3]);
    const y = m.predict(x) as sn.Tensor;
    // d1 = [1-5, 2-6] + [0.5,-0.5] = [-3.5, -4.5]; d2 = [6-2, 5-1] + [0, 1] = [4, 5]
    expect(Array.from(y.dataSync())).toEqual([-7.5, -9.5]);
    x.dispose();
    y.dispose();
    m.dispose();
  });

  it('refuses an inbound_nodes entry it cannot read, naming the layer', async () => {
    const { specs, data } = weights();
    const live = sn.memoryInfo().liveTensors;
    const bad = JSON.parse(JSON.stringify(keras2));
    bad.config.layers[3].inbound_nodes = [['d1', 'd2']];
    await expect(sn.loadModel({ modelTopology: bad, weightSpecs: specs, weightData: data })).rejects.toThrow(/layer 'sub'.*expected \[layerName, nodeIndex, tensorIndex, \{\}\]/);
    const missing = JSON.parse(JSON.stringify(keras2));
    missing.config.layers[3].inbound_nodes = [[['d1', 0, 0, {}], ['nowhere', 0, 0, {}]]];
    await expect(sn.loadModel({ modelTopology: missing, weightSpecs: specs, weightData: data })).rejects.toThrow(/layer 'sub' reads layer 'nowhere', which the config does not have/);
    expect(sn.memoryInfo().liveTensors).toBe(live); // the layers made before the failure were freed
  });
});

describe('multiply with a channel gate [1, 1, C] (squeeze-excite), against float64', () => {
  it.each([[2, 3, 4, 5], [1, 1, 2, 3], [3, 2, 5, 8]])('n %i, %ix%i positions, %i channels: forward and one SGD step', async (n, h, w, c) => {
    const r = rng(40 + c);
    const inUnits = 3;
    const img = sn.input({ shape: [h, w, inUnits] });
    const vec = sn.input({ shape: [1, 1, inUnits] });
    const d0 = L.dense({ units: c, useBias: false });
    const d1 = L.dense({ units: c, useBias: false });
    const model = sn.model({ inputs: [img, vec], outputs: L.multiply().apply([d0.apply(img), d1.apply(vec)]) });
    const P = h * w;
    const xs = [n * P * inUnits, n * inUnits].map((len) => Float64Array.from({ length: len }, () => r() * 2 - 1));
    const ws = [0, 1].map(() => Float64Array.from({ length: inUnits * c }, () => r() * 2 - 1));
    model.setWeights(ws.map((v) => sn.tensor(Float32Array.from(v), [inUnits, c])));
    const xT = [sn.tensor(Float32Array.from(xs[0]), [n, h, w, inUnits]), sn.tensor(Float32Array.from(xs[1]), [n, 1, 1, inUnits])];
    const p0 = matmulRows(xs[0], ws[0], n * P, inUnits, c);
    const p1 = matmulRows(xs[1], ws[1], n, inUnits, c);
    const y = p0.map((v, i) => v * p1[Math.floor(i / (P * c)) * c + (i % c)]);
    const pred = model.predict(xT) as sn.Tensor;
    expect(pred.shape).toEqual([n, h, w, c]);
    const got = pred.dataSync();
    y.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    const t = Float64Array.from({ length: y.length }, () => r() * 2 - 1);
    const lr = 0.5;
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: lr }), loss: 'meanSquaredError' });
    const yT = sn.tensor(Float32Array.from(t), [n, h, w, c]);
    await model.trainOnBatch(xT, yT);
    const g = y.map((v, i) => (2 * (v - t[i])) / y.length);
    const dp0 = g.map((v, i) => v * p1[Math.floor(i / (P * c)) * c + (i % c)]);
    const dp1 = new Float64Array(n * c);
    g.forEach((v, i) => (dp1[Math.floor(i / (P * c)) * c + (i % c)] += v * p0[i]));
    const after = model.getWeights();
    [[xs[0], dp0, n * P], [xs[1], dp1, n]].forEach(([x, dp, rows], i) => {
      const v = after[i].dataSync();
      for (let q = 0; q < inUnits; q++) for (let j = 0; j < c; j++) {
        let d = 0;
        for (let row = 0; row < (rows as number); row++) d += (x as Float64Array)[row * inUnits + q] * (dp as Float64Array)[row * c + j];
        expect(v[q * c + j]).toBeCloseTo(ws[i][q * c + j] - lr * d, 5);
      }
    });
    for (const tns of [...xT, yT, pred, ...after]) tns.dispose();
    model.dispose();
  });

  it('other broadcasts are refused at apply(), naming the gate form', () => {
    const a = sn.input({ shape: [4, 3, 5] });
    expect(() => L.multiply({ name: 'bad_gate' }).apply([a, sn.input({ shape: [1, 3, 5] })])).toThrow(/bad_gate \(Multiply\) needs inputs of one shape, or two: x and a channel gate \[1, …, 1, C\]/);
    expect(() => L.multiply().apply([sn.input({ shape: [1, 1, 5] }), a])).toThrow(/channel gate/); // the gate second, as Keras code writes it
    expect(() => L.add().apply([a, sn.input({ shape: [1, 1, 5] })])).toThrow(/needs inputs of one shape/);
  });
});
