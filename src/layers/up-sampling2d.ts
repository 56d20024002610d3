// UpSampling2D: (N,H,W,C) → (N,H·sh,W·sw,C), nearest (each pixel repeated) or bilinear. Bilinear uses
// TF.js's coordinates by default (asymmetric: src = dst·in/out, no half-pixel centres) so TF.js models load
// unchanged; `coordinates` picks half-pixel or align-corners ones (src/ops/resize.ts), as PyTorch's Upsample
// and ONNX's Resize use (TF.js has no such option: it is saved only when not the default). Backward scatters with
// the same weights (tfjs-cpu's bilinear gradient swaps height and width on non-square inputs; this does not).
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { resizeForward, resizeBackward, type ResizeCoordinates, type ResizeInterpolation } from '../ops/resize.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { pair } from './geometry.js';
import { describeValue } from '../describe.js';

export interface UpSampling2DArgs extends LayerArgs {
  size?: number | number[];
  interpolation?: ResizeInterpolation;
  /** How output pixels map to input coordinates (default 'asymmetric', as TF.js). */
  coordinates?: ResizeCoordinates;
}

export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly interpolation: ResizeInterpolation;
  readonly coordinates: ResizeCoordinates;

  constructor(args: UpSampling2DArgs = {}) {
    super(args, 'up_sampling2d');
    this.size = pair(args.size, 2, 'size', this.name);
    const i = args.interpolation ?? 'nearest';
    const c = args.coordinates ?? 'asymmetric';
    if (!/^(nearest|bilinear)$/.test(i) || !/^(asymmetric|half_pixel|align_corners)$/.test(c)) {
      throw new Error(`simdnet: ${this.name}: interpolation ${describeValue(i)} or coordinates ${describeValue(c)} unknown`);
    }
    this.interpolation = i;
    this.coordinates = c;
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    return [s[0] * this.size[0], s[1] * this.size[1], s[2]];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    resizeForward(x, y, this.interpolation, this.coordinates);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    resizeBackward(dy, dx, this.interpolation, this.coordinates);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    const c = this.coordinates;
    return { size: [...this.size], data_format: 'channels_last', interpolation: this.interpolation, ...(c !== 'asymmetric' && { coordinates: c }) };
  }
}
