// Loss objects: each checks that labels fit the model's output (shape, count and value range, once per
// call of fit/evaluate) and computes the batch mean loss and its gradient with a src/ops/loss.ts kernel.
// Names follow TF.js (`'sparseCategoricalCrossentropy'`) and Keras (`'sparse_categorical_crossentropy'`).
import type { Tensor } from '../tensor.js';
import {
  softmaxCrossEntropySparse,
  softmaxCrossEntropy,
  categoricalCrossentropy as categoricalCrossentropyOp,
  sparseCategoricalCrossentropy as sparseCategoricalCrossentropyOp,
  meanSquaredError as meanSquaredErrorOp,
  binaryCrossentropy as binaryCrossentropyOp,
} from '../ops/loss.js';
import { firstNonFinite } from '../ops/finite.js';
import { describeValue } from '../describe.js';

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError' | 'binaryCrossentropy';

/** The loss names `compile({ loss })` accepts: TF.js's camelCase, Keras's snake_case, and 'mse'. */
export type LossIdentifier =
  | LossName
  | 'sparse_categorical_crossentropy'
  | 'categorical_crossentropy'
  | 'mean_squared_error'
  | 'mse'
  | 'MSE'
  | 'binary_crossentropy';

export interface Loss {
  /** The TF.js name, as a saved training config writes it. */
  readonly name: LossName;
  /** Labels are class indices (N) or (N,1), not one row per output. */
  readonly sparse: boolean;
  /** With a softmax output layer, the model may compute this loss from logits (fused, stable). */
  readonly fusesWithSoftmax: boolean;
  /** Throws naming `who` and the shapes when labels (N, ...) do not fit outputs of shape `outputShape` (per sample). */
  checkLabels(labels: Tensor, n: number, outputShape: number[], who: string): void;
  /** Mean loss over rows of pred (N, ...); when dpred is given, writes d(mean loss)/d(pred). */
  compute(pred: Tensor, labels: Tensor, dpred: Tensor | null): number;
  /** The same from logits of a softmax (only when fusesWithSoftmax). */
  computeFromLogits(logits: Tensor, labels: Tensor, dlogits: Tensor | null): number;
}

const fmt = (s: readonly (number | null)[]): string => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;

function checkCount(labels: Tensor, n: number, who: string): void {
  if (labels.shape[0] !== n) {
    throw new Error(`simdnet: ${who}: labels have ${labels.shape[0]} rows (shape ${fmt(labels.shape)}) but the inputs have ${n} samples`);
  }
}

function checkSameShape(name: string, labels: Tensor, n: number, out: number[], who: string): void {
  checkCount(labels, n, who);
  checkFinite(name, labels, who);
  const want = [n, ...out];
  const got = labels.shape;
  // A single-output model also takes labels (N) for (N,1).
  const ok = (got.length === want.length && got.every((d, i) => d === want[i])) || (out.length === 1 && out[0] === 1 && got.length === 1);
  if (!ok) throw new Error(`simdnet: ${who}: ${name} expects labels of shape ${fmt(want)} (like the output) but got ${fmt(got)}`);
}

/** A NaN target would make the loss NaN and every weight after it: name it instead. */
function checkFinite(name: string, labels: Tensor, who: string): void {
  const i = firstNonFinite(labels);
  if (i >= 0) {
    const row = Math.floor(i / (labels.size / labels.shape[0]));
    throw new Error(`simdnet: ${who}: ${name} labels must be finite, but sample ${row} has ${labels.view()[i]} (flat index ${i})`);
  }
}

function checkRange(name: string, labels: Tensor, low: number, high: number, integers: boolean, who: string): void {
  const v = labels.view();
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!(x >= low && x <= high) || (integers && !Number.isInteger(x))) {
      const what = integers ? `integer class indices in [${low}, ${high}]` : `values in [${low}, ${high}]`;
      throw new Error(`simdnet: ${who}: ${name} expects ${what}, but label ${i} is ${x}`);
    }
  }
}

