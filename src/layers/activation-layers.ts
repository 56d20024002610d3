// The activation layers of TF.js: Softmax (over the last axis), ELU({ alpha }) and ReLU({ maxValue }).
// Each is the Activation layer with a fixed function, run by the activation kernels (ELU's alpha is the
// kernel's parameter; ReLU with maxValue 6 is relu6).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { activationForward, activationBackward, ACTIVATION } from '../ops/activation.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { Activation } from './activation.js';
import { describeValue } from '../describe.js';

export interface SoftmaxArgs extends LayerArgs {
  axis?: number;
}

export class Softmax extends Activation {
  override readonly className: string = 'Softmax';
  constructor(args: SoftmaxArgs = {}) {
    super({ ...args, activation: 'softmax' }, 'softmax');
    if (args.axis !== undefined && args.axis !== -1) throw new Error(`simdnet: ${this.name}: Softmax supports only axis -1 (the last), got ${describeValue(args.axis)}`);
  }
  protected override layerConfig(): Record<string, unknown> {
    return { axis: -1 };
  }
}

export interface ReLUArgs extends LayerArgs {
  maxValue?: number | null;
}

export class ReLU extends Activation {
  override readonly className: string = 'ReLU';
  readonly maxValue: number | null;
  constructor(args: ReLUArgs = {}) {
    const m = args.maxValue ?? null;
    super({ ...args, activation: m === 6 ? 'relu6' : 'relu' }, 're_lu');
    if (m !== null && m !== 6) {
      throw new Error(`simdnet: ${this.name}: ReLU supports maxValue 6 (relu6) or none, got ${describeValue(m)}`);
    }
    this.maxValue = m;
  }
  protected override layerConfig(): Record<string, unknown> {
    return { max_value: this.maxValue };
  }
}

export interface ELUArgs extends LayerArgs {
  alpha?: number;
}

/** ELU: x for x > 0, alpha·(eˣ − 1) otherwise (alpha 1 by default, as Keras). */
export class ELU extends Layer {
  readonly className = 'ELU';
  readonly alpha: number;
  constructor(args: ELUArgs = {}) {
    super(args, 'elu');
    this.alpha = args.alpha ?? 1;
    if (typeof this.alpha !== 'number' || !Number.isFinite(this.alpha)) throw new Error(`simdnet: ${this.name}: alpha must be a finite number, got ${describeValue(args.alpha)}`);
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(x.shape, arena); // not in place: x may be another layer's kept output
    activationForward(x, y, ACTIVATION.elu, this.alpha);
    return y;
  }

  backward(dy: Tensor, node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    activationBackward(node.output!, dy, dy, ACTIVATION.elu, this.alpha);
    return dy;
  }

  protected layerConfig(): Record<string, unknown> {
    return { alpha: this.alpha };
  }
}
