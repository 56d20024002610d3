// Sequential: a stack of layers trained with backpropagation. Weights live in linear memory for the
// model's life; each batch's activations and gradients come from one arena that is reset after the batch.
import { Arena } from '../backend/arena.js';
import { engine } from '../backend/engine.js';
import { Tensor } from '../tensor.js';
import { Layer, describeShape, sameShape, uniqueLayerName } from '../layers/layer.js';
import type { Param } from '../layers/layer.js';
import { Node } from '../layers/node.js';
import { countCorrect } from '../ops/loss.js';
import { getLoss, type Loss, type LossIdentifier } from '../losses/index.js';
import { getOptimizer, Optimizer, type OptimizerName } from '../optimizers/index.js';
import { checkBatchSize, gatherRows } from './batch.js';
import { summaryLines } from './summary.js';
import { topologyOf } from './topology.js';
import { GENERATED_BY, type ModelArtifacts, type WeightSpec } from './artifacts.js';
import { saveArtifactsToDir } from './io-node.js';
import { fitLoop, type FitArgs, type History } from './fit.js';
import { firstNonFinite } from '../ops/finite.js';
import { describeValue } from '../describe.js';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

/** The metrics `compile({ metrics })` knows. */
export type MetricName = 'accuracy' | 'acc';

export interface CompileArgs {
  /** A name ('sgd', 'adam', 'rmsprop', TF.js defaults) or `sn.optimizers.*(...)`. */
  optimizer: OptimizerName | Optimizer;
  /** A loss name or a loss object from `sn.losses`. */
  loss: LossIdentifier | Loss;
  /** Only 'accuracy' (alias 'acc') is known. */
  metrics?: MetricName[];
}

/** Anything with TF.js's IOHandler `save` method. */
export interface SaveHandler {
  save(artifacts: ModelArtifacts): Promise<unknown> | unknown;
}

export class Sequential {
  readonly name: string;
  readonly layers: Layer[] = [];
  optimizer: Optimizer | null = null;
  loss: Loss | null = null;
  metrics: string[] = [];
  /** Set during fit; `model.stopTraining = true` in a callback ends fit after the current batch. */
  stopTraining = false;
  /** True while fit runs (a second concurrent fit is refused). */
  isTraining = false;
  private readonly arena = new Arena();
  private trainableParams: Param[] = [];
  /** One node (call) per layer: a chain calls each layer once. */
  private readonly nodes: Node[] = [];
  private disposed = false;

  constructor(args: SequentialArgs | Layer[] = {}) {
    const a = Array.isArray(args) ? { layers: args } : args;
    if (a === null || typeof a !== 'object') throw new Error(`simdnet: sequential expects an array of layers or { layers, name }, got ${describeValue(args)}`);
    if (a.layers !== undefined && !Array.isArray(a.layers)) throw new Error(`simdnet: sequential: layers must be an array, got ${describeValue(a.layers)}`);
    if (a.name !== undefined && (typeof a.name !== 'string' || a.name === '')) throw new Error(`simdnet: sequential: name must be a non-empty string, got ${describeValue(a.name)}`);
    this.name = a.name ?? uniqueLayerName('sequential');
    for (const layer of a.layers ?? []) this.add(layer);
  }

  /** Appends a layer, building it at once when the shapes before it are known (so errors show here). */
  add(layer: Layer): void {
    this.checkAlive('add');
    if (!(layer instanceof Layer)) throw new Error(`simdnet: ${this.name}.add expects a layer (sn.layers.*), got ${describeValue(layer)}`);
    if (this.layers.some((l) => l.name === layer.name)) {
      throw new Error(`simdnet: ${this.name} already has a layer named '${layer.name}'; layer names must be unique`);
    }
    if (this.layers.length > 0 && layer.declaredInputShape && this.outputShapeOrNull) {
      // Keras ignores inputShape on later layers; we only check it agrees.
      if (!sameShape(layer.declaredInputShape, this.outputShapeOrNull)) {
        throw new Error(
          `simdnet: ${layer.name} declares input shape ${describeShape(layer.declaredInputShape)} but the layer before gives ${describeShape(this.outputShapeOrNull)}`,
        );
      }
    }
    const inputShape = this.layers.length === 0 ? layer.declaredInputShape : this.outputShapeOrNull;
    if (inputShape) layer.build(inputShape);
    this.layers.push(layer);
    this.nodes.push(new Node());
    this.trainableParams = [];
  }

