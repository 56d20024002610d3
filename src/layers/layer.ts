// The base of every layer: a name, shape inference at build time, the parameters it owns (with their
// gradients), and forward/backward over tensors from the model's per-batch arena.
//
// Shapes here are per sample (no batch axis): a conv layer on 28x28 grey images has inputShape [28,28,1].
//
// The contract a layer implements (read this before writing one):
//
//   forward(x, node, arena) → y
//     x is (N, ...inputShape), y (N, ...outputShape) from `arena`. Everything backward will need beyond the
//     call's input and output (an argmax, a mask, batch statistics) is kept on the node with
//     `node.keep(name, t)`, never on `this`: a layer can be called several times per batch (a shared layer
//     has one node per call). The model records the call's input(s) and output on the node itself
//     (`node.input`, `node.inputs`, `node.output`). `node.training` says training or inference;
//     `node.logits` asks a layer that ends in softmax for its logits instead (the loss fuses the softmax).
//     forward never writes into x (x may be another call's kept output); it may return x itself (identity).
//     Forward (and backward) must do their work through kernels only, deciding nothing in JS from tensor
//     values: predict records one run and replays its kernel calls (src/model/inference-plan.ts), and so
//     does training from its second step (src/model/training-plan.ts). What must differ from step to step
//     (a dropout seed) runs inside `engine().live(...)`. Training replays only the library's own classes.
//
//   backward(dy, node, arena, needDx) → dx | null
//     dy is d(loss)/d(y) of that call and belongs to this call: backward may overwrite it and may return it
//     (or a view of it) as dx — the in-place fast path. The dx returned belongs to whoever receives it.
//     Parameter gradients ACCUMULATE: the model zeroes every trainable gradient once per step and each
//     call adds its part (`this.gradOf(param)` gives the tensor to add into, or null when the layer is
//     frozen), so the calls of a shared layer sum up. Return null when `needDx` is false.
//
//   Layers with several inputs (merge layers) override `callForward`/`callBackward`, which the model uses;
//   for one-input layers they forward to forward/backward.
import { getRegularizer, regularizerConfig, type L1L2, type RegularizerSpec } from '../regularizers/index.js';
import type { Arena } from '../backend/arena.js';
import { Tensor, shapeSize } from '../tensor.js';
import { uniform } from '../random.js';
import { Node } from './node.js';
import { SymbolicTensor } from '../model/symbolic.js';
import { describeValue } from '../describe.js';
import { sameShape } from '../ops/checks.js';

export { sameShape };

/** Weight penalties of layers with a kernel and a bias (dense, conv1d, conv2d), as TF.js names them. */
export interface RegularizerArgs {
  kernelRegularizer?: RegularizerSpec | null;
  biasRegularizer?: RegularizerSpec | null;
}

export interface LayerArgs {
  /** A unique name; by default `<type>_<n>` as in Keras (`conv2d_1`, `dense_2`, ...). */
  name?: string;
  /** Shape of one sample, for the first layer of a model (TF.js `inputShape`). */
  inputShape?: number[];
  /** The same with the batch axis first (`[null, ...]`), as Keras configs write it. */
  batchInputShape?: (number | null)[];
  trainable?: boolean;
}

/** A parameter tensor the layer owns, its gradient (zeroed each step, summed over calls) and whether training moves it. */
export interface Param {
  /** Short name: `kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`. */
  readonly name: string;
  readonly value: Tensor;
  readonly grad: Tensor | null;
  readonly trainable: boolean;
}

export type Initializer = 'glorotUniform' | 'zeros' | 'ones';

const nameCounters = new Map<string, number>();

/** `conv2d_1`, `conv2d_2`, ...: unique per process, as Keras names layers. */
export function uniqueLayerName(prefix: string): string {
  const n = (nameCounters.get(prefix) ?? 0) + 1;
  nameCounters.set(prefix, n);
  return `${prefix}_${n}`;
}

