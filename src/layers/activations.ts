// Named activations as layers accept them, mapped to the kernel codes of src/ops/activation.ts.
// softmax is not a kernel code: it runs as its own op over the last axis.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { ACTIVATION, activationForward, activationBackward, softmaxForward, softmaxBackward } from '../ops/activation.js';
import type { ActivationCode } from '../ops/activation.js';

export type ActivationName = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'tanh' | 'softmax';

// The names a layer's `activation` option accepts (TF.js's list; leaky ReLU is its own layer), with the
// kernel codes taken from the ops layer.
const CODES: Record<Exclude<ActivationName, 'softmax'>, ActivationCode> = {
  linear: ACTIVATION.linear,
  relu: ACTIVATION.relu,
  relu6: ACTIVATION.relu6,
  elu: ACTIVATION.elu,
  sigmoid: ACTIVATION.sigmoid,
  tanh: ACTIVATION.tanh,
};

/** Keras's elu alpha. */
const ELU_ALPHA = 1;

export function checkActivation(name: unknown, layer: string): ActivationName {
  const a = (name ?? 'linear') as string;
  if (a === 'softmax' || a in CODES) return a as ActivationName;
  throw new Error(`simdnet: ${layer}: unknown activation '${a}' (known: linear, relu, relu6, elu, sigmoid, tanh, softmax)`);
}

/** The code a kernel fuses (softmax fuses nothing: the layer applies it after). */
export function fusedCode(a: ActivationName): ActivationCode {
  return a === 'softmax' ? 0 : CODES[a];
}

export function fusedAlpha(a: ActivationName): number {
  return a === 'elu' ? ELU_ALPHA : 0;
}

/**
 * y = f(x). Softmax always writes a new arena tensor; the others overwrite x when `inPlace` (x is a fresh
 * output of the same layer), else write a new one (x belongs to another layer that may still need it).
 */
export function applyActivation(x: Tensor, a: ActivationName, arena: Arena, inPlace = true): Tensor {
  if (a === 'linear') return x;
  if (a === 'softmax') {
    const y = Tensor.empty(x.shape, arena);
    softmaxForward(x, y);
    return y;
  }
  const y = inPlace ? x : Tensor.empty(x.shape, arena);
  activationForward(x, y, CODES[a], fusedAlpha(a));
  return y;
}

/** Turns dy (w.r.t. the activation's output y) into d(pre-activation); may overwrite dy and return it. */
export function activationGrad(y: Tensor, dy: Tensor, a: ActivationName, arena: Arena): Tensor {
  if (a === 'linear') return dy;
  if (a === 'softmax') {
    const dx = Tensor.empty(y.shape, arena);
    softmaxBackward(y, dy, dx);
    return dx;
  }
  activationBackward(y, dy, dy, CODES[a], fusedAlpha(a));
  return dy;
}

/**
 * The output of a layer that fused its elementwise activation into its kernel: softmax, which no kernel fuses,
 * is applied here, unless the loss takes this call's logits (node.logits, softmax + cross-entropy fused).
 */
export function finishFusedActivation(z: Tensor, a: ActivationName, logits: boolean, arena: Arena): Tensor {
  return a === 'softmax' && !logits ? applyActivation(z, 'softmax', arena) : z;
}

/** The backward of finishFusedActivation plus the fused activation: d(loss)/d(pre-activation) from dy and the output y. */
export function gradBeforeActivation(y: Tensor, dy: Tensor, a: ActivationName, logits: boolean, arena: Arena): Tensor {
  return logits && a === 'softmax' ? dy : activationGrad(y, dy, a, arena);
}
