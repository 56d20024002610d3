// The one training engine: what every model does over its graph (src/model/graph.ts) — compile, fit,
// evaluate, predict, trainOnBatch, weights, save, dispose. `LayersModel` (sn.model) gives it a graph from
// symbolic tensors; `Sequential` gives it the chain of its layers.
//
// One batch: inputs and labels are gathered into the model's arena; the steps run forward in graph
// order, each writing its output into its slot; each output's loss writes d(loss)/d(output) (times its
// loss weight); the steps run backward in reverse order. A slot read by several calls receives the sum of
// their gradients; the first gradient to arrive is kept as it is, so a slot with one reader (a chain)
// costs no copy and no add — the in-place fast path. Parameter gradients are zeroed once per step and
// every call adds into them (a shared layer's calls sum up). One optimizer kernel per parameter, then the
// arena is reset: memory is flat from the second batch on. From the second step of a batch size on, the step
// is recorded once and replayed with its live JS (src/model/training-plan.ts).
import { Arena } from '../backend/arena.js';
import { engine } from '../backend/engine.js';
import { parallelElementwise } from '../backend/split.js';
import { Tensor } from '../tensor.js';
import { describeShape, sameShape, uniqueLayerName } from '../layers/layer.js';
import type { Layer, Param } from '../layers/layer.js';
import { countCorrect } from '../ops/loss.js';
import { addInto, scaleInto } from '../ops/merge.js';
import { getLoss, type Loss, type LossIdentifier } from '../losses/index.js';
import { getOptimizer, Optimizer, type OptimizerName } from '../optimizers/index.js';
import { checkBatchSize, gatherRows } from './batch.js';
import { GENERATED_BY, type ModelArtifacts, type WeightSpec } from './artifacts.js';
import { filePathOf, saveArtifactsToDir } from './io-node.js';
import { fitLoop, type FitArgs, type History, type Logs } from './fit.js';
import { fitDatasetLoop, type BatchSource, type FitDatasetArgs } from './fit-dataset.js';
import type { Graph, Step } from './graph.js';
import type { SymbolicTensor } from './symbolic.js';
import { describeValue } from '../describe.js';
import { firstNonFinite } from '../ops/finite.js';
import { InferencePlan, MAX_PLAN_BYTES } from './inference-plan.js';
import { TrainingPlan, trainingReplays } from './training-plan.js';
import { BatchNormFolds, type FoldAction } from './bn-fold.js';
import { markReluPoolPairs } from './relu-pool.js';
import { convPoolFusion, convPoolPairs, convThenPool, convThenPoolTraining, trainingConvPoolPairs, type ConvPoolAction } from './conv-pool.js';

/** A loss name or a loss object from `sn.losses`. */
export type LossSpec = LossIdentifier | Loss;

/** The metrics `compile({ metrics })` knows. */
export type MetricName = 'accuracy' | 'acc';

export interface CompileArgs {
  /** A name ('sgd', 'adam', 'rmsprop', TF.js defaults) or `sn.optimizers.*(...)`. */
  optimizer: OptimizerName | Optimizer;
  /** One loss for every output, one per output (array), or one per output layer name (object). */
  loss: LossSpec | LossSpec[] | Record<string, LossSpec>;
  /** Only 'accuracy' (alias 'acc') is known; it applies to every output. */
  metrics?: MetricName[];
  /**
   * Keras's loss weights: the total loss is Σ weight·loss. TF.js has none (and refuses files that carry
   * them), so they are never saved.
   */
  lossWeights?: number[] | Record<string, number>;
}

/** model.save's options (TF.js's SaveConfig, plus includeAugmentation). */
export interface SaveOptions {
  /** false: save without the augmentation layers (randomFlip, ...), e.g. for TF.js. Default true. */
  includeAugmentation?: boolean;
}

/** Anything with TF.js's IOHandler `save` method. */
export interface SaveHandler {
  save(artifacts: ModelArtifacts): Promise<unknown> | unknown;
}

/** Inputs or labels: one Tensor, one per input/output in order, or one per input/output layer name. */
export type TensorOrList = Tensor | Tensor[] | Record<string, Tensor>;

/** What a batch reports: the weighted total and, per output, its loss and correct rows. */
export interface BatchResult {
  loss: number;
  perOutput: { loss: number; correct: number }[];
}

export abstract class Model {
  readonly name: string;
  optimizer: Optimizer | null = null;
  /** One loss per output, once compiled. */
  losses: Loss[] = [];
  lossWeights: number[] = [];
  metrics: string[] = [];
  /** Set during fit; `model.stopTraining = true` in a callback ends fit after the current batch. */
  stopTraining = false;
  /** True while fit runs (a second concurrent fit is refused). */
  isTraining = false;
  protected readonly arena = new Arena();
  /** predict's recorded runs, per batch size (src/model/inference-plan.ts). */
  private plans: InferencePlan[] = [];
  /** trainBatch's recorded step (src/model/training-plan.ts), and the batch size of the step before. */
  private trainingPlan: TrainingPlan | null = null;
  private lastRows = 0;
  /** What the last training step reported, and where it was (for its error message). */
  private batch: BatchResult = { loss: 0, perOutput: [] };
  private where = '';
  /** Batch norms folded into the layer before them in predict (src/model/bn-fold.ts). */
  private readonly bnFolds = new BatchNormFolds();
  private disposed = false;

