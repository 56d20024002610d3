// The activation layers of TF.js: Softmax (over the last axis), ELU({ alpha }) and ReLU({ maxValue }, plus
// Keras's negativeSlope and threshold). Softmax is the Activation layer with a fixed function; ELU runs the
// activation kernel with its alpha; ReLU runs its own clamp kernel (assembly/clamp.ts).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { activationForward, activationBackward, ACTIVATION } from '../ops/activation.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { Activation } from './activation.js';
import { describeValue } from '../describe.js';
import { reluClampForward, reluClampBackward, type ReluClamp } from '../ops/relu-clamp.js';

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
  /** Cap (Keras `max_value`); null or undefined: none. */
  maxValue?: number | null;
  /** Slope below the threshold (Keras; TF.js has no such option). Default 0. */
  negativeSlope?: number;
  /** Values at or below it take the slope (Keras; TF.js has no such option). Default 0. */
  threshold?: number;
}

/**
 * ReLU as Keras has it: y = x > threshold ? min(x, maxValue) : negativeSlope·(x − threshold), one clamp
 * kernel (assembly/clamp.ts) forward and backward. TF.js's ReLU has only maxValue; negativeSlope and
 * threshold are saved only when set, so other models stay TF.js-loadable.
 */
export class ReLU extends Layer {
  readonly className = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  private readonly clamp: ReluClamp;

  constructor(args: ReLUArgs = {}) {
    super(args, 're_lu');
    const m = args.maxValue ?? null;
    const nonNegative = (v: unknown) => typeof v === 'number' && v >= 0 && Number.isFinite(v);
    if (m !== null && !nonNegative(m)) throw new Error(`simdnet: ${this.name}: maxValue must be a number ≥ 0 or null, got ${describeValue(args.maxValue)}`);
    this.maxValue = m;
    this.negativeSlope = args.negativeSlope ?? 0;
    this.threshold = args.threshold ?? 0;
    for (const k of ['negativeSlope', 'threshold'] as const) {
      if (!nonNegative(this[k])) throw new Error(`simdnet: ${this.name}: ${k} must be a number ≥ 0, got ${describeValue(args[k])}`);
    }
    this.clamp = { maxValue: m ?? Infinity, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }

  /** The activation this layer equals ('relu', 'relu6'), or a description where no plain one does (for exporters). */
  get activation(): string {
    if (this.negativeSlope === 0 && this.threshold === 0 && (this.maxValue === null || this.maxValue === 6)) return this.maxValue ? 'relu6' : 'relu';
    return `ReLU(maxValue ${this.maxValue}, negativeSlope ${this.negativeSlope}, threshold ${this.threshold})`;
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(x.shape, arena); // not in place: backward reads x
    reluClampForward(x, y, this.clamp);
    return y;
  }

  backward(dy: Tensor, node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    reluClampBackward(node.input, dy, dy, this.clamp);
    return dy;
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      max_value: this.maxValue,
      ...(this.negativeSlope !== 0 ? { negative_slope: this.negativeSlope } : {}),
      ...(this.threshold !== 0 ? { threshold: this.threshold } : {}),
    };
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
