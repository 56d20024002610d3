// Activation: y = f(x) elementwise (softmax: over the last axis).
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, applyActivation, activationGrad } from './activations.js';

export interface ActivationArgs extends LayerArgs {
  activation: ActivationName;
}

export class Activation extends Layer {
  readonly className: string = 'Activation';
  readonly activation: ActivationName;

  constructor(args: ActivationArgs, prefix = 'activation') {
    super(args, prefix);
    this.activation = checkActivation(args.activation, this.name);
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    if (this.activation === 'linear' || (node.logits && this.activation === 'softmax')) return x;
    // Not in place: x may be another layer's kept output, which its backward needs.
    return applyActivation(x, this.activation, arena, false);
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    if (node.logits && this.activation === 'softmax') return dy;
    return activationGrad(node.output!, dy, this.activation, arena, node.input);
  }

  protected layerConfig(): Record<string, unknown> {
    return { activation: this.activation };
  }
}
