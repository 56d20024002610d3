// Recorded runs of the quantized program, as predict's inference plans for float models
// (src/model/inference-plan.ts): the first run on `rows` rows records every kernel call it makes, with its
// pointers, activations in the replay's own arena (kept) and scratch in the trace's own block; later runs
// copy the input rows in and replay the calls — no steps, no shape checks, no QTensor objects, no
// allocation. The int8 kernels' weights never change; the trace is made again when a float layer's
// parameter moves (its version, or it was replaced or disposed), the engine was replaced, or a process-wide
// kernel choice changed (forceConv2dPath: a float conv that stays in the program).
import { Tensor } from '../index.js';
import type { Layer } from '../index.js';
import type { Trace } from '../backend/engine.js';
import { Arena, engine, kernelChoiceEpoch } from './main.js';

export class ProgramReplay {
  private readonly arena = new Arena();
  private input: Tensor | null = null;
  private output: Tensor | null = null;
  private trace: Trace | null = null;
  private epoch = -1;
  /** Each layer's params array when the trace was recorded, and per param its version (-1: disposed, as the
   * int8 layers' float kernels are). */
  private paramLists: Layer['params'][] = [];
  private versions: number[] = [];

  constructor(
    readonly rows: number,
    private readonly layers: Layer[],
  ) {}

  // No allocation: at batch 1 this runs once per ~130 us predict (an array-building check took ~5 us).
  private valid(): boolean {
    const t = this.trace;
    if (!t || t.engine !== engine() || t.engine.retired || this.epoch !== kernelChoiceEpoch()) return false;
    let v = 0;
    for (let i = 0; i < this.layers.length; i++) {
      const params = this.layers[i].params;
      if (params !== this.paramLists[i]) return false;
      for (let j = 0; j < params.length; j++) {
        const value = params[j].value;
        if ((value.isDisposed ? -1 : value.version) !== this.versions[v++]) return false;
      }
    }
    return true;
  }

  /**
   * The outputs for rows [at, at + rows) of x: `forward` (the program) is recorded on the first call and
   * replayed after. The result is the replay's own tensor, valid until its next run.
   */
  run(x: Tensor, at: number, forward: (input: Tensor, arena: Arena) => Tensor): Tensor {
    const e = engine();
    const fresh = !this.valid();
    if (fresh) {
      this.release();
      this.input = Tensor.empty([this.rows, ...x.shape.slice(1)], this.arena);
    }
    const input = this.input!;
    const rowSize = input.size / this.rows;
    e.kernels.copy_f32(input.ptr, x.ptr + 4 * at * rowSize, this.rows * rowSize);
    if (fresh) {
      const { result, trace } = e.record(() => forward(input, this.arena));
      this.trace = trace;
      this.output = result;
      this.epoch = kernelChoiceEpoch();
      this.paramLists = this.layers.map((l) => l.params);
      this.versions = this.paramLists.flatMap((ps) => ps.map((p) => (p.value.isDisposed ? -1 : p.value.version)));
    } else e.replay(this.trace!);
    return this.output!;
  }

  private release(): void {
    if (this.trace) this.trace.engine.releaseTrace(this.trace);
    this.trace = null;
    this.arena.reset();
    this.input = this.output = null;
  }

  dispose(): void {
    this.release();
  }
}