  constructor(name: string | undefined, prefix: string) {
    if (name !== undefined && (typeof name !== 'string' || name === '')) {
      throw new Error(`simdnet: ${prefix}: name must be a non-empty string, got ${describeValue(name)}`);
    }
    this.name = name ?? uniqueLayerName(prefix);
  }

  /** The layers, in TF.js's `model.layers` order. */
  abstract get layers(): Layer[];

  /** The graph to run; builds it when it can (`x` gives the input shapes of a model not built yet). */
  protected abstract graphFor(what: string, xs?: Tensor[]): Graph;

  /** The TF.js layers-model topology JSON of this model; `skipAugmentation` leaves the augmentation layers out. */
  protected abstract topology(graph: Graph, skipAugmentation: boolean): unknown;

  /** The lines of `summary()`. */
  protected abstract summaryTable(graph: Graph): string[];

  /** Throws when the model was disposed: its weights are gone, so any use would read or write freed memory. */
  checkAlive(what: string): void {
    if (this.disposed) throw new Error(`simdnet: model '${this.name}' was disposed; ${what}() needs a live model`);
  }

  /** How messages name a single input: its InputLayer (Sequential names its first layer instead). */
  protected inputLabel(graph: Graph): string {
    return graph.inputLayers[0].name;
  }

  /** The loss of the only output (a single-output model), as Sequential had it. */
  get loss(): Loss | null {
    return this.losses[0] ?? null;
  }

  get inputs(): SymbolicTensor[] {
    return this.graphFor('inputs').inputs;
  }

  get outputs(): SymbolicTensor[] {
    return this.graphFor('outputs').outputs;
  }

  /** Names as TF.js logs use them: the output layers' names. */
  get outputNames(): string[] {
    return this.graphFor('outputNames').outputLayers.map((l) => l.name);
  }

  get inputNames(): string[] {
    return this.graphFor('inputNames').inputLayers.map((l) => l.name);
  }

  /** A layer by name or by index (TF.js `getLayer`). */
  getLayer(nameOrIndex: string | number): Layer {
    this.checkAlive('getLayer');
    const layers = this.layers;
    const layer = typeof nameOrIndex === 'number' ? layers[nameOrIndex] : layers.find((l) => l.name === nameOrIndex);
    if (!layer) {
      const what = describeValue(nameOrIndex);
      throw new Error(`simdnet: ${this.name} has no layer ${what} (layers: ${layers.map((l) => l.name).join(', ')})`);
    }
    return layer;
  }

  compile(args: CompileArgs): void {
    this.checkAlive('compile');
    if (!args || typeof args !== 'object') throw new Error(`simdnet: ${this.name}.compile expects { optimizer, loss, metrics? }, got ${describeValue(args)}`);
    const graph = this.graphFor('compile');
    const names = graph.outputLayers.map((l) => l.name);
    const losses = perOutput(args.loss, names, `${this.name}.compile: loss`).map((l) => getLoss(l as LossSpec));
    const weights = args.lossWeights === undefined ? names.map(() => 1) : perOutput(args.lossWeights, names, `${this.name}.compile: lossWeights`);
    weights.forEach((w, i) => {
      if (typeof w !== 'number' || !Number.isFinite(w)) {
        throw new Error(`simdnet: ${this.name}.compile: lossWeights for ${names[i]} must be a finite number, got ${describeValue(w)}`);
      }
    });
    const optimizer = getOptimizer(args.optimizer);
    if (args.metrics !== undefined && !Array.isArray(args.metrics)) {
      throw new Error(`simdnet: ${this.name}.compile: metrics must be an array such as ['accuracy'], got ${describeValue(args.metrics)}`);
    }
    const metrics = (args.metrics ?? []).map((m) => {
      if (m === 'accuracy' || m === 'acc') return 'acc';
      throw new Error(`simdnet: ${this.name}.compile: unknown metric ${describeValue(m)} (known: accuracy)`);
    });
    if (this.optimizer && this.optimizer !== optimizer) this.optimizer.dispose();
    this.dropTrainingPlan(); // the losses decide the recorded forward (a fused softmax)
    this.losses = losses;
    this.lossWeights = weights as number[];
    this.optimizer = optimizer;
    this.metrics = metrics;
  }

