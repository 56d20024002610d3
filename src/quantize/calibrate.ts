// Calibration: run the float model over sample inputs and record the range of every value — the model
// input and each call's output (wiring.ts slots) — from which activation scales and zero points are chosen.
// Ranges are min/max, or (with `percentile`) the p-th and (100−p)-th percentiles of a strided sample of
// each tensor's values, which ignores rare outliers at the price of clipping them.
import type { Tensor } from '../index.js';
import type { Call, Wiring } from './wiring.js';
import { Arena, gatherRows } from './main.js';
import { floatForward } from './float-layer.js';
import { percentileOf } from './scheme.js';

/** Values kept per tensor per batch for percentiles. */
const SAMPLE_PER_BATCH = 1 << 15;

export interface Range {
  min: number;
  max: number;
}

/**
 * Ranges of every slot of `wiring` (the input, then each call's output) over x, in batches of `batchSize`.
 * The calls in `skip` (folded BatchNormalizations: their weights are in the next layer) pass their input on.
 */
export function calibrate(wiring: Wiring, x: Tensor, batchSize: number, percentile: number | null, skip: Set<Call>): Range[] {
  const count = wiring.slots;
  const mins = new Float64Array(count).fill(Infinity);
  const maxs = new Float64Array(count).fill(-Infinity);
  const samples: Float32Array[][] = Array.from({ length: count }, () => []);
  const arena = new Arena();
  const record = (t: Tensor, i: number) => {
    const v = t.view();
    let lo = mins[i];
    let hi = maxs[i];
    for (let j = 0; j < v.length; j++) {
      const a = v[j];
      if (a < lo) lo = a;
      if (a > hi) hi = a;
      if (a !== a) lo = hi = NaN;
    }
    mins[i] = lo;
    maxs[i] = hi;
    if (percentile !== null) {
      const stride = Math.max(1, Math.ceil(v.length / SAMPLE_PER_BATCH));
      const s = new Float32Array(Math.ceil(v.length / stride));
      for (let j = 0, k = 0; j < v.length; j += stride, k++) s[k] = v[j];
      samples[i].push(s);
    }
  };
  const n = x.shape[0];
  for (let at = 0; at < n; at += batchSize) {
    try {
      const values: Tensor[] = [gatherRows(x, null, at, Math.min(batchSize, n - at), arena)];
      record(values[0], 0);
      for (const call of wiring.calls) {
        values[call.outSlot] = skip.has(call) ? values[call.inSlots[0]] : floatForward(call.layer, call.inSlots.map((s) => values[s]), arena);
        record(values[call.outSlot], call.outSlot);
      }
    } finally {
      arena.reset();
    }
  }
  return Array.from({ length: count }, (_, i) => {
    if (percentile === null || Number.isNaN(mins[i])) return { min: mins[i], max: maxs[i] };
    const all = new Float32Array(samples[i].reduce((m, s) => m + s.length, 0));
    let at = 0;
    for (const s of samples[i]) {
      all.set(s, at);
      at += s.length;
    }
    all.sort();
    return { min: percentileOf(all, 100 - percentile), max: percentileOf(all, percentile) };
  });
}
