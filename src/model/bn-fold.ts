// Batch normalizations folded into the conv or dense layer before them, for predict's inference plans.
//
// In inference a batchNormalization is an affine map per channel: BN(z) = (z − mean)·s + beta with
// s = gamma / √(variance + ε). When z = conv(x, w) + b comes from a layer with no activation and nothing
// else reads z, BN(z) = conv(x, w·s) + (b − mean)·s + beta: the producer runs once with those weights and
// the BN step does nothing. The folded weights are computed here in float64 (once per weight version of
// either layer: the plan is recorded again then too) and kept as tensors the trace points at; a Conv2D
// keeps a Winograd plan of its own for them, so training or evaluate on the real weights leaves them be.
// A relu or relu6 that alone reads the batch norm's output is fused into the producer's kernel as well
// (MobileNet's conv → BN → ReLU6 becomes one conv call).
// The output channel is the kernel's last axis (conv1d/2d/3d, any groups, dense) or, for a depthwise
// kernel (KH,KW,C,M), its last two (channel c·M + m): either way the flat index modulo the channels.
//
// A batch norm that cannot fold backward (its input comes from an activation: conv → relu → BN, as in the
// demo model) folds forward into the conv or dense that reads it: next(BN(x)) = W·(s⊙x + t) + b =
// (W·diag(s))·x + (b + W·t), so kernel row k (input channel k mod C) is scaled by s and W·t joins the bias.
// Only where the batch norm's value reaches the reader unchanged in every position:
//   - a conv without padding (a padded cell is 0 after the batch norm, not s·0 + t), one group;
//   - a dense, also through Flatten and Dropout (identities in inference; a flattened index keeps its
//     channel as index mod C);
//   - through max pooling only while every s > 0: max(s·x + t) = s·max(x) + t for s > 0, but for s < 0 it
//     is s·min(x) + t. s depends on the weights, so this is checked each time a plan is recorded.
// Each slot on the way must have that one reader (a second reader needs the normalised value).
import type { Arena } from '../backend/arena.js';
import { bumpKernelChoices } from '../backend/engine.js';
import { Tensor } from '../tensor.js';
import type { Layer } from '../layers/layer.js';
import type { BatchNormalization } from '../layers/batch-normalization.js';
import type { Node } from '../layers/node.js';
import type { Graph, Step } from './graph.js';
import { ACTIVATION, type ActivationCode } from '../ops/activation.js';

/** A layer that can run its inference forward on a kernel and bias given in place of its own. */
export interface FoldableLayer extends Layer {
  readonly activation: string;
  readonly kernelName?: string;
  forwardWith(x: Tensor, node: Node, arena: Arena, kernel: Tensor, bias: Tensor, act?: ActivationCode): Tensor;
}

const FOLDABLE = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'DepthwiseConv2D', 'Dense']);
/** Readers a batch norm folds forward into (kernel rows in input-channel order: (…, C, F) or (in, units)). */
const FORWARD_FOLDABLE = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'Dense']);
/** Steps a forward fold passes through: identities in inference, and max pooling (every scale > 0). */
const PASS_THROUGH = new Set(['Flatten', 'Dropout']);
const MAX_POOLING = new Set(['MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D']);

let enabled = true;

/** For tests and benchmarks: fold (default) or run every batch norm as its own step. Recorded plans follow. */
export function setBatchNormFolding(on: boolean): void {
  if (on === enabled) return;
  enabled = on;
  bumpKernelChoices();
}

interface Folded {
  /** Which way the batch norm was folded, into which layer. */
  into: Layer;
  kernel: Tensor;
  bias: Tensor;
  /** The parameter tensors folded and their versions then. */
  sources: Tensor[];
  versions: number[];
}

/**
 * What a step does instead in a folded run: the producer runs with the batch norm `bn` folded in (and the
 * relu after it, `act`, fused into its kernel when that relu is the batch norm's only reader); the batch norm
 * and that relu pass their input on.
 */
export type FoldAction =
  | { kind: 'producer'; bn: Layer; act: ActivationCode }
  | { kind: 'consumer'; bn: Layer; bnStep: Step; throughMaxPool: boolean }
  | { kind: 'identity' };

export class BatchNormFolds {
  private readonly actions = new WeakMap<Graph, Map<Step, FoldAction>>();
  private readonly folded = new Map<Layer, Folded>(); // keyed by the batch norm layer