  requireCompiled(what: string): void {
    if (this.losses.length === 0 || !this.optimizer) {
      throw new Error(`simdnet: ${this.name}.${what}: call model.compile({ optimizer, loss }) first`);
    }
  }

  // ---- checks (run before anything is written, so a bad call changes nothing) ----

  /** The input tensors in graph order, checked against the inputs' shapes; builds the model if it can. */
  inputList(x: TensorOrList, what: string): Tensor[] {
    const pre = this.toList(x, null, 'x', what);
    const graph = this.graphFor(what, pre ?? undefined);
    const names = graph.inputLayers.map((l) => l.name);
    const list = this.toList(x, names, 'x', what)!;
    let n = -1;
    list.forEach((t, i) => {
      const want = graph.inputs[i].sampleShape;
      const where = list.length > 1 ? `${names[i]} (input ${i})` : this.inputLabel(graph);
      if (t.rank < 1 || t.shape[0] < 1) {
        throw new Error(`simdnet: ${this.name}.${what}: ${where} expects input shape ${describeShape(want)} but got [${t.shape}] (no samples)`);
      }
      if (!sameShape(want, t.shape.slice(1))) {
        throw new Error(`simdnet: ${this.name}.${what}: ${where} expects input shape ${describeShape(want)} but got [${t.shape}]`);
      }
      if (n >= 0 && t.shape[0] !== n) {
        throw new Error(`simdnet: ${this.name}.${what}: the inputs have different sample counts: ${list.map((u) => `[${u.shape}]`).join(', ')}`);
      }
      n = t.shape[0];
    });
    return list;
  }

  /** Throws naming the input and sample when x holds a NaN or ±Infinity (one pass in wasm): it would poison every weight. */
  checkFiniteInputs(xs: Tensor[], what: string): void {
    xs.forEach((x, k) => {
      const i = firstNonFinite(x);
      if (i >= 0) {
        const sample = Math.floor(i / (x.size / x.shape[0]));
        const label = xs.length > 1 ? `x[${k}]` : 'x';
        throw new Error(`simdnet: ${this.name}.${what}: ${label} must be finite, but sample ${sample} has ${x.view()[i]} (flat index ${i})`);
      }
    });
  }

  /** The label tensors in output order, each checked by its output's loss. */
  labelList(y: TensorOrList, n: number, what: string): Tensor[] {
    const graph = this.graphFor(what);
    const names = graph.outputLayers.map((l) => l.name);
    const list = this.toList(y, names, 'y', what)!;
    list.forEach((t, i) => {
      this.losses[i].checkLabels(t, n, graph.outputs[i].sampleShape, `${this.name}.${what} (${names[i]})`);
    });
    return list;
  }

  /**
   * One Tensor, an array (in order) or an object keyed by `names`, as a checked list. With names null,
   * only an array or one Tensor can be read (before the graph is known); returns null for an object.
   */
  private toList(v: TensorOrList, names: string[] | null, what: 'x' | 'y', who: string): Tensor[] | null {
    let list: unknown[];
    if (v instanceof Tensor) list = [v];
    else if (Array.isArray(v)) list = v;
    else if (isPlainObject(v)) {
      if (!names) return null;
      const rec = v as Record<string, unknown>;
      const unknown = Object.keys(rec).filter((k) => !names.includes(k));
      if (unknown.length) throw new Error(`simdnet: ${this.name}.${who}: ${what} names ${shortList(unknown)}, which are not among ${shortList(names)}`);
      list = names.map((k) => {
        if (!(k in rec)) throw new Error(`simdnet: ${this.name}.${who}: ${what} has no tensor for '${k}'`);
        return rec[k];
      });
    } else throw new Error(`simdnet: ${this.name}.${who}: ${what} must be a Tensor (sn.tensor(...)), got ${describeValue(v)}`);
    if (names && list.length !== names.length) {
      throw new Error(
        `simdnet: ${this.name}.${who}: the model has ${names.length} ${what === 'x' ? 'inputs' : 'outputs'} (${names.join(', ')}) but ${what} has ${list.length} tensors`,
      );
    }
    list.forEach((t, i) => {
      const label = list.length > 1 ? `${what}[${i}]` : what;
      if (!(t instanceof Tensor)) throw new Error(`simdnet: ${this.name}.${who}: ${label} must be a Tensor (sn.tensor(...)), got ${describeValue(t)}`);
      if (t.isDisposed) throw new Error(`simdnet: ${this.name}.${who}: ${label} (a Tensor [${t.shape}]) was disposed`);
    });
    return list as Tensor[];
  }

  // ---- one batch ----

  /** Whether output k's loss takes the logits of its softmax (fused): only when nothing else reads that output. */
  private fusedOutputs(graph: Graph): boolean[] {
    return graph.outputs.map((t, k) => {
      const loss = this.losses[k];
      const slot = graph.outputSlots[k];
      const producer = graph.steps.find((s) => s.outSlot === slot);
      return !!loss && loss.fusesWithSoftmax && !!producer && producer.layer.hasSoftmaxOutput && graph.readers[slot] === 1;
    });
  }

