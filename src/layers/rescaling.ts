// Rescaling (Keras): y = x·scale + offset, in training and inference alike (e.g. scale 1/255 for bytes).
// Backward: dx = dy·scale.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { describeValue } from '../describe.js';
import { scaleShift } from '../ops/augment.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export interface RescalingArgs extends LayerArgs {
  scale: number;
  offset?: number;
}

export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;

  constructor(args: RescalingArgs) {
    super(args, 'rescaling');
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
    for (const [key, v] of [['scale', args.scale], ['offset', this.offset]] as const) {
      if (!Number.isFinite(v)) throw new Error(`simdnet: ${this.name}: ${key} must be a finite number, got ${describeValue(v)}`);
    }
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(x.shape, arena);
    scaleShift(x, y, this.scale, this.offset);
    return y;
  }

  backward(dy: Tensor, _node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    scaleShift(dy, dy, this.scale, 0); // in place: dy is ours
    return dy;
  }

  protected layerConfig(): Record<string, unknown> {
    return { scale: this.scale, offset: this.offset };
  }
}
