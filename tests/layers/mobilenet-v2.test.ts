// MobileNetV2 (alpha 1, 224×224×3, 1000 classes) built as Keras's applications.MobileNetV2 builds it, with
// the functional API (sn.input / layer.apply / sn.model, `add` merges for the residual blocks): its
// parameter counts must be Keras's (3,538,984 total, 3,504,872 trainable, 34,112 non-trainable: the
// batch-norm moving statistics), summary() renders every layer, and a batch of 1 runs forward to
// probabilities of shape [1, 1000].
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as sn from '../../src/index.js';

const L = sn.layers;
type T = ReturnType<typeof sn.input>;

/** Keras's _make_divisible: channel counts rounded to multiples of 8, never below 90 % of v. */
function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return n < 0.9 * v ? n + divisor : n;
}

const bn = (name: string) => L.batchNormalization({ epsilon: 1e-3, momentum: 0.999, name });
const relu6 = (name: string) => L.reLU({ maxValue: 6, name });

function invertedResBlock(x: T, inChannels: number, filters: number, stride: number, expansion: number, id: number): [T, number] {
  const p = id ? `block_${id}_` : 'expanded_conv_';
  let h = x;
  if (id) {
    h = L.conv2d({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${p}expand` }).apply(h);
    h = relu6(`${p}expand_relu`).apply(bn(`${p}expand_BN`).apply(h));
  }
  // Keras's correct_pad for a 3×3 window on even sizes: nothing before, one cell after.
  if (stride === 2) h = L.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: `${p}pad` }).apply(h);
  h = L.depthwiseConv2d({ kernelSize: 3, strides: stride, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: `${p}depthwise` }).apply(h);
  h = relu6(`${p}depthwise_relu`).apply(bn(`${p}depthwise_BN`).apply(h));
  const out = makeDivisible(filters);
  h = L.conv2d({ filters: out, kernelSize: 1, padding: 'same', useBias: false, name: `${p}project` }).apply(h);
  h = bn(`${p}project_BN`).apply(h);
  if (inChannels === out && stride === 1) h = L.add({ name: `${p}add` }).apply([x, h]);
  return [h, out];
}

function mobileNetV2(): sn.LayersModel {
  const input = sn.input({ shape: [224, 224, 3] });
  let x = L.conv2d({ filters: makeDivisible(32), kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }).apply(input);
  x = relu6('Conv1_relu').apply(bn('bn_Conv1').apply(x));
  let c = 32;
  // [filters, stride, expansion] of blocks 0..16, as Keras lists them.
  const blocks: [number, number, number][] = [
    [16, 1, 1], [24, 2, 6], [24, 1, 6], [32, 2, 6], [32, 1, 6], [32, 1, 6], [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
    [96, 1, 6], [96, 1, 6], [96, 1, 6], [160, 2, 6], [160, 1, 6], [160, 1, 6], [320, 1, 6],
  ];
  blocks.forEach(([f, s, e], id) => { [x, c] = invertedResBlock(x, c, f, s, e, id); });
  x = L.conv2d({ filters: 1280, kernelSize: 1, useBias: false, name: 'Conv_1' }).apply(x);
  x = relu6('out_relu').apply(bn('Conv_1_bn').apply(x));
  x = L.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x);
  const y = L.dense({ units: 1000, activation: 'softmax', name: 'predictions' }).apply(x);
  return sn.model({ inputs: input, outputs: y, name: 'mobilenetv2_1.00_224' });
}

beforeAll(async () => {
  await sn.ready();
});
afterAll(() => sn.dispose());

describe('MobileNetV2 (alpha 1, 224×224×3, 1000 classes) with the functional API', () => {
  it("reports Keras's parameter counts, renders summary() and runs a batch of 1 forward", () => {
    const model = mobileNetV2();
    expect(model.countParams()).toBe(3_538_984);
    const lines: string[] = [];
    model.summary((l) => lines.push(l));
    expect(lines).toContain('Total params: 3,538,984');
    expect(lines).toContain('Trainable params: 3,504,872');
    expect(lines).toContain('Non-trainable params: 34,112');
    // Keras's model has 156 layers (the input included); each one gets a row.
    expect(lines.filter((l) => /^\S+ \(\w+\)/.test(l) && !l.startsWith('Layer (type)')).length).toBe(156);
    expect(lines.some((l) => l.startsWith('block_16_project_BN (BatchNormalization)') && l.includes('[null,7,7,320]'))).toBe(true);
    const x = sn.tensor(Float32Array.from({ length: 224 * 224 * 3 }, (_, i) => Math.sin(i * 0.01)), [1, 224, 224, 3]);
    const y = model.predict(x);
    expect(y.shape).toEqual([1, 1000]);
    const p = y.dataSync();
    expect(p.every(Number.isFinite)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    x.dispose();
    y.dispose();
    model.dispose();
  });
});
