// Models exported by PyTorch (tests/fixtures/onnx/export.py, torch 1.13, torch.onnx.export with batch norm
// kept): loadOnnx must predict PyTorch's own outputs (committed with the files, so no Python here), every
// model must fine-tune (the loss falls over 20 steps), and toOnnx of the fine-tuned model must run in ONNX
// Runtime (onnxruntime-node under bench/, skipped without it) with simdnet's outputs, and save → loadModel
// must give the model back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import * as sn from '../../src/index.js';
import { loadOnnx, toOnnx } from '../../src/onnx/index.js';
import { ort, runOrt } from '../helpers/ort.js';

const DIR = join(__dirname, '../fixtures/onnx');
interface Fixture {
  file: string;
  opset: number;
  input: { shape: number[]; data: string };
  output: { shape: number[]; data: string };
}
const manifest = JSON.parse(readFileSync(join(DIR, 'fixtures.json'), 'utf8')) as { models: Record<string, Fixture> };
const floats = (b64: string): Float32Array => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};


beforeAll(async () => {
  await sn.ready();
});

/** Deterministic values in [-1, 1) (a 32-bit LCG). */
function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function worstError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

function predict(model: sn.Model, x: Float32Array, shape: number[]): Float32Array {
  const t = sn.tensor(x, shape);
  const y = model.predict(t) as sn.Tensor;
  const out = y.dataSync().slice();
  y.dispose();
  t.dispose();
  return out;
}

/** The first output of a one-input model in ONNX Runtime. */
async function runOrt1(bytes: Uint8Array, name: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
  return (await runOrt(bytes, { [name]: [x, shape] }))[0];
}

const names = Object.keys(manifest.models);

test('the fixtures are all there and small', () => {
  expect(names.sort()).toEqual(['decoder', 'grouped', 'inception', 'lenet5', 'mobilenetv3', 'resnet', 'view']);
  const total = names.reduce((s, n) => s + readFileSync(join(DIR, manifest.models[n].file)).length, 0);
  expect(total).toBeLessThan(400_000);
});

describe.each(names)('PyTorch %s', (name) => {
  const fx = manifest.models[name];
  const bytes = new Uint8Array(readFileSync(join(DIR, fx.file)));
  const x = floats(fx.input.data);
  const expected = floats(fx.output.data);

  test("loadOnnx predicts PyTorch's outputs within 1e-4 (batch 2 and batch 1)", async () => {
    const model = await loadOnnx(bytes);
    expect([null, ...model.inputs[0].sampleShape]).toEqual([null, ...fx.input.shape.slice(1)]);
    expect(model.outputs[0].sampleShape).toEqual(fx.output.shape.slice(1));
    expect(worstError(predict(model, x, fx.input.shape), expected)).toBeLessThan(1e-4);
    const per = x.length / fx.input.shape[0];
    const one = predict(model, x.subarray(per), [1, ...fx.input.shape.slice(1)]);
    expect(worstError(one, expected.subarray(expected.length / fx.output.shape[0]))).toBeLessThan(1e-4);
  });

  test('fine-tunes (the loss falls over 20 steps), then toOnnx runs in ONNX Runtime with its outputs', async () => {
    const model = await loadOnnx(bytes);
    const n = 8;
    const inSize = x.length / fx.input.shape[0];
    const outSize = expected.length / fx.output.shape[0];
    const xs = sn.tensor(rand(n * inSize, 31), [n, ...fx.input.shape.slice(1)]);
    // A softmax head learns one-hot classes (cross-entropy); the others — logits, sigmoids, an image —
    // regress to targets near their own outputs (PyTorch's, shuffled), reachable for each.
    const softmax = (model.outputs[0].sourceLayer as unknown as { activation?: string }).activation === 'softmax';
    const target = softmax
      ? Float32Array.from({ length: n * outSize }, (_, i) => +(i % outSize === Math.floor(i / outSize) % outSize))
      : Float32Array.from({ length: n * outSize }, (_, i) => expected[(i * 7) % expected.length] * 0.5 + 0.25);
    const ys = sn.tensor(target, [n, ...fx.output.shape.slice(1)]);
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 3e-3 }), loss: softmax ? 'categoricalCrossentropy' : 'meanSquaredError' });
    const h = await model.fit(xs, ys, { epochs: 20, batchSize: n, shuffle: false, verbose: 0 } as never);
    const losses = (h as { history: { loss: number[] } }).history.loss;
    expect(losses).toHaveLength(20);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[19]).toBeLessThan(losses[0] * 0.9);
    expect(softmax).toBe(name === 'inception');
    xs.dispose();
    ys.dispose();
    if (!ort) return;
    const again = toOnnx(model);
    const probe = rand(2 * inSize, 41);
    const ours = predict(model, probe, [2, ...fx.input.shape.slice(1)]);
    const theirs = await runOrt1(again, model.inputs[0].sourceLayer.name, probe, [2, ...fx.input.shape.slice(1)]);
    expect(worstError(theirs, ours)).toBeLessThan(1e-4);
    // and the fine-tuning moved the weights: the original file gives other outputs
    const before = await runOrt1(bytes, 'input', probe, [2, ...fx.input.shape.slice(1)]);
    expect(worstError(before, ours)).toBeGreaterThan(1e-4);
  });
});

