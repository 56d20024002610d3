// Cropping2D: rows and columns cut from each image's borders, (N,H,W,C) → (N,H−t−b,W−l−r,C). `cropping`
// is a number, [rows, cols] or [[top, bottom], [left, right]], as Keras. Backward pads dy with zeros.
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { padCrop2d } from '../ops/resize.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { margins2d, type Margins2D } from './zero-padding2d.js';

export interface Cropping2DArgs extends LayerArgs {
  cropping?: Margins2D;
}

export class Cropping2D extends Layer {
  readonly className = 'Cropping2D';
  readonly cropping: [[number, number], [number, number]];

  constructor(args: Cropping2DArgs = {}) {
    super(args, 'cropping2d');
    this.cropping = margins2d(args.cropping, 0, 'cropping', this.name);
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    const [[t, b], [l, r]] = this.cropping;
    return [s[0] - t - b, s[1] - l - r, s[2]];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    padCrop2d(x, y, -this.cropping[0][0], -this.cropping[1][0]);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    padCrop2d(dy, dx, this.cropping[0][0], this.cropping[1][0]);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { cropping: this.cropping.map((p) => [...p]), data_format: 'channels_last' };
  }
}
