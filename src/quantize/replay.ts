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
import { Arena, engine, ParamStamp } from './main.js';

export class ProgramReplay {
  private readonly arena = new Arena();
  private input: Tensor | null = null;
  private output: Tensor | null = null;
  private trace: Trace | null = null;
  private readonly stamp = new ParamStamp();

  constructor(
    readonly rows: number,
    private readonly layers: Layer[],
  ) {}

  private valid(): boolean {
    const t = this.trace;
    return !!t && t.engine === engine() && !t.engine.retired && this.stamp.same(this.layers);
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
      this.stamp.take(this.layers);
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