  /** What predict's steps do instead of their plain forward: batch norms folded, conv → max pool fused. */
  private inferenceActions(graph: Graph): Map<Step, FoldAction | ConvPoolAction> {
    const actions: Map<Step, FoldAction | ConvPoolAction> = new Map(this.bnFolds.of(graph));
    if (!convPoolFusion()) return actions;
    for (const [conv, pool] of convPoolPairs(graph)) {
      if (actions.has(conv) || actions.has(pool)) continue;
      actions.set(conv, { kind: 'maxpool2', pool });
      actions.set(pool, { kind: 'identity' });
    }
    return actions;
  }

  /** What training's steps do instead of their plain forward: a first conv → max pool fused (src/model/conv-pool.ts). */
  private trainingActions(graph: Graph): Map<Step, FoldAction | ConvPoolAction> | null {
    if (!convPoolFusion()) return null;
    const actions: Map<Step, FoldAction | ConvPoolAction> = new Map();
    for (const [conv, pool] of trainingConvPoolPairs(graph)) {
      actions.set(conv, { kind: 'maxpool2', pool });
      actions.set(pool, { kind: 'identity' });
    }
    return actions;
  }

  /** Runs every step forward on the gathered inputs; returns the slot values. */
  private forward(
    graph: Graph, xs: Tensor[], training: boolean, fused: boolean[] | null, arena = this.arena, folds: Map<Step, FoldAction | ConvPoolAction> | null = null,
  ): (Tensor | null)[] {
    const values: (Tensor | null)[] = new Array(graph.slotCount).fill(null);
    graph.inputSlots.forEach((s, i) => (values[s] = xs[i]));
    const logitsSlots = new Set<number>();
    if (fused) fused.forEach((f, k) => f && logitsSlots.add(graph.outputSlots[k]));
    markReluPoolPairs(graph, training);
    for (const step of graph.steps) {
      const node = step.node;
      node.training = training;
      node.logits = logitsSlots.has(step.outSlot);
      const inputs = step.inSlots.map((s) => values[s]!);
      const fold = folds?.get(step);
      if (fold?.kind === 'identity') values[step.outSlot] = inputs[0]; // folded into the step before
      else if (fold?.kind === 'maxpool2') {
        values[step.outSlot] = training ? convThenPoolTraining(step, fold.pool, inputs[0], arena) : convThenPool(step, fold.pool, inputs[0], node, arena);
      }
      else if (fold) values[step.outSlot] = this.bnFolds.forward(step.layer, fold, inputs[0], node, arena);
      else values[step.outSlot] = step.layer.callForward(inputs, node, arena);
    }
    return values;
  }

  /**
   * Ends the batch's arena (its memory kept for the next batch: Arena.recycle) and forgets what the graph's
   * nodes kept from it.
   */
  private endBatch(graph: Graph | null): void {
    if (graph) for (const step of graph.steps) step.node.clear();
    this.arena.recycle(); // the next batch reuses this one's memory: no allocator call per tensor
  }

  /**
   * Gives back the memory kept for the next batch's activations and gradients (the arena's chunk and the
   * training plan): at the end of fit() and fitDataset(); evaluate() gives back the arena's. trainOnBatch()
   * keeps both for the next call; dispose() frees them.
   */
  releaseBatchMemory(): void {
    this.arena.reset();
    this.dropTrainingPlan();
  }

  /** The parameters training moves: those of trainable layers, each once (a shared layer appears once). */
  private trainableParams(graph: Graph): Param[] {
    return graph.layers.flatMap((l) => (l.trainable ? l.params.filter((p) => p.trainable && p.grad) : []));
  }

  /**
   * Forward, losses, backward and one optimizer step on rows order[start .. start+count) of xs and ys.
   * Only scalars cross into JS. A non-finite loss throws before backward, so the weights stay as they were
   * before this batch; `where` ("epoch 3, batch 17") goes into that message. From the second step of a
   * batch size on, the step is recorded once and replayed (src/model/training-plan.ts).
   */
  trainBatch(xs: Tensor[], ys: Tensor[], order: Int32Array | null, start: number, count: number, where = ''): BatchResult {
    // The step's kernels come back to back; workers asleep since the last step would make its first wait.
    engine().wakeWorkers();
    const graph = this.graphFor('fit');
    this.where = where;
    const plan = this.trainingPlanFor(graph, count);
    try {
      if (plan?.replay(xs, ys, order, start)) return this.batch;
      const arena = plan ? plan.fresh() : this.arena;
      const xb = xs.map((x) => gatherRows(x, order, start, count, arena));
      const yb = ys.map((y) => gatherRows(y, order, start, count, arena));
      const step = (): void => this.step(graph, xb, yb, arena);
      if (plan) plan.record(xb.concat(yb), step);
      else step();
      return this.batch;
    } finally {
      this.endBatch(graph);
    }
  }

