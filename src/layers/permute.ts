// Permute({ dims }): reorders the per-sample axes, as TF.js/Keras (dims are 1-based: [2, 1] swaps the two
// axes of a [rows, cols] sample; the batch axis never moves). Forward and backward are one transpose kernel
// (assembly/transpose.ts), the backward by the inverse permutation. Any sample rank (e.g. NCHW ↔ NHWC at
// the boundary of ONNX models: dims [2, 3, 1] and [3, 1, 2]).
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { transpose, inversePermutation } from '../ops/transpose.js';
import { Layer, type LayerArgs, describeShape } from './layer.js';
import type { Node } from './node.js';
import { describeValue } from '../describe.js';

export interface PermuteArgs extends LayerArgs {
  /** A permutation of 1..rank (1-based axes of one sample). */
  dims: number[];
}

export class Permute extends Layer {
  readonly className = 'Permute';
  readonly dims: number[];
  /** The permutation of the batched tensor's axes (0 stays first), and its inverse for backward. */
  private readonly perm: number[];
  private readonly inverse: number[];

  constructor(args: PermuteArgs) {
    super(args, 'permute');
    const d = args.dims;
    if (!Array.isArray(d) || d.length === 0 || [...d].sort((a, b) => a - b).some((a, i) => a !== i + 1)) {
      throw new Error(`simdnet: ${this.name}: dims must be a permutation of 1..${Array.isArray(d) && d.length ? d.length : 'rank'} (1-based axes), got ${describeValue(d)}`);
    }
    this.dims = [...d];
    this.perm = [0, ...d];
    this.inverse = inversePermutation(this.perm);
  }

  protected computeOutputShape(s: number[]): number[] {
    if (s.length !== this.dims.length) {
      throw new Error(`simdnet: ${this.name} (Permute): dims [${this.dims}] need a sample of rank ${this.dims.length}, got input shape ${describeShape(s)}`);
    }
    return this.dims.map((a) => s[a - 1]);
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    transpose(x, y, this.perm);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    transpose(dy, dx, this.inverse);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { dims: [...this.dims] };
  }
}
