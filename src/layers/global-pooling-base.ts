// Shared global pooling: x (N,H,W,C) or (N,L,C) → y (N,C), the mean or maximum over all positions of each
// channel.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { globalAvgPoolForward, globalAvgPoolBackward, globalMaxPoolForward, globalMaxPoolBackward } from '../ops/pool.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export abstract class GlobalPoolingBase extends Layer {
  constructor(args: LayerArgs, prefix: string, private readonly kind: 'max' | 'avg', private readonly dims: 1 | 2 = 2) {
    super(args, prefix);
  }

  protected computeOutputShape(s: number[]): number[] {
    if (this.dims === 2) this.expectRank(s, 3, 'images [height, width, channels]');
    else this.expectRank(s, 2, 'sequences [steps, channels]');
    return [s[s.length - 1]];
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const y = this.outputFor(x, arena);
    if (this.kind === 'max') globalMaxPoolForward(x, y, node.keep('argmax', Tensor.empty(y.shape, arena)));
    else globalAvgPoolForward(x, y);
    return y;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const dx = this.inputGradientFor(node, arena);
    if (this.kind === 'max') globalMaxPoolBackward(dy, node.get('argmax'), dx);
    else globalAvgPoolBackward(dy, dx);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { data_format: 'channels_last' };
  }
}
