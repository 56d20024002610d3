// Conv2DTranspose: y = f(conv2dTranspose(x, kernel) + bias). x (N,H,W,C), kernel (KH,KW,F,C) as Keras,
// y (N,OH,OW,F) with OH = H·s + max(k' − s, 0) ('valid') or H·s ('same'), k' the dilated kernel size.
// dilationRate is honoured (TF.js's layer drops it).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { conv2dTransposeForward, conv2dTransposeBackward, conv2dTransposeAxis } from '../ops/conv-transpose.js';
import type { Conv2dGeometry } from '../ops/conv.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { type Padding, pair, checkPadding } from './geometry.js';
import { positiveInt } from './depthwise-conv2d.js';
import { defaultInitializerConfig } from './conv2d.js';

export interface Conv2DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: Padding;
  dilationRate?: number | number[];
  activation?: ActivationName;
  useBias?: boolean;
}

export class Conv2DTranspose extends Layer {
  readonly className = 'Conv2DTranspose';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private geometry: Conv2dGeometry | null = null;

  constructor(args: Conv2DTransposeArgs) {
    super(args, 'conv2d_transpose');
    this.filters = positiveInt(args.filters, 'filters', this.name);
    this.kernelSize = pair(args.kernelSize, NaN, 'kernelSize', this.name);
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
    const h = conv2dTransposeAxis(s[0], this.kernelSize[0], this.strides[0], this.padding, this.dilationRate[0]);
    const w = conv2dTransposeAxis(s[1], this.kernelSize[1], this.strides[1], this.padding, this.dilationRate[1]);
    this.geometry = {
      strideH: this.strides[0], strideW: this.strides[1], padTop: h.before, padBottom: h.after, padLeft: w.before, padRight: w.after,
      dilationH: this.dilationRate[0], dilationW: this.dilationRate[1],
    };
    return [h.out, w.out, this.filters];
  }

  protected createParams(s: number[]): void {
    const [kh, kw] = this.kernelSize;
    const r = kh * kw;
    this.addParam('kernel', [kh, kw, this.filters, s[2]], 'glorotUniform', true, [r * this.filters, r * s[2]]);
    if (this.useBias) this.addParam('bias', [this.filters], 'zeros');
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const z = Tensor.empty(this.batchOutputShape(x), arena);
    const bias = this.useBias ? this.param('bias').value : null;
    conv2dTransposeForward(x, this.param('kernel').value, bias, z, this.geometry!, fusedCode(this.activation), fusedAlpha(this.activation));
    return finishFusedActivation(z, this.activation, node.logits, arena);
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node.logits, arena);
    const kernel = this.param('kernel');
    const dx = needDx ? Tensor.empty(node.input.shape, arena) : null;
    const db = this.useBias ? this.gradOf(this.param('bias')) : null;
    conv2dTransposeBackward(node.input, kernel.value, dz, dx, this.gradOf(kernel), db, this.geometry!, true);
    return dx;
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
      ...defaultInitializerConfig(),
    };
  }
}