  /** A layer by name or by index (TF.js `getLayer`). */
  getLayer(nameOrIndex: string | number): Layer {
    this.checkAlive('getLayer');
    const layer = typeof nameOrIndex === 'number' ? this.layers[nameOrIndex] : this.layers.find((l) => l.name === nameOrIndex);
    if (!layer) {
      throw new Error(`simdnet: ${this.name} has no layer ${JSON.stringify(nameOrIndex)} (layers: ${this.layers.map((l) => l.name).join(', ')})`);
    }
    return layer;
  }

  /** The per-sample input shape, once known. */
  get inputShape(): number[] | null {
    return this.layers[0]?.inputShape ?? this.layers[0]?.declaredInputShape ?? null;
  }

  private get outputShapeOrNull(): number[] | null {
    const last = this.layers[this.layers.length - 1];
    return last?.outputShape ?? null;
  }

  /** Batch output shape `[null, ...]` as TF.js reports it. */
  get outputShape(): (number | null)[] {
    const s = this.outputShapeOrNull;
    if (!s) throw new Error(`simdnet: ${this.name} is not built yet: give the first layer an inputShape`);
    return [null, ...s];
  }

  get built(): boolean {
    return this.layers.length > 0 && this.layers.every((l) => l.built);
  }

  /** Builds every layer for per-sample input shape `inputShape` (the first layer's inputShape by default). */
  build(inputShape?: number[]): void {
    this.checkAlive('build');
    if (this.layers.length === 0) throw new Error(`simdnet: ${this.name} has no layers`);
    let shape = inputShape ?? this.inputShape;
    if (!shape) throw new Error(`simdnet: ${this.name} cannot be built: the first layer (${this.layers[0].name}) needs an inputShape`);
    // All layers or none: a shape that fails at layer 3 must not leave layers 1 and 2 built for it, or the
    // model would refuse every later, valid input.
    const builtHere: Layer[] = [];
    try {
      for (const layer of this.layers) {
        const wasBuilt = layer.built;
        shape = layer.build(shape);
        if (!wasBuilt) builtHere.push(layer);
      }
    } catch (e) {
      for (const layer of builtHere) layer.unbuild();
      throw e;
    }
  }

  /** Throws when the model was disposed: its weights are gone, so any use would read or write freed memory. */
  checkAlive(what: string): void {
    if (this.disposed) throw new Error(`simdnet: model '${this.name}' was disposed; ${what}() needs a live model`);
  }

  private requireBuilt(what: string): void {
    if (!this.built) {
      if (this.inputShape) this.build();
      else throw new Error(`simdnet: ${this.name}.${what}: the model is not built: give the first layer an inputShape`);
    }
  }

  compile(args: CompileArgs): void {
    this.checkAlive('compile');
    if (!args || typeof args !== 'object') throw new Error(`simdnet: ${this.name}.compile expects { optimizer, loss, metrics? }`);
    const loss = getLoss(args.loss);
    const optimizer = getOptimizer(args.optimizer);
    const metrics = (args.metrics ?? []).map((m) => {
      if (m === 'accuracy' || m === 'acc') return 'acc';
      throw new Error(`simdnet: ${this.name}.compile: unknown metric '${m}' (known: accuracy)`);
    });
    if (this.optimizer && this.optimizer !== optimizer) this.optimizer.dispose();
    this.loss = loss;
    this.optimizer = optimizer;
    this.metrics = metrics;
    this.trainableParams = []; // re-read which layers train (layer.trainable may have changed)
  }

  // ---- checks (run before anything is written, so a bad call changes nothing) ----

  /** Throws naming the first layer and both shapes when x (N, ...) does not fit the model's input. */
  checkInput(x: Tensor, what: string): void {
    if (!(x instanceof Tensor)) throw new Error(`simdnet: ${this.name}.${what}: x must be a Tensor (sn.tensor(...)), got ${describeValue(x)}`);
    if (x.isDisposed) throw new Error(`simdnet: ${this.name}.${what}: x (a Tensor [${x.shape}]) was disposed`);
    if (this.layers.length === 0) throw new Error(`simdnet: ${this.name}.${what}: the model has no layers`);
    const expected = this.inputShape;
    const got = x.shape.slice(1);
    if (x.rank < 1 || x.shape[0] < 1) {
      throw new Error(`simdnet: ${this.name}.${what}: ${this.layers[0].name} expects input shape ${describeShape(expected)} but got [${x.shape}] (no samples)`);
    }
    if (expected && !sameShape(expected, got)) {
      throw new Error(`simdnet: ${this.name}.${what}: ${this.layers[0].name} expects input shape ${describeShape(expected)} but got [${x.shape}]`);
    }
    if (!this.built) this.build(got);
  }

