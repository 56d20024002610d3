// MaxPooling3D and AveragePooling3D over (N,D,H,W,C): windows of poolSize (default 2), strides default to
// poolSize, 'valid'/'same' (TensorFlow's split). Average pooling counts only the cells inside the volume,
// forward and backward alike (tfjs-cpu's 'same' gradient divides by the whole window).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { maxPool3dForward, maxPool3dBackward, avgPool3dForward, avgPool3dBackward, type Pool3dGeometry } from '../ops/pool.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type Padding, checkPadding, windowAxis, triple } from './geometry.js';

export interface Pooling3DArgs extends LayerArgs {
  poolSize?: number | number[];
  strides?: number | number[];
  padding?: Padding;
}

abstract class Pooling3DBase extends Layer {
  readonly poolSize: [number, number, number];
  readonly strides: [number, number, number];
  readonly padding: Padding;
  private geometry: Pool3dGeometry | null = null;

  constructor(args: Pooling3DArgs, prefix: string, private readonly kind: 'max' | 'avg') {
    super(args, prefix);
    this.poolSize = triple(args.poolSize, 2, 'poolSize', this.name);
    this.strides = args.strides === undefined || args.strides === null ? this.poolSize : triple(args.strides, 1, 'strides', this.name);
    this.padding = checkPadding(args.padding, this.name);
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 4, 'volumes [depth, height, width, channels]');
    const [d, h, w] = [0, 1, 2].map((i) => windowAxis(s[i], this.poolSize[i], this.strides[i], this.padding));
    this.geometry = {
      poolD: this.poolSize[0], poolH: this.poolSize[1], poolW: this.poolSize[2],
      strideD: this.strides[0], strideH: this.strides[1], strideW: this.strides[2],
      padFront: d.before, padBack: d.after, padTop: h.before, padBottom: h.after, padLeft: w.before, padRight: w.after,
    };
    return [d.out, h.out, w.out, s[3]];
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    if (this.kind === 'max') maxPool3dForward(x, y, node.training ? node.keep('argmax', Tensor.empty(y.shape, arena)) : null, this.geometry!);
    else avgPool3dForward(x, y, this.geometry!);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    if (this.kind === 'max') maxPool3dBackward(dy, node.get('argmax'), dx);
    else avgPool3dBackward(dy, dx, this.geometry!);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { pool_size: [...this.poolSize], padding: this.padding, strides: [...this.strides], data_format: 'channels_last' };
  }
}

export class MaxPooling3D extends Pooling3DBase {
  readonly className = 'MaxPooling3D';
  constructor(args: Pooling3DArgs = {}) {
    super(args, 'max_pooling3d', 'max');
  }
}

export class AveragePooling3D extends Pooling3DBase {
  readonly className = 'AveragePooling3D';
  constructor(args: Pooling3DArgs = {}) {
    super(args, 'average_pooling3d', 'avg');
  }
}
