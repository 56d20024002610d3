// Concatenate: joins its inputs along `axis` (default -1, the channels). Axis counts the batch axis, as in
// Keras (1 = the first per-sample axis); the batch axis itself cannot be joined. Every other axis must match.
// With rows = N · Π shape[..axis) and cols_i = Π shape_i[axis..), each input is a rows × cols_i block that
// forward copies into its column range of the output rows and backward copies back out.
import type { Arena } from '../backend/arena.js';
import { Tensor, shapeSize } from '../tensor.js';
import { copyRows } from '../ops/merge.js';
import type { LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { MergeLayer } from './merge-base.js';
import { describeValue } from '../describe.js';

export interface ConcatenateArgs extends LayerArgs {
  axis?: number;
}

export class Concatenate extends MergeLayer {
  readonly className = 'Concatenate';
  readonly axis: number;
  /** The axis as an index into per-sample shapes. */
  private sampleAxis = -1;

  constructor(args: ConcatenateArgs = {}) {
    super(args, 'concatenate');
    this.axis = args.axis ?? -1;
    if (!Number.isInteger(this.axis) || this.axis === 0) {
      throw new Error(`simdnet: ${this.name}: axis must be a non-zero integer (the batch axis 0 cannot be joined), got ${describeValue(args.axis)}`);
    }
  }

  protected mergeShape(shapes: number[][]): number[] {
    const rank = shapes[0].length;
    if (!shapes.every((s) => s.length === rank)) throw this.mismatch(shapes, 'needs inputs of one rank');
    const a = this.axis < 0 ? rank + 1 + this.axis : this.axis;
    if (a < 1 || a > rank) throw this.mismatch(shapes, `cannot join axis ${this.axis}`);
    const k = a - 1;
    const ok = shapes.every((s) => s.every((d, i) => i === k || d === shapes[0][i]));
    if (!ok) throw this.mismatch(shapes, `needs inputs that match on every axis but axis ${this.axis}`);
    this.sampleAxis = k;
    const out = [...shapes[0]];
    out[k] = shapes.reduce((sum, s) => sum + s[k], 0);
    return out;
  }

  /** rows of the block view and each input's cols. */
  private blocks(n: number): { rows: number; cols: number[]; total: number } {
    const k = this.sampleAxis;
    const rows = n * shapeSize(this.outputShape!.slice(0, k));
    const cols = this.inputShapes!.map((s) => shapeSize(s.slice(k)));
    return { rows, cols, total: cols.reduce((a, b) => a + b, 0) };
  }

  protected forwardAll(xs: Tensor[], _node: Node, arena: Arena): Tensor {
    const n = xs[0].shape[0];
    const y = Tensor.empty([n, ...this.outputShape!], arena);
    const { rows, cols, total } = this.blocks(n);
    let at = 0;
    xs.forEach((x, i) => {
      copyRows(y, at, total, x, 0, cols[i], rows, cols[i]);
      at += cols[i];
    });
    return y;
  }

  protected backwardAll(dy: Tensor, node: Node, arena: Arena, needDx: boolean[]): (Tensor | null)[] {
    const n = dy.shape[0];
    const { rows, cols, total } = this.blocks(n);
    let at = 0;
    return node.inputs.map((x, i) => {
      const start = at;
      at += cols[i];
      if (!needDx[i]) return null;
      const dx = Tensor.empty(x.shape, arena);
      copyRows(dx, 0, cols[i], dy, start, total, rows, cols[i]);
      return dx;
    });
  }

  protected override layerConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}