  /** Throws naming the sample when x holds a NaN or ±Infinity (one pass in wasm): it would poison every weight. */
  checkFiniteInput(x: Tensor, what: string): void {
    const i = firstNonFinite(x);
    if (i >= 0) {
      const sample = Math.floor(i / (x.size / x.shape[0]));
      throw new Error(`simdnet: ${this.name}.${what}: x must be finite, but sample ${sample} has ${x.view()[i]} (flat index ${i})`);
    }
  }

  /** Throws naming the loss and shapes when labels y do not fit the outputs for n samples. */
  checkLabels(y: Tensor, n: number, what: string): void {
    if (!(y instanceof Tensor)) throw new Error(`simdnet: ${this.name}.${what}: y must be a Tensor (sn.tensor(...)), got ${describeValue(y)}`);
    if (y.isDisposed) throw new Error(`simdnet: ${this.name}.${what}: y (a Tensor [${y.shape}]) was disposed`);
    this.loss!.checkLabels(y, n, this.outputShapeOrNull!, `${this.name}.${what} (${this.layers[this.layers.length - 1].name})`);
  }

  requireCompiled(what: string): void {
    if (!this.loss || !this.optimizer) {
      throw new Error(`simdnet: ${this.name}.${what}: call model.compile({ optimizer, loss }) first`);
    }
  }

  // ---- one batch ----

  /** Fuse softmax with a cross-entropy loss when the last layer ends in softmax. */
  private get fusedSoftmax(): boolean {
    const last = this.layers[this.layers.length - 1];
    return !!this.loss && this.loss.fusesWithSoftmax && last.hasSoftmaxOutput;
  }

  /** Runs every layer's call; `logits` asks the last one for logits (the loss fuses its softmax). */
  private forward(x: Tensor, training: boolean, logits: boolean): Tensor {
    let h = x;
    const last = this.layers.length - 1;
    for (let i = 0; i <= last; i++) {
      const node = this.nodes[i];
      node.training = training;
      node.logits = logits && i === last;
      h = this.layers[i].callForward([h], node, this.arena);
    }
    return h;
  }

  /** Resets the batch's arena and forgets what the nodes kept from it. */
  private endBatch(): void {
    for (const node of this.nodes) node.clear();
    this.arena.reset();
  }

  private params(): Param[] {
    if (this.trainableParams.length === 0) {
      this.trainableParams = this.layers.flatMap((l) => (l.trainable ? l.params.filter((p) => p.trainable) : []));
    }
    return this.trainableParams;
  }

  /**
   * Forward, loss, backward and one optimizer step on rows order[start .. start+count) of x and y.
   * Returns the mean loss and the number of correct rows; only these scalars cross into JS.
   * A non-finite loss throws before backward, so the weights stay as they were before this batch;
   * `where` ("epoch 3, batch 17") goes into that message.
   */
  trainBatch(x: Tensor, y: Tensor, order: Int32Array | null, start: number, count: number, where = ''): { loss: number; correct: number } {
    const fused = this.fusedSoftmax;
    try {
      const xb = gatherRows(x, order, start, count, this.arena);
      const yb = gatherRows(y, order, start, count, this.arena);
      const h = this.forward(xb, true, fused);
      let dy: Tensor | null = Tensor.empty(h.shape, this.arena);
      const loss = fused ? this.loss!.computeFromLogits(h, yb, dy) : this.loss!.compute(h, yb, dy);
      if (!Number.isFinite(loss)) {
        throw new Error(
          `simdnet: ${this.name}: the loss is ${loss}${where ? ` at ${where}` : ''}; training stopped before that batch's update, ` +
            `so the weights are those from before it. Look for NaN or Infinity in the inputs and labels, or lower the learning rate (${this.optimizer!.learningRate}).`,
        );
      }
      const correct = this.metrics.length ? countCorrect(h, yb, this.loss!.sparse) : 0;
      // Parameter gradients are zeroed once per step; every call's backward adds into them.
      const k = engine().kernels;
      for (const layer of this.layers) {
        if (layer.trainable) for (const p of layer.params) if (p.grad) k.fill_f32(p.grad.ptr, p.grad.size, 0);
      }
      const params = this.params();
      for (let i = this.layers.length - 1; i >= 0 && dy; i--) {
        dy = this.layers[i].callBackward(dy, this.nodes[i], this.arena, [i > 0])[0];
      }
      this.optimizer!.applyGradients(params);
      return { loss, correct };
    } finally {
      this.endBatch();
    }
  }

