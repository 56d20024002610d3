// simdnet/onnx against ONNX Runtime (onnxruntime-node, installed for the benchmarks under bench/):
// ONNX models written here with the same protobuf schema are loaded by loadOnnx and must predict what
// ONNX Runtime computes from the same file; simdnet models exported by toOnnx must run in ONNX Runtime
// with simdnet's outputs. Skipped where bench/node_modules has no onnxruntime-node.
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import * as sn from '../../src/index.js';
import { loadOnnx, toOnnx } from '../../src/onnx/index.js';
import { encodeModel, decodeModel, AttrType, DataType } from '../../src/onnx/schema.js';
import { ort, ortPath, runOrt } from '../helpers/ort.js';


beforeAll(async () => {
  await sn.ready();
});

/** Deterministic values in [-1, 1) (a 32-bit LCG), so failures reproduce. */
function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

// ---- a small ONNX graph builder over the schema ----
type Attr = Record<string, unknown>;
const ints = (name: string, v: number[]): Attr => ({ name, type: AttrType.INTS, ints: v });
const int = (name: string, i: number): Attr => ({ name, type: AttrType.INT, i });
const float = (name: string, f: number): Attr => ({ name, type: AttrType.FLOAT, f });
const str = (name: string, s: string): Attr => ({ name, type: AttrType.STRING, s: new TextEncoder().encode(s) });

class G {
  nodes: Attr[] = [];
  inits: Attr[] = [];
  private n = 0;
  private seed = 7;
  w(dims: number[], scale = 0.5): string {
    const name = `w${this.n++}`;
    const size = dims.reduce((a, b) => a * b, 1);
    this.inits.push({ name, dims, dataType: DataType.FLOAT, floatData: Array.from(rand(size, this.seed++), (v) => v * scale) });
    return name;
  }
  positive(dims: number[]): string {
    const name = `w${this.n++}`;
    const size = dims.reduce((a, b) => a * b, 1);
    this.inits.push({ name, dims, dataType: DataType.FLOAT, floatData: Array.from(rand(size, this.seed++), (v) => 0.5 + Math.abs(v)) });
    return name;
  }
  i64(data: number[]): string {
    const name = `c${this.n++}`;
    this.inits.push({ name, dims: [data.length], dataType: DataType.INT64, int64Data: data });
    return name;
  }
  fl(data: number[]): string {
    const name = `f${this.n++}`;
    this.inits.push({ name, dims: [data.length], dataType: DataType.FLOAT, floatData: data });
    return name;
  }
  i64Scalar(v: number): string {
    const name = `k${this.n++}`;
    this.inits.push({ name, dims: [], dataType: DataType.INT64, int64Data: [v] });
    return name;
  }
  op(opType: string, input: string[], attribute: Attr[] = [], outputs = 1): string {
    const out = `v${this.n++}`;
    this.nodes.push({ opType, input, output: [out, ...Array.from({ length: outputs - 1 }, (_, i) => `${out}_${i}`)], name: `${opType.toLowerCase()}_${this.n}`, attribute });
    return out;
  }
  model(inputs: [string, number[]][], outputs: [string, number[]][], opset = 13): Uint8Array {
    const vi = ([name, dims]: [string, number[]]) => ({
      name,
      type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d, i) => (i === 0 ? { dimParam: 'batch' } : { dimValue: d })) } } },
    });
    return encodeModel({
      irVersion: 7,
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: 'test', node: this.nodes, initializer: this.inits, input: inputs.map(vi), output: outputs.map(vi) },
    });
  }
}


function predict(model: sn.Model, xs: [Float32Array, number[]][]): Float32Array[] {
  const ts = xs.map(([d, s]) => sn.tensor(d, s));
  const y = model.predict(ts.length === 1 ? ts[0] : ts);
  const ys = Array.isArray(y) ? y : [y];
  const out = ys.map((t) => t.dataSync().slice());
  ys.forEach((t) => t.dispose());
  ts.forEach((t) => t.dispose());
  return out;
}

function expectClose(a: Float32Array, b: Float32Array, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
}