/** `[null,28,28,1]`: a shape as messages and summaries print it, with the batch axis. */
export function describeShape(shape: readonly number[] | null | undefined, batch: number | null = null): string {
  if (!shape) return '(unknown)';
  return `[${[batch === null ? 'null' : String(batch), ...shape.map(String)].join(',')}]`;
}

/** Layer names go into every message about the layer: long enough for any real name, short enough to read. */
const MAX_NAME = 200;

export abstract class Layer {
  /** The Keras / TF.js class name used in saved topologies (`Conv2D`, `Dense`, ...). */
  abstract readonly className: string;
  readonly name: string;
  trainable: boolean;
  /** Per-sample input shape given by the user (first layer), if any. */
  readonly declaredInputShape: number[] | null;
  inputShape: number[] | null = null;
  outputShape: number[] | null = null;
  params: Param[] = [];
  /** The calls of this layer in graphs (Keras inbound nodes), in the order `apply` made them. */
  readonly inboundNodes: Node[] = [];

  constructor(args: LayerArgs, prefix: string) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw new Error(`simdnet: layers.${prefix} expects an options object, got ${describeValue(args)}`);
    }
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '' || args.name.length > MAX_NAME)) {
      throw new Error(`simdnet: layers.${prefix}: name must be a non-empty string of at most ${MAX_NAME} characters, got ${describeValue(args.name)}`);
    }
    this.name = args.name ?? uniqueLayerName(prefix);
    if (args.trainable !== undefined && typeof args.trainable !== 'boolean') {
      throw new Error(`simdnet: ${this.name}: trainable must be true or false, got ${describeValue(args.trainable)}`);
    }
    this.trainable = args.trainable ?? true;
    for (const key of ['inputShape', 'batchInputShape'] as const) {
      if (args[key] !== undefined && args[key] !== null && !Array.isArray(args[key])) {
        throw new Error(`simdnet: ${this.name}: ${key} must be an array of dimensions, got ${describeValue(args[key])}`);
      }
    }
    if (args.inputShape) this.declaredInputShape = [...args.inputShape];
    else if (args.batchInputShape) this.declaredInputShape = args.batchInputShape.slice(1) as number[];
    else this.declaredInputShape = null;
    if (this.declaredInputShape) {
      for (const d of this.declaredInputShape) {
        if (!Number.isInteger(d) || d <= 0) {
          throw new Error(`simdnet: ${this.name}: inputShape must be positive integers, got [${this.declaredInputShape.map(describeValue).join(",")}]`);
        }
      }
    }
  }

  get built(): boolean {
    return this.outputShape !== null;
  }

  /** True when this layer ends in a softmax that the model may fuse with a cross-entropy loss (see Node.logits). */
  get hasSoftmaxOutput(): boolean {
    return false;
  }

  /**
   * Infers the output shape and creates the parameters. Throws an Error naming the layer and shapes
   * when the input does not fit (wrong rank, an empty output, ...). Building twice with the same shape
   * is a no-op.
   */
  build(inputShape: number[]): number[] {
    if (this.built) {
      if (!sameShape(inputShape, this.inputShape!)) {
        throw new Error(
          `simdnet: ${this.name} was built for input shape ${describeShape(this.inputShape)} but got ${describeShape(inputShape)}`,
        );
      }
      return this.outputShape!;
    }
    const out = this.computeOutputShape(inputShape);
    for (const d of out) {
      if (!Number.isInteger(d) || d <= 0) {
        throw new Error(
          `simdnet: ${this.name} (${this.className}) on input shape ${describeShape(inputShape)} would give an empty output ${describeShape(out)}`,
        );
      }
    }
    try {
      this.createParams(inputShape);
    } catch (e) {
      // Out of memory half-way (a kernel fits, its gradient does not): free what was made, keep nothing.
      this.dispose();
      throw e;
    }
    this.inputShape = [...inputShape];
    this.outputShape = out;
    return out;
  }

  /** Undoes build(): frees the parameters and forgets the shapes, so the layer can be built for another input. */
  unbuild(): void {
    this.dispose();
    this.inputShape = null;
    this.outputShape = null;
  }

  /**
   * Builds for the per-sample shapes of a call's inputs and returns the output shape. One-input layers
   * take exactly one; merge layers override this.
   */
  buildFor(inputShapes: number[][]): number[] {
    if (inputShapes.length !== 1) {
      throw new Error(`simdnet: ${this.name} (${this.className}) takes one input but was given ${inputShapes.length}: ${inputShapes.map((s) => describeShape(s)).join(', ')}`);
    }
    return this.build(inputShapes[0]);
  }

  /**
   * Calls the layer on symbolic tensors (from `sn.input` or another layer's `apply`), as in TF.js: builds
   * it for their shapes (shape errors show here, naming the layer and the shapes), records the call as a
   * new node and returns the call's output. Applying a layer again shares its weights.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    list.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) {
        throw new Error(
          `simdnet: ${this.name}.apply expects symbolic tensors (from sn.input() or another layer's apply()), but input ${i} is ${describeValue(t)}; use model.predict() for data`,
        );
      }
    });
    const outShape = this.buildFor(list.map((t) => t.sampleShape));
    const node = new Node();
    node.layer = this;
    node.index = this.inboundNodes.length;
    node.inbound = list;
    node.outbound = new SymbolicTensor(outShape, node, `${this.name}/${node.index}`);
    this.inboundNodes.push(node);
    return node.outbound;
  }

  /** Output shape for an input shape (both per sample); throws naming the layer when invalid. */
  protected abstract computeOutputShape(inputShape: number[]): number[];

  /** Creates the parameters once the input shape is known. */
  protected createParams(_inputShape: number[]): void {}

  /** x is (N, ...inputShape); returns (N, ...outputShape) from `arena`, keeping what backward needs on `node`. */
  abstract forward(x: Tensor, node: Node, arena: Arena): Tensor;

  /**
   * dy is d(loss)/d(output) of the call `node` (ours to overwrite). Adds parameter gradients into
   * `gradOf(param)` and returns d(loss)/d(input), or null when `needDx` is false.
   */
  abstract backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null;

  /** One call as the model runs it: records the inputs and output on the node around `forward`. */
  callForward(inputs: Tensor[], node: Node, arena: Arena): Tensor {
    if (inputs.length !== 1) throw new Error(`simdnet: ${this.name} (${this.className}) takes one input, got ${inputs.length}`);
    node.clear(); // nothing from an earlier call (a training mask, say) may leak into this one
    node.inputs = inputs;
    const y = this.forward(inputs[0], node, arena);
    node.output = y;
    return y;
  }

  /** The backward of a call: one gradient per input (null where `needDx[i]` is false). */
  callBackward(dy: Tensor, node: Node, arena: Arena, needDx: boolean[]): (Tensor | null)[] {
    return [this.backward(dy, node, arena, needDx[0])];
  }

  /** The gradient tensor a call adds into for `p`, or null when this layer or `p` is not trained. */
  protected gradOf(p: Param): Tensor | null {
    return this.trainable ? p.grad : null;
  }

  /** The layer's options in Keras config form (snake_case); the base adds name, trainable and dtype. */
  protected abstract layerConfig(): Record<string, unknown>;

  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, trainable: this.trainable };
    if (this.declaredInputShape) config.batch_input_shape = [null, ...this.declaredInputShape];
    config.dtype = 'float32';
    return { ...config, ...this.layerConfig() };
  }

  countParams(): number {
    let n = 0;
    for (const p of this.params) n += p.value.size;
    return n;
  }

  /** Trainable parameters first, then the others (TF.js weight order). */
  orderedParams(): Param[] {
    return [...this.params.filter((p) => p.trainable), ...this.params.filter((p) => !p.trainable)];
  }

  dispose(): void {
    for (const p of this.params) {
      p.value.dispose();
      p.grad?.dispose();
    }
    this.params = [];
  }

  /** Weight penalties by parameter name ('kernel', 'bias'), for layers that take them (takeRegularizers). */
  protected readonly regularizers = new Map<string, L1L2>();

  /** Reads kernelRegularizer/biasRegularizer from the layer's options. */
  protected takeRegularizers(args: RegularizerArgs): void {
    const k = getRegularizer(args.kernelRegularizer, `${this.name}: kernelRegularizer`);
    const b = getRegularizer(args.biasRegularizer, `${this.name}: biasRegularizer`);
    if (k) this.regularizers.set('kernel', k);
    if (b) this.regularizers.set('bias', b);
  }

  /** The regularizer entries of the layer's saved config (null where there is none, as Keras writes). */
  protected regularizerConfigs(): Record<string, unknown> {
    return { kernel_regularizer: regularizerConfig(this.regularizers.get('kernel') ?? null), bias_regularizer: regularizerConfig(this.regularizers.get('bias') ?? null) };
  }

  /**
   * Adds each regularized parameter's penalty gradient into its gradient and returns the summed penalty
   * (one wasm pass per parameter). The model calls it once per training step, after backward, for
   * trainable layers: TF.js adds the penalty to the training loss, not to evaluate's.
   */
  regularize(): number {
    let penalty = 0;
    for (const [name, r] of this.regularizers) {
      const p = this.params.find((q) => q.name === name);
      if (p?.grad && p.trainable) penalty += r.apply(p.value, p.grad);
    }
    return penalty;
  }

  /** Adds an owned parameter (and its gradient tensor when trainable), initialised as Keras does. */
  protected addParam(name: string, shape: number[], init: Initializer, trainable = true, fans?: [number, number]): Tensor {
    const value = Tensor.empty(shape);
    const view = value.view();
    if (init === 'zeros') view.fill(0);
    else if (init === 'ones') view.fill(1);
    else {
      // Glorot uniform: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)).
      const [fanIn, fanOut] = fans ?? [shape[0], shape[shape.length - 1]];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < view.length; i++) view[i] = uniform(-limit, limit);
    }
    let grad: Tensor | null = null;
    try {
      if (trainable) grad = Tensor.zeros(shape);
    } catch (e) {
      value.dispose();
      throw e;
    }
    this.params.push({ name, value, grad, trainable });
    return value;
  }

  protected param(name: string): Param {
    const p = this.params.find((q) => q.name === name);
    if (!p) throw new Error(`simdnet: ${this.name} has no parameter ${name}`);
    return p;
  }

  /** Throws naming the layer when an input's rank is not the one it takes. */
  protected expectRank(inputShape: number[], rank: number, what: string): void {
    if (inputShape.length !== rank) {
      throw new Error(
        `simdnet: ${this.name} (${this.className}) expects ${what} (rank ${rank + 1} with the batch axis) but got input shape ${describeShape(inputShape)}`,
      );
    }
  }

  /** Shape of a batch of this layer's outputs. */
  protected batchOutputShape(x: Tensor): number[] {
    return [x.shape[0], ...this.outputShape!];
  }

  /** A tensor for this layer's output for the batch x, from the batch's arena. */
  protected outputFor(x: Tensor, arena: Arena): Tensor {
    return Tensor.empty(this.batchOutputShape(x), arena);
  }

  /** A tensor for the gradient of the input of `node`, from the batch's arena. */
  protected inputGradientFor(node: Node, arena: Arena): Tensor {
    return Tensor.empty(node.input.shape, arena);
  }
}

export function rowsOf(x: Tensor): number {
  return x.size / x.shape[x.shape.length - 1];
}

export { shapeSize };
