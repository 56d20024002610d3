// Activation: y = f(x) elementwise (softmax: over the last axis).
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerArgs } from './layer.js';
import { type ActivationName, checkActivation, applyActivation, activationGrad } from './activations.js';

export interface ActivationArgs extends LayerArgs {
  activation: ActivationName;
}

export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: ActivationName;
  private y: Tensor | null = null;

  constructor(args: ActivationArgs) {
    super(args, 'activation');
    this.activation = checkActivation(args.activation, this.name);
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, _training: boolean, arena: Arena): Tensor {
    if (this.activation === 'linear' || (this.logitsMode && this.activation === 'softmax')) {
      this.y = x;
      return x;
    }
    // Not in place: x may be another layer's kept output, which its backward needs.
    this.y = applyActivation(x, this.activation, arena, false);
    return this.y;
  }

  backward(dy: Tensor, arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    if (this.logitsMode && this.activation === 'softmax') return dy;
    return activationGrad(this.y!, dy, this.activation, arena);
  }

  protected layerConfig(): Record<string, unknown> {
    return { activation: this.activation };
  }
}
