// The base of the merge layers (add, subtract, multiply, average, maximum, minimum, concatenate): one call
// takes two or more tensors and returns one. They have no parameters. Shapes are checked at apply() and
// an error names the layer and every input shape.
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerArgs, describeShape, sameShape } from './layer.js';
import type { Node } from './node.js';

export abstract class MergeLayer extends Layer {
  /** Per-sample shapes of the inputs, once built. */
  inputShapes: number[][] | null = null;

  constructor(args: LayerArgs = {}, prefix: string) {
    super(args, prefix);
  }

  /** The output shape for these input shapes; throws (via `mismatch`) when they do not fit. */
  protected abstract mergeShape(shapes: number[][]): number[];

  /** forward over all inputs of one call (each (N, ...inputShapes[i])). */
  protected abstract forwardAll(xs: Tensor[], node: Node, arena: Arena): Tensor;

  /**
   * backward of one call: a gradient per input, null where `needDx[i]` is false. dy is this call's own;
   * every returned gradient must be memory no other returned gradient shares (the receivers may overwrite
   * them in place), so at most one of them may be dy itself.
   */
  protected abstract backwardAll(dy: Tensor, node: Node, arena: Arena, needDx: boolean[]): (Tensor | null)[];

  protected mismatch(shapes: number[][], why: string): Error {
    return new Error(`simdnet: ${this.name} (${this.className}) ${why}; got input shapes ${shapes.map((s) => describeShape(s)).join(', ')}`);
  }

  override buildFor(shapes: number[][]): number[] {
    if (shapes.length < 2) throw this.mismatch(shapes, 'needs a list of at least 2 inputs');
    if (this.built) {
      const same = shapes.length === this.inputShapes!.length && shapes.every((s, i) => sameShape(s, this.inputShapes![i]));
      if (!same) {
        throw new Error(
          `simdnet: ${this.name} was built for input shapes ${this.inputShapes!.map((s) => describeShape(s)).join(', ')} but got ${shapes.map((s) => describeShape(s)).join(', ')}`,
        );
      }
      return this.outputShape!;
    }
    const out = this.mergeShape(shapes);
    this.inputShapes = shapes.map((s) => [...s]);
    this.inputShape = [...shapes[0]];
    this.outputShape = out;
    return out;
  }

  override build(inputShape: number[]): number[] {
    throw this.mismatch([inputShape], 'needs a list of at least 2 inputs (use it in a functional model: sn.model)');
  }

  protected computeOutputShape(s: number[]): number[] {
    throw this.mismatch([s], 'needs a list of at least 2 inputs');
  }

  override callForward(inputs: Tensor[], node: Node, arena: Arena): Tensor {
    node.clear();
    node.inputs = inputs;
    const y = this.forwardAll(inputs, node, arena);
    node.output = y;
    return y;
  }

  override callBackward(dy: Tensor, node: Node, arena: Arena, needDx: boolean[]): (Tensor | null)[] {
    return this.backwardAll(dy, node, arena, needDx);
  }

  forward(): Tensor {
    throw new Error(`simdnet: ${this.name} (${this.className}) takes a list of inputs`);
  }

  backward(): Tensor | null {
    return this.forward(); // the same refusal
  }

  protected layerConfig(): Record<string, unknown> {
    return {};
  }
}