/** A LeNet-like net: strided padded conv, dilated 'same' conv, batch norm, pools, flatten into Gemm, softmax. */
function convnet(): Uint8Array {
  const g = new G();
  let x = g.op('Conv', ['image', g.w([6, 3, 3, 3]), g.w([6])], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
  x = g.op('Relu', [x]);
  x = g.op('Conv', [x, g.w([6, 2, 3, 3], 0.4), g.w([6])], [int('group', 3), ints('pads', [1, 1, 1, 1])]); // grouped
  x = g.op('Conv', [x, g.w([12, 1, 3, 3], 0.4)], [int('group', 6), ints('pads', [1, 1, 1, 1])]); // depthwise, multiplier 2
  x = g.op('Elu', [x], [float('alpha', 0.7)]);
  x = g.op('Conv', [x, g.w([5, 12, 3, 3], 0.3)], [ints('dilations', [2, 2]), ints('pads', [2, 2, 2, 2])]);
  x = g.op('Conv', [x, g.w([5, 5, 2, 2], 0.3)], [str('auto_pad', 'SAME_LOWER')]);
  x = g.op('BatchNormalization', [x, g.positive([5]), g.w([5]), g.w([5]), g.positive([5])], [float('epsilon', 1e-3)]);
  x = g.op('LeakyRelu', [x], [float('alpha', 0.1)]);
  x = g.op('MaxPool', [x], [ints('kernel_shape', [2, 2]), ints('strides', [1, 2])]);
  x = g.op('Flatten', [x], [int('axis', 1)]);
  // x: [N, 5*5*2] (conv 6x4, pool 2x2 strides 1,2 → 5x2)
  x = g.op('Gemm', [x, g.w([7, 50], 0.3), g.w([7])], [int('transB', 1), float('alpha', 0.9), float('beta', 1.5)]);
  x = g.op('Clip', [x, addScalar(g, 0), addScalar(g, 6)]);
  x = g.op('Softmax', [x], [int('axis', -1)]);
  g.nodes.at(-1)!.output = ['probs'];
  return g.model([['image', [0, 3, 11, 8]]], [['probs', [0, 7]]]);
}

function addScalar(g: G, v: number): string {
  const name = `s${g.inits.length}_${v}`;
  g.inits.push({ name, dims: [], dataType: DataType.FLOAT, floatData: [v] });
  return name;
}

/** Residual add, channel concat, an average pool counting its zero padding, a global mean and a view(n, -1). */
function branchy(): Uint8Array {
  const g = new G();
  const a = g.op('Relu', [g.op('Conv', ['x', g.w([4, 2, 1, 1])], [ints('kernel_shape', [1, 1])])]);
  const b = g.op('Conv', [a, g.w([4, 4, 3, 3], 0.3), g.w([4])], [ints('pads', [1, 1, 1, 1])]);
  const sum = g.op('Add', [a, b]);
  const c = g.op('Concat', [sum, g.op('Sigmoid', [a])], [int('axis', 1)]);
  const p = g.op('AveragePool', [c], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), int('count_include_pad', 1)]);
  const m = g.op('ReduceMean', [p], [ints('axes', [2, 3]), int('keepdims', 1)]);
  // torch's x.view(x.size(0), -1): Shape → Gather(0) → Unsqueeze → Concat([n, -1]) → Reshape
  const n = g.op('Unsqueeze', [g.op('Gather', [g.op('Shape', [m]), g.i64Scalar(0)], [int('axis', 0)])], [ints('axes', [0])]);
  const flat = g.op('Reshape', [m, g.op('Concat', [n, g.i64([-1])], [int('axis', 0)])]);
  const h = g.op('Add', [g.op('MatMul', [flat, g.w([8, 3])]), g.w([3])]);
  const out = g.op('Tanh', [h]);
  g.nodes.at(-1)!.output = ['y'];
  // a second output: the NCHW feature map itself
  g.nodes.push({ opType: 'Identity', input: [b], output: ['features'], name: 'feat' });
  return g.model([['x', [0, 2, 7, 6]]], [['y', [0, 3]], ['features', [0, 4, 7, 6]]], 12);
}


describe.skipIf(!ort)('loadOnnx against ONNX Runtime', () => {
  test('convnet: strided padded conv, grouped and depthwise convs, elu, dilated padded conv, SAME_LOWER conv, batch norm, pool, flatten → Gemm (PyTorch order), relu6, softmax', async () => {
    const bytes = convnet();
    const model = await loadOnnx(bytes);
    const x = rand(3 * 3 * 11 * 8, 1);
    const [ours] = predict(model, [[x, [3, 3, 11, 8]]]);
    const [theirs] = await runOrt(bytes, { image: [x, [3, 3, 11, 8]] });
    expect(model.outputs[0].sampleShape).toEqual([7]);
    expectClose(ours, theirs);
    // batch 1 too (the batch axis is dynamic)
    const [one] = predict(model, [[x.subarray(0, 3 * 11 * 8), [1, 3, 11, 8]]]);
    expectClose(one, theirs.subarray(0, 7));
  });

  test('branchy graph: add, concat, count_include_pad average, ReduceMean, view(n,-1) shape chain, MatMul+Add; NCHW output', async () => {
    const bytes = branchy();
    const model = await loadOnnx(bytes);
    const x = rand(2 * 2 * 7 * 6, 3);
    const ours = predict(model, [[x, [2, 2, 7, 6]]]);
    const theirs = await runOrt(bytes, { x: [x, [2, 2, 7, 6]] });
    expect(model.outputs[1].sampleShape).toEqual([4, 7, 6]);
    expectClose(ours[0], theirs[0]);
    expectClose(ours[1], theirs[1]);
  });

  test('fine-tunes with fit: the loss falls', async () => {
    const model = await loadOnnx(convnet());
    const n = 32;
    const x = sn.tensor(rand(n * 3 * 11 * 8, 5), [n, 3, 11, 8]);
    const y = sn.tensor(Float32Array.from({ length: n }, (_, i) => i % 7), [n]);
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    const before = model.evaluate(x, y) as Record<string, number> | number;
    const h = await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 } as never);
    const losses = (h as { history: { loss: number[] } }).history.loss;
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.8);
    expect(before).toBeDefined();
    x.dispose();
    y.dispose();
  });

  test('refuses an unsupported operator, naming it, the node and the opset', async () => {
    const g = new G();
    const y = g.op('Erf', ['x']);
    g.nodes[0].output = [y];
    const bytes = g.model([['x', [0, 4]]], [[y, [0, 4]]]);
    await expect(loadOnnx(bytes)).rejects.toThrow(/node erf_1 \(Erf\).*operator Erf at opset 13/);
    await expect(loadOnnx(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not an ONNX model/);
  });
});

