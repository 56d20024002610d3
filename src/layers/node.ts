// A node is one call of a layer. A layer used once in a model has one node; a shared layer (a siamese
// encoder applied to two inputs) has one per call. Everything a call keeps between its forward and its
// backward lives here, never on the layer, so two calls of one layer in one batch do not overwrite each
// other: the inputs and output of the call, and whatever else backward needs (a max-pool argmax, a dropout
// mask, batch-norm batch statistics) under a name.
//
// The model sets `training` and `logits` before each forward. Kept tensors come from the batch's arena and
// die with it: `clear()` drops the references when the arena is reset.
import type { Tensor } from '../tensor.js';
import type { Layer } from './layer.js';
import type { SymbolicTensor } from '../model/symbolic.js';

export class Node {
  // ---- graph structure (set once by layer.apply; empty for a bare per-call record) ----
  /** The layer this node calls. */
  layer: Layer | null = null;
  /** Which call of the layer this is (Keras node index): 0 for its first apply, 1 for the second, ... */
  index = 0;
  /** The symbolic tensors the call reads, in order. */
  inbound: SymbolicTensor[] = [];
  /** The symbolic tensor the call makes. */
  outbound: SymbolicTensor | null = null;

  // ---- per-batch state (set by the model and the layer's forward, cleared with the arena) ----
  /** True in a training forward (dropout masks, batch statistics), false for predict/evaluate. */
  training = false;
  /**
   * Set by the model on a call whose output feeds a cross-entropy loss that fuses with softmax: a layer
   * ending in softmax then returns its logits from forward, and its backward receives d(loss)/d(logits).
   * Per call, so a shared layer can be a model output in one call and an inner layer in another.
   */
  logits = false;
  /**
   * Set by the model in training (src/model/relu-pool.ts) on a relu-activated conv call whose output only a
   * max pool with disjoint windows reads: that pool's backward applies the relu's mask, so this call's
   * backward gets dy with the relu's backward already done.
   */
  gradMaskedByReader = false;
  /** Set by the model in training on that max-pool call: its backward masks dx where its output is ≤ 0. */
  masksReluBefore = false;
  /**
   * Set on a conv call whose training forward ran as one kernel with the max pool after it
   * (src/model/conv-pool.ts): the conv's backward from the pool's dy (which the pool's backward passes on
   * unchanged, `passesGradient`), returning the conv input's gradient when `needDx`.
   */
  fusedBackward: ((dp: Tensor, needDx: boolean) => Tensor | null) | null = null;
  /** Set on that max-pool call: its forward was the conv's, and its backward passes dy on to the conv. */
  passesGradient = false;
  /** The inputs of the current call (one for most layers, several for merge layers). */
  inputs: Tensor[] = [];
  /** The output the current call's forward returned. */
  output: Tensor | null = null;
  private readonly kept = new Map<string, Tensor>();

  /** The single input of the current call. */
  get input(): Tensor {
    const x = this.inputs[0];
    if (!x) throw new Error('simdnet: node: backward ran without a forward (no input kept)');
    return x;
  }

  /** Keeps an arena tensor for backward under `name` (argmax, mask, mean, ...). */
  keep(name: string, t: Tensor): Tensor {
    this.kept.set(name, t);
    return t;
  }

  /** A tensor kept by this call's forward; throws when there is none (backward without forward). */
  get(name: string): Tensor {
    const t = this.kept.get(name);
    if (!t) throw new Error(`simdnet: node: backward needs '${name}' from a forward of this call, which did not keep it`);
    return t;
  }

  /** A tensor kept by this call's forward, or null. */
  find(name: string): Tensor | null {
    return this.kept.get(name) ?? null;
  }

  /** Forgets every tensor of the last call (the arena they live in is being reset). */
  clear(): void {
    this.inputs = [];
    this.output = null;
    this.fusedBackward = null;
    this.passesGradient = false;
    this.kept.clear();
  }
}
