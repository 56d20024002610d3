// Elementwise merge layers: add, subtract, multiply, average, maximum, minimum. Every input has the same
// shape (no broadcasting, except a multiply's channel gate), checked at apply(). Kernels: src/ops/merge.ts.
//   add       y = Σ x_i              dx_i = dy
//   subtract  y = x_0 − x_1          dx_0 = dy, dx_1 = −dy        (Keras; TF.js 4.22 has no Subtract)
//   multiply  y = Π x_i              dx_i = dy · Π_{j≠i} x_j
//             y = x · g, g [1,…,1,C]  dx = dy · g, dg[c] = Σ_positions dy·x   (squeeze-excite's gate)
//   average   y = Σ x_i / n          dx_i = dy / n
//   maximum   y = max_i x_i          dx_i = dy where x_i is the first input holding the maximum, else 0
//   minimum   the same with min
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { addInto, subtractInto, multiplyInto, multiplyChannelsInto, multiplyChannelsGrad, scaleInto, copyInto, maxMinInto, claimEqual } from '../ops/merge.js';
import { type LayerArgs, sameShape } from './layer.js';
import type { Node } from './node.js';
import { MergeLayer } from './merge-base.js';

type Kind = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';

const CLASS: Record<Kind, string> = {
  add: 'Add', subtract: 'Subtract', multiply: 'Multiply', average: 'Average', maximum: 'Maximum', minimum: 'Minimum',
};

/** A copy of dy for the second and later receivers of the same gradient (each receiver owns its own). */
function copyOf(dy: Tensor, arena: Arena): Tensor {
  const t = Tensor.empty(dy.shape, arena);
  copyInto(t, dy);
  return t;
}

export abstract class ElementwiseMerge extends MergeLayer {
  readonly className: string;

  constructor(args: LayerArgs, private readonly kind: Kind) {
    super(args, kind);
    this.className = CLASS[kind];
  }

  /** For multiply: the second input is a channel gate [1, …, 1, C] broadcast over the first's positions. */
  private gated = false;

  protected mergeShape(shapes: number[][]): number[] {
    if (this.kind === 'subtract' && shapes.length !== 2) throw this.mismatch(shapes, 'needs exactly 2 inputs');
    // Keras broadcasts; simdnet broadcasts the one case CNNs use: Multiply of an image [H, W, C] and a gate
    // [1, 1, C] (squeeze-excite), in that order.
    const [a, b] = shapes;
    if (this.kind === 'multiply' && shapes.length === 2 && a.length === b.length && !sameShape(a, b) && b.every((d, i) => (i === b.length - 1 ? d === a[i] : d === 1))) {
      this.gated = true;
      return [...a];
    }
    if (!shapes.every((s) => sameShape(s, shapes[0]))) {
      throw this.mismatch(shapes, this.kind === 'multiply' ? 'needs inputs of one shape, or two: x and a channel gate [1, …, 1, C]' : 'needs inputs of one shape');
    }
    return [...shapes[0]];
  }

  protected forwardAll(xs: Tensor[], _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(xs[0].shape, arena);
    if (this.gated) {
      multiplyChannelsInto(y, xs[0], xs[1]);
      return y;
    }
    switch (this.kind) {
      case 'subtract':
        subtractInto(y, xs[0], xs[1]);
        return y;
      case 'maximum':
      case 'minimum':
        maxMinInto(y, xs[0], xs[1], this.kind === 'maximum');
        for (let i = 2; i < xs.length; i++) maxMinInto(y, y, xs[i], this.kind === 'maximum');
        return y;
      case 'multiply':
        multiplyInto(y, xs[0], xs[1]);
        for (let i = 2; i < xs.length; i++) multiplyInto(y, y, xs[i]);
        return y;
      default: // add, average
        addInto(y, xs[0], xs[1]);
        for (let i = 2; i < xs.length; i++) addInto(y, y, xs[i]);
        if (this.kind === 'average') scaleInto(y, y, 1 / xs.length);
        return y;
    }
  }

  protected backwardAll(dy: Tensor, node: Node, arena: Arena, needDx: boolean[]): (Tensor | null)[] {
    const xs = node.inputs;
    const n = xs.length;
    const out: (Tensor | null)[] = new Array(n).fill(null);
    switch (this.kind) {
      case 'add':
      case 'average': {
        if (this.kind === 'average') scaleInto(dy, dy, 1 / n); // in place: dy is ours
        // The first receiver takes dy itself, the others copies.
        let given = false;
        for (let i = 0; i < n; i++) {
          if (!needDx[i]) continue;
          out[i] = given ? copyOf(dy, arena) : dy;
          given = true;
        }
        return out;
      }
      case 'subtract': {
        if (needDx[1]) {
          out[1] = needDx[0] ? Tensor.empty(dy.shape, arena) : dy;
          scaleInto(out[1], dy, -1);
        }
        if (needDx[0]) out[0] = dy;
        return out;
      }
      case 'multiply': {
        if (this.gated) {
          // d gate[n,c] = Σ_p dy·x; dx = dy · gate (in place on dy, after the gate's gradient read it).
          if (needDx[1]) multiplyChannelsGrad((out[1] = Tensor.empty(xs[1].shape, arena)), dy, xs[0]);
          if (needDx[0]) multiplyChannelsInto((out[0] = dy), dy, xs[1]);
          return out;
        }
        // dx_i = dy · Π_{j≠i} x_j; the last receiver computes in place on dy, after the others read it.
        const wanted = [...Array(n).keys()].filter((i) => needDx[i]);
        wanted.forEach((i, k) => {
          const dx = k === wanted.length - 1 ? dy : Tensor.empty(dy.shape, arena);
          let first = true;
          for (let j = 0; j < n; j++) {
            if (j === i) continue;
            multiplyInto(dx, first ? dy : dx, xs[j]);
            first = false;
          }
          out[i] = dx;
        });
        return out;
      }
      default: {
        // maximum/minimum: each element's gradient goes to the first input holding the extreme. rem (dy,
        // ours) holds what is unclaimed; the last input takes what remains, which is exactly its share.
        const y = node.output!;
        let scratch: Tensor | null = null;
        for (let i = 0; i < n - 1; i++) {
          const dx = needDx[i] ? Tensor.empty(dy.shape, arena) : (scratch ??= Tensor.empty(dy.shape, arena));
          claimEqual(xs[i], y, dy, dx);
          if (needDx[i]) out[i] = dx;
        }
        if (needDx[n - 1]) out[n - 1] = dy;
        return out;
      }
    }
  }
}

export class Add extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(args, 'add');
  }
}
export class Subtract extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(args, 'subtract');
  }
}
export class Multiply extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(args, 'multiply');
  }
}
export class Average extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(args, 'average');
  }
}
export class Maximum extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(args, 'maximum');
  }
}
export class Minimum extends ElementwiseMerge {
  constructor(args: LayerArgs = {}) {
    super(args, 'minimum');
  }
}
