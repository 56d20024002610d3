// Inference plans: predict on a fixed batch size reuses a recorded run of the graph, so a batch of one
// costs its kernels and little else.
//
// The first predict of a model for `rows` rows runs the graph forward as usual, inside `engine().record`:
// every kernel call it makes (with its pointers) is kept, the activations come from the plan's own arena
// (kept, not reset) and the ops' scratch from a block of the plan's own. Later predicts copy the input rows
// into the plan's input tensors, replay the calls and copy the outputs out: no shape checks, no path
// choices, no allocation, no garbage. What the ops prepared once per weight version (Winograd filter
// transforms) is in the trace as pointers to the layer's plan, so the trace is remade when
//   - a parameter's `version` moves (fit, setWeights, loading weights, Tensor.set/view on a weight),
//   - a layer's parameters were replaced (unbuilt/rebuilt) or disposed,
//   - the engine was replaced, or a kernel choice changed (`forceConv2dPath`).
// Layers must compute their inference forward through kernels only (see Layer.forward's contract): a
// decision taken in JS from tensor values would not be replayed.
import { Arena } from '../backend/arena.js';
import { engine, type Trace } from '../backend/engine.js';
import { Tensor } from '../tensor.js';
import type { Layer } from '../layers/layer.js';
import { ParamStamp } from './param-stamp.js';
import type { Graph } from './graph.js';

/** Activations above this many bytes are not kept between calls (the plan runs once and is dropped). */
export const MAX_PLAN_BYTES = 64 << 20;

export class InferencePlan {
  private readonly arena = new Arena();
  private inputs: Tensor[] = [];
  private outputs: Tensor[] = [];
  private trace: Trace | null = null;
  private readonly stamp = new ParamStamp();
  private readonly layers: Layer[];
  /** Bytes of the activations and scratch the plan holds. */
  bytes = 0;

  constructor(readonly graph: Graph, readonly rows: number) {
    this.layers = graph.layers;
  }

  /** Whether the recorded trace still computes what the graph would. */
  private valid(): boolean {
    const t = this.trace;
    return !!t && t.engine === engine() && !t.engine.retired && this.stamp.same(this.layers);
  }

  /**
   * Outputs for rows [at, at + rows) of xs, copied into `outs` (each (N, ...)) at row `at`. `forward` runs
   * the graph on inputs from the given arena and returns the output tensors.
   */
  run(xs: Tensor[], at: number, outs: Tensor[], forward: (inputs: Tensor[], arena: Arena) => Tensor[]): void {
    const e = engine();
    const k = e.kernels;
    const fresh = !this.valid();
    if (fresh) {
      this.release();
      this.inputs = xs.map((x) => Tensor.empty([this.rows, ...x.shape.slice(1)], this.arena));
    }
    for (let i = 0; i < xs.length; i++) {
      const rowSize = this.inputs[i].size / this.rows;
      k.copy_f32(this.inputs[i].ptr, xs[i].ptr + 4 * at * rowSize, this.rows * rowSize);
    }
    if (fresh) {
      const before = e.heap.bytesInUse;
      const { result, trace } = e.record(() => forward(this.inputs, this.arena));
      this.trace = trace;
      this.outputs = result;
      this.stamp.take(this.layers);
      this.bytes = e.heap.bytesInUse - before;
    } else e.replay(this.trace!);
    for (let j = 0; j < outs.length; j++) {
      const rowSize = this.outputs[j].size / this.rows;
      k.copy_f32(outs[j].ptr + 4 * at * rowSize, this.outputs[j].ptr, this.rows * rowSize);
    }
  }

  private release(): void {
    if (this.trace) this.trace.engine.releaseTrace(this.trace);
    this.trace = null;
    this.arena.reset();
    this.inputs = [];
    this.outputs = [];
    this.bytes = 0;
  }

  dispose(): void {
    this.release();
  }
}
