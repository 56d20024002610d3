// save() → loadModel() round trips; artifacts as TF.js writes them load; broken artifacts are refused by name.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import * as sn from '../../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

function denseMlp(): sn.Sequential {
  return sn.sequential([
    sn.layers.dense({ units: 5, activation: 'tanh', inputShape: [4] }),
    sn.layers.batchNormalization(),
    sn.layers.leakyReLU({ alpha: 0.1 }),
    sn.layers.dropout({ rate: 0.3 }),
    sn.layers.maxout({ groupSize: 5 }),
    sn.layers.dense({ units: 3, activation: 'softmax' }),
  ]);
}

const input = (n: number, d: number): sn.Tensor => sn.tensor(Float32Array.from({ length: n * d }, (_, i) => Math.cos(i * 0.7)), [n, d]);

describe('save and load', () => {
  it('round trip gives identical predictions, names and weight order', async () => {
    sn.setSeed(9);
    const model = denseMlp();
    // Make the batch-norm statistics non-trivial by training a little.
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = input(6, 4);
    const y = sn.tensor([0, 1, 2, 0, 1, 2]);
    await model.fit(x, y, { epochs: 2, batchSize: 3 });
    const artifacts = await model.save();
    expect(artifacts.format).toBe('layers-model');
    const topo = artifacts.modelTopology as { class_name: string; config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    expect(topo.class_name).toBe('Sequential');
    expect(topo.config.layers.map((l) => l.class_name)).toEqual(['Dense', 'BatchNormalization', 'LeakyReLU', 'Dropout', 'Maxout', 'Dense']);
    expect(topo.config.layers[0].config.batch_input_shape).toEqual([null, 4]);
    const names = model.layers.map((l) => l.name);
    expect(artifacts.weightSpecs!.map((s) => s.name)).toEqual([
      `${names[0]}/kernel`,
      `${names[0]}/bias`,
      `${names[1]}/gamma`,
      `${names[1]}/beta`,
      `${names[5]}/kernel`,
      `${names[5]}/bias`,
      `${names[1]}/moving_mean`,
      `${names[1]}/moving_variance`,
    ]);
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(4 * model.countParams());

    // Loading through JSON text, as a file would.
    const again = await sn.loadModel({ ...JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined })), weightData: artifacts.weightData });
    expect(again.layers.map((l) => l.name)).toEqual(names);
    const a = model.predict(x);
    const b = again.predict(x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // The training config came along: it evaluates and trains.
    expect(again.evaluate(x, y).loss).toBeCloseTo(model.evaluate(x, y).loss, 6);
    for (const t of [a, b, x, y]) t.dispose();
    model.dispose();
    again.dispose();
  });

  it('saveToDir / loadFromDir write model.json + weights.bin and read them back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-'));
    try {
      const model = denseMlp();
      await sn.saveToDir(model, dir);
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
      expect((await readFile(join(dir, 'weights.bin'))).byteLength).toBe(4 * model.countParams());
      const again = await sn.loadFromDir(dir);
      const again2 = await sn.loadModel(`file://${join(dir, 'model.json')}`);
      const x = input(3, 4);
      const [p, q, r] = [model, again, again2].map((m) => m.predict(x));
      expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
      expect(Array.from(r.dataSync())).toEqual(Array.from(p.dataSync()));
      for (const t of [p, q, r, x]) t.dispose();
      for (const m of [model, again, again2]) m.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads from a URL: model.json, then the weight files relative to it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-url-'));
    const server = createServer(async (req, res) => {
      try {
        const body = await readFile(join(dir, (req.url ?? '').replace('/models/a/', '')));
        res.writeHead(200).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const model = denseMlp();
      await sn.saveToDir(model, dir);
      const port = (server.address() as { port: number }).port;
      const again = await sn.loadModel(`http://127.0.0.1:${port}/models/a/model.json`);
      const x = input(2, 4);
      const [p, q] = [model, again].map((m) => m.predict(x));
      expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
      await expect(sn.loadModel(`http://127.0.0.1:${port}/models/a/missing.json`)).rejects.toThrow(/missing.json failed: HTTP 404/);
      for (const t of [p, q, x]) t.dispose();
      model.dispose();
      again.dispose();
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads a model.json + weights.bin as TensorFlow.js writes them', async () => {
    // Exactly the shape of tfjs-layers 4.22 output for tf.sequential([dense(3, relu, inputShape [4]), dense(2, softmax)]).
    const modelJson = {
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'sequential_1',
          layers: [
            {
              class_name: 'Dense',
              config: {
                units: 3,
                activation: 'relu',
                use_bias: true,
                kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } },
                bias_initializer: { class_name: 'Zeros', config: {} },
                kernel_regularizer: null,
                bias_regularizer: null,
                activity_regularizer: null,
                kernel_constraint: null,
                bias_constraint: null,
                name: 'dense_Dense1',
                trainable: true,
                batch_input_shape: [null, 4],
                dtype: 'float32',
              },
            },
            {
              class_name: 'Dense',
              config: {
                units: 2,
                activation: 'softmax',
                use_bias: true,
                kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } },
                bias_initializer: { class_name: 'Zeros', config: {} },
                kernel_regularizer: null,
                bias_regularizer: null,
                activity_regularizer: null,
                kernel_constraint: null,
                bias_constraint: null,
                name: 'dense_Dense2',
                trainable: true,
              },
            },
          ],
        },
        keras_version: 'tfjs-layers 4.22.0',
        backend: 'tensor_flow.js',
      },
      format: 'layers-model',
      generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
      convertedBy: null,
      weightsManifest: [
        {
          paths: ['./weights.bin'],
          weights: [
            { name: 'dense_Dense1/kernel', shape: [4, 3], dtype: 'float32' },
            { name: 'dense_Dense1/bias', shape: [3], dtype: 'float32' },
            { name: 'dense_Dense2/kernel', shape: [3, 2], dtype: 'float32' },
            { name: 'dense_Dense2/bias', shape: [2], dtype: 'float32' },
          ],
        },
      ],
    };
    const k1 = Array.from({ length: 12 }, (_, i) => (i - 6) / 7);
    const b1 = [0.1, -0.2, 0.3];
    const k2 = [0.5, -0.5, 1, 0.25, -1, 0.75];
    const b2 = [0.05, -0.05];
    const weights = new Float32Array([...k1, ...b1, ...k2, ...b2]);
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-tfjs-'));
    try {
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(weights.buffer));
      const model = await sn.loadFromDir(dir);
      expect(model.layers.map((l) => l.name)).toEqual(['dense_Dense1', 'dense_Dense2']);
      // Reference forward in float64.
      const xs = [0.3, -1, 2, 0.5, -0.4, 0.1, 0, 1.5];
      const x = sn.tensor(xs, [2, 4]);
      const p = model.predict(x).dataSync();
      for (let r = 0; r < 2; r++) {
        const h = [0, 1, 2].map((u) => Math.max(0, b1[u] + [0, 1, 2, 3].reduce((s, k) => s + xs[r * 4 + k] * k1[k * 3 + u], 0)));
        const z = [0, 1].map((u) => b2[u] + [0, 1, 2].reduce((s, k) => s + h[k] * k2[k * 2 + u], 0));
        const e = z.map((v) => Math.exp(v - Math.max(...z)));
        const sum = e[0] + e[1];
        expect(p[r * 2]).toBeCloseTo(e[0] / sum, 5);
        expect(p[r * 2 + 1]).toBeCloseTo(e[1] / sum, 5);
      }
      x.dispose();
      model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads a TF.js / Keras conv topology (InputLayer, Conv2D, MaxPooling2D, Flatten, Dense) with its weights', async () => {
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 6, 6, 1], dtype: 'float32', sparse: false, name: 'input_1' } },
          {
            class_name: 'Conv2D',
            config: { name: 'conv2d', trainable: true, dtype: 'float32', filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'relu', use_bias: true },
          },
          { class_name: 'MaxPooling2D', config: { name: 'max_pooling2d', trainable: true, dtype: 'float32', pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' } },
          { class_name: 'Flatten', config: { name: 'flatten', trainable: true, dtype: 'float32', data_format: 'channels_last' } },
          { class_name: 'Dense', config: { name: 'dense', trainable: true, dtype: 'float32', units: 3, activation: 'softmax', use_bias: true } },
        ],
      },
      keras_version: '2.15.0',
      backend: 'tensorflow',
    };
    const specs = [
      { name: 'conv2d/kernel', shape: [3, 3, 1, 2], dtype: 'float32' },
      { name: 'conv2d/bias', shape: [2], dtype: 'float32' },
      { name: 'dense/kernel', shape: [8, 3], dtype: 'float32' },
      { name: 'dense/bias', shape: [3], dtype: 'float32' },
    ];
    const data = Float32Array.from({ length: 18 + 2 + 24 + 3 }, (_, i) => i / 100);
    const model = await sn.loadModel({ modelTopology: topology, weightSpecs: specs, weightData: data.buffer });
    expect(model.layers.map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    expect(model.outputShape).toEqual([null, 3]);
    const ws = model.getWeights();
    expect(ws.map((w) => w.shape)).toEqual(specs.map((s) => s.shape));
    expect(Array.from(ws[2].dataSync())).toEqual(Array.from(data.slice(20, 44)));
    ws.forEach((w) => w.dispose());
    model.dispose();
  });

  it('refuses a truncated weight buffer, an unknown layer class and a wrong weight shape, naming them', async () => {
    const model = denseMlp();
    const a = await model.save();
    const data = a.weightData as ArrayBuffer;
    const live = sn.memoryInfo().liveTensors;
    await expect(sn.loadModel({ ...a, weightData: data.slice(0, data.byteLength - 4) })).rejects.toThrow(
      new RegExp(`weight data has ${data.byteLength - 4} bytes but the weight specs need ${data.byteLength} \\(truncated`),
    );
    const topo = JSON.parse(JSON.stringify(a.modelTopology));
    topo.config.layers[2] = { class_name: 'LSTM', config: { name: 'lstm_7', units: 4 } };
    await expect(sn.loadModel({ ...a, modelTopology: topo })).rejects.toThrow(/layer 'lstm_7' has class 'LSTM', which simdnet does not support/);
    const specs = JSON.parse(JSON.stringify(a.weightSpecs));
    specs[0].shape = [5, 4];
    await expect(sn.loadModel({ ...a, weightSpecs: specs })).rejects.toThrow(/weight '.*\/kernel' has shape \[5,4\] but .*\/kernel needs \[4,5\]/);
    await expect(sn.loadModel({ ...a, modelTopology: { class_name: 'Functional', config: {} } })).rejects.toThrow(/functional config has no layers list/);
    await expect(sn.loadModel({ ...a, modelTopology: { class_name: 'MySubclassedModel', config: {} } })).rejects.toThrow(/'MySubclassedModel'; simdnet loads only Sequential and functional/);
    await expect(sn.loadModel({ ...a, modelTopology: null })).rejects.toThrow(/modelTopology is missing/);
    // Nothing leaked by the failed loads.
    expect(sn.memoryInfo().liveTensors).toBe(live);
    model.dispose();
  });
});
