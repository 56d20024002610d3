// Losses and the accuracy count (assembly/losses.ts). Each loss returns the MEAN over rows (TF.js / Keras)
// and, when a gradient tensor is given, overwrites it with the gradient of that mean. The last axis holds the
// classes; sparse labels are a float tensor of class indices, one per row, shaped (N) or (N, 1).
// Nothing is written when an argument is invalid: labels are checked before any output is touched.
import { engine } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

function rowsAndClasses(op: string, name: string, t: Tensor): [number, number] {
  const classes = t.rank === 0 ? 1 : t.shape[t.rank - 1];
  if (t.size === 0) throw new Error(`simdnet ${op}: ${name} [${t.shape}] is empty`);
  return [t.size / classes, classes];
}

function checkSparseLabels(op: string, pred: Tensor, predName: string, labels: Tensor, rows: number): void {
  if (labels.size !== rows) {
    throw new Error(`simdnet ${op}: labels [${labels.shape}] must hold one class index per row of ${predName} [${pred.shape}] (${rows} rows)`);
  }
}

function checkSameSize(op: string, a: Tensor, aName: string, b: Tensor, bName: string): void {
  if (a.size !== b.size) {
    throw new Error(`simdnet ${op}: ${aName} [${a.shape}] and ${bName} [${b.shape}] must have the same number of values`);
  }
}

function checkGrad(op: string, pred: Tensor, predName: string, grad: Tensor | null, gradName: string): number {
  if (!grad) return 0;
  checkSameSize(op, pred, predName, grad, gradName);
  return grad.ptr;
}

/** The kernels return -1 - row when a label is not an integer in [0, classes); turn that into an Error. */
function badLabel(op: string, code: number, labels: Tensor, classes: number, pred: Tensor, predName: string): Error {
  const row = -1 - code;
  const label = labels.view()[row];
  return new Error(
    `simdnet ${op}: label ${label} at row ${row} is not a class index in [0, ${classes}) ` +
      `(${predName} [${pred.shape}], labels [${labels.shape}])`,
  );
}

/** Fused softmax + cross-entropy from logits (N, C) and sparse labels; dlogits = (softmax − onehot) / N. */
export function softmaxCrossEntropySparse(logits: Tensor, labels: Tensor, dlogits: Tensor | null): number {
  refuseAliasing('softmaxCrossEntropySparse', { dlogits }, { logits, labels }, true);
  const op = 'softmaxCrossEntropySparse';
  const [rows, classes] = rowsAndClasses(op, 'logits', logits);
  checkSparseLabels(op, logits, 'logits', labels, rows);
  const d = checkGrad(op, logits, 'logits', dlogits, 'dlogits');
  const loss = engine().kernels.softmax_xent_sparse_f32(logits.ptr, labels.ptr, d, rows, classes);
  if (loss < 0) throw badLabel(op, loss, labels, classes, logits, 'logits');
  return loss;
}

/** Fused softmax + cross-entropy from logits (N, C) and dense targets (N, C); dlogits = (softmax·Σt − t) / N. */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, dlogits: Tensor | null): number {
  refuseAliasing('softmaxCrossEntropy', { dlogits }, { logits, targets }, true);
  const op = 'softmaxCrossEntropy';
  const [rows, classes] = rowsAndClasses(op, 'logits', logits);
  checkSameSize(op, logits, 'logits', targets, 'targets');
  const d = checkGrad(op, logits, 'logits', dlogits, 'dlogits');
  return engine().kernels.softmax_xent_dense_f32(logits.ptr, targets.ptr, d, rows, classes);
}

/**
 * Categorical cross-entropy from probabilities (N, C), as TF.js: each row normalised to sum 1, clipped to
 * [1e-7, 1 − 1e-7], loss = −Σ t·log(p) averaged over rows.
 */
export function categoricalCrossentropy(probs: Tensor, targets: Tensor, dprobs: Tensor | null): number {
  refuseAliasing('categoricalCrossentropy', { dprobs }, { probs, targets }, true);
  const op = 'categoricalCrossentropy';
  const [rows, classes] = rowsAndClasses(op, 'probs', probs);
  checkSameSize(op, probs, 'probs', targets, 'targets');
  const d = checkGrad(op, probs, 'probs', dprobs, 'dprobs');
  return engine().kernels.prob_xent_dense_f32(probs.ptr, targets.ptr, d, rows, classes);
}

/** Sparse categorical cross-entropy from probabilities (N, C) and class indices (N) or (N, 1). */
export function sparseCategoricalCrossentropy(probs: Tensor, labels: Tensor, dprobs: Tensor | null): number {
  refuseAliasing('sparseCategoricalCrossentropy', { dprobs }, { probs, labels }, true);
  const op = 'sparseCategoricalCrossentropy';
  const [rows, classes] = rowsAndClasses(op, 'probs', probs);
  checkSparseLabels(op, probs, 'probs', labels, rows);
  const d = checkGrad(op, probs, 'probs', dprobs, 'dprobs');
  const loss = engine().kernels.prob_xent_sparse_f32(probs.ptr, labels.ptr, d, rows, classes);
  if (loss < 0) throw badLabel(op, loss, labels, classes, probs, 'probs');
  return loss;
}

/** Mean of (pred − target)² over all elements; dpred = 2 (pred − target) / size. */
export function meanSquaredError(pred: Tensor, target: Tensor, dpred: Tensor | null): number {
  refuseAliasing('meanSquaredError', { dpred }, { pred, target }, true);
  const op = 'meanSquaredError';
  rowsAndClasses(op, 'pred', pred);
  checkSameSize(op, pred, 'pred', target, 'target');
  const d = checkGrad(op, pred, 'pred', dpred, 'dpred');
  return engine().kernels.mse_f32(pred.ptr, target.ptr, d, pred.size);
}

/** Binary cross-entropy on probabilities (clipped to [1e-7, 1 − 1e-7] as TF.js), mean over all elements. */
export function binaryCrossentropy(probs: Tensor, targets: Tensor, dprobs: Tensor | null): number {
  refuseAliasing('binaryCrossentropy', { dprobs }, { probs, targets }, true);
  const op = 'binaryCrossentropy';
  rowsAndClasses(op, 'probs', probs);
  checkSameSize(op, probs, 'probs', targets, 'targets');
  const d = checkGrad(op, probs, 'probs', dprobs, 'dprobs');
  return engine().kernels.bce_f32(probs.ptr, targets.ptr, d, probs.size);
}

/**
 * Rows where argmax(pred) equals the sparse label, or the argmax of the target row (`sparse` false); ties go
 * to the first index as tf.argMax. One-column predictions are binary: correct when target == (pred > 0.5).
 */
export function countCorrect(pred: Tensor, labels: Tensor, sparse: boolean): number {
  const op = 'countCorrect';
  const [rows, classes] = rowsAndClasses(op, 'pred', pred);
  if (sparse || classes === 1) checkSparseLabels(op, pred, 'pred', labels, rows);
  else checkSameSize(op, pred, 'pred', labels, 'targets');
  const n = engine().kernels.count_correct_f32(pred.ptr, labels.ptr, rows, classes, sparse ? 1 : 0);
  if (n < 0) throw badLabel(op, n, labels, classes, pred, 'pred');
  return n;
}
