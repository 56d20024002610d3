// Resizing (Keras): images to height × width, bilinear or nearest with half-pixel centres (tf.image.resize,
// as Keras), in training and inference alike. Backward scatters dy with the same weights (src/ops/resize.ts).
// cropToAspectRatio (Keras's smart_resize): first the largest centred window with the target's aspect ratio,
// then the resize, so nothing is stretched; backward puts the window's gradient back in place, 0 outside.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { describeValue } from '../describe.js';
import { padCrop2d, resizeForward, resizeBackward, type ResizeInterpolation } from '../ops/resize.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export interface ResizingArgs extends LayerArgs {
  height: number;
  width: number;
  interpolation?: ResizeInterpolation;
  /** Keras's crop_to_aspect_ratio: centre-crop each image to the target's aspect ratio before resizing. */
  cropToAspectRatio?: boolean;
}

export class Resizing extends Layer {
  readonly className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: ResizeInterpolation;
  readonly cropToAspectRatio: boolean;

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
    this.cropToAspectRatio = args.cropToAspectRatio ?? false;
    if (typeof this.cropToAspectRatio !== 'boolean') {
      throw new Error(`simdnet: ${this.name}: cropToAspectRatio must be true or false, got ${describeValue(args.cropToAspectRatio)}`);
    }
  }

  /**
   * The window resized, [top, left, height, width] of an H × W image: all of it, or with cropToAspectRatio
   * Keras's centred crop (its integer truncations included, at least one pixel).
   */
  cropWindow(H: number, W: number): [number, number, number, number] {
    if (!this.cropToAspectRatio) return [0, 0, H, W];
    const ch = Math.max(1, Math.min(H, Math.trunc((W * this.height) / this.width)));
    const cw = Math.max(1, Math.min(W, Math.trunc((H * this.width) / this.height)));
    return [Math.trunc((H - ch) / 2), Math.trunc((W - cw) / 2), ch, cw];
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    return [this.height, this.width, s[2]];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    const [N, H, W, C] = x.shape;
    const [top, left, ch, cw] = this.cropWindow(H, W);
    if (ch === H && cw === W) {
      resizeForward(x, y, this.interpolation, 'half_pixel');
      return y;
    }
    const window = Tensor.empty([N, ch, cw, C], arena);
    padCrop2d(x, window, -top, -left);
    resizeForward(window, y, this.interpolation, 'half_pixel');
    if (!arena) window.dispose();
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    const [N, H, W, C] = node.input.shape;
    const [top, left, ch, cw] = this.cropWindow(H, W);
    if (ch === H && cw === W) {
      resizeBackward(dy, dx, this.interpolation, 'half_pixel');
      return dx;
    }
    const window = Tensor.empty([N, ch, cw, C], arena);
    resizeBackward(dy, window, this.interpolation, 'half_pixel');
    padCrop2d(window, dx, top, left); // zeros around the window
    if (!arena) window.dispose();
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { height: this.height, width: this.width, interpolation: this.interpolation, crop_to_aspect_ratio: this.cropToAspectRatio };
  }
}