  /** Mean loss and accuracy over rows [0, n) of x and y, in batches (no training). */
  evaluateRows(x: Tensor, y: Tensor, order: Int32Array | null, start: number, n: number, batchSize: number): { loss: number; accuracy: number } {
    const fused = this.fusedSoftmax;
    let lossSum = 0;
    let correct = 0;
    for (let at = start; at < start + n; at += batchSize) {
      const count = Math.min(batchSize, start + n - at);
      try {
        const xb = gatherRows(x, order, at, count, this.arena);
        const yb = gatherRows(y, order, at, count, this.arena);
        const h = this.forward(xb, false, fused);
        lossSum += (fused ? this.loss!.computeFromLogits(h, yb, null) : this.loss!.compute(h, yb, null)) * count;
        correct += countCorrect(h, yb, this.loss!.sparse);
      } finally {
        this.endBatch();
      }
    }
    return { loss: lossSum / n, accuracy: correct / n };
  }

  // ---- public API ----

  fit(x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
    return fitLoop(this, x, y, args);
  }

  /**
   * One optimizer step on the whole of (x, y) as a single batch, as TF.js's `trainOnBatch`: resolves to the
   * loss, or `[loss, accuracy]` when the model was compiled with the accuracy metric.
   */
  async trainOnBatch(x: Tensor, y: Tensor): Promise<number | number[]> {
    this.checkAlive('trainOnBatch');
    this.requireCompiled('trainOnBatch');
    if (this.isTraining) throw new Error(`simdnet: ${this.name}.trainOnBatch: a fit() on this model is still running`);
    this.checkInput(x, 'trainOnBatch');
    this.checkLabels(y, x.shape[0], 'trainOnBatch');
    this.checkFiniteInput(x, 'trainOnBatch');
    const n = x.shape[0];
    const { loss, correct } = this.trainBatch(x, y, null, 0, n);
    return this.metrics.length ? [loss, correct / n] : loss;
  }

  /** Mean loss and accuracy over (x, y): `{ loss, accuracy }`. */
  evaluate(x: Tensor, y: Tensor, args: { batchSize?: number } = {}): { loss: number; accuracy: number } {
    this.checkAlive('evaluate');
    this.requireCompiled('evaluate');
    this.checkInput(x, 'evaluate');
    this.checkLabels(y, x.shape[0], 'evaluate');
    this.checkFiniteInput(x, 'evaluate');
    const batchSize = checkBatchSize(optionsObject(args, `${this.name}.evaluate`).batchSize ?? 32, `${this.name}.evaluate`);
    return this.evaluateRows(x, y, null, 0, x.shape[0], batchSize);
  }

  /** Outputs for x (N, ...), computed in batches; the returned Tensor is the caller's (dispose it). */
  predict(x: Tensor, args: { batchSize?: number } = {}): Tensor {
    this.checkAlive('predict');
    this.checkInput(x, 'predict');
    const batchSize = checkBatchSize(optionsObject(args, `${this.name}.predict`).batchSize ?? 32, `${this.name}.predict`);
    const n = x.shape[0];
    const out = Tensor.empty([n, ...this.outputShapeOrNull!]);
    const rowSize = out.size / n;
    try {
      for (let at = 0; at < n; at += batchSize) {
        const count = Math.min(batchSize, n - at);
        try {
          const h = this.forward(gatherRows(x, null, at, count, this.arena), false, false);
          engine().kernels.copy_f32(out.ptr + at * rowSize * 4, h.ptr, count * rowSize);
        } finally {
          this.endBatch();
        }
      }
    } catch (e) {
      out.dispose();
      throw e;
    }
    return out;
  }

