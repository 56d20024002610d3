// Conv2D: y = f(conv(x, kernel) + bias), x (N,H,W,C), kernel (KH,KW,C/groups,F) as Keras, y (N,OH,OW,F).
// `groups` (Keras's grouped convolution; AlexNet's two towers) is a simdnet extension over TF.js, which
// ignores it: models that use it save `groups` in their config and load in simdnet and Keras, not TF.js.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { conv2dForward, conv2dBackward } from '../ops/conv.js';
import { WinogradPlan } from '../ops/winograd.js';
import type { Conv2dGeometry } from '../ops/conv.js';
import { Layer, type LayerArgs, describeShape } from './layer.js';
import { describeValue } from '../describe.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { type Padding, pair, checkPadding, windowAxis } from './geometry.js';

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: Padding;
  dilationRate?: number | number[];
  activation?: ActivationName;
  useBias?: boolean;
  /** Channels and filters split into this many independent groups (Keras). Default 1. */
  groups?: number;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly groups: number;
  private geometry: Conv2dGeometry | null = null;
  /** Transformed filters for the Winograd path, kept across calls (remade when the kernel is written). */
  private readonly plan = new WinogradPlan();

  constructor(args: Conv2DArgs) {
    super(args, 'conv2d');
    if (!Number.isInteger(args.filters) || args.filters <= 0) {
      throw new Error(`simdnet: ${this.name}: filters must be a positive integer, got ${describeValue(args.filters)}`);
    }
    this.filters = args.filters;
    this.kernelSize = pair(args.kernelSize, NaN, 'kernelSize', this.name);
    this.strides = pair(args.strides, 1, 'strides', this.name);
    this.padding = checkPadding(args.padding, this.name);
    this.dilationRate = pair(args.dilationRate, 1, 'dilationRate', this.name);
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
    this.groups = args.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new Error(`simdnet: ${this.name}: groups must be a positive integer dividing filters (${this.filters}), got ${describeValue(args.groups)}`);
    }
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    if (s[2] % this.groups !== 0) {
      throw new Error(`simdnet: ${this.name} (Conv2D): groups ${this.groups} does not divide the ${s[2]} input channels of ${describeShape(s)}`);
    }
    const h = windowAxis(s[0], this.kernelSize[0], this.strides[0], this.padding, this.dilationRate[0]);
    const w = windowAxis(s[1], this.kernelSize[1], this.strides[1], this.padding, this.dilationRate[1]);
    this.geometry = {
      strideH: this.strides[0],
      strideW: this.strides[1],
      padTop: h.before,
      padBottom: h.after,
      padLeft: w.before,
      padRight: w.after,
      dilationH: this.dilationRate[0],
      dilationW: this.dilationRate[1],
      groups: this.groups,
    };
    return [h.out, w.out, this.filters];
  }

  protected createParams(s: number[]): void {
    const [kh, kw] = this.kernelSize;
    const receptive = kh * kw;
    const perGroup = s[2] / this.groups;
    this.addParam('kernel', [kh, kw, perGroup, this.filters], 'glorotUniform', true, [receptive * perGroup, receptive * this.filters]);
    if (this.useBias) this.addParam('bias', [this.filters], 'zeros');
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const z = Tensor.empty(this.batchOutputShape(x), arena);
    const bias = this.useBias ? this.param('bias').value : null;
    conv2dForward(x, this.param('kernel').value, bias, z, this.geometry!, fusedCode(this.activation), fusedAlpha(this.activation), this.plan);
    return finishFusedActivation(z, this.activation, node.logits, arena);
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node.logits, arena);
    const kernel = this.param('kernel');
    const x = node.input;
    const dx = needDx ? Tensor.empty(x.shape, arena) : null;
    const db = this.useBias ? this.gradOf(this.param('bias')) : null;
    conv2dBackward(x, kernel.value, dz, dx, this.gradOf(kernel), db, this.geometry!, true);
    return dx;
  }

  override dispose(): void {
    this.plan.dispose();
    super.dispose();
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [...this.dilationRate],
      activation: this.activation,
      use_bias: this.useBias,
      ...(this.groups !== 1 ? { groups: this.groups } : {}),
      ...defaultInitializerConfig(),
    };
  }
}

/** What Keras writes for the default initialisers, so TF.js reads our configs without surprises. */
export function defaultInitializerConfig(): Record<string, unknown> {
  return {
    kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}
