// TF.js quantized weights: the TF.js converter can store float32 weights as uint8 or uint16 with an affine
// map (value = q · scale + min), or as float16. Loading dequantizes them to float32 as TF.js does
// (io_utils decodeWeights: computed in double, stored as float32; int32 weights are rounded).
import type { WeightSpec } from './artifacts.js';
import { describeValue } from '../describe.js';

interface TfjsQuantization {
  dtype: 'uint8' | 'uint16' | 'float16' | string;
  scale?: number;
  min?: number;
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** IEEE half → number (exact). */
export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Specs and weight bytes with every TF.js-quantized weight replaced by its float32 (or int32) values;
 * unquantized weights are copied as they are. Throws naming the weight for an unknown quantization, a
 * missing scale/min, or data shorter than the specs.
 */
export function dequantizeWeights(specs: WeightSpec[], data: ArrayBuffer): [WeightSpec[], ArrayBuffer] {
  // Malformed specs are decodeWeights' to report: only well-formed lists with a quantized entry are rewritten.
  const wellFormed = Array.isArray(specs) && specs.every((s) => s && typeof s === 'object' && typeof s.name === 'string' &&
    Array.isArray(s.shape) && s.shape.every((d) => Number.isInteger(d) && d >= 0));
  if (!wellFormed || !specs.some((s) => s.quantization) || !(data instanceof ArrayBuffer)) return [specs, data];
  const out: Uint8Array[] = [];
  const outSpecs: WeightSpec[] = [];
  let at = 0;
  for (const s of specs) {
    const n = s.shape.reduce((m: number, d: number) => m * d, 1);
    const q = s.quantization as TfjsQuantization | undefined;
    if (!q || typeof q !== 'object') {
      const bytes = n * (STORED_BYTES[s.dtype ?? 'float32'] ?? 4);
      out.push(new Uint8Array(data.slice(at, at + bytes)));
      outSpecs.push(s);
      at += bytes;
      continue;
    }
    if ((q as { dtype?: unknown }).dtype === 'int8') {
      throw new Error(`simdnet: loadModel: weight '${s.name}' is simdnet int8 (a model saved by simdnet/quantize): load it with loadQuantizedModel from 'simdnet/quantize'`);
    }
    const width = QUANTIZED_BYTES[q.dtype];
    if (!width) throw new Error(`simdnet: loadModel: weight '${s.name}' has quantization dtype ${describeValue(q.dtype)} (known: uint8, uint16, float16)`);
    const bytes = n * width;
    if (at + bytes > data.byteLength) {
      throw new Error(`simdnet: loadModel: the weight data ends before weight '${s.name}' (truncated artifact)`);
    }
    const raw = data.slice(at, at + bytes);
    at += bytes;
    const values = new Float32Array(n);
    if (q.dtype === 'float16') {
      const h = new Uint16Array(raw);
      for (let i = 0; i < n; i++) values[i] = float16ToNumber(h[i]);
    } else {
      if (!Number.isFinite(q.scale) || !Number.isFinite(q.min)) {
        throw new Error(`simdnet: loadModel: weight '${s.name}' is ${q.dtype}-quantized but its quantization lacks scale or min`);
      }
      const ints = q.dtype === 'uint8' ? new Uint8Array(raw) : new Uint16Array(raw);
      for (let i = 0; i < n; i++) values[i] = ints[i] * q.scale! + q.min!;
    }
    const dtype = s.dtype === 'int32' ? 'int32' : 'float32';
    if (dtype === 'int32') out.push(new Uint8Array(Int32Array.from(values, (v) => Math.round(v)).buffer));
    else out.push(new Uint8Array(values.buffer));
    outSpecs.push({ name: s.name, shape: s.shape, dtype });
  }
  if (at !== data.byteLength) {
    throw new Error(`simdnet: loadModel: the weight data has ${data.byteLength} bytes but the weight specs need ${at} (corrupted artifact)`);
  }
  const total = out.reduce((m, p) => m + p.byteLength, 0);
  const merged = new Uint8Array(total);
  let pos = 0;
  for (const p of out) {
    merged.set(p, pos);
    pos += p.byteLength;
  }
  return [outSpecs, merged.buffer];
}