const sparseCategorical: Loss = {
  name: 'sparseCategoricalCrossentropy',
  sparse: true,
  fusesWithSoftmax: true,
  checkLabels(labels, n, out, who) {
    checkCount(labels, n, who);
    const classes = out[out.length - 1];
    if (out.length !== 1) throw new Error(`simdnet: ${who}: sparseCategoricalCrossentropy needs outputs of shape [null,classes], got ${fmt([null, ...out])}`);
    const ok = labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === 1);
    if (!ok) {
      throw new Error(`simdnet: ${who}: sparseCategoricalCrossentropy expects labels of shape [${n}] or [${n},1] (class indices) but got ${fmt(labels.shape)}`);
    }
    checkRange('sparseCategoricalCrossentropy', labels, 0, classes - 1, true, who);
  },
  compute: (p, l, d) => sparseCategoricalCrossentropyOp(p, l, d),
  computeFromLogits: (z, l, d) => softmaxCrossEntropySparse(z, l, d),
};

const categorical: Loss = {
  name: 'categoricalCrossentropy',
  sparse: false,
  fusesWithSoftmax: true,
  checkLabels(labels, n, out, who) {
    checkSameShape('categoricalCrossentropy', labels, n, out, who);
  },
  compute: (p, l, d) => categoricalCrossentropyOp(p, l, d),
  computeFromLogits: (z, l, d) => softmaxCrossEntropy(z, l, d),
};

const meanSquared: Loss = {
  name: 'meanSquaredError',
  sparse: false,
  fusesWithSoftmax: false,
  checkLabels(labels, n, out, who) {
    checkSameShape('meanSquaredError', labels, n, out, who);
  },
  compute: (p, l, d) => meanSquaredErrorOp(p, l, d),
  computeFromLogits: () => {
    throw new Error('simdnet: meanSquaredError does not fuse with softmax');
  },
};

const binary: Loss = {
  name: 'binaryCrossentropy',
  sparse: false,
  fusesWithSoftmax: false,
  checkLabels(labels, n, out, who) {
    checkSameShape('binaryCrossentropy', labels, n, out, who);
    checkRange('binaryCrossentropy', labels, 0, 1, false, who);
  },
  compute: (p, l, d) => binaryCrossentropyOp(p, l, d),
  computeFromLogits: () => {
    throw new Error('simdnet: binaryCrossentropy does not fuse with softmax');
  },
};

const BY_NAME: Record<LossIdentifier, Loss> = {
  sparseCategoricalCrossentropy: sparseCategorical,
  sparse_categorical_crossentropy: sparseCategorical,
  categoricalCrossentropy: categorical,
  categorical_crossentropy: categorical,
  meanSquaredError: meanSquared,
  mean_squared_error: meanSquared,
  mse: meanSquared,
  MSE: meanSquared,
  binaryCrossentropy: binary,
  binary_crossentropy: binary,
};

/** The loss for a name or a loss object; throws listing the known names. */
export function getLoss(loss: string | Loss): Loss {
  if (typeof loss !== 'string') {
    if (loss && typeof loss.compute === 'function') return loss;
    throw new Error(`simdnet: compile: loss must be a name or a loss object, got ${describeValue(loss)}`);
  }
  const found = Object.hasOwn(BY_NAME, loss) ? BY_NAME[loss as LossIdentifier] : undefined;
  if (!found) {
    throw new Error(
      `simdnet: compile: unknown loss ${describeValue(loss)} (known: categoricalCrossentropy, sparseCategoricalCrossentropy, meanSquaredError, binaryCrossentropy)`,
    );
  }
  return found;
}

/** `sn.losses.*`: loss objects, for `compile({ loss: sn.losses.meanSquaredError })`. */
export const categoricalCrossentropy = categorical;
export const sparseCategoricalCrossentropy = sparseCategorical;
export const meanSquaredError = meanSquared;
export const binaryCrossentropy = binary;