describe.skipIf(!ort)('the fixtures in ONNX Runtime', () => {
  test.each(names)("%s: ONNX Runtime computes PyTorch's outputs from the file (the fixture itself is right)", async (name) => {
    const fx = manifest.models[name];
    const out = await runOrt1(new Uint8Array(readFileSync(join(DIR, fx.file))), 'input', floats(fx.input.data), fx.input.shape);
    expect(worstError(out, floats(fx.output.data))).toBeLessThan(1e-4);
  });
});

test("mobilenetv3: nn.Hardswish (Mul(x, HardSigmoid(x)) at opset 13), nn.Hardsigmoid, the squeeze-excite gate and the constants load as simdnet layers", async () => {
  const model = await loadOnnx(new Uint8Array(readFileSync(join(DIR, manifest.models.mobilenetv3.file))));
  const kinds = model.layers.map((l) => (l.className === 'Activation' ? `Activation:${(l as unknown as { activation: string }).activation}` : l.className));
  const count = (k: string) => kinds.filter((v) => v === k).length;
  expect(count('Activation:hardSwish')).toBe(3); // stem, expand, depthwise
  expect(count('Activation:hardSigmoid')).toBe(1); // the gate, after a rescaling (PyTorch's 1/6)
  expect(count('Multiply')).toBe(2); // the gate, and the hand-written x * relu6(x + 3)
  expect(count('Rescaling')).toBe(4); // the gate's 1/6, + 3, / 6, / 2
  expect(count('Dense')).toBe(3); // the two 1x1 convs of the pooled gate, and fc
  expect(count('Reshape')).toBe(1); // the gate [C] as [1, 1, C]
});

describe('saving a model loaded from ONNX', () => {
  test.each(names)('%s: save (TF.js format, to a directory) → loadModel predicts the same; the boundary is two Permute layers', async (name) => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const fx = manifest.models[name];
    const model = await loadOnnx(new Uint8Array(readFileSync(join(DIR, fx.file))));
    const dir = await mkdtemp(join(tmpdir(), 'simdnet-onnx-save-'));
    try {
      await model.save(`file://${dir}`);
      const back = await sn.loadModel(`file://${dir}/model.json`);
      const x = floats(fx.input.data);
      expect(worstError(predict(back, x, fx.input.shape), floats(fx.output.data))).toBeLessThan(1e-4);
      const permutes = back.layers.filter((l) => l.className === 'Permute').map((l) => (l as unknown as { dims: number[] }).dims.join());
      expect(permutes).toEqual(name === 'decoder' ? ['2,3,1', '3,1,2'] : ['2,3,1']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("upSampling2d's coordinates (what PyTorch's Upsample needs) survive save → loadModel; the default is not written", async () => {
    sn.setSeed(9);
    const model = sn.sequential({
      layers: [
        sn.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear', coordinates: 'half_pixel', inputShape: [3, 4, 2] }),
        sn.layers.upSampling2d({ size: 2, interpolation: 'bilinear', coordinates: 'align_corners' }),
        sn.layers.upSampling2d({ size: 2, interpolation: 'bilinear' }),
      ],
    });
    const a = await model.save();
    const configs = (a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers.map((l) => l.config.coordinates);
    expect(configs).toEqual(['half_pixel', 'align_corners', undefined]);
    const back = await sn.loadModel(a);
    const x = rand(2 * 3 * 4 * 2, 3);
    expect(worstError(predict(back, x, [2, 3, 4, 2]), predict(model, x, [2, 3, 4, 2]))).toBe(0);
    expect(() => sn.layers.upSampling2d({ coordinates: 'pytorch_half_pixel' as never })).toThrow(/up_sampling2d.*coordinates 'pytorch_half_pixel'/);
  });
});
