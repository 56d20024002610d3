// Window arithmetic shared by conv and pooling layers: TensorFlow's 'valid' and 'same' rules.
import { describeValue } from '../describe.js';

export type Padding = 'valid' | 'same';

/**
 * n positive integers from a number (repeated) or a list of n, as kernelSize/strides/poolSize accept; a
 * 1D layer also takes a one-element list, as Keras configs write it.
 */
export function tuple(v: number | number[] | undefined | null, n: number, fallback: number, what: string, layer: string): number[] {
  const t = v === undefined || v === null ? new Array<number>(n).fill(fallback) : typeof v === 'number' ? new Array<number>(n).fill(v) : v;
  if (!Array.isArray(t) || t.length !== n || !t.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`simdnet: ${layer}: ${what} must be a positive integer${['', '', ' or a pair of them', ' or three of them'][n]}, got ${describeValue(v)}`);
  }
  return [...t];
}

/** A number or a pair; returns the pair. */
export const pair = (v: number | number[] | undefined, fallback: number, what: string, layer: string) =>
  tuple(v, 2, fallback, what, layer) as [number, number];

/** A number or a triple, as 3D layers accept; returns the triple. */
export const triple = (v: number | number[] | undefined, fallback: number, what: string, layer: string) =>
  tuple(v, 3, fallback, what, layer) as [number, number, number];

/** One number, for 1D layers (a one-element array is accepted, as Keras configs write it). */
export const single = (v: number | number[] | undefined, fallback: number, what: string, layer: string): number =>
  tuple(v, 1, fallback, what, layer)[0];

export function positiveInt(v: unknown, what: string, layer: string): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new Error(`simdnet: ${layer}: ${what} must be a positive integer, got ${describeValue(v)}`);
  return v as number;
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
