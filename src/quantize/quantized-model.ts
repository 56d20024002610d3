// A quantized model: the float model's layers (for topology, shapes and the layers that stay float) and
// the program that runs them with int8 kernels. Inference only: predict, evaluate, summary, save, dispose.
import { Tensor } from '../index.js';
import type { Layer, LayersModel, Sequential, SaveHandler, ModelArtifacts } from '../index.js';
import { describeValue } from '../describe.js';
import { Arena, checkBatchSize, countCorrect, describeShape, engine, filePathOf, gatherRows, getLoss, sameShape, saveArtifactsToDir } from './main.js';
import { QuantizedProgram, type QuantizationSpec } from './plan.js';
import { ProgramReplay } from './replay.js';
import type { Wiring } from './wiring.js';
import { quantizedArtifacts } from './format.js';

export class QuantizedModel {
  private readonly arena = new Arena();
  private disposed = false;
  /** Recorded runs of the program, per row count (src/quantize/replay.ts); at most two are kept. */
  private replays: ProgramReplay[] = [];

  /**
   * Made by quantize and loadQuantizedModel. Takes ownership of `float` (its int8 layers' float
   * kernels are already freed).
   * @internal
   */
  constructor(
    private readonly float: Sequential | LayersModel,
    private readonly program: QuantizedProgram,
    /** Per-channel or not, the activation parameters, the int8 kernels and their scales. */
    readonly spec: QuantizationSpec,
    /** The loss evaluate() reports (the float model's, or the one given to quantize). */
    readonly lossName: string | null,
    /** The float model's calls and value slots (src/quantize/wiring.ts). */
    private readonly wiring: Wiring,
  ) {}

  get name(): string {
    return this.float.name;
  }

  get layers(): Layer[] {
    return this.float.layers;
  }

  /** Per-sample input shape. */
  get inputShape(): number[] {
    return [...this.wiring.inputShape];
  }

  /** Batch output shape `[null, ...]`. */
  get outputShape(): (number | null)[] {
    return [null, ...this.wiring.outputShape];
  }

  /** Names of the layers that run int8 kernels. */
  get int8Layers(): string[] {
    return this.program.kinds().filter((k) => k.kind === 'int8').map((k) => k.layer.name);
  }

  private live(what: string): void {
    if (this.disposed) throw new Error(`simdnet: ${this.name}.${what}: the quantized model was disposed`);
  }

  private checkInput(x: Tensor, what: string): void {
    this.live(what);
    if (!(x instanceof Tensor)) throw new Error(`simdnet: ${this.name}.${what}: x must be a Tensor (sn.tensor(...)), got ${describeValue(x)}`);
    if (x.rank < 1 || x.shape[0] < 1 || !sameShape(this.inputShape, x.shape.slice(1))) {
      throw new Error(`simdnet: ${this.name}.${what}: the model expects input shape ${describeShape(this.inputShape)} but got [${x.shape}]`);
    }
  }

  /**
   * Rows per run of the program: at most `batchSize`, and few enough that the largest activation of a
   * run stays in cache: 3 MiB per thread counted as f32, ~768 KiB of the bytes the int8 layers write.
   * Every layer computes row by row, so outputs do not depend on it. MNIST's convnet at batch 64 (relaxed,
   * 1 thread, CPU time, interleaved): 16 rows a run (768 KiB counted as f32) 6262 / 6220 µs, the whole 64
   * 6050 / 5989 µs; before the F(4,3) kernels, 8 rows a run beat 64: 5.8 -> 5.2 ms.
   */
  private rowsPerRun(batchSize: number): number {
    const largest = Math.max(...[this.inputShape, ...this.wiring.calls.map((c) => c.outShape)]
      .map((s) => 4 * s.reduce((a, b) => a * b, 1)));
    const rows = Math.max(4, Math.floor((engine().info.threads * 3072 * 1024) / largest));
    // Equal runs: 64 rows at 9 per run would leave a run of 1.
    return Math.ceil(batchSize / Math.ceil(batchSize / rows));
  }

  /** The outputs for rows [at, at + count) of x: the program replayed (recorded on the first run of `count` rows). */
  private runRows(x: Tensor, at: number, count: number): Tensor {
    let replay = this.replays.find((r) => r.rows === count);
    if (!replay) {
      while (this.replays.length >= 2) this.replays.shift()!.dispose();
      replay = new ProgramReplay(count, this.layers);
      this.replays.push(replay);
    }
    return replay.run(x, at, (input, arena) => this.program.run(input, arena));
  }