  /**
   * The training plan for a step of `rows` rows, or null: a plan is made for a batch size seen twice in a
   * row (the first step sizes the scratch the recording starts with), and kept while it stays valid.
   */
  private trainingPlanFor(graph: Graph, rows: number): TrainingPlan | null {
    let plan = this.trainingPlan;
    if (plan && !plan.valid(graph)) plan = this.dropTrainingPlan();
    const seen = this.lastRows;
    this.lastRows = rows;
    if (plan?.rows === rows) return plan;
    if (rows !== seen || !trainingReplays(graph)) return null;
    this.dropTrainingPlan();
    return (this.trainingPlan = new TrainingPlan(graph, rows));
  }

  private dropTrainingPlan(): null {
    this.trainingPlan?.dispose();
    return (this.trainingPlan = null);
  }

  /**
   * One step on gathered rows: forward, the losses (read back, and a non-finite total refused before
   * anything is written), backward, weight penalties and the optimizer's update; the result in `batch`.
   * What must run afresh when the step is replayed goes through `engine().live`.
   */
  private step(graph: Graph, xb: Tensor[], yb: Tensor[], arena: Arena): void {
    const e = engine();
    const fused = this.fusedOutputs(graph);
    const values = this.forward(graph, xb, true, fused, arena, this.trainingActions(graph));
    const outs = graph.outputSlots.map((slot) => values[slot]!);
    const dys = outs.map((h) => Tensor.empty(h.shape, arena));
    e.live(() => {
      let total = 0;
      const perOutput = outs.map((h, k) => {
        const loss = this.losses[k];
        const value = fused[k] ? loss.computeFromLogits(h, yb[k], dys[k]) : loss.compute(h, yb[k], dys[k]);
        const w = this.lossWeights[k];
        if (w !== 1) scaleInto(dys[k], dys[k], w);
        total += w * value;
        return { loss: value, correct: this.metrics.length ? countCorrect(h, yb[k], loss.sparse) : 0 };
      });
      if (!Number.isFinite(total)) {
        const error = new Error(
          `simdnet: ${this.name}: the loss is ${total}${this.where ? ` at ${this.where}` : ''}; training stopped before that batch's update, ` +
            `so the weights are those from before it. Look for NaN or Infinity in the inputs and labels, or lower the learning rate (${this.optimizer!.learningRate}).`,
        );
        throw Object.assign(error, { nonFiniteLoss: total }); // fit's terminateOnNaN reads it
      }
      this.batch = { loss: total, perOutput };
    });
    const grads: (Tensor | null)[] = new Array(graph.slotCount).fill(null);
    // A gradient arriving at a slot: kept as it is when it is the first (one reader: no copy, no add),
    // else added into the sum (every gradient is owned by its receiver, so the sum may be written in place).
    const receive = (slot: number, g: Tensor): void => {
      const have = grads[slot];
      if (!have) grads[slot] = g;
      else addInto(have, have, g);
    };
    dys.forEach((dy, k) => receive(graph.outputSlots[k], dy));
    // Parameter gradients: zeroed once per step (across the pool where large: a 784x512 kernel's 1.6 MB),
    // then every call's backward adds into them.
    for (const layer of graph.layers) {
      if (layer.trainable) for (const p of layer.params) if (p.grad) parallelElementwise('fill_f32', [p.grad.ptr], p.grad.size, [0]);
    }
    for (let i = graph.steps.length - 1; i >= 0; i--) {
      const step = graph.steps[i];
      const dy = grads[step.outSlot];
      if (!dy) continue; // nothing downstream reached the loss
      const dxs = step.layer.callBackward(dy, step.node, arena, step.needDx);
      dxs.forEach((dx, j) => {
        if (dx && step.needDx[j]) receive(step.inSlots[j], dx);
      });
    }
    const params = this.trainableParams(graph);
    e.live(() => {
      // Weight penalties (sn.regularizers): their gradients join the parameters', their sum the loss (as TF.js).
      for (const layer of graph.layers) if (layer.trainable) this.batch.loss += layer.regularize();
      this.optimizer!.applyGradients(params);
    });
  }