  /**
   * What to do differently per step of `graph` in inference (empty when folding is off). Called when a plan
   * is recorded: forward folds through max pooling are kept only while every scale is > 0 now.
   */
  of(graph: Graph): Map<Step, FoldAction> {
    if (!enabled) return new Map();
    let m = this.actions.get(graph);
    if (!m) {
      m = foldableSteps(graph);
      this.actions.set(graph, m);
    }
    const unsafe = [...m].filter(([, a]) => a.kind === 'consumer' && a.throughMaxPool &&
      !(a.bn as BatchNormalization).inferenceAffine().a.every((v) => v > 0));
    if (!unsafe.length) return m;
    const now = new Map(m);
    for (const [step, a] of unsafe) {
      now.delete(step);
      now.delete((a as { bnStep: Step }).bnStep);
    }
    return now;
  }

  /** Runs a step whose action is 'producer' or 'consumer' on the weights with its batch norm folded in. */
  forward(layer: Layer, action: FoldAction, x: Tensor, node: Node, arena: Arena): Tensor {
    if (action.kind === 'identity') return x;
    const l = layer as FoldableLayer;
    if (action.kind === 'producer') {
      const f = this.weights(l, action.bn, foldBackward);
      return l.forwardWith(x, node, arena, f.kernel, f.bias, action.act);
    }
    const f = this.weights(l, action.bn, foldForward);
    return l.forwardWith(x, node, arena, f.kernel, f.bias); // its own activation
  }

  /** The folded kernel and bias of `layer` with `bn`, remade (in float64) when a weight of either moved. */
  private weights(layer: FoldableLayer, bn: Layer, fold: typeof foldBackward): Folded {
    const sources = [...layer.params, ...bn.params].map((p) => p.value);
    const versions = sources.map((t) => t.version);
    let f = this.folded.get(bn);
    const kernel = layer.params[0].value;
    const same = f && f.into === layer && !f.kernel.isDisposed && f.kernel.size === kernel.size &&
      f.sources.every((t, i) => t === sources[i] && f!.versions[i] === versions[i]);
    if (same) return f!;
    const { a: scale, b: shift } = (bn as BatchNormalization).inferenceAffine();
    const bias = layer.params.find((p) => p.name === 'bias')?.value.dataSync() ?? null;
    const { w: fw, b: fb } = fold(kernel.dataSync(), kernel.shape, bias, scale, shift);
    if (!f || f.into !== layer || f.kernel.isDisposed || f.kernel.size !== kernel.size || f.bias.size !== fb.length) {
      if (f) this.drop(f);
      f = { into: layer, kernel: Tensor.empty(kernel.shape), bias: Tensor.empty([fb.length]), sources, versions };
      this.folded.set(bn, f);
    }
    f.kernel.set(fw);
    f.bias.set(fb);
    f.sources = sources;
    f.versions = versions;
    return f;
  }

  private drop(f: Folded): void {
    if (!f.kernel.isDisposed) f.kernel.dispose();
    if (!f.bias.isDisposed) f.bias.dispose();
  }

  dispose(): void {
    for (const f of this.folded.values()) this.drop(f);
    this.folded.clear();
  }
}

/** BN after the producer: output channel = flat index mod C; w·s, (b − mean)·s + beta = b·s + t. */
function foldBackward(
  w: Float32Array, _shape: readonly number[], bias: Float32Array | null, scale: Float64Array, shift: Float64Array,
): { w: Float32Array; b: Float32Array } {
  const channels = scale.length;
  return {
    w: Float32Array.from(w, (v, i) => v * scale[i % channels]),
    b: Float32Array.from(shift, (t, c) => (bias ? bias[c] : 0) * scale[c] + t),
  };
}

/**
 * BN before the reader: kernel (…, C·k, F) (a conv's (…, C, F), a dense's (in, units) with in = k·C), so
 * row r = ⌊i / F⌋ reads input channel r mod C: w·s per row, bias + Σ_rows w·t per output (float64 sums).
 */
function foldForward(
  w: Float32Array, shape: readonly number[], bias: Float32Array | null, scale: Float64Array, shift: Float64Array,
): { w: Float32Array; b: Float32Array } {
  const channels = scale.length;
  const F = shape[shape.length - 1];
  const fw = new Float32Array(w.length);
  const sums = Float64Array.from({ length: F }, (_, f) => (bias ? bias[f] : 0));
  for (let row = 0, i = 0; i < w.length; row++) {
    const c = row % channels;
    for (let f = 0; f < F; f++, i++) {
      fw[i] = w[i] * scale[c];
      sums[f] += w[i] * shift[c];
    }
  }
  return { w: fw, b: Float32Array.from(sums) };
}

