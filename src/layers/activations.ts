// Named activations as layers accept them, mapped to the kernel codes of src/ops/activation.ts.
// softmax is not a kernel code: it runs as its own op over the last axis.
// hardSigmoid is TF.js's: clamp(0.2·x + 0.5, 0, 1). hardSwish is PyTorch's nn.Hardswish (Keras 3's
// hard_swish): x·relu6(x + 3)/6; its gradient needs its input, so no kernel fuses it: a layer keeps its
// pre-activation z in training (node 'preActivation') and applies hardSwish after.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { ACTIVATION, activationForward, activationBackward, softmaxForward, softmaxBackward } from '../ops/activation.js';
import type { ActivationCode } from '../ops/activation.js';
import type { Node } from './node.js';
import { describeValue } from '../describe.js';

export type ActivationName = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'tanh' | 'hardSigmoid' | 'hardSwish' | 'softmax';

// The names a layer's `activation` option accepts (TF.js's list; leaky ReLU is its own layer), with the
// kernel codes taken from the ops layer.
const CODES: Record<Exclude<ActivationName, 'softmax'>, ActivationCode> = {
  linear: ACTIVATION.linear,
  relu: ACTIVATION.relu,
  relu6: ACTIVATION.relu6,
  elu: ACTIVATION.elu,
  sigmoid: ACTIVATION.sigmoid,
  tanh: ACTIVATION.tanh,
  hardSigmoid: ACTIVATION.hardSigmoid,
  hardSwish: ACTIVATION.hardSwish,
};

/** Keras's elu alpha. */
const ELU_ALPHA = 1;
/** TF.js's hardSigmoid slope (Keras 2's hard_sigmoid): 0.2·x + 0.5, clamped to [0, 1]. */
export const HARD_SIGMOID_ALPHA = 0.2;

export function checkActivation(name: unknown, layer: string): ActivationName {
  const a = (name ?? 'linear') as string;
  if (a === 'softmax' || a in CODES) return a as ActivationName;
  throw new Error(`simdnet: ${layer}: unknown activation ${describeValue(a)} (known: ${Object.keys(CODES).join(', ')}, softmax)`);
}

/** The code a kernel fuses (softmax and hardSwish fuse nothing: the layer applies them after). */
export function fusedCode(a: ActivationName): ActivationCode {
  return a === 'softmax' || a === 'hardSwish' ? ACTIVATION.linear : CODES[a];
}

export function fusedAlpha(a: ActivationName): number {
  return a === 'elu' ? ELU_ALPHA : a === 'hardSigmoid' ? HARD_SIGMOID_ALPHA : 0;
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

/**
 * Turns dy (w.r.t. the activation's output y) into d(pre-activation); may overwrite dy and return it.
 * `x`, the activation's input, is read only by hardSwish.
 */
export function activationGrad(y: Tensor, dy: Tensor, a: ActivationName, arena: Arena, x: Tensor | null = null): Tensor {
  if (a === 'linear') return dy;
  if (a === 'softmax') {
    const dx = Tensor.empty(y.shape, arena);
    softmaxBackward(y, dy, dx);
    return dx;
  }
  if (a === 'hardSwish' && !x) throw new Error('simdnet: activationGrad: hardSwish needs the activation\'s input');
  activationBackward(a === 'hardSwish' ? x! : y, dy, dy, CODES[a], fusedAlpha(a));
  return dy;
}

/**
 * The output of a layer that fused its elementwise activation into its kernel: softmax and hardSwish, which
 * no kernel fuses, are applied here — softmax unless the loss takes this call's logits (node.logits, softmax
 * + cross-entropy fused); hardSwish into a new tensor in training, keeping z for its gradient.
 */
export function finishFusedActivation(z: Tensor, a: ActivationName, node: Node, arena: Arena): Tensor {
  if (a === 'hardSwish') {
    if (node.training) node.keep('preActivation', z);
    return applyActivation(z, a, arena, !node.training);
  }
  return a === 'softmax' && !node.logits ? applyActivation(z, 'softmax', arena) : z;
}

/** The backward of finishFusedActivation plus the fused activation: d(loss)/d(pre-activation) from dy and the output y. */
export function gradBeforeActivation(y: Tensor, dy: Tensor, a: ActivationName, node: Node, arena: Arena): Tensor {
  if (node.logits && a === 'softmax') return dy;
  return activationGrad(y, dy, a, arena, a === 'hardSwish' ? node.get('preActivation') : null);
}
