// BatchNormalization folded into the int8 layer that reads it. A BatchNormalization at inference is a
// per-channel affine map y = a·x + b (a = γ/√(σ² + ε), b = β − μ·a); when its output goes (through
// Dropout, Flatten, and max pooling when every a > 0, so the max commutes with it) to exactly one int8
// Conv2D without padding or one int8 Dense, that layer computes W·(a·x + b) + c = (W·a)·x + (c + W·b)
// exactly: its kernel rows are scaled by a of their channel (row k of the K×N kernel reads channel
// k mod C, for a conv's (kh, kw, c) rows and a Dense after a channels-last Flatten alike) and b goes into
// its bias. The BatchNormalization then runs as nothing (summary: 'folded'), and the value between stays
// quantized. Padding would break it: a padded cell is 0 after the map, not a·0 + b.
// quantize folds the weights of its own copy of the model (the saved file holds the folded kernel and
// bias, and the BatchNormalization's own weights); loading finds the same folds from the same layers.
import type { Call, Wiring } from './wiring.js';
import type { BatchNormalization } from '../layers/batch-normalization.js';

const THROUGH = new Set(['Dropout', 'Flatten', 'MaxPooling1D', 'MaxPooling2D']);

/** Per-channel a and b of a BatchNormalization call (float64). */
export function batchNormAffine(call: Call): { a: Float64Array; b: Float64Array } {
  return (call.layer as BatchNormalization).inferenceAffine();
}

/**
 * The BatchNormalization calls that fold, each with the call it folds into. `int8` says which calls run
 * int8 kernels; `unpadded` whether an int8 conv call has no padding.
 */
export function batchNormFolds(wiring: Wiring, int8: (c: Call) => boolean, unpadded: (c: Call) => boolean): Map<Call, Call> {
  const readersOf = new Map<number, Call[]>();
  for (const c of wiring.calls) for (const s of c.inSlots) readersOf.set(s, [...(readersOf.get(s) ?? []), c]);
  const folds = new Map<Call, Call>();
  for (const bn of wiring.calls) {
    if (bn.layer.className !== 'BatchNormalization' || !bn.layer.params.some((p) => p.name === 'moving_mean')) continue;
    let positive: boolean | null = null;
    let flattened = false;
    let slot = bn.outSlot;
    for (;;) {
      const readers = readersOf.get(slot) ?? [];
      // One reader, and the value is not a model output.
      if (readers.length !== 1 || wiring.readers[slot] !== 1) break;
      const r = readers[0];
      const name = r.layer.className;
      if (THROUGH.has(name)) {
        if (name.startsWith('MaxPooling')) positive ??= batchNormAffine(bn).a.every((x) => x > 0);
        if (positive === false) break;
        flattened ||= name === 'Flatten';
        slot = r.outSlot;
        continue;
      }
      const hasBias = (r.layer as unknown as { useBias?: boolean }).useBias === true;
      const fits = (name === 'Dense' || (name === 'Conv2D' && !flattened && unpadded(r))) && hasBias && int8(r);
      if (fits) folds.set(bn, r);
      break;
    }
  }
  return folds;
}

/** Folds each BatchNormalization's map into its target's float kernel and bias (quantize's own copy of the model). */
export function foldWeights(folds: Map<Call, Call>): void {
  for (const [bn, target] of folds) {
    const { a, b } = batchNormAffine(bn);
    const c = a.length;
    const kernel = target.layer.params.find((p) => p.name === 'kernel')!.value;
    const bias = target.layer.params.find((p) => p.name === 'bias')!.value;
    const w = kernel.dataSync();
    const n = kernel.shape[kernel.shape.length - 1];
    const k = w.length / n;
    const bv = Float64Array.from(bias.dataSync());
    const folded = new Float32Array(w.length);
    for (let row = 0; row < k; row++) {
      const ch = row % c;
      for (let j = 0; j < n; j++) {
        bv[j] += w[row * n + j] * b[ch];
        folded[row * n + j] = w[row * n + j] * a[ch];
      }
    }
    kernel.set(folded);
    bias.set(Float32Array.from(bv));
  }
}
