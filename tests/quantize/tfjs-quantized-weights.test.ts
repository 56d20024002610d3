// TF.js converter output stores weights as uint8 / uint16 (value = q·scale + min) or float16. sn.loadModel
// dequantizes them on load; the values must equal TF.js's own decoding (tf.io.decodeWeights) exactly,
// and, where TF.js is not installed, the dequantization formula / known float16 bit patterns.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as sn from '../../src/index.js';
import { float16ToNumber } from '../../src/model/quantized-weights.js';
import { rng } from '../helpers/random.js';

const here = dirname(fileURLToPath(import.meta.url));
const tfjsDir = join(here, '../../bench/node_modules/@tensorflow/tfjs');
const haveTfjs = existsSync(join(tfjsDir, 'package.json'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let tf: any = null;

beforeAll(async () => {
  await sn.ready();
  if (haveTfjs) tf = await import(/* @vite-ignore */ join(tfjsDir, 'dist/tf.node.js'));
});

/** float32 → IEEE half bits, round to nearest even (what the TF.js converter writes). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    const half = m >>> 13;
    const rest = m & 0x1fff;
    return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
  }
  const half = (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

type Scheme = 'uint8' | 'uint16' | 'float16';

/** Re-encodes float32 artifacts with TF.js's quantization (per tensor: min and scale from its range). */
function quantizeArtifacts(a: sn.ModelArtifacts, scheme: Scheme): sn.ModelArtifacts {
  const data = new Float32Array(a.weightData as ArrayBuffer);
  const specs: sn.WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const s of a.weightSpecs!) {
    const n = s.shape.reduce((m, d) => m * d, 1);
    const v = data.subarray(at, at + n);
    at += n;
    if (scheme === 'float16') {
      parts.push(new Uint8Array(Uint16Array.from(v, toHalf).buffer));
      specs.push({ ...s, quantization: { dtype: 'float16' } });
      continue;
    }
    const levels = scheme === 'uint8' ? 255 : 65535;
    const min = Math.min(...v);
    const max = Math.max(...v);
    const scale = max > min ? (max - min) / levels : 1;
    const q = Array.from(v, (x) => Math.round((x - min) / scale));
    parts.push(new Uint8Array(scheme === 'uint8' ? Uint8Array.from(q).buffer : Uint16Array.from(q).buffer));
    specs.push({ ...s, quantization: { dtype: scheme, scale, min } });
  }
  const total = parts.reduce((m, p) => m + p.byteLength, 0);
  const buf = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    buf.set(p, pos);
    pos += p.byteLength;
  }
  return { ...a, weightSpecs: specs, weightData: buf.buffer };
}

/** The reference dequantization of one spec's bytes, TF.js's formula (double, then float32). */
function reference(spec: sn.WeightSpec, bytes: ArrayBuffer): Float32Array {
  const q = spec.quantization as { dtype: Scheme; scale?: number; min?: number };
  if (q.dtype === 'float16') return Float32Array.from(new Uint16Array(bytes), float16ToNumber);
  const ints = q.dtype === 'uint8' ? new Uint8Array(bytes) : new Uint16Array(bytes);
  return Float32Array.from(ints, (v) => v * q.scale! + q.min!);
}

describe('TF.js quantized weights load dequantized', () => {
  it('float16 bit patterns decode to their exact values', () => {
    const cases: [number, number][] = [
      [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24],
      [0x7bff, 65504], [0x8000, -0], [0x7c00, Infinity], [0xfc00, -Infinity],
    ];
    for (const [bits, value] of cases) expect(float16ToNumber(bits)).toBe(value);
    expect(float16ToNumber(0x7e00)).toBeNaN();
    expect(toHalf(0.333333)).toBe(0x3555);
  });

  for (const scheme of ['uint8', 'uint16', 'float16'] as const) {
    it(`${scheme}: sn.loadModel gives the dequantized values${haveTfjs ? ' (equal to tf.io.decodeWeights)' : ''}`, async () => {
      const r = rng(scheme.length);
      const model = sn.sequential([
        sn.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'relu', inputShape: [4, 4, 2] }),
        sn.layers.flatten(),
        sn.layers.dense({ units: 5 }),
      ]);
      const weights = model.getWeights();
      model.setWeights(weights.map((w) => {
        w.set(Float32Array.from({ length: w.size }, () => r() * 2 - 1));
        return w;
      }));
      const q = quantizeArtifacts(await model.save(), scheme);
      const loaded = await sn.loadModel(q);
      try {
        let at = 0;
        const got = loaded.getWeights();
        q.weightSpecs!.forEach((spec, i) => {
          const n = spec.shape.reduce((m, d) => m * d, 1);
          const width = scheme === 'uint8' ? 1 : 2;
          const bytes = (q.weightData as ArrayBuffer).slice(at, at + n * width);
          at += n * width;
          const want = reference(spec, bytes);
          expect(got[i].dataSync()).toEqual(want);
          // Quantization moved each value by at most half a step (float16: a relative 2^-11).
          const before = weights[i].dataSync();
          const step = scheme === 'float16' ? 0 : (spec.quantization as { scale: number }).scale;
          want.forEach((v, j) => expect(Math.abs(v - before[j])).toBeLessThanOrEqual(step / 2 + Math.abs(before[j]) * 2 ** -11 + 1e-7));
        });
        if (tf) {
          const decoded = tf.io.decodeWeights(q.weightData, q.weightSpecs);
          q.weightSpecs!.forEach((spec, i) => expect(got[i].dataSync()).toEqual(decoded[spec.name].dataSync()));
        }
        for (const t of got) t.dispose();
      } finally {
        for (const w of weights) w.dispose();
        loaded.dispose();
        model.dispose();
      }
    });
  }

  it('refuses an unknown quantization dtype, a missing scale, and short data, naming the weight', async () => {
    const model = sn.sequential([sn.layers.dense({ units: 2, inputShape: [3] })]);
    const a = quantizeArtifacts(await model.save(), 'uint8');
    const spec0 = a.weightSpecs![0];
    await expect(sn.loadModel({ ...a, weightSpecs: [{ ...spec0, quantization: { dtype: 'int4' } }, a.weightSpecs![1]] })).rejects.toThrow(/dense_\d+\/kernel.*int4/);
    await expect(sn.loadModel({ ...a, weightSpecs: [{ ...spec0, quantization: { dtype: 'uint8' } }, a.weightSpecs![1]] })).rejects.toThrow(/kernel.*scale or min/);
    await expect(sn.loadModel({ ...a, weightData: (a.weightData as ArrayBuffer).slice(0, 4) })).rejects.toThrow(/truncated|bytes/);
    model.dispose();
  });
});
