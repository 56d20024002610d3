// Window arithmetic shared by conv and pooling layers: TensorFlow's 'valid' and 'same' rules.
import { describeValue } from '../describe.js';

export type Padding = 'valid' | 'same';

/** A number or a pair, as kernelSize/strides/poolSize accept; returns the pair. */
export function pair(v: number | number[] | undefined, fallback: number, what: string, layer: string): [number, number] {
  const p = v === undefined || v === null ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`simdnet: ${layer}: ${what} must be a positive integer or a pair of them, got ${describeValue(v)}`);
  }
  return [p[0], p[1]];
}

/** One number, for 1D layers (a one-element array is accepted, as Keras configs write it). */
export function single(v: number | number[] | undefined, fallback: number, what: string, layer: string): number {
  const s = v === undefined || v === null ? fallback : typeof v === 'number' ? v : Array.isArray(v) && v.length === 1 ? v[0] : NaN;
  if (!Number.isInteger(s) || s <= 0) throw new Error(`simdnet: ${layer}: ${what} must be a positive integer, got ${describeValue(v)}`);
  return s;
}

export function checkPadding(p: unknown, layer: string): Padding {
  const v = p ?? 'valid';
  if (v !== 'valid' && v !== 'same') throw new Error(`simdnet: ${layer}: padding must be 'valid' or 'same', got ${describeValue(v)}`);
  return v;
}

/**
 * Output length and padding along one axis. 'same' (TensorFlow): out = ceil(len / stride), the total
 * padding split with the extra cell after (bottom/right). 'valid': out = floor((len - span) / stride) + 1,
 * which is 0 or less when the window does not fit (the layer then refuses to build).
 */
export function windowAxis(
  len: number,
  size: number,
  stride: number,
  padding: Padding,
  dilation = 1,
): { out: number; before: number; after: number } {
  const span = (size - 1) * dilation + 1;
  if (padding === 'same') {
    const out = Math.ceil(len / stride);
    const total = Math.max((out - 1) * stride + span - len, 0);
    const before = Math.floor(total / 2);
    return { out, before, after: total - before };
  }
  const out = len >= span ? Math.floor((len - span) / stride) + 1 : 0;
  return { out, before: 0, after: 0 };
}
