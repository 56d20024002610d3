// LeakyReLU: y = x for x > 0, alpha * x otherwise (Keras default alpha 0.3).
import { describeValue } from '../describe.js';
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { activationForward, activationBackward, ACTIVATION } from '../ops/activation.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export interface LeakyReLUArgs extends LayerArgs {
  alpha?: number;
}

export class LeakyReLU extends Layer {
  readonly className = 'LeakyReLU';
  readonly alpha: number;

  constructor(args: LeakyReLUArgs = {}) {
    super(args, 'leaky_re_lu');
    this.alpha = args.alpha ?? 0.3;
    if (!Number.isFinite(this.alpha)) throw new Error(`simdnet: ${this.name}: alpha must be a number, got ${describeValue(args.alpha)}`);
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(x.shape, arena); // not in place: x may be kept by the layer before
    activationForward(x, y, ACTIVATION.leakyRelu, this.alpha);
    return y;
  }

  backward(dy: Tensor, node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    activationBackward(node.output!, dy, dy, ACTIVATION.leakyRelu, this.alpha); // in place: dy is ours
    return dy;
  }

  protected layerConfig(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}