/**
 * The folds of `graph`: producer → batch norm pairs where the producer's only reader is the batch norm, then
 * batch norm → reader pairs (forward folds, see the header) for the batch norms left.
 */
function foldableSteps(graph: Graph): Map<Step, FoldAction> {
  const m = new Map<Step, FoldAction>();
  for (const bn of graph.steps) {
    if (bn.layer.className !== 'BatchNormalization' || bn.inSlots.length !== 1) continue;
    const slot = bn.inSlots[0];
    const producer = graph.steps.find((s) => s.outSlot === slot);
    if (!producer || graph.readers[slot] !== 1 || m.has(producer) || !FOLDABLE.has(producer.layer.className)) continue;
    const p = producer.layer as FoldableLayer;
    const kernel = p.params[0]?.value;
    const channels = bn.layer.params[0]?.value.size;
    if (p.activation !== 'linear' || !kernel || !channels || kernel.size % channels !== 0) continue;
    const [last, beforeLast] = [kernel.shape[kernel.rank - 1], kernel.shape[kernel.rank - 2]];
    if (last !== channels && last * beforeLast !== channels) continue;
    const next = graph.readers[bn.outSlot] === 1 ? graph.steps.find((s) => s.inSlots.includes(bn.outSlot)) : undefined;
    const act = next && next.inSlots.length === 1 ? reluCode(next.layer) : 0;
    m.set(producer, { kind: 'producer', bn: bn.layer, act });
    m.set(bn, { kind: 'identity' });
    if (act) m.set(next!, { kind: 'identity' });
  }
  for (const bn of graph.steps) {
    if (bn.layer.className !== 'BatchNormalization' || bn.inSlots.length !== 1 || m.has(bn)) continue;
    const channels = (bn.layer as BatchNormalization).inferenceAffine().a.length;
    let slot = bn.outSlot;
    let throughMaxPool = false;
    for (;;) {
      const next = graph.readers[slot] === 1 ? graph.steps.find((s) => s.inSlots.includes(slot)) : undefined;
      if (!next || next.inSlots.length !== 1 || m.has(next)) break;
      const kind = next.layer.className;
      if (PASS_THROUGH.has(kind) || MAX_POOLING.has(kind)) {
        throughMaxPool ||= MAX_POOLING.has(kind);
        slot = next.outSlot;
        continue;
      }
      if (readsChannels(next.layer, channels)) {
        m.set(next, { kind: 'consumer', bn: bn.layer, bnStep: bn, throughMaxPool });
        m.set(bn, { kind: 'identity' });
      }
      break;
    }
  }
  return m;
}

/**
 * Whether `layer` can take a batch norm over `channels` folded into its kernel: an unpadded, ungrouped
 * conv on those channels, or a dense whose inputs are whole groups of them.
 */
function readsChannels(layer: Layer, channels: number): boolean {
  if (!FORWARD_FOLDABLE.has(layer.className)) return false;
  const kernel = layer.params[0]?.value;
  if (!kernel || kernel.rank < 2) return false;
  const rowsOf = kernel.shape[kernel.rank - 2]; // a conv's C (per group), a dense's inputs
  if (layer.className === 'Dense') return rowsOf % channels === 0;
  const conv = layer as unknown as { padding: string; kernelSize: number[]; groups?: number };
  const unpadded = conv.padding === 'valid' || (conv.padding === 'same' && conv.kernelSize.every((k) => k === 1));
  return unpadded && (conv.groups ?? 1) === 1 && rowsOf === channels;
}

/** The fused code of a relu or relu6 layer (ReLU, or Activation 'relu'/'relu6'); 0 for anything else. */
function reluCode(layer: Layer): ActivationCode {
  if (layer.className === 'Activation') {
    const a = (layer as unknown as { activation: string }).activation;
    return a === 'relu' ? ACTIVATION.relu : a === 'relu6' ? ACTIVATION.relu6 : 0;
  }
  if (layer.className !== 'ReLU') return 0;
  const r = layer as unknown as { maxValue: number | null; negativeSlope: number; threshold: number };
  if (r.negativeSlope !== 0 || r.threshold !== 0) return 0;
  return r.maxValue === null ? ACTIVATION.relu : r.maxValue === 6 ? ACTIVATION.relu6 : 0;
}
