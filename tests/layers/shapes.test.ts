// Shape inference, parameter counts (as Keras), names, build-time errors and the summary table.
import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

describe('shape inference', () => {
  it('follows TensorFlow for valid and same padding, strides and dilation', () => {
    const cases: [sn.Layer, number[], number[]][] = [
      [sn.layers.conv2d({ filters: 4, kernelSize: 3 }), [28, 28, 1], [26, 26, 4]],
      [sn.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), [28, 28, 1], [28, 28, 4]],
      [sn.layers.conv2d({ filters: 2, kernelSize: [3, 2], strides: [2, 3], padding: 'same' }), [7, 8, 3], [4, 3, 2]],
      [sn.layers.conv2d({ filters: 2, kernelSize: 2, strides: 3 }), [7, 5, 1], [2, 2, 2]],
      [sn.layers.conv2d({ filters: 1, kernelSize: 3, dilationRate: 2 }), [7, 9, 1], [3, 5, 1]],
      [sn.layers.conv1d({ filters: 5, kernelSize: 3, strides: 2 }), [10, 3], [4, 5]],
      [sn.layers.conv1d({ filters: 5, kernelSize: 4, padding: 'same' }), [9, 3], [9, 5]],
      [sn.layers.maxPooling2d({ poolSize: 2 }), [7, 7, 3], [3, 3, 3]],
      [sn.layers.maxPooling2d({ poolSize: 2, padding: 'same' }), [7, 7, 3], [4, 4, 3]],
      [sn.layers.averagePooling2d({ poolSize: [3, 2], strides: 1 }), [5, 4, 2], [3, 3, 2]],
      [sn.layers.maxPooling1d({ poolSize: 3 }), [10, 2], [3, 2]],
      [sn.layers.averagePooling1d({ poolSize: 2, strides: 1, padding: 'same' }), [5, 2], [5, 2]],
      [sn.layers.globalAveragePooling2d(), [5, 4, 7], [7]],
      [sn.layers.globalMaxPooling2d(), [1, 1, 3], [3]],
      [sn.layers.flatten(), [5, 4, 7], [140]],
      [sn.layers.dense({ units: 6 }), [17], [6]],
      [sn.layers.dense({ units: 6 }), [4, 17], [4, 6]],
      [sn.layers.dropout({ rate: 0.5 }), [3, 3], [3, 3]],
      [sn.layers.activation({ activation: 'tanh' }), [3], [3]],
      [sn.layers.leakyReLU(), [2, 2, 2], [2, 2, 2]],
      [sn.layers.maxout({ groupSize: 3 }), [4, 4, 9], [4, 4, 3]],
      [sn.layers.batchNormalization(), [4, 4, 5], [4, 4, 5]],
    ];
    for (const [layer, input, output] of cases) {
      expect(layer.build(input), `${layer.name} on [${input}]`).toEqual(output);
      layer.dispose();
    }
  });

  it('refuses at build time a window larger than its padded input, naming the layer and shapes', () => {
    expect(() => sn.sequential([sn.layers.conv2d({ name: 'bigconv', filters: 2, kernelSize: 5, inputShape: [4, 4, 1] })])).toThrow(
      /bigconv.*\[null,4,4,1\].*empty output \[null,0,0,2\]/,
    );
    const m = sn.sequential([sn.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [3, 3, 1] })]);
    expect(() => m.add(sn.layers.maxPooling2d({ name: 'pool_x', poolSize: 2 }))).toThrow(/pool_x.*\[null,1,1,2\]/);
    expect(m.layers.length).toBe(1);
    expect(() => sn.sequential([sn.layers.dense({ units: 3, inputShape: [4] }), sn.layers.conv2d({ name: 'c2', filters: 1, kernelSize: 1 })])).toThrow(
      /c2.*\[null,3\]/,
    );
    expect(() => sn.sequential([sn.layers.maxout({ name: 'mo', groupSize: 2, inputShape: [5] })])).toThrow(/mo.*divisible.*\[null,5\]/);
    m.dispose();
  });

  it('names layers as Keras and accepts a name', () => {
    const a = sn.layers.dense({ units: 1 });
    const b = sn.layers.dense({ units: 1 });
    expect(a.name).toMatch(/^dense_\d+$/);
    expect(Number(b.name.split('_')[1])).toBe(Number(a.name.split('_')[1]) + 1);
    expect(sn.layers.conv2d({ filters: 1, kernelSize: 1 }).name).toMatch(/^conv2d_\d+$/);
    expect(sn.layers.maxPooling2d().name).toMatch(/^max_pooling2d_\d+$/);
    expect(sn.layers.dense({ units: 1, name: 'out' }).name).toBe('out');
    const m = sn.sequential([sn.layers.dense({ units: 1, name: 'first', inputShape: [1] })]);
    expect(m.getLayer('first')).toBe(m.getLayer(0));
    expect(() => m.getLayer('nope')).toThrow(/no layer 'nope' \(layers: first\)/);
    m.dispose();
    expect(() => sn.sequential([sn.layers.dense({ units: 1, name: 'x', inputShape: [1] }), sn.layers.dense({ units: 1, name: 'x' })])).toThrow(
      /already has a layer named 'x'/,
    );
  });

  it('rejects bad options naming the layer', () => {
    expect(() => sn.layers.conv2d({ name: 'cc', filters: 0, kernelSize: 3 })).toThrow(/cc: filters/);
    expect(() => sn.layers.conv2d({ name: 'cc', filters: 1, kernelSize: [3, 3, 3] })).toThrow(/cc: kernelSize/);
    expect(() => sn.layers.dense({ name: 'dd', units: 3, activation: 'swish' as never })).toThrow(/dd: unknown activation 'swish'/);
    expect(() => sn.layers.dropout({ name: 'dr', rate: 1 })).toThrow(/dr: rate/);
    expect(() => sn.layers.maxPooling2d({ name: 'pp', padding: 'full' as never })).toThrow(/pp: padding/);
    expect(() => sn.layers.batchNormalization({ name: 'bn', scale: 'no' as never })).toThrow(/bn \(BatchNormalization\): scale must be true or false, got 'no'/);
  });
});

