// A symbolic tensor: the output of one call of a layer in a graph being described (sn.input, layer.apply),
// with its per-sample shape and the node that makes it. No data: a model built on it computes the data.
import type { Layer } from '../layers/layer.js';
import type { Node } from '../layers/node.js';

let nextId = 0;

export class SymbolicTensor {
  /** Unique per process; the graph uses it to find each tensor's slot. */
  readonly id = nextId++;
  /** Shape of one sample (no batch axis). */
  readonly sampleShape: number[];

  constructor(
    sampleShape: readonly number[],
    /** The call that produces this tensor. */
    readonly node: Node,
    readonly name: string,
  ) {
    this.sampleShape = [...sampleShape];
  }

  /** The shape with the batch axis, as TF.js reports it: `[null, 28, 28, 1]`. */
  get shape(): (number | null)[] {
    return [null, ...this.sampleShape];
  }

  /** The layer whose call makes this tensor. */
  get sourceLayer(): Layer {
    return this.node.layer!;
  }

  /** Which call of that layer (Keras node index). */
  get nodeIndex(): number {
    return this.node.index;
  }

  toString(): string {
    return `SymbolicTensor ${this.name} [null,${this.sampleShape}]`;
  }
}