describe.skipIf(!ort)('toOnnx runs in ONNX Runtime with simdnet\'s outputs', () => {
  test('an MNIST-style convnet (Sequential) with zero padding, grouped and depthwise convs, batch norm; NHWC input', async () => {
    sn.setSeed(3);
    const model = sn.sequential({
      layers: [
        sn.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 10, 1] }),
        sn.layers.maxPooling2d({ poolSize: 2 }),
        sn.layers.conv2d({ filters: 6, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu6' }),
        sn.layers.batchNormalization({}),
        sn.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }),
        sn.layers.conv2d({ filters: 4, kernelSize: 2, groups: 2 }),
        sn.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh' }),
        sn.layers.elu({ alpha: 0.5 }),
        sn.layers.reLU({ maxValue: 6 }),
        sn.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
        sn.layers.flatten(),
        sn.layers.dropout({ rate: 0.25 }),
        sn.layers.dense({ units: 9, activation: 'tanh' }),
        sn.layers.leakyReLU({ alpha: 0.2 }),
        sn.layers.dense({ units: 4 }),
        sn.layers.softmax(),
      ],
    });
    const x = rand(3 * 12 * 10, 11);
    // move the batch-norm statistics off their defaults so the export of them is checked
    const xs = sn.tensor(x, [3, 12, 10, 1]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await model.fit(xs, sn.tensor([0, 1, 2], [3]), { epochs: 2, batchSize: 3, verbose: 0 } as never);
    xs.dispose();
    const bytes = toOnnx(model);
    const [ours] = predict(model, [[x, [3, 12, 10, 1]]]);
    const [theirs] = await runOrt(bytes, { [model.inputs[0].sourceLayer.name]: [x, [3, 12, 10, 1]] });
    expectClose(ours, theirs);
    const [again] = predict(await loadOnnx(bytes), [[x, [3, 12, 10, 1]]]);
    expectClose(again, ours);
  });

  test('a functional model: add, concatenate, global pools, sigmoid, two inputs and two outputs', async () => {
    const img = sn.input({ shape: [6, 5, 3], name: 'img' });
    const vec = sn.input({ shape: [4], name: 'vec' });
    const a = sn.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(img);
    const b = sn.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'elu' }).apply(a);
    const s = sn.layers.add().apply([a, b]);
    const c = sn.layers.concatenate({ axis: -1 }).apply([s, sn.layers.activation({ activation: 'sigmoid' }).apply(a)]);
    const g1 = sn.layers.globalAveragePooling2d().apply(c);
    const g2 = sn.layers.globalMaxPooling2d().apply(c);
    const v = sn.layers.dense({ units: 8 }).apply(vec);
    const merged = sn.layers.concatenate().apply([sn.layers.multiply().apply([g1, g2]), v]);
    const out1 = sn.layers.dense({ units: 3, activation: 'softmax' }).apply(merged);
    const model = sn.model({ inputs: [img, vec], outputs: [out1, c] });
    const xi = rand(2 * 6 * 5 * 3, 21);
    const xv = rand(2 * 4, 22);
    const ours = predict(model, [[xi, [2, 6, 5, 3]], [xv, [2, 4]]]);
    const theirs = await runOrt(toOnnx(model), { img: [xi, [2, 6, 5, 3]], vec: [xv, [2, 4]] });
    expectClose(ours[0], theirs[0]);
    expectClose(ours[1], theirs[1]);
    // and back into simdnet (NHWC input, the exported transposes read back as layout changes): the same outputs
    const back = await loadOnnx(toOnnx(model));
    const again = predict(back, [[xi, [2, 6, 5, 3]], [xv, [2, 4]]]);
    expectClose(again[0], ours[0]);
    expectClose(again[1], ours[1]);
  });

  test('a loaded ONNX model exports back and ONNX Runtime agrees with both', async () => {
    // A loaded model's boundary permutes become the ONNX layout itself: no Transpose at the input or the
    // NCHW output; the convnet keeps one, before its flatten (simdnet flattens NHWC, the dense rows follow).
    for (const [bytes, transposes] of [[convnet(), 1], [branchy(), 0]] as const) {
      const model = await loadOnnx(bytes);
      const dims = model.inputs[0].sampleShape;
      const x = rand(2 * dims.reduce((p, d) => p * d, 1), 9);
      const again = toOnnx(model);
      const theirs = await runOrt(again, { [model.inputs[0].sourceLayer.name]: [x, [2, ...dims]] });
      const original = await runOrt(bytes, { [model.inputs[0].sourceLayer.name]: [x, [2, ...dims]] });
      theirs.forEach((t, i) => expectClose(t, original[i]));
      expect(new TextDecoder('latin1').decode(again).split('Transpose').length - 1).toBe(transposes);
    }
  });
});