describe('parameter counts match Keras', () => {
  it('batchNormalization with scale or center off has no gamma or beta (Keras weight order)', () => {
    const names = (args: sn.layers.BatchNormalizationArgs) => {
      const m = sn.sequential([sn.layers.batchNormalization({ ...args, inputShape: [5] })]);
      const got = [m.countParams(), m.getWeights().map((w) => w.shape.join('x')).join(','), (m.layers[0] as unknown as { params: { name: string }[] }).params.map((p) => p.name).join(',')];
      m.dispose();
      return got;
    };
    expect(names({})).toEqual([20, '5,5,5,5', 'gamma,beta,moving_mean,moving_variance']);
    expect(names({ scale: false })).toEqual([15, '5,5,5', 'beta,moving_mean,moving_variance']);
    expect(names({ center: false })).toEqual([15, '5,5,5', 'gamma,moving_mean,moving_variance']);
    expect(names({ center: false, scale: false })).toEqual([10, '5,5', 'moving_mean,moving_variance']);
  });

  it('MLP 784-512-512-10 = 669,706', () => {
    const m = sn.sequential([
      sn.layers.flatten({ inputShape: [28, 28] }),
      sn.layers.dense({ units: 512, activation: 'relu' }),
      sn.layers.dense({ units: 512, activation: 'relu' }),
      sn.layers.dense({ units: 10 }),
    ]);
    expect(m.countParams()).toBe(669706);
    m.dispose();
  });

  it('the Keras MNIST convnet = 34,826', () => {
    const m = sn.sequential([
      sn.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      sn.layers.maxPooling2d({ poolSize: 2 }),
      sn.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      sn.layers.maxPooling2d({ poolSize: 2 }),
      sn.layers.flatten(),
      sn.layers.dropout({ rate: 0.5 }),
      sn.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    expect(m.countParams()).toBe(34826);
    expect(m.outputShape).toEqual([null, 10]);
    m.dispose();
  });

  it('LeNet-5 = 61,706', () => {
    const m = sn.sequential([
      sn.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
      sn.layers.maxPooling2d({ poolSize: 2 }),
      sn.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      sn.layers.maxPooling2d({ poolSize: 2 }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 120, activation: 'relu' }),
      sn.layers.dense({ units: 84, activation: 'relu' }),
      sn.layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    expect(m.countParams()).toBe(61706);
    m.dispose();
  });

  it('batch norm counts its moving statistics as non-trainable; summary prints the table', () => {
    const m = sn.sequential([
      sn.layers.conv1d({ name: 'c', filters: 3, kernelSize: 2, inputShape: [6, 2] }),
      sn.layers.batchNormalization({ name: 'bn' }),
      sn.layers.flatten({ name: 'fl' }),
    ]);
    expect(m.countParams()).toBe(2 * 2 * 3 + 3 + 4 * 3);
    const lines: string[] = [];
    m.summary((l) => lines.push(l));
    const text = lines.join('\n');
    expect(text).toMatch(/Layer \(type\)\s+Output shape\s+Param #/);
    expect(text).toMatch(/c \(Conv1D\)\s+\[null,5,3\]\s+15/);
    expect(text).toMatch(/bn \(BatchNormalization\)\s+\[null,5,3\]\s+12/);
    expect(text).toMatch(/fl \(Flatten\)\s+\[null,15\]\s+0/);
    expect(text).toMatch(/Total params: 27\nTrainable params: 21\nNon-trainable params: 6/);
    m.dispose();
  });
});

describe('initialisation', () => {
  it('draws Glorot-uniform kernels and zero biases, reproducibly with setSeed', () => {
    sn.setSeed(7);
    const a = sn.sequential([sn.layers.conv2d({ filters: 8, kernelSize: 3, inputShape: [5, 5, 4] })]);
    sn.setSeed(7);
    const b = sn.sequential([sn.layers.conv2d({ filters: 8, kernelSize: 3, inputShape: [5, 5, 4] })]);
    const [ka, ba] = a.getWeights();
    const [kb] = b.getWeights();
    expect(ka.shape).toEqual([3, 3, 4, 8]);
    expect(Array.from(ka.dataSync())).toEqual(Array.from(kb.dataSync()));
    const limit = Math.sqrt(6 / (9 * 4 + 9 * 8));
    const v = ka.dataSync();
    expect(Math.max(...v)).toBeLessThanOrEqual(limit);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...v)).toBeGreaterThan(limit * 0.8); // spread over the whole range
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    expect(Math.abs(mean)).toBeLessThan(limit * 0.15);
    expect(Array.from(ba.dataSync())).toEqual(new Array(8).fill(0));
    for (const t of [ka, ba, kb]) t.dispose();
    b.getWeights().forEach((t) => t.dispose());
    a.dispose();
    b.dispose();
  });
});
