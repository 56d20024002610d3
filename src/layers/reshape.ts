// Reshape: (N, ...) → (N, ...targetShape) in row-major order; one entry may be -1 (inferred). No copy: the
// output is a view of the input's memory, and so is the gradient.
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerArgs, shapeSize, describeShape } from './layer.js';
import type { Node } from './node.js';
import { describeValue } from '../describe.js';

export interface ReshapeArgs extends LayerArgs {
  targetShape: number[];
}

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super(args, 'reshape');
    const t = args.targetShape;
    if (!Array.isArray(t) || !t.every((d) => d === -1 || (Number.isInteger(d) && d > 0)) || t.filter((d) => d === -1).length > 1) {
      throw new Error(`simdnet: ${this.name}: targetShape must be positive integers with at most one -1, got ${describeValue(t)}`);
    }
    this.targetShape = [...t];
  }

  protected computeOutputShape(s: number[]): number[] {
    const total = shapeSize(s);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const out = this.targetShape.map((d) => (d === -1 ? total / known : d));
    if (!out.every(Number.isInteger) || shapeSize(out) !== total) {
      throw new Error(`simdnet: ${this.name} (Reshape): input shape ${describeShape(s)} (${total} values) cannot be reshaped to [${this.targetShape}]`);
    }
    return out;
  }

  forward(x: Tensor, _node: Node, _arena: Arena): Tensor {
    return x.reshapeView(this.batchOutputShape(x));
  }

  backward(dy: Tensor, _node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    return needDx ? dy.reshapeView([dy.shape[0], ...this.inputShape!]) : null;
  }

  protected layerConfig(): Record<string, unknown> {
    return { target_shape: [...this.targetShape] };
  }
}