describe.skipIf(!ort)('toOnnx: every layer type', () => {
  // Each model is checked against simdnet's own outputs in ONNX Runtime (NHWC input as declared).
  async function check(model: sn.Model, seed: number, batch = 2): Promise<void> {
    const shapes = model.inputs.map((t) => [batch, ...t.sampleShape]);
    const xs = shapes.map((s, i) => rand(s.reduce((p, d) => p * d, 1), seed + i));
    const ours = predict(model, xs.map((x, i) => [x, shapes[i]]));
    const feeds = Object.fromEntries(model.inputs.map((t, i) => [t.sourceLayer.name, [xs[i], shapes[i]] as [Float32Array, number[]]]));
    const theirs = await runOrt(toOnnx(model), feeds);
    theirs.forEach((t, i) => expectClose(t, ours[i]));
  }
  // Non-zero biases and batch-norm statistics, so their export is checked too.
  // Non-zero biases and batch-norm statistics, so their export is checked too (variances positive).
  function jiggle(model: sn.Model, seed: number): void {
    for (const layer of model.layers) {
      for (const p of layer.orderedParams()) {
        const v = rand(p.value.size, seed++);
        p.value.set(p.name.includes('variance') ? v.map((a) => 0.5 + Math.abs(a)) : v.map((a) => a * 0.5));
      }
    }
  }

  test('conv2dTranspose (valid and same, stride above and below the kernel, dilation), upSampling2d in each mode, cropping2D', async () => {
    sn.setSeed(5);
    const x = sn.input({ shape: [5, 4, 3] });
    let y = sn.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(x);
    y = sn.layers.conv2dTranspose({ filters: 3, kernelSize: [2, 1], strides: [3, 2], padding: 'valid' }).apply(y);
    y = sn.layers.conv2dTranspose({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'tanh' }).apply(y);
    y = sn.layers.conv2dTranspose({ filters: 3, kernelSize: [1, 3], strides: [2, 3], padding: 'same', useBias: false }).apply(y);
    const ups = (['asymmetric', 'half_pixel', 'align_corners'] as const).flatMap((coordinates) =>
      (['nearest', 'bilinear'] as const).map((interpolation) => sn.layers.upSampling2d({ size: [3, 2], interpolation, coordinates }).apply(y)),
    );
    const c = sn.layers.concatenate().apply(ups);
    const out = sn.layers.cropping2D({ cropping: [[2, 5], [1, 0]] }).apply(c);
    const model = sn.model({ inputs: x, outputs: out });
    jiggle(model, 50);
    await check(model, 51);
  });

  test('conv1d, pools 1D, global pools 1D, separableConv2d, prelu, reshape, maxout, batch norm on sequences, layer norm (last axis; whole images)', async () => {
    sn.setSeed(6);
    const seq = sn.input({ shape: [11, 3] });
    let s = sn.layers.conv1d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'elu' }).apply(seq);
    s = sn.layers.conv1d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: 'valid' }).apply(s);
    s = sn.layers.batchNormalization({ center: false }).apply(s);
    const m1 = sn.layers.maxPooling1d({ poolSize: 2, strides: 1, padding: 'same' }).apply(s);
    const a1 = sn.layers.averagePooling1d({ poolSize: 2 }).apply(s);
    const g1 = sn.layers.globalAveragePooling1d().apply(m1);
    const g2 = sn.layers.globalMaxPooling1d().apply(a1);
    const img = sn.input({ shape: [7, 6, 4] });
    let i = sn.layers.separableConv2d({ filters: 6, kernelSize: 3, depthMultiplier: 2, strides: [2, 1], padding: 'same', activation: 'relu6' }).apply(img);
    i = sn.layers.prelu({ sharedAxes: [1, 2] }).apply(i);
    const r = sn.layers.reshape({ targetShape: [4, 36] }).apply(i);
    const mo = sn.layers.flatten().apply(sn.layers.maxout({ groupSize: 3 }).apply(r));
    const v = sn.layers.layerNormalization({ epsilon: 1e-2 }).apply(sn.layers.prelu().apply(sn.layers.concatenate().apply([g1, g2, mo])));
    i = sn.layers.layerNormalization({ axis: [1, 2, 3], center: false }).apply(i);
    const model = sn.model({ inputs: [seq, img], outputs: [v, sn.layers.reshape({ targetShape: [3, -1] }).apply(i)] });
    jiggle(model, 60);
    await check(model, 61);
  });

  test('resizing (bilinear and nearest, half-pixel; up, down, by fractions, to one row) as Resize with sizes; and back', async () => {
    sn.setSeed(8);
    const x = sn.input({ shape: [7, 5, 3] });
    const c = sn.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(x);
    const outs = ([[11, 8], [4, 3], [1, 9], [7, 5], [14, 2]] as const).flatMap(([height, width]) =>
      (['bilinear', 'nearest'] as const).map((interpolation) => sn.layers.flatten().apply(sn.layers.resizing({ height, width, interpolation }).apply(c))),
    );
    const model = sn.model({ inputs: x, outputs: sn.layers.concatenate().apply(outs) });
    jiggle(model, 80);
    await check(model, 81, 3);
    // loadOnnx reads the Shape → Slice → Concat sizes back into resizing layers (fractional sizes) and upSampling2d (14x… is 2x, …)
    const back = await loadOnnx(toOnnx(model));
    expect(back.layers.filter((l) => l.className === 'Resizing').length).toBeGreaterThanOrEqual(6);
    const xv = rand(3 * 7 * 5 * 3, 82);
    expectClose(predict(back, [[xv, [3, 7, 5, 3]]])[0], predict(model, [[xv, [3, 7, 5, 3]]])[0]);
  });

  test('a squeeze-excite block (Keras style: reshape to [1, 1, C], multiply as a channel gate); and back', async () => {
    sn.setSeed(10);
    const x = sn.input({ shape: [5, 6, 7] });
    const f = sn.layers.conv2d({ filters: 7, kernelSize: 3, padding: 'same', activation: 'hardSwish' }).apply(x);
    let g = sn.layers.globalAveragePooling2d().apply(f);
    g = sn.layers.dense({ units: 3, activation: 'relu' }).apply(g);
    g = sn.layers.dense({ units: 7, activation: 'hardSigmoid' }).apply(g);
    const gated = sn.layers.multiply().apply([f, sn.layers.reshape({ targetShape: [1, 1, 7] }).apply(g)]);
    const model = sn.model({ inputs: x, outputs: sn.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(gated) });
    jiggle(model, 100);
    await check(model, 101);
    const back = await loadOnnx(toOnnx(model));
    expect(back.layers.filter((l) => l.className === 'Multiply')).toHaveLength(1);
    const xv = rand(2 * 5 * 6 * 7, 102);
    expectClose(predict(back, [[xv, [2, 5, 6, 7]]])[0], predict(model, [[xv, [2, 5, 6, 7]]])[0]);
  });

  test('conv3d and pools 3D', async () => {
    sn.setSeed(7);
    const model = sn.sequential({
      layers: [
        sn.layers.conv3d({ filters: 3, kernelSize: [2, 3, 2], padding: 'same', activation: 'relu', inputShape: [4, 5, 6, 2] }),
        sn.layers.maxPooling3d({ poolSize: 2, padding: 'same' }),
        sn.layers.conv3d({ filters: 2, kernelSize: 2, strides: [1, 2, 1] }),
        sn.layers.averagePooling3d({ poolSize: [1, 1, 2] }),
        sn.layers.flatten(),
      ],
    });
    jiggle(model, 70);
    await check(model, 71);
  });

  test('permute: the image layout changes cost no Transpose, other permutations are one', async () => {
    const x = sn.input({ shape: [4, 5, 3] });
    const chw = sn.layers.permute({ dims: [3, 1, 2] }).apply(sn.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(x)); // NCHW data
    const back = sn.layers.permute({ dims: [2, 3, 1] }).apply(chw);
    const odd = sn.layers.permute({ dims: [2, 1, 3] }).apply(back);
    const model = sn.model({ inputs: x, outputs: [sn.layers.conv2d({ filters: 2, kernelSize: 2 }).apply(odd), chw] });
    await check(model, 81);
    const ops = decodeModel(toOnnx(model)).graph!.node.map((n) => n.opType);
    // the input to NCHW for the conv; the [2,1,3] permute, its input back to NHWC; its output to NCHW for
    // the conv and the conv's output to NHWC: none for the two layout permutes.
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(5);
  });

  test('the registry: every layer class has an export (or a reason it has none)', async () => {
    const classes = Object.values(sn.layers).filter((v): v is new (...a: never[]) => sn.Layer => typeof v === 'function' && /^[A-Z]/.test(v.name));
    const exported = await import('node:fs').then((fs) => fs.readFileSync(join(__dirname, '../../src/onnx/export.ts'), 'utf8'));
    // Base classes, and layers that landed after the export was written (each named with its reason).
    const pending: Record<string, string> = {};
    const missing = classes.map((c) => c.name).filter((n) => !['Layer', 'MergeLayer', 'AugmentationLayer', 'Node', 'InputLayer'].includes(n) && !(n in pending) && !exported.includes(`case '${n}'`));
    expect(missing).toEqual([]);
  });
});