  /** Mean losses and correct fractions over rows [start, start+n), in batches (no training). */
  evaluateRows(xs: Tensor[], ys: Tensor[], order: Int32Array | null, start: number, n: number, batchSize: number): BatchResult {
    const graph = this.graphFor('evaluate');
    const fused = this.fusedOutputs(graph);
    let total = 0;
    const sums = graph.outputs.map(() => ({ loss: 0, correct: 0 }));
    for (let at = start; at < start + n; at += batchSize) {
      const count = Math.min(batchSize, start + n - at);
      try {
        const xb = xs.map((x) => gatherRows(x, order, at, count, this.arena));
        const yb = ys.map((y) => gatherRows(y, order, at, count, this.arena));
        const values = this.forward(graph, xb, false, fused);
        graph.outputSlots.forEach((slot, k) => {
          const h = values[slot]!;
          const loss = this.losses[k];
          const value = fused[k] ? loss.computeFromLogits(h, yb[k], null) : loss.compute(h, yb[k], null);
          sums[k].loss += value * count;
          total += this.lossWeights[k] * value * count;
          sums[k].correct += countCorrect(h, yb[k], loss.sparse);
        });
      } finally {
        this.endBatch(graph);
      }
    }
    return { loss: total / n, perOutput: sums.map((s) => ({ loss: s.loss / n, correct: s.correct })) };
  }

  /**
   * Logs named as TF.js names them: `loss` (and `acc`) for one output; with several, also
   * `<output>_loss` (and `<output>_acc`) for each. `count` turns correct rows into a fraction.
   */
  logsOf(r: BatchResult, count: number, prefix = ''): Logs {
    const logs: Logs = { [`${prefix}loss`]: r.loss };
    const names = this.outputNames;
    if (names.length === 1) {
      if (this.metrics.length) logs[`${prefix}acc`] = r.perOutput[0].correct / count;
      return logs;
    }
    names.forEach((name, k) => (logs[`${prefix}${name}_loss`] = r.perOutput[k].loss));
    if (this.metrics.length) names.forEach((name, k) => (logs[`${prefix}${name}_acc`] = r.perOutput[k].correct / count));
    return logs;
  }

  // ---- public API ----

  fit(x: TensorOrList, y: TensorOrList, args: FitArgs = {}): Promise<History> {
    return fitLoop(this, x, y, args);
  }

  /**
   * TF.js's fitDataset: batches from a dataset (`iterator()`) or any (async) iterable of `{ xs, ys }`;
   * each batch's tensors are disposed after its step (src/model/fit-dataset.ts).
   */
  fitDataset(dataset: BatchSource, args: FitDatasetArgs): Promise<History> {
    return fitDatasetLoop(this, dataset, args);
  }

  /**
   * One optimizer step on the whole of (x, y) as a single batch, as TF.js's `trainOnBatch`: resolves to the
   * loss, or `[loss, ...per-output losses, ...accuracies]` in TF.js's order when there is more to report.
   * The model keeps the batch's working memory for the next call (fit() gives it back at its end; dispose() frees it).
   */
  async trainOnBatch(x: TensorOrList, y: TensorOrList): Promise<number | number[]> {
    this.checkAlive('trainOnBatch');
    this.requireCompiled('trainOnBatch');
    if (this.isTraining) throw new Error(`simdnet: ${this.name}.trainOnBatch: a fit() on this model is still running`);
    const xs = this.inputList(x, 'trainOnBatch');
    const n = xs[0].shape[0];
    const ys = this.labelList(y, n, 'trainOnBatch');
    this.checkFiniteInputs(xs, 'trainOnBatch');
    const r = this.trainBatch(xs, ys, null, 0, n);
    const values = Object.values(this.logsOf(r, n));
    return values.length === 1 ? values[0] : values;
  }

  /**
   * Mean loss and accuracy over (x, y). One output: `{ loss, accuracy }`; several: TF.js's log names
   * (`loss`, `<output>_loss`, `<output>_acc`).
   */
  evaluate(x: TensorOrList, y: TensorOrList, args: { batchSize?: number } = {}): Logs & { loss: number } {
    this.checkAlive('evaluate');
    this.requireCompiled('evaluate');
    const batchSize = checkBatchSize(optionsObject(args, `${this.name}.evaluate`).batchSize ?? 32, `${this.name}.evaluate`);
    const xs = this.inputList(x, 'evaluate');
    const n = xs[0].shape[0];
    const ys = this.labelList(y, n, 'evaluate');
    this.checkFiniteInputs(xs, 'evaluate');
    let r: BatchResult;
    try {
      r = this.evaluateRows(xs, ys, null, 0, n, batchSize);
    } finally {
      this.arena.reset();
    }
    if (this.outputNames.length === 1) return { loss: r.loss, accuracy: r.perOutput[0].correct / n };
    const logs = this.logsOf(r, n);
    return logs as Logs & { loss: number };
  }

