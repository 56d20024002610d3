// Maxout (ConvNetJS): the maximum over groups of `groupSize` consecutive channels, (…, C) → (…, C/groupSize).
// Not a Keras layer: saved as class 'Maxout', which only simdnet loads.
import { describeValue } from '../describe.js';
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { maxoutForward, maxoutBackward } from '../ops/maxout.js';
import { Layer, type LayerArgs, describeShape } from './layer.js';
import type { Node } from './node.js';

export interface MaxoutArgs extends LayerArgs {
  /** Channels per group (ConvNetJS `group_size`), default 2. */
  groupSize?: number;
}

export class Maxout extends Layer {
  readonly className = 'Maxout';
  readonly groupSize: number;

  constructor(args: MaxoutArgs = {}) {
    super(args, 'maxout');
    this.groupSize = args.groupSize ?? 2;
    if (!Number.isInteger(this.groupSize) || this.groupSize <= 0) {
      throw new Error(`simdnet: ${this.name}: groupSize must be a positive integer, got ${describeValue(args.groupSize)}`);
    }
  }

  protected computeOutputShape(s: number[]): number[] {
    const c = s[s.length - 1];
    if (s.length === 0 || c % this.groupSize !== 0) {
      throw new Error(
        `simdnet: ${this.name} (Maxout) needs a channel count divisible by groupSize ${this.groupSize}, got input shape ${describeShape(s)}`,
      );
    }
    return [...s.slice(0, -1), c / this.groupSize];
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    maxoutForward(x, y, node.keep('argmax', Tensor.empty(y.shape, arena)), this.groupSize);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    maxoutBackward(dy, node.get('argmax'), dx, this.groupSize);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { group_size: this.groupSize };
  }
}