describe.skipIf(!ort)('HardSigmoid and HardSwish, both ways', () => {
  test('loadOnnx: HardSigmoid with any alpha and beta, HardSwish (opset 14) and PyTorch\'s Mul(x, HardSigmoid(x)) below it', async () => {
    for (const opset of [13, 14]) {
      const g = new G();
      let x = g.op('Conv', ['x', g.w([4, 2, 3, 3], 1.5), g.w([4])], [ints('pads', [1, 1, 1, 1])]);
      const hs = opset >= 14 ? g.op('HardSwish', [x]) : g.op('Mul', [x, g.op('HardSigmoid', [x], [float('alpha', 1 / 6), float('beta', 0.5)])]);
      x = g.op('HardSigmoid', [g.op('Conv', [hs, g.w([3, 4, 1, 1], 1.5)])]); // ONNX's defaults: TF.js's 0.2, 0.5
      x = g.op('HardSigmoid', [g.op('Conv', [x, g.w([3, 3, 1, 1], 4)])], [float('alpha', 0.7), float('beta', -0.1)]);
      const pt = g.op('HardSigmoid', [hs], [float('alpha', 1 / 6), float('beta', 0.5)]); // a gate (read also by the Add)
      const y = g.op('Add', [g.op('Conv', [x, g.w([4, 3, 1, 1])]), pt]);
      g.nodes.at(-1)!.output = ['y'];
      const bytes = g.model([['x', [0, 2, 5, 3]]], [['y', [0, 4, 5, 3]]], opset);
      const model = await loadOnnx(bytes);
      const kinds = model.layers.map((l) => `${l.className}:${(l as unknown as { activation?: string }).activation ?? ''}`);
      expect(kinds.filter((k) => k === 'Activation:hardSwish'), `opset ${opset}`).toHaveLength(1);
      expect(kinds.filter((k) => k === 'Activation:hardSigmoid')).toHaveLength(3);
      expect(kinds.filter((k) => k.startsWith('Rescaling'))).toHaveLength(2); // alpha 0.7 and PyTorch's 1/6; none for the defaults
      expect(kinds.filter((k) => k.startsWith('Multiply'))).toHaveLength(0);
      const xv = rand(3 * 2 * 5 * 3, 31).map((v) => v * 4);
      const [ours] = predict(model, [[xv, [3, 2, 5, 3]]]);
      const [theirs] = await runOrt(bytes, { x: [xv, [3, 2, 5, 3]] });
      expectClose(ours, theirs);
      // the values reach every piece of both functions (below, on and above the ramps)
      expect(Math.min(...ours)).toBeLessThan(0.5);
      const back = await runOrt(toOnnx(model), { x: [xv, [3, 2, 5, 3]] });
      expectClose(back[0], theirs);
    }
  });

  test('toOnnx: hardSigmoid and hardSwish fused in conv and dense layers and as Activation layers; and back', async () => {
    sn.setSeed(9);
    const model = sn.sequential({
      layers: [
        sn.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'hardSwish', inputShape: [6, 5, 2] }),
        sn.layers.depthwiseConv2d({ kernelSize: 3, activation: 'hardSigmoid' }),
        sn.layers.activation({ activation: 'hardSwish' }),
        sn.layers.flatten(),
        sn.layers.dense({ units: 6, activation: 'hardSwish' }),
        sn.layers.dense({ units: 3 }),
        sn.layers.activation({ activation: 'hardSigmoid' }),
      ],
    });
    for (const l of model.layers) for (const p of l.orderedParams()) p.value.set(rand(p.value.size, 90 + p.value.size).map((v) => v * 2));
    const x = rand(2 * 6 * 5 * 2, 91).map((v) => v * 3);
    const [ours] = predict(model, [[x, [2, 6, 5, 2]]]);
    const [theirs] = await runOrt(toOnnx(model), { [model.inputs[0].sourceLayer.name]: [x, [2, 6, 5, 2]] });
    expectClose(theirs, ours);
    const again = await loadOnnx(toOnnx(model));
    expectClose(predict(again, [[x, [2, 6, 5, 2]]])[0], ours);
    expect(again.layers.filter((l) => (l as unknown as { activation?: string }).activation === 'hardSwish')).toHaveLength(3);
  });
});

