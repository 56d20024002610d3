// Conv3D: y = f(conv3d(x, kernel) + bias). x (N,D,H,W,C), kernel (KD,KH,KW,C,F) as Keras, y (N,OD,OH,OW,F).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { conv3dForward, conv3dBackward, type Conv3dGeometry } from '../ops/conv3d.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { type Padding, checkPadding, windowAxis } from './geometry.js';
import { positiveInt } from './depthwise-conv2d.js';
import { defaultInitializerConfig } from './conv2d.js';
import { describeValue } from '../describe.js';

export interface Conv3DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: Padding;
  dilationRate?: number | number[];
  activation?: ActivationName;
  useBias?: boolean;
}

/** A number or a triple, as 3D layers accept; returns the triple. */
export function triple(v: number | number[] | undefined, fallback: number, what: string, layer: string): [number, number, number] {
  const t = v === undefined || v === null ? [fallback, fallback, fallback] : typeof v === 'number' ? [v, v, v] : v;
  if (!Array.isArray(t) || t.length !== 3 || !t.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`simdnet: ${layer}: ${what} must be a positive integer or three of them, got ${describeValue(v)}`);
  }
  return [t[0], t[1], t[2]];
}

export class Conv3D extends Layer {
  readonly className = 'Conv3D';
  readonly filters: number;
  readonly kernelSize: [number, number, number];
  readonly strides: [number, number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private geometry: Conv3dGeometry | null = null;

  constructor(args: Conv3DArgs) {
    super(args, 'conv3d');
    this.filters = positiveInt(args.filters, 'filters', this.name);
    this.kernelSize = triple(args.kernelSize, NaN, 'kernelSize', this.name);
    this.strides = triple(args.strides, 1, 'strides', this.name);
    this.padding = checkPadding(args.padding, this.name);
    this.dilationRate = triple(args.dilationRate, 1, 'dilationRate', this.name);
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 4, 'volumes [depth, height, width, channels]');
    const [d, h, w] = [0, 1, 2].map((i) => windowAxis(s[i], this.kernelSize[i], this.strides[i], this.padding, this.dilationRate[i]));
    this.geometry = {
      strideD: this.strides[0], strideH: this.strides[1], strideW: this.strides[2],
      padFront: d.before, padBack: d.after, padTop: h.before, padBottom: h.after, padLeft: w.before, padRight: w.after,
      dilationD: this.dilationRate[0], dilationH: this.dilationRate[1], dilationW: this.dilationRate[2],
    };
    return [d.out, h.out, w.out, this.filters];
  }

  protected createParams(s: number[]): void {
    const [kd, kh, kw] = this.kernelSize;
    const r = kd * kh * kw;
    this.addParam('kernel', [kd, kh, kw, s[3], this.filters], 'glorotUniform', true, [r * s[3], r * this.filters]);
    if (this.useBias) this.addParam('bias', [this.filters], 'zeros');
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const z = Tensor.empty(this.batchOutputShape(x), arena);
    const bias = this.useBias ? this.param('bias').value : null;
    conv3dForward(x, this.param('kernel').value, bias, z, this.geometry!, fusedCode(this.activation), fusedAlpha(this.activation));
    return finishFusedActivation(z, this.activation, node.logits, arena);
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node.logits, arena);
    const kernel = this.param('kernel');
    const dx = needDx ? Tensor.empty(node.input.shape, arena) : null;
    const db = this.useBias ? this.gradOf(this.param('bias')) : null;
    conv3dBackward(node.input, kernel.value, dz, dx, this.gradOf(kernel), db, this.geometry!, true);
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