  /**
   * Outputs for x, computed in batches: a Tensor (one output) or one per output. The caller owns the
   * returned tensors (dispose them).
   */
  predict(x: TensorOrList, args: { batchSize?: number } = {}): Tensor | Tensor[] {
    this.checkAlive('predict');
    const batchSize = checkBatchSize(optionsObject(args, `${this.name}.predict`).batchSize ?? 32, `${this.name}.predict`);
    const xs = this.inputList(x, 'predict');
    const graph = this.graphFor('predict');
    const n = xs[0].shape[0];
    const outs: Tensor[] = [];
    const forward = (inputs: Tensor[], arena: Arena): Tensor[] => {
      try {
        const values = this.forward(graph, inputs, false, null, arena, this.inferenceActions(graph));
        return graph.outputSlots.map((slot) => values[slot]!);
      } finally {
        for (const step of graph.steps) step.node.clear();
      }
    };
    try {
      for (const t of graph.outputs) outs.push(Tensor.empty([n, ...t.sampleShape]));
      for (let at = 0; at < n; at += batchSize) {
        const count = Math.min(batchSize, n - at);
        const plan = this.planFor(graph, count);
        try {
          plan.run(xs, at, outs, forward);
        } catch (e) {
          this.dropPlan(plan);
          throw e;
        }
        if (plan.bytes > MAX_PLAN_BYTES) this.dropPlan(plan);
      }
    } catch (e) {
      for (const t of outs) t.dispose();
      throw e;
    }
    return outs.length === 1 ? outs[0] : outs;
  }

  /** The inference plan for batches of `rows` rows (src/model/inference-plan.ts); at most two are kept. */
  private planFor(graph: Graph, rows: number): InferencePlan {
    let plan = this.plans.find((p) => p.rows === rows && p.graph === graph);
    if (plan) return plan;
    while (this.plans.length >= 2) this.dropPlan(this.plans[0]);
    plan = new InferencePlan(graph, rows);
    this.plans.push(plan);
    return plan;
  }

  private dropPlan(plan: InferencePlan): void {
    plan.dispose();
    this.plans = this.plans.filter((p) => p !== plan);
  }

  /** Prints the Keras-style table (to console.log, or to printFn line by line). */
  summary(printFn: (line: string) => void = console.log): void {
    this.checkAlive('summary');
    if (typeof printFn !== 'function') throw new Error(`simdnet: ${this.name}.summary: printFn must be a function, got ${describeValue(printFn)}`);
    for (const line of this.summaryTable(this.graphFor('summary'))) printFn(line);
  }

