// Training plans: a training step on a fixed batch size replays a recorded run of the step, as predict's
// inference plans do (inference-plan.ts), so a step costs its kernels and little JS.
//
// The model runs its first step of `rows` rows as usual (that sizes the engine's scratch); the next one of
// the same size records: forward, loss, backward and update run inside `engine().record`, the batch's
// rows, activations and gradients come from the plan's own arena (kept, not reset), and what must happen
// afresh each step runs as live JS inside the trace (`engine().live`): the loss read back and checked,
// dropout's seeds and augmentation's transforms, the weight penalties and the optimizer's update (its
// learning rate and step move).
// Later steps gather their rows into the plan's input tensors and replay. What is derived from weights
// (Winograd's transformed filters) is made inside the trace, so each replay makes it from the weights of its
// step. The trace is remade when
//   - a layer's parameters, their tensors or gradients were replaced, or a layer or parameter was frozen
//     or unfrozen,
//   - the engine was replaced or a kernel choice changed (`forceConv2dPath`),
//   - the model was compiled again (a loss decides the forward: a fused softmax), or its graph changed.
// Only the library's own layers replay (their training forward and backward decide nothing in JS from
// values: Layer's contract; augmentation draws its transforms in live JS); a graph with any other layer
// (a subclass of sn.Layer) trains step by step. The same values bit for bit either way.
import { Arena } from '../backend/arena.js';
import { engine, kernelChoiceEpoch, type Trace } from '../backend/engine.js';
import type { Tensor } from '../tensor.js';
import * as layerClasses from '../layers/index.js';
import type { Layer } from '../layers/layer.js';
import { gatherRowsInto } from './batch.js';
import type { Graph } from './graph.js';

let enabled = true;

/** For tests and benchmarks: record training steps (default) or run every step as it comes. */
export function setTrainingPlans(on: boolean): void {
  enabled = on;
}

let libraryClasses: Set<unknown> | null = null;

/**
 * Whether every call of `graph` may replay: each layer's class is one of the library's own (found among the
 * exports by identity, not by name: an app's bundler may rename classes).
 */
export function trainingReplays(graph: Graph): boolean {
  libraryClasses ??= new Set(Object.values(layerClasses));
  return enabled && graph.steps.every(({ layer }) => libraryClasses!.has(layer.constructor));
}

/** Calls `f` on everything a recorded step's pointers and kernel choices depend on besides shapes. */
function eachDependency(layers: readonly Layer[], f: (v: unknown) => void): void {
  f(engine());
  f(kernelChoiceEpoch());
  for (const l of layers) {
    f(l.params);
    f(l.trainable);
    for (const p of l.params) f(p.value), f(p.grad), f(p.trainable), f(p.value.isDisposed);
  }
}

export class TrainingPlan {
  readonly arena = new Arena();
  /** The step's inputs then its labels, (rows, ...) each, from the arena. */
  private inputs: Tensor[] = [];
  private trace: Trace | null = null;
  private stamp: unknown[] = [];

  constructor(readonly graph: Graph, readonly rows: number) {}

  /** Whether a recorded trace (if any) still computes what the graph would. */
  valid(graph: Graph): boolean {
    if (graph !== this.graph) return false;
    if (!this.trace) return true;
    let i = 0;
    let same = !engine().retired;
    eachDependency(this.graph.layers, (v) => (same &&= v === this.stamp[i++]));
    return same && i === this.stamp.length;
  }

  /**
   * Runs the recorded step on rows order[start .. start+rows) of xs and ys; false when there is no trace
   * or a row's size is not the recorded one (labels of another shape: then the caller runs the step).
   * The model checked the inputs' shapes, which its graph fixes.
   */
  replay(xs: Tensor[], ys: Tensor[], order: Int32Array | null, start: number): boolean {
    const trace = this.trace;
    const sources = xs.concat(ys);
    if (!trace || sources.some((t, i) => t.size / t.shape[0] !== this.inputs[i].size / this.rows)) return false;
    sources.forEach((t, i) => gatherRowsInto(t, order, start, this.inputs[i]));
    engine().replay(trace);
    // Kernels wrote parameters no optimizer marks (batch norm's moving statistics): derived data must see it.
    this.markWeightsWritten();
    return true;
  }

  private markWeightsWritten(): void {
    for (const l of this.graph.layers) for (const p of l.params) p.value.markWritten();
  }

  /** Forgets any trace and its memory; returns the arena for the rows of a step about to be recorded. */
  fresh(): Arena {
    this.dispose();
    return this.arena;
  }

  /**
   * Runs `step` (on `inputs`, gathered into the arena) and records it. Without a trace (the step needed
   * more scratch than the engine had, which it has now) the next step records again.
   */
  record(inputs: Tensor[], step: () => void): void {
    // Everything derived from a weight (Winograd's transformed filters) is made again inside the recording, so
    // that each replay makes it from the weights of its step: a transform found fresh (a predict since the last
    // update, a layer frozen until now) would leave the trace reading filters of weights long gone.
    this.markWeightsWritten();
    const { trace } = engine().record(step, true);
    if (!trace) return;
    this.trace = trace;
    this.inputs = inputs;
    this.stamp = [];
    eachDependency(this.graph.layers, (v) => this.stamp.push(v));
  }

  dispose(): void {
    if (this.trace) this.trace.engine.releaseTrace(this.trace);
    this.trace = null;
    this.inputs = [];
    this.arena.reset();
  }
}
