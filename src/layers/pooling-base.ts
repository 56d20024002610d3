// Shared window pooling for MaxPooling2D/1D and AveragePooling2D/1D. 1D layers run the 2D kernels on
// (N,1,L,C) views. Strides default to the pool size, as in Keras.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { maxPool2dForward, maxPool2dBackward, avgPool2dForward, avgPool2dBackward, disjointWindows } from '../ops/pool.js';
import type { Pool2dGeometry } from '../ops/pool.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type Padding, pair, single, checkPadding, windowAxis } from './geometry.js';

export interface Pooling2DArgs extends LayerArgs {
  poolSize?: number | number[];
  strides?: number | number[];
  padding?: Padding;
}

export interface Pooling1DArgs extends LayerArgs {
  poolSize?: number | number[];
  strides?: number | number[];
  padding?: Padding;
}

export abstract class PoolingBase extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  private geometry: Pool2dGeometry | null = null;

  /** Whether this is a max pool whose windows share no cell (its backward can then mask a relu before it). */
  get disjointMax(): boolean {
    return this.kind === 'max' && this.geometry !== null && disjointWindows(this.geometry);
  }

  constructor(
    args: Pooling2DArgs,
    prefix: string,
    private readonly kind: 'max' | 'avg',
    private readonly dims: 1 | 2,
  ) {
    super(args, prefix);
    if (dims === 2) {
      this.poolSize = pair(args.poolSize, 2, 'poolSize', this.name);
      this.strides = args.strides === undefined || args.strides === null ? this.poolSize : pair(args.strides, 1, 'strides', this.name);
    } else {
      const p = single(args.poolSize, 2, 'poolSize', this.name);
      const s = args.strides === undefined || args.strides === null ? p : single(args.strides, 1, 'strides', this.name);
      this.poolSize = [1, p];
      this.strides = [1, s];
    }
    this.padding = checkPadding(args.padding, this.name);
  }

  protected computeOutputShape(s: number[]): number[] {
    if (this.dims === 2) this.expectRank(s, 3, 'images [height, width, channels]');
    else this.expectRank(s, 2, 'sequences [steps, channels]');
    const h2 = this.dims === 2 ? s[0] : 1;
    const w2 = this.dims === 2 ? s[1] : s[0];
    const h = windowAxis(h2, this.poolSize[0], this.strides[0], this.padding);
    const w = windowAxis(w2, this.poolSize[1], this.strides[1], this.padding);
    this.geometry = {
      poolH: this.poolSize[0],
      poolW: this.poolSize[1],
      strideH: this.strides[0],
      strideW: this.strides[1],
      padTop: h.before,
      padBottom: h.after,
      padLeft: w.before,
      padRight: w.after,
    };
    const c = s[s.length - 1];
    return this.dims === 2 ? [h.out, w.out, c] : [w.out, c];
  }

  /** The 4D (N,H,W,C) view the kernels take. */
  private as4d(t: Tensor, shape: number[]): Tensor {
    return this.dims === 2 ? t : t.reshapeView([t.shape[0], 1, ...shape]);
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    const x4 = this.as4d(x, this.inputShape!);
    const y4 = this.as4d(y, this.outputShape!);
    if (this.kind === 'max') {
      // Only training keeps the winners' indices (for the backward); inference computes the maxima alone.
      const argmax = node.training ? node.keep('argmax', Tensor.empty(y.shape, arena)) : null;
      maxPool2dForward(x4, y4, argmax && this.as4d(argmax, this.outputShape!), this.geometry!);
    } else avgPool2dForward(x4, y4, this.geometry!);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (node.passesGradient) return dy; // the conv before ran this pool in its forward, and takes dy
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    const dx4 = this.as4d(dx, this.inputShape!);
    const dy4 = this.as4d(dy, this.outputShape!);
    if (this.kind === 'max') {
      const argmax = this.as4d(node.get('argmax'), this.outputShape!);
      const mask = node.masksReluBefore ? this.as4d(node.output!, this.outputShape!) : undefined;
      maxPool2dBackward(dy4, argmax, dx4, this.geometry!, mask);
    }
    else avgPool2dBackward(dy4, dx4, this.geometry!);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    if (this.dims === 2) {
      return { pool_size: [...this.poolSize], padding: this.padding, strides: [...this.strides], data_format: 'channels_last' };
    }
    return { pool_size: [this.poolSize[1]], padding: this.padding, strides: [this.strides[1]] };
  }
}