  countParams(): number {
    this.checkAlive('countParams');
    return this.graphFor('countParams').layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Parameters in TF.js order: trainable ones layer by layer, then the others (batch-norm statistics). */
  protected orderedParams(): { layer: Layer; param: Param }[] {
    const all = this.graphFor('weights').layers.flatMap((layer) => layer.params.map((param) => ({ layer, param })));
    const trainable = (e: { layer: Layer; param: Param }): boolean => e.param.trainable && e.layer.trainable;
    return [...all.filter(trainable), ...all.filter((e) => !trainable(e))];
  }

  /** Copies of the weights, in TF.js order (the caller owns and disposes them). */
  getWeights(): Tensor[] {
    this.checkAlive('getWeights');
    return this.orderedParams().map((e) => e.param.value.clone());
  }

  /** Copies `weights` (TF.js order) into the model; checks every count and shape before writing any. */
  setWeights(weights: Tensor[]): void {
    this.checkAlive('setWeights');
    const params = this.orderedParams();
    if (!Array.isArray(weights) || weights.length !== params.length) {
      throw new Error(
        `simdnet: ${this.name}.setWeights expects ${params.length} tensors (${params.map((e) => `${e.layer.name}/${e.param.name}`).join(', ')}) but got ${Array.isArray(weights) ? weights.length : describeValue(weights)}`,
      );
    }
    params.forEach((e, i) => {
      const w = weights[i];
      if (!(w instanceof Tensor) || w.isDisposed) {
        throw new Error(`simdnet: ${this.name}.setWeights: weight ${i} (${e.layer.name}/${e.param.name}) is not a live Tensor`);
      }
      if (!sameShape(w.shape, e.param.value.shape)) {
        throw new Error(
          `simdnet: ${this.name}.setWeights: ${e.layer.name}/${e.param.name} expects shape [${e.param.value.shape}] but weight ${i} has shape [${w.shape}]`,
        );
      }
    });
    const k = engine().kernels;
    params.forEach((e, i) => {
      k.copy_f32(e.param.value.ptr, weights[i].ptr, weights[i].size);
      e.param.value.markWritten();
    });
  }

  /** Weight specs and values in TF.js order, named `<layer>/<param>`. */
  namedWeights(): { spec: WeightSpec; tensor: Tensor }[] {
    this.checkAlive('namedWeights');
    return this.orderedParams().map((e) => ({
      spec: { name: `${e.layer.name}/${e.param.name}`, shape: [...e.param.value.shape], dtype: 'float32' },
      tensor: e.param.value,
    }));
  }

  /** The saved training config (TF.js form); loss weights are left out, as TF.js refuses them. */
  protected trainingConfig(): Record<string, unknown> | undefined {
    if (this.losses.length === 0 || !this.optimizer) return undefined;
    const names = this.outputNames;
    const loss =
      this.losses.length === 1 || this.losses.every((l) => l === this.losses[0])
        ? this.losses[0].name
        : Object.fromEntries(names.map((n, i) => [n, this.losses[i].name]));
    return {
      loss,
      metrics: this.metrics.length ? ['accuracy'] : [],
      optimizer_config: { class_name: this.optimizer.className, config: this.optimizer.getConfig() },
    };
  }

  /**
   * The TF.js layers-model artifacts (topology, weight specs, one weight buffer). With a handler (TF.js
   * IOHandler) or a 'file://dir' path in Node, also writes them there. `{ includeAugmentation: false }`
   * leaves out the augmentation layers (identity at inference; TF.js has no class for them), so a model
   * trained with them loads in TF.js.
   */
  async save(handlerOrUrl?: SaveHandler | string, options: SaveOptions = {}): Promise<ModelArtifacts> {
    this.checkAlive('save');
    const skip = optionsObject(options, `${this.name}.save`).includeAugmentation === false;
    if (handlerOrUrl !== undefined && typeof handlerOrUrl !== 'string' && typeof (handlerOrUrl as SaveHandler)?.save !== 'function') {
      throw new Error(`simdnet: ${this.name}.save: expects a 'file://<dir>' path or a handler with save(), got ${describeValue(handlerOrUrl)}`);
    }
    const graph = this.graphFor('save');
    const named = this.namedWeights();
    const total = named.reduce((n, w) => n + w.tensor.size, 0);
    const data = new Float32Array(total);
    let at = 0;
    for (const w of named) {
      data.set(w.tensor.view(), at);
      at += w.tensor.size;
    }
    const artifacts: ModelArtifacts = {
      modelTopology: this.topology(graph, skip),
      format: 'layers-model',
      generatedBy: GENERATED_BY,
      convertedBy: null,
      weightSpecs: named.map((w) => w.spec),
      weightData: data.buffer,
    };
    const training = this.trainingConfig();
    if (training) artifacts.trainingConfig = training;
    if (typeof handlerOrUrl === 'string') {
      // A file: URL as loadModel reads it (%-escapes decoded) or TF.js's file://relative. A bare string is not
      // taken as a path: a mistyped handler name must not write a model into the working directory.
      const dir = handlerOrUrl.startsWith('file:') ? await filePathOf(handlerOrUrl) : null;
      if (dir === null) {
        throw new Error(`simdnet: ${this.name}.save: only 'file://<dir>' paths and file: URLs are supported (Node), got ${describeValue(handlerOrUrl)}`);
      }
      await saveArtifactsToDir(artifacts, dir);
    } else if (handlerOrUrl) await handlerOrUrl.save(artifacts);
    return artifacts;
  }

  /** Frees every weight, gradient and optimizer state; any later use of the model throws. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    if (this.isTraining) {
      throw new Error(`simdnet: ${this.name}.dispose: fit() is still running; set model.stopTraining = true and await it first`);
    }
    this.disposed = true;
    for (const p of this.plans) p.dispose();
    this.plans = [];
    this.dropTrainingPlan();
    this.bnFolds.dispose();
    for (const l of this.layers) l.dispose();
    this.optimizer?.dispose();
    this.arena.reset();
  }
}

/** A value per output: one for all, an array in output order, or an object keyed by output layer name. */
function perOutput<T>(v: T | T[] | Record<string, T>, names: string[], who: string): T[] {
  if (Array.isArray(v)) {
    if (v.length !== names.length) throw new Error(`simdnet: ${who} has ${v.length} entries but the model has ${names.length} outputs (${names.join(', ')})`);
    return v;
  }
  if (v && typeof v === 'object' && !isLossObject(v) && !ArrayBuffer.isView(v)) {
    const rec = v as Record<string, T>;
    const unknown = Object.keys(rec).filter((k) => !names.includes(k));
    if (unknown.length) throw new Error(`simdnet: ${who} names ${shortList(unknown)}, which are not outputs (${shortList(names)})`);
    return names.map((n) => {
      if (!(n in rec)) throw new Error(`simdnet: ${who} has no entry for output '${n}'`);
      return rec[n];
    });
  }
  return names.map(() => v as T);
}

/** A `{ name: tensor }` object (not a typed array, Tensor or other class instance). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** At most 8 names, for messages. */
function shortList(names: string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length} in all)` : names.join(', ');
}

function isLossObject(v: unknown): boolean {
  return typeof (v as Loss).compute === 'function';
}

/** The options argument of evaluate/predict: undefined or a plain object. */
export function optionsObject<T extends object>(args: T | undefined, who: string): Partial<T> {
  if (args === undefined) return {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`simdnet: ${who}: options must be an object such as { batchSize: 32 }, got ${describeValue(args)}`);
  }
  return args;
}
