// Maxout (ConvNetJS): the maximum over groups of `groupSize` consecutive channels, (…, C) → (…, C/groupSize).
// Not a Keras layer: saved as class 'Maxout', which only simdnet loads.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { maxoutForward, maxoutBackward } from '../ops/maxout.js';
import { Layer, type LayerArgs, describeShape } from './layer.js';

export interface MaxoutArgs extends LayerArgs {
  /** Channels per group (ConvNetJS `group_size`), default 2. */
  groupSize?: number;
}

export class Maxout extends Layer {
  readonly className = 'Maxout';
  readonly groupSize: number;
  private x: Tensor | null = null;
  private argmax: Tensor | null = null;

  constructor(args: MaxoutArgs = {}) {
    super(args, 'maxout');
    this.groupSize = args.groupSize ?? 2;
    if (!Number.isInteger(this.groupSize) || this.groupSize <= 0) {
      throw new Error(`simdnet: ${this.name}: groupSize must be a positive integer, got ${args.groupSize}`);
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

  forward(x: Tensor, _training: boolean, arena: Arena): Tensor {
    const y = Tensor.empty(this.batchOutputShape(x), arena);
    this.argmax = Tensor.empty(y.shape, arena);
    maxoutForward(x, y, this.argmax, this.groupSize);
    this.x = x;
    return y;
  }

  backward(dy: Tensor, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = Tensor.empty(this.x!.shape, arena);
    maxoutBackward(dy, this.argmax!, dx, this.groupSize);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { group_size: this.groupSize };
  }
}