  /** Outputs for x (N, ...), float32, computed in batches; the caller owns (and disposes) the result. */
  predict(x: Tensor, args: { batchSize?: number } = {}): Tensor {
    this.checkInput(x, 'predict');
    const batchSize = this.rowsPerRun(checkBatchSize(args.batchSize ?? 32, `${this.name}.predict`));
    const n = x.shape[0];
    const out = Tensor.empty([n, ...(this.outputShape.slice(1) as number[])]);
    const rowSize = out.size / n;
    try {
      for (let at = 0; at < n; at += batchSize) {
        const count = Math.min(batchSize, n - at);
        const h = this.runRows(x, at, count);
        engine().kernels.copy_f32(out.ptr + at * rowSize * 4, h.ptr, count * rowSize);
      }
    } catch (e) {
      out.dispose();
      throw e;
    }
    return out;
  }

  /** Mean loss (from the outputs) and accuracy over (x, y): `{ loss, accuracy }`. */
  evaluate(x: Tensor, y: Tensor, args: { batchSize?: number } = {}): { loss: number; accuracy: number } {
    this.checkInput(x, 'evaluate');
    if (!this.lossName) {
      throw new Error(`simdnet: ${this.name}.evaluate: the model has no loss: compile the float model before quantize, or pass { loss } to it`);
    }
    const loss = getLoss(this.lossName);
    if (!(y instanceof Tensor)) throw new Error(`simdnet: ${this.name}.evaluate: y must be a Tensor, got ${describeValue(y)}`);
    const n = x.shape[0];
    loss.checkLabels(y, n, this.outputShape.slice(1) as number[], `${this.name}.evaluate`);
    const batchSize = this.rowsPerRun(checkBatchSize(args.batchSize ?? 32, `${this.name}.evaluate`));
    let lossSum = 0;
    let correct = 0;
    for (let at = 0; at < n; at += batchSize) {
      const count = Math.min(batchSize, n - at);
      try {
        const h = this.runRows(x, at, count);
        const yb = gatherRows(y, null, at, count, this.arena);
        lossSum += loss.compute(h, yb, null) * count;
        correct += countCorrect(h, yb, loss.sparse);
      } finally {
        this.arena.reset();
      }
    }
    return { loss: lossSum / n, accuracy: correct / n };
  }

  /** The Keras-style table with a column saying how each layer runs (int8, fp32, or — for reshapes). */
  summary(printFn: (line: string) => void = console.log): void {
    this.live('summary');
    const widths = [33, 24, 10, 8];
    const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i] - 1) + ' ' : c)).join('');
    const total = widths.reduce((a, b) => a + b, 0);
    printFn(`Model: "${this.name}" (quantized: int8 weights ${this.spec.perChannel ? 'per output channel' : 'per tensor'}, 7-bit activations)`);
    printFn('_'.repeat(total));
    printFn(line(['Layer (type)', 'Output shape', 'Param #', 'Runs']));
    printFn('='.repeat(total));
    const kinds = this.program.kinds();
    kinds.forEach(({ layer, kind }, i) => {
      printFn(line([`${layer.name} (${layer.className})`, describeShape(this.wiring.calls[i].outShape), String(layer.countParams()), kind === 'pass' ? '—' : kind]));
      printFn(i < kinds.length - 1 ? '_'.repeat(total) : '='.repeat(total));
    });
    const int8 = this.int8Layers;
    printFn(`int8 layers: ${int8.length ? int8.join(', ') : 'none'}`);
    printFn(`Total params: ${this.layers.reduce((n, l) => n + l.countParams(), 0).toLocaleString('en-US')}`);
    printFn('_'.repeat(total));
  }

  /**
   * simdnet's quantized layers-model artifacts (see docs/ARCHITECTURE.md: only simdnet loads them, with
   * loadQuantizedModel). With a handler or a 'file://dir' path (Node), also writes them there.
   */
  async save(handlerOrUrl?: SaveHandler | string): Promise<ModelArtifacts> {
    this.live('save');
    const artifacts = quantizedArtifacts(this.float, this.spec, this.lossName);
    if (typeof handlerOrUrl === 'string') {
      // The forms loadQuantizedModel reads: a file: URL, TF.js's file://relative, or a plain path.
      const dir = await filePathOf(handlerOrUrl);
      if (dir === null) {
        throw new Error(`simdnet: ${this.name}.save: only file paths and 'file://<dir>' URLs are supported (Node), got ${describeValue(handlerOrUrl)}`);
      }
      await saveArtifactsToDir(artifacts, dir);
    } else if (handlerOrUrl) await handlerOrUrl.save(artifacts);
    return artifacts;
  }

  /** Frees the packed weights and the float layers; the model cannot be used after. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const r of this.replays) r.dispose();
    this.replays = [];
    this.program.dispose();
    this.float.dispose();
    this.arena.reset();
  }
}
