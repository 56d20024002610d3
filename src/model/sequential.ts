// Sequential: a stack of layers — the graph in its simplest form. It keeps the list of layers; the
// engine it shares with every model (src/model/model.ts) runs the chain input → layer 1 → … → layer n,
// made when first needed by applying each layer once to an InputLayer. Weights live in linear memory for
// the model's life; each batch's activations and gradients come from an arena reset after the batch.
import type { Tensor } from '../tensor.js';
import { Layer, describeShape, sameShape } from '../layers/layer.js';
import { InputLayer } from '../layers/input-layer.js';
import { summaryLines } from './summary.js';
import { topologyOf } from './topology.js';
import { AugmentationLayer } from '../layers/augmentation.js';
import { Graph } from './graph.js';
import { Model, type TensorOrList } from './model.js';
import type { SymbolicTensor } from './symbolic.js';
import { describeValue } from '../describe.js';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

export class Sequential extends Model {
  private readonly stack: Layer[] = [];
  /** The per-sample input shape given by an sn.layers.inputLayer added first, if any. */
  private givenInputShape: number[] | null = null;
  /** The chain as a graph, made on first use and dropped when a layer is added. */
  private chain: Graph | null = null;

  constructor(args: SequentialArgs | Layer[] = {}) {
    const a = Array.isArray(args) ? { layers: args } : args;
    if (a === null || typeof a !== 'object') throw new Error(`simdnet: sequential expects an array of layers or { layers, name }, got ${describeValue(args)}`);
    if (a.layers !== undefined && !Array.isArray(a.layers)) throw new Error(`simdnet: sequential: layers must be an array, got ${describeValue(a.layers)}`);
    super(a.name, 'sequential');
    for (const layer of a.layers ?? []) this.add(layer);
  }

  /** The layers in order (an InputLayer added first is not one of them, as in TF.js). */
  get layers(): Layer[] {
    return this.stack;
  }

  /** Appends a layer, building it at once when the shapes before it are known (so errors show here). */
  add(layer: Layer): void {
    this.checkAlive('add');
    if (!(layer instanceof Layer)) throw new Error(`simdnet: ${this.name}.add expects a layer (sn.layers.*), got ${describeValue(layer)}`);
    if (layer instanceof InputLayer) {
      if (this.stack.length > 0 || this.givenInputShape) {
        throw new Error(`simdnet: ${this.name}.add: an InputLayer (${layer.name}) can only come first`);
      }
      this.givenInputShape = [...layer.outputShape!];
      return;
    }
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new Error(`simdnet: ${this.name} already has a layer named '${layer.name}'; layer names must be unique`);
    }
    if (this.stack.length > 0 && layer.declaredInputShape && this.outputShapeOrNull) {
      // Keras ignores inputShape on later layers; we only check it agrees.
      if (!sameShape(layer.declaredInputShape, this.outputShapeOrNull)) {
        throw new Error(
          `simdnet: ${layer.name} declares input shape ${describeShape(layer.declaredInputShape)} but the layer before gives ${describeShape(this.outputShapeOrNull)}`,
        );
      }
    }
    const inputShape = this.stack.length === 0 ? (this.givenInputShape ?? layer.declaredInputShape) : this.outputShapeOrNull;
    if (inputShape) layer.build(inputShape);
    this.stack.push(layer);
    this.chain = null;
  }

  /** The per-sample input shape, once known. */
  get inputShape(): number[] | null {
    return this.givenInputShape ?? this.stack[0]?.inputShape ?? this.stack[0]?.declaredInputShape ?? null;
  }

  private get outputShapeOrNull(): number[] | null {
    const last = this.stack[this.stack.length - 1];
    return last?.outputShape ?? null;
  }

  /** Batch output shape `[null, ...]` as TF.js reports it. */
  get outputShape(): (number | null)[] {
    const s = this.outputShapeOrNull;
    if (!s) throw new Error(`simdnet: ${this.name} is not built yet: give the first layer an inputShape`);
    return [null, ...s];
  }

  get built(): boolean {
    return this.stack.length > 0 && this.stack.every((l) => l.built);
  }

  /** Builds every layer for per-sample input shape `inputShape` (the first layer's inputShape by default). */
  build(inputShape?: number[]): void {
    this.checkAlive('build');
    if (this.stack.length === 0) throw new Error(`simdnet: ${this.name} has no layers`);
    let shape = inputShape ?? this.inputShape;
    if (!shape) throw new Error(`simdnet: ${this.name} cannot be built: the first layer (${this.stack[0].name}) needs an inputShape`);
    // All layers or none: a shape that fails at layer 3 must not leave layers 1 and 2 built for it, or the
    // model would refuse every later, valid input.
    const builtHere: Layer[] = [];
    try {
      for (const layer of this.stack) {
        const wasBuilt = layer.built;
        shape = layer.build(shape);
        if (!wasBuilt) builtHere.push(layer);
      }
    } catch (e) {
      for (const layer of builtHere) layer.unbuild();
      throw e;
    }
  }

  protected graphFor(what: string, xs?: Tensor[]): Graph {
    this.checkAlive(what);
    if (this.chain) return this.chain;
    if (this.stack.length === 0) throw new Error(`simdnet: ${this.name}.${what}: the model has no layers`);
    if (!this.built) {
      const fromData = xs && xs.length === 1 && xs[0].rank >= 1 ? xs[0].shape.slice(1) : null;
      const shape = this.inputShape ?? fromData;
      if (!shape) throw new Error(`simdnet: ${this.name}.${what}: the model is not built: give the first layer an inputShape`);
      this.build(shape);
    }
    // The chain: one InputLayer, then each layer applied once to the output of the one before.
    const input = new InputLayer({ inputShape: this.stack[0].inputShape!, name: `${this.stack[0].name}_input` });
    let h: SymbolicTensor = input.output;
    for (const layer of this.stack) h = layer.apply(h);
    this.chain = new Graph([input.output], [h], this.name);
    return this.chain;
  }

  protected override inputLabel(): string {
    return this.stack[0].name;
  }

  protected topology(_graph: unknown, skipAugmentation: boolean): unknown {
    const t = topologyOf(this.name, skipAugmentation ? this.stack.filter((l) => !(l instanceof AugmentationLayer)) : this.stack);
    // An input shape given by an inputLayer goes on the first layer, where every loader looks for it.
    const first = t.config.layers[0]?.config;
    if (first && !first.batch_input_shape && this.inputShape) first.batch_input_shape = [null, ...this.inputShape];
    return t;
  }

  protected summaryTable(): string[] {
    return summaryLines(this.name, this.stack);
  }

  override predict(x: TensorOrList, args: { batchSize?: number } = {}): Tensor {
    return super.predict(x, args) as Tensor;
  }

  override evaluate(x: TensorOrList, y: TensorOrList, args: { batchSize?: number } = {}): { loss: number; accuracy: number } {
    return super.evaluate(x, y, args) as { loss: number; accuracy: number };
  }
}

/** `sn.sequential([...layers])` or `sn.sequential({ layers, name })`. */
export function sequential(args: SequentialArgs | Layer[] = {}): Sequential {
  return new Sequential(args);
}
