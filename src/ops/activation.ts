// Elementwise activations, softmax over the last axis, bias add and bias gradient (assembly/activations.ts).
// Every backward takes the activation's OUTPUT y: a layer keeps only its output — except hardSwish's,
// which takes its INPUT x (gradFromInput): its output does not determine its slope.
import { engine } from '../backend/engine.js';
import { parallelElementwise } from '../backend/split.js';
import type { Tensor } from '../tensor.js';
import { refuseAliasing } from './alias.js';

import { ACTIVATION } from '../backend/kernels.generated.js';

export { ACTIVATION };

export type ActivationName = keyof typeof ACTIVATION;
export type ActivationCode = (typeof ACTIVATION)[ActivationName];

/**
 * The code of an elementwise activation by its Keras / TF.js name ('linear', 'relu', …). 'softmax' is not
 * elementwise: layers handle it with softmaxForward/softmaxBackward.
 */
export function activationCode(name: string): ActivationCode {
  if (Object.prototype.hasOwnProperty.call(ACTIVATION, name)) return ACTIVATION[name as ActivationName];
  const hint = name === 'softmax' ? ' (softmax is not elementwise: use softmaxForward)' : '';
  throw new Error(`simdnet: unknown activation '${name}'${hint}; known elementwise activations: ${Object.keys(ACTIVATION).join(', ')}`);
}

/** Whether activationBackward takes the activation's input x in place of its output y (hardSwish). */
export function gradFromInput(act: ActivationCode): boolean {
  return act === ACTIVATION.hardSwish;
}

/** Throws, naming `op`, unless `act` is one of the activation codes. */
export function checkActivationCode(op: string, act: number): void {
  if (!Number.isInteger(act) || act < 0 || act >= Object.keys(ACTIVATION).length) {
    throw new Error(`simdnet ${op}: activation code ${act} is not one of 0..${Object.keys(ACTIVATION).length - 1} (${Object.keys(ACTIVATION).join(', ')})`);
  }
}

function checkSameSize(op: string, names: string[], tensors: Tensor[]): void {
  const n = tensors[0].size;
  if (tensors.every((t) => t.size === n)) return;
  const list = names.map((name, i) => `${name} [${tensors[i].shape}]`).join(', ');
  throw new Error(`simdnet ${op}: ${list} must have the same number of values`);
}

/** Last-axis length and row count of a tensor seen as (rows, cols). */
function rowsCols(t: Tensor): [number, number] {
  const cols = t.rank === 0 ? 1 : t.shape[t.rank - 1];
  return [cols === 0 ? 0 : t.size / cols, cols];
}

/** y = f(x) elementwise; y may be x (in place). `alpha` is leakyRelu's slope, elu's scale or hardSigmoid's slope. */
export function activationForward(x: Tensor, y: Tensor, act: ActivationCode, alpha = 0): void {
  refuseAliasing('activationForward', { y }, { x }, true);
  checkActivationCode('activationForward', act);
  checkSameSize('activationForward', ['x', 'y'], [x, y]);
  parallelElementwise('activation_forward_f32', [x.ptr, y.ptr], x.size, [act, alpha]);
}

/** dx = dy · f'(x), computed from the output y = f(x) (from x itself where gradFromInput); dx may be dy (in place). */
export function activationBackward(y: Tensor, dy: Tensor, dx: Tensor, act: ActivationCode, alpha = 0): void {
  refuseAliasing('activationBackward', { dx }, { y, dy }, true);
  checkActivationCode('activationBackward', act);
  checkSameSize('activationBackward', ['y', 'dy', 'dx'], [y, dy, dx]);
  parallelElementwise('activation_backward_f32', [y.ptr, dy.ptr, dx.ptr], y.size, [act, alpha]);
}

/** y = softmax(x) over the last axis (max-subtracted, so large logits stay finite); y may be x. */
export function softmaxForward(x: Tensor, y: Tensor): void {
  refuseAliasing('softmaxForward', { y }, { x }, true);
  checkSameShape('softmaxForward', ['x', 'y'], [x, y]);
  const [rows, cols] = rowsCols(x);
  engine().kernels.softmax_forward_f32(x.ptr, y.ptr, rows, cols);
}

/** dx = y · (dy − Σ dy·y) per row of the last axis; dx may be dy. */
export function softmaxBackward(y: Tensor, dy: Tensor, dx: Tensor): void {
  refuseAliasing('softmaxBackward', { dx }, { y, dy }, true);
  checkSameShape('softmaxBackward', ['y', 'dy', 'dx'], [y, dy, dx]);
  const [rows, cols] = rowsCols(y);
  engine().kernels.softmax_backward_f32(y.ptr, dy.ptr, dx.ptr, rows, cols);
}

/** y (rows, C) += b (C), in place; C is y's last axis. */
export function biasAdd(y: Tensor, b: Tensor): void {
  refuseAliasing('biasAdd', { y }, { b });
  const [rows, cols] = rowsCols(y);
  if (b.size !== cols) throw new Error(`simdnet biasAdd: bias [${b.shape}] must have ${cols} values to match the last axis of y [${y.shape}]`);
  engine().kernels.bias_add_f32(y.ptr, b.ptr, rows, cols);
}

/** db (C) = column sums of dy (rows, C); db is overwritten. */
export function biasGrad(dy: Tensor, db: Tensor): void {
  refuseAliasing('biasGrad', { db }, { dy });
  const [rows, cols] = rowsCols(dy);
  if (db.size !== cols) throw new Error(`simdnet biasGrad: db [${db.shape}] must have ${cols} values to match the last axis of dy [${dy.shape}]`);
  engine().kernels.bias_grad_f32(dy.ptr, db.ptr, rows, cols);
}

function checkSameShape(op: string, names: string[], tensors: Tensor[]): void {
  const s = tensors[0].shape;
  const same = (t: Tensor) => t.shape.length === s.length && t.shape.every((d, i) => d === s[i]);
  if (tensors.every(same)) return;
  const list = names.map((name, i) => `${name} [${tensors[i].shape}]`).join(', ');
  throw new Error(`simdnet ${op}: ${list} must have the same shape`);
}
