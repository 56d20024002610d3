// UpSampling2D: (N,H,W,C) → (N,H·sh,W·sw,C), nearest (each pixel repeated) or bilinear. Bilinear uses
// TF.js's coordinates (asymmetric: src = dst·in/out, no half-pixel centres) so TF.js models load unchanged;
// the kernel also takes half-pixel and align-corners coordinates (src/ops/resize.ts). Backward scatters with
// the same weights (tfjs-cpu's bilinear gradient swaps height and width on non-square inputs; this does not).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { resizeForward, resizeBackward, type ResizeInterpolation } from '../ops/resize.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { pair } from './geometry.js';
import { describeValue } from '../describe.js';

export interface UpSampling2DArgs extends LayerArgs {
  size?: number | number[];
  interpolation?: ResizeInterpolation;
}

export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly interpolation: ResizeInterpolation;

  constructor(args: UpSampling2DArgs = {}) {
    super(args, 'up_sampling2d');
    this.size = pair(args.size, 2, 'size', this.name);
    const i = args.interpolation ?? 'nearest';
    if (i !== 'nearest' && i !== 'bilinear') throw new Error(`simdnet: ${this.name}: interpolation must be 'nearest' or 'bilinear', got ${describeValue(i)}`);
    this.interpolation = i;
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    return [s[0] * this.size[0], s[1] * this.size[1], s[2]];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(this.batchOutputShape(x), arena);
    resizeForward(x, y, this.interpolation, 'asymmetric');
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = Tensor.empty(node.input.shape, arena);
    resizeBackward(dy, dx, this.interpolation, 'asymmetric');
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { size: [...this.size], data_format: 'channels_last', interpolation: this.interpolation };
  }
}
