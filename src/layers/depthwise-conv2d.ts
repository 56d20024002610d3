// DepthwiseConv2D: y = f(depthwise(x, depthwise_kernel) + bias). x (N,H,W,C), depthwise_kernel (KH,KW,C,M)
// as Keras (M = depthMultiplier), y (N,OH,OW,C·M) with output channel c·M + m. Its own kernel
// (assembly/depthwise.ts), not a grouped GEMM. dilationRate is honoured (TF.js's layer ignores it in the
// forward pass and its gradient throws for dilation > 1).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { depthwiseConv2dForward, depthwiseConv2dBackward } from '../ops/depthwise.js';
import type { Conv2dGeometry } from '../ops/conv.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { type Padding, pair, checkPadding, windowAxis } from './geometry.js';
import { describeValue } from '../describe.js';

export interface DepthwiseConv2DArgs extends LayerArgs {
  kernelSize: number | number[];
  depthMultiplier?: number;
  strides?: number | number[];
  padding?: Padding;
  dilationRate?: number | number[];
  activation?: ActivationName;
  useBias?: boolean;
}

/** The window geometry of a 2D conv layer for its input: output size and TensorFlow's 'same' padding split. */
export function convGeometry2d(
  s: number[], kernel: [number, number], strides: [number, number], padding: Padding, dilation: [number, number],
): { out: [number, number]; g: Conv2dGeometry } {
  const h = windowAxis(s[0], kernel[0], strides[0], padding, dilation[0]);
  const w = windowAxis(s[1], kernel[1], strides[1], padding, dilation[1]);
  return {
    out: [h.out, w.out],
    g: {
      strideH: strides[0], strideW: strides[1], padTop: h.before, padBottom: h.after, padLeft: w.before, padRight: w.after,
      dilationH: dilation[0], dilationW: dilation[1],
    },
  };
}

export function positiveInt(v: unknown, what: string, layer: string): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new Error(`simdnet: ${layer}: ${what} must be a positive integer, got ${describeValue(v)}`);
  return v as number;
}

export class DepthwiseConv2D extends Layer {
  readonly className: string = 'DepthwiseConv2D';
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  protected geometry: Conv2dGeometry | null = null;

  constructor(args: DepthwiseConv2DArgs, prefix = 'depthwise_conv2d') {
    super(args, prefix);
    this.kernelSize = pair(args.kernelSize, NaN, 'kernelSize', this.name);
    this.depthMultiplier = positiveInt(args.depthMultiplier ?? 1, 'depthMultiplier', this.name);
    this.strides = pair(args.strides, 1, 'strides', this.name);
    this.padding = checkPadding(args.padding, this.name);
    this.dilationRate = pair(args.dilationRate, 1, 'dilationRate', this.name);
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    const { out, g } = convGeometry2d(s, this.kernelSize, this.strides, this.padding, this.dilationRate);
    this.geometry = g;
    return [...out, s[2] * this.depthMultiplier];
  }

  protected createParams(s: number[]): void {
    const [kh, kw] = this.kernelSize;
    const r = kh * kw;
    // TF.js's fans for a (KH,KW,C,M) kernel: fanIn = C·KH·KW, fanOut = M·KH·KW.
    this.addParam('depthwise_kernel', [kh, kw, s[2], this.depthMultiplier], 'glorotUniform', true, [r * s[2], r * this.depthMultiplier]);
    if (this.useBias) this.addParam('bias', [s[2] * this.depthMultiplier], 'zeros');
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const z = Tensor.empty(this.batchOutputShape(x), arena);
    const bias = this.useBias ? this.param('bias').value : null;
    depthwiseConv2dForward(x, this.param('depthwise_kernel').value, bias, z, this.geometry!, fusedCode(this.activation), fusedAlpha(this.activation));
    return finishFusedActivation(z, this.activation, node.logits, arena);
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node.logits, arena);
    const kernel = this.param('depthwise_kernel');
    const dx = needDx ? Tensor.empty(node.input.shape, arena) : null;
    const db = this.useBias ? this.gradOf(this.param('bias')) : null;
    depthwiseConv2dBackward(node.input, kernel.value, dz, dx, this.gradOf(kernel), db, this.geometry!, true);
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [...this.dilationRate],
      activation: this.activation,
      use_bias: this.useBias,
      depth_multiplier: this.depthMultiplier,
      depthwise_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      depthwise_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      depthwise_constraint: null,
      bias_constraint: null,
    };
  }
}
