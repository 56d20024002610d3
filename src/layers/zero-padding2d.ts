// ZeroPadding2D: zeros added around each image, (N,H,W,C) → (N,H+t+b,W+l+r,C). `padding` is a number
// (all sides), [rows, cols] (symmetric) or [[top, bottom], [left, right]], as Keras. Backward crops dy.
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { padCrop2d } from '../ops/resize.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { describeValue } from '../describe.js';

export type Margins2D = number | [number, number] | [[number, number], [number, number]];

export interface ZeroPadding2DArgs extends LayerArgs {
  padding?: Margins2D;
}

/** [[top, bottom], [left, right]] from Keras's three forms; non-negative integers. */
export function margins2d(v: unknown, fallback: number, what: string, layer: string): [[number, number], [number, number]] {
  const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
  const m = v === undefined || v === null ? fallback : v;
  if (ok(m)) return [[m, m], [m, m]];
  if (Array.isArray(m) && m.length === 2) {
    if (ok(m[0]) && ok(m[1])) return [[m[0], m[0]], [m[1], m[1]]];
    const [a, b] = m as unknown[];
    if (Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2 && [...a, ...b].every(ok)) {
      return [[a[0], a[1]], [b[0], b[1]]];
    }
  }
  throw new Error(`simdnet: ${layer}: ${what} must be a non-negative integer, [rows, cols] or [[top, bottom], [left, right]], got ${describeValue(v)}`);
}

export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  readonly padding: [[number, number], [number, number]];

  constructor(args: ZeroPadding2DArgs = {}) {
    super(args, 'zero_padding2d');
    this.padding = margins2d(args.padding, 1, 'padding', this.name);
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    const [[t, b], [l, r]] = this.padding;
    return [s[0] + t + b, s[1] + l + r, s[2]];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    padCrop2d(x, y, this.padding[0][0], this.padding[1][0]);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    padCrop2d(dy, dx, -this.padding[0][0], -this.padding[1][0]);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { padding: this.padding.map((p) => [...p]), data_format: 'channels_last' };
  }
}
