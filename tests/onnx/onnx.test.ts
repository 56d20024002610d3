// simdnet/onnx against ONNX Runtime (onnxruntime-node, installed for the benchmarks under bench/):
// ONNX models written here with the same protobuf schema are loaded by loadOnnx and must predict what
// ONNX Runtime computes from the same file; simdnet models exported by toOnnx must run in ONNX Runtime
// with simdnet's outputs. Skipped where bench/node_modules has no onnxruntime-node.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import * as sn from '../../src/index.js';
import { loadOnnx, toOnnx } from '../../src/onnx/index.js';
import { encodeModel, AttrType, DataType } from '../../src/onnx/schema.js';

let ort: any = null;
try {
  ort = createRequire(join(__dirname, '../../bench/package.json'))('onnxruntime-node');
} catch {
  ort = null;
}

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

async function runOrt(bytes: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  const input: Record<string, unknown> = {};
  for (const [k, [data, dims]] of Object.entries(feeds)) input[k] = new ort.Tensor('float32', data, dims);
  const out = await session.run(input);
  return session.outputNames.map((n: string) => out[n].data as Float32Array);
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

test('README ONNX example runs as written (against the sources)', async () => {
  const { readFile, writeFile, rm } = await import('node:fs/promises');
  const readme = await readFile(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- onnx-api:start -->'), readme.indexOf('<!-- onnx-api:end -->'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'a ```js block between the onnx-api markers').toBeTruthy();
  const file = join(__dirname, `.readme-onnx-${process.pid}.ts`);
  await writeFile(
    file,
    code!.replace(/from 'simdnet\/onnx'/g, `from '${join(__dirname, '../../src/onnx/index.js')}'`).replace(/from 'simdnet'/g, `from '${join(__dirname, '../../src/index.js')}'`),
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
  expect(lines).toEqual(['[2,3]']);
});
