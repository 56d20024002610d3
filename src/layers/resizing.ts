// Resizing (Keras): images to height × width, bilinear or nearest with half-pixel centres (tf.image.resize,
// as Keras), in training and inference alike. Backward scatters dy with the same weights (src/ops/resize.ts).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { describeValue } from '../describe.js';
import { resizeForward, resizeBackward, type ResizeInterpolation } from '../ops/resize.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export interface ResizingArgs extends LayerArgs {
  height: number;
  width: number;
  interpolation?: ResizeInterpolation;
  /** Keras's crop_to_aspect_ratio: only false (the default) is supported. */
  cropToAspectRatio?: boolean;
}

export class Resizing extends Layer {
  readonly className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: ResizeInterpolation;

  constructor(args: ResizingArgs) {
    super(args, 'resizing');
    for (const key of ['height', 'width'] as const) {
      if (!Number.isInteger(args[key]) || args[key] < 1) throw new Error(`simdnet: ${this.name}: ${key} must be a positive integer, got ${describeValue(args[key])}`);
    }
    this.height = args.height;
    this.width = args.width;
    this.interpolation = args.interpolation ?? 'bilinear';
    if (this.interpolation !== 'bilinear' && this.interpolation !== 'nearest') {
      throw new Error(`simdnet: ${this.name}: interpolation must be 'bilinear' or 'nearest', got ${describeValue(args.interpolation)}`);
    }
    if (args.cropToAspectRatio) throw new Error(`simdnet: ${this.name}: cropToAspectRatio is not supported`);
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    return [this.height, this.width, s[2]];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(this.batchOutputShape(x), arena);
    resizeForward(x, y, this.interpolation, 'half_pixel');
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = Tensor.empty(node.input.shape, arena);
    resizeBackward(dy, dx, this.interpolation, 'half_pixel');
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { height: this.height, width: this.width, interpolation: this.interpolation, crop_to_aspect_ratio: false };
  }
}