describe('loadOnnx: Div, and arithmetic with one constant value', () => {
  test.skipIf(!ort)('x / c, x + c, c - x, x * c (PyTorch\'s hand-written hardswish: x * relu6(x + 3) / 6) against ONNX Runtime', async () => {
    const g = new G();
    const x = g.op('Conv', ['x', g.w([3, 2, 3, 3], 2), g.w([3])], [ints('pads', [1, 1, 1, 1])]);
    const r6 = g.op('Clip', [g.op('Add', [x, addScalar(g, 3)]), addScalar(g, 0), addScalar(g, 6)]);
    const hs = g.op('Div', [g.op('Mul', [x, r6]), addScalar(g, 6)]);
    const half = g.op('Mul', [g.fl([0.5]), g.op('Sub', [addScalar(g, 1), hs])]); // 1-value constants of rank 0 and 1, on either side
    const y = g.op('Div', [g.op('Gemm', [g.op('Flatten', [half], [int('axis', 1)]), g.w([36, 5])]), g.fl([-0.25])]);
    g.nodes.at(-1)!.output = ['y'];
    const bytes = g.model([['x', [0, 2, 4, 3]]], [['y', [0, 5]]]);
    const model = await loadOnnx(bytes);
    expect(model.layers.filter((l) => l.className === 'Rescaling')).toHaveLength(5);
    const xv = rand(2 * 2 * 4 * 3, 41);
    const [ours] = predict(model, [[xv, [2, 2, 4, 3]]]);
    const [theirs] = await runOrt(bytes, { x: [xv, [2, 2, 4, 3]] });
    expectClose(ours, theirs);
    expectClose((await runOrt(toOnnx(model), { x: [xv, [2, 2, 4, 3]] }))[0], theirs);
  });

  test('refusals name the node and the opset: a computed divisor, a constant dividend, several values, division by 0', async () => {
    const one = (build: (g: G) => string, opset = 13) => {
      const g = new G();
      const y = build(g);
      return loadOnnx(g.model([['x', [0, 4]]], [[y, [0, 4]]], opset));
    };
    await expect(one((g) => g.op('Div', ['x', g.op('Relu', ['x'])]), 12)).rejects.toThrow(/node div_\d+ \(Div\): division by a computed tensor is not supported at opset 12/);
    await expect(one((g) => g.op('Div', [g.fl([2]), 'x']))).rejects.toThrow(/\(Div\): dividing a constant by a computed tensor is not supported at opset 13/);
    await expect(one((g) => g.op('Div', ['x', g.fl([1, 2, 3, 4])]))).rejects.toThrow(/\(Div\): a constant operand \(dims \[4\]\) is supported only as one value/);
    await expect(one((g) => g.op('Div', ['x', g.fl([0])]))).rejects.toThrow(/division by 0 is not supported/);
  });
});