  /** Prints the Keras-style table (to console.log, or to printFn line by line). */
  summary(printFn: (line: string) => void = console.log): void {
    this.checkAlive('summary');
    if (typeof printFn !== 'function') throw new Error(`simdnet: ${this.name}.summary: printFn must be a function, got ${describeValue(printFn)}`);
    this.requireBuilt('summary');
    for (const line of summaryLines(this.name, this.layers)) printFn(line);
  }

  countParams(): number {
    this.checkAlive('countParams');
    this.requireBuilt('countParams');
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Parameters in TF.js order: trainable ones layer by layer, then the others (batch-norm statistics). */
  private orderedParams(): { layer: Layer; param: Param }[] {
    const all = this.layers.flatMap((layer) => layer.params.map((param) => ({ layer, param })));
    const trainable = (e: { layer: Layer; param: Param }): boolean => e.param.trainable && e.layer.trainable;
    return [...all.filter(trainable), ...all.filter((e) => !trainable(e))];
  }

  /** Copies of the weights, in TF.js order (the caller owns and disposes them). */
  getWeights(): Tensor[] {
    this.checkAlive('getWeights');
    this.requireBuilt('getWeights');
    return this.orderedParams().map((e) => e.param.value.clone());
  }

  /** Copies `weights` (TF.js order) into the model; checks every count and shape before writing any. */
  setWeights(weights: Tensor[]): void {
    this.checkAlive('setWeights');
    this.requireBuilt('setWeights');
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
    params.forEach((e, i) => k.copy_f32(e.param.value.ptr, weights[i].ptr, weights[i].size));
  }

  /** Weight specs and values in TF.js order, named `<layer>/<param>`. */
  namedWeights(): { spec: WeightSpec; tensor: Tensor }[] {
    this.checkAlive('namedWeights');
    return this.orderedParams().map((e) => ({
      spec: { name: `${e.layer.name}/${e.param.name}`, shape: [...e.param.value.shape], dtype: 'float32' },
      tensor: e.param.value,
    }));
  }

  /**
   * The TF.js layers-model artifacts (topology, weight specs, one weight buffer). With a handler (TF.js
   * IOHandler) or a 'file://dir' path in Node, also writes them there.
   */
  async save(handlerOrUrl?: SaveHandler | string): Promise<ModelArtifacts> {
    this.checkAlive('save');
    this.requireBuilt('save');
    if (handlerOrUrl !== undefined && typeof handlerOrUrl !== 'string' && typeof (handlerOrUrl as SaveHandler)?.save !== 'function') {
      throw new Error(`simdnet: ${this.name}.save: expects a 'file://<dir>' path or a handler with save(), got ${describeValue(handlerOrUrl)}`);
    }
    const named = this.namedWeights();
    const total = named.reduce((n, w) => n + w.tensor.size, 0);
    const data = new Float32Array(total);
    let at = 0;
    for (const w of named) {
      data.set(w.tensor.view(), at);
      at += w.tensor.size;
    }
    const artifacts: ModelArtifacts = {
      modelTopology: topologyOf(this.name, this.layers),
      format: 'layers-model',
      generatedBy: GENERATED_BY,
      convertedBy: null,
      weightSpecs: named.map((w) => w.spec),
      weightData: data.buffer,
    };
    if (this.loss && this.optimizer) {
      artifacts.trainingConfig = {
        loss: this.loss.name,
        metrics: this.metrics.length ? ['accuracy'] : [],
        optimizer_config: { class_name: this.optimizer.className, config: this.optimizer.getConfig() },
      };
    }
    if (typeof handlerOrUrl === 'string') {
      if (!handlerOrUrl.startsWith('file://')) {
        throw new Error(`simdnet: ${this.name}.save: only 'file://<dir>' paths are supported (Node), got '${handlerOrUrl}'`);
      }
      await saveArtifactsToDir(artifacts, handlerOrUrl.slice('file://'.length));
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
    for (const l of this.layers) l.dispose();
    this.optimizer?.dispose();
    this.arena.reset();
  }
}

/** `sn.sequential([...layers])` or `sn.sequential({ layers, name })`. */
export function sequential(args: SequentialArgs | Layer[] = {}): Sequential {
  return new Sequential(args);
}

/** The options argument of evaluate/predict: undefined or a plain object. */
function optionsObject<T extends object>(args: T | undefined, who: string): Partial<T> {
  if (args === undefined) return {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`simdnet: ${who}: options must be an object such as { batchSize: 32 }, got ${describeValue(args)}`);
  }
  return args;
}
