// Flatten: (N, ...) → (N, product) in NHWC row-major order, so Keras dense weights load as they are.
// No copy: the output is a view of the input's memory, and so is the gradient.
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerArgs, shapeSize } from './layer.js';
import type { Node } from './node.js';

export class Flatten extends Layer {
  readonly className = 'Flatten';

  constructor(args: LayerArgs = {}) {
    super(args, 'flatten');
  }

  protected computeOutputShape(s: number[]): number[] {
    return [shapeSize(s)];
  }

  forward(x: Tensor, _node: Node, _arena: Arena): Tensor {
    return x.reshapeView(this.batchOutputShape(x));
  }

  backward(dy: Tensor, _node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    return needDx ? dy.reshapeView([dy.shape[0], ...this.inputShape!]) : null;
  }

  protected layerConfig(): Record<string, unknown> {
    return { data_format: 'channels_last' };
  }
}
