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

let enabled = true;

/** For tests and benchmarks: fold (default) or run every batch norm as its own step. Recorded plans follow. */
export function setBatchNormFolding(on: boolean): void {
  if (on === enabled) return;
  enabled = on;
  bumpKernelChoices();
}

interface Folded {
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
export type FoldAction = { kind: 'producer'; bn: Layer; act: ActivationCode } | { kind: 'identity' };

export class BatchNormFolds {
  private readonly actions = new WeakMap<Graph, Map<Step, FoldAction>>();
  private readonly folded = new Map<Layer, Folded>(); // keyed by the batch norm layer

  /** What to do differently per step of `graph` in inference (empty when folding is off). */
  of(graph: Graph): Map<Step, FoldAction> {
    if (!enabled) return new Map();
    let m = this.actions.get(graph);
    if (!m) {
      m = foldableSteps(graph);
      this.actions.set(graph, m);
    }
    return m;
  }

  /** Runs `producer` with the batch norm `bn` folded into its weights and the activation `act` fused. */
  forward(producer: Layer, bn: Layer, act: ActivationCode, x: Tensor, node: Node, arena: Arena): Tensor {
    const f = this.weights(producer as FoldableLayer, bn);
    return (producer as FoldableLayer).forwardWith(x, node, arena, f.kernel, f.bias, act);
  }

  private weights(producer: FoldableLayer, bn: Layer): Folded {
    const sources = [...producer.params, ...bn.params].map((p) => p.value);
    const versions = sources.map((t) => t.version);
    let f = this.folded.get(bn);
    const kernel = producer.params[0].value;
    const same = f && !f.kernel.isDisposed && f.kernel.size === kernel.size &&
      f.sources.every((t, i) => t === sources[i] && f!.versions[i] === versions[i]);
    if (same) return f!;
    const { a: scale, b: shift } = (bn as BatchNormalization).inferenceAffine();
    const channels = scale.length;
    const w = kernel.dataSync();
    const bias = producer.params.find((p) => p.name === 'bias')?.value.dataSync() ?? new Float32Array(channels);
    const fw = Float32Array.from(w, (v, i) => v * scale[i % channels]);
    const fb = Float32Array.from(bias, (v, c) => v * scale[c] + shift[c]);
    if (!f || f.kernel.isDisposed || f.kernel.size !== kernel.size) {
      if (f) this.drop(f);
      f = { kernel: Tensor.empty(kernel.shape), bias: Tensor.empty([channels]), sources, versions };
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

/** Producer → batch norm pairs of `graph` that fold: the producer's only reader is the batch norm. */
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
  return m;
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