describe('loadOnnx: ConvTranspose and Resize', () => {
  test.skipIf(!ort)('ConvTranspose (pads, output_padding, dilations, stride above the kernel) and Resize (sizes, opset 10, Upsample-9) against ONNX Runtime', async () => {
    for (const opset of [13, 11, 10, 9]) {
      const g = new G();
      let x = g.op('ConvTranspose', ['x', g.w([3, 4, 3, 3], 0.4), g.w([4])], [ints('strides', [2, 2]), ints('pads', [1, 0, 1, 1]), ints('output_padding', [1, 0])]);
      x = g.op('ConvTranspose', [x, g.w([4, 2, 2, 1], 0.4)], [ints('strides', [3, 2])]);
      x = g.op('ConvTranspose', [x, g.w([2, 2, 2, 2], 0.4), g.w([2])], [ints('dilations', [2, 1]), ints('pads', [0, 1, 1, 0])]);
      if (opset >= 11) {
        x = g.op('Resize', [x, g.fl([]), g.fl([]), g.i64([2, 2, 36, 30])], [str('mode', 'linear'), str('coordinate_transformation_mode', 'align_corners')]);
        x = g.op('Resize', [x, g.fl([]), g.fl([1, 1, 2, 3])], [str('mode', 'nearest'), str('coordinate_transformation_mode', 'half_pixel')]);
        x = g.op('Resize', [x, g.fl([]), g.fl([1, 1, 1, 2])], [str('mode', 'linear')]);
      } else if (opset === 10) {
        x = g.op('Resize', [x, g.fl([1, 1, 2, 3])], [str('mode', 'linear')]);
      } else {
        x = g.op('Upsample', [x, g.fl([1, 1, 3, 2])], [str('mode', 'nearest')]);
      }
      g.nodes.at(-1)!.output = ['y'];
      // 3x4 → 6x8 → 17x15 → 18x15, then ×2 (sizes), ×(2,3), ×(1,2); ×(2,3) at opset 10; ×(3,2) at opset 9
      const [oh, ow] = opset >= 11 ? [72, 180] : opset === 10 ? [36, 45] : [54, 30];
      const bytes = g.model([['x', [0, 3, 3, 4]]], [['y', [0, 2, oh, ow]]], opset);
      const model = await loadOnnx(bytes);
      const xv = rand(2 * 3 * 3 * 4, 13);
      const [ours] = predict(model, [[xv, [2, 3, 3, 4]]]);
      const [theirs] = await runOrt(bytes, { x: [xv, [2, 3, 3, 4]] });
      expect(model.outputs[0].sampleShape, `opset ${opset}`).toEqual([2, oh, ow]);
      expectClose(ours, theirs);
    }
  });

  test.skipIf(!ort)('Transpose of a non-image tensor becomes a permute layer', async () => {
    const g = new G();
    const t = g.op('Transpose', ['x'], [ints('perm', [0, 2, 1])]);
    const y = g.op('Gemm', [g.op('Flatten', [t], [int('axis', 1)]), g.w([12, 2]), g.w([2])]);
    g.nodes.at(-1)!.output = ['y'];
    const bytes = g.model([['x', [0, 3, 4]]], [['y', [0, 2]]]);
    const model = await loadOnnx(bytes);
    expect(model.layers.map((l) => l.className)).toContain('Permute');
    const xv = rand(2 * 12, 17);
    expectClose(predict(model, [[xv, [2, 3, 4]]])[0], (await runOrt(bytes, { x: [xv, [2, 3, 4]] }))[0]);
  });

  test('refusals name the mode: cubic, tf_crop_and_resize, a nearest rounding that picks other pixels, fractional scales, grouped ConvTranspose', async () => {
    const one = (op: string, inputs: (g: G) => string[], attrs: Attr[], shape = [0, 2, 3, 4]) => {
      const g = new G();
      const y = g.op(op, ['x', ...inputs(g)], attrs);
      return loadOnnx(g.model([['x', shape]], [[y, shape]]));
    };
    await expect(one('Resize', (g) => ['', g.fl([1, 1, 2, 2])], [str('mode', 'cubic')])).rejects.toThrow(/Resize.*mode 'cubic' is not supported/);
    await expect(one('Resize', (g) => ['', g.fl([1, 1, 2, 2])], [str('mode', 'linear'), str('coordinate_transformation_mode', 'tf_crop_and_resize')])).rejects.toThrow(/coordinate_transformation_mode 'tf_crop_and_resize'/);
    await expect(one('Resize', (g) => ['', g.fl([1, 1, 3, 3])], [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric')])).rejects.toThrow(/nearest_mode 'round_prefer_floor' with coordinate_transformation_mode asymmetric picks other pixels/);
    await expect(one('Resize', (g) => ['', g.fl([1, 1, 1.5, 2])], [str('mode', 'nearest')])).rejects.toThrow(/whole scale factors.*1\.5/);
    await expect(one('ConvTranspose', (g) => [g.w([2, 1, 3, 3])], [int('group', 2)])).rejects.toThrow(/ConvTranspose.*only group 1/);
    await expect(one('ConvTranspose', (g) => [g.w([2, 1, 2, 2])], [ints('strides', [2, 2]), ints('output_padding', [1, 1])])).rejects.toThrow(/output_padding \[1,1\].*not supported/);
  });
});

test('README ONNX examples run as written (against the sources): the API, From PyTorch, To ONNX Runtime', async () => {
  const { readFile, writeFile, rm } = await import('node:fs/promises');
  const readme = await readFile(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- onnx-api:start -->'), readme.indexOf('<!-- onnx-api:end -->'));
  const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks, 'three ```js blocks between the onnx-api markers').toHaveLength(3);
  const expected = [['[2,3]'], ['[4,10]', '[4,10]'], ['[2,10]']];
  for (const [i, code] of blocks.entries()) {
    if (code.includes("'onnxruntime-node'") && !ortPath) continue;
    const file = join(__dirname, `.readme-onnx-${process.pid}-${i}.ts`);
    await writeFile(
      file,
      code
        .replace(/from 'simdnet\/onnx'/g, `from '${join(__dirname, '../../src/onnx/index.js')}'`)
        .replace(/from 'simdnet'/g, `from '${join(__dirname, '../../src/index.js')}'`)
        .replace(/from 'onnxruntime-node'/g, `from '${ortPath}'`)
        .replace(/'lenet5\.onnx'/g, `'${join(__dirname, '../fixtures/onnx/lenet5.onnx')}'`),
    );
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.map((v) => JSON.stringify(v)).join(' '));
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      console.log = log;
      await rm(file, { force: true });
    }
    expect(lines, `README block ${i + 1}`).toEqual(expected[i]);
  }
});
