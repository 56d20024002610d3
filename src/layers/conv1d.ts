// Conv1D: x (N,L,C), kernel (K,C,F) as Keras, y (N,OL,F). Runs the conv2d kernel on (N,1,L,C) views.
import { describeValue } from '../describe.js';
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { conv2dForward, conv2dBackward } from '../ops/conv.js';
import type { Conv2dGeometry } from '../ops/conv.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { type Padding, single, checkPadding, windowAxis } from './geometry.js';
import { defaultInitializerConfig } from './conv2d.js';

export interface Conv1DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: Padding;
  dilationRate?: number | number[];
  activation?: ActivationName;
  useBias?: boolean;
}

export class Conv1D extends Layer {
  readonly className = 'Conv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding;
  readonly dilationRate: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private geometry: Conv2dGeometry | null = null;

  constructor(args: Conv1DArgs) {
    super(args, 'conv1d');
    if (!Number.isInteger(args.filters) || args.filters <= 0) {
      throw new Error(`simdnet: ${this.name}: filters must be a positive integer, got ${describeValue(args.filters)}`);
    }
    this.filters = args.filters;
    this.kernelSize = single(args.kernelSize, NaN, 'kernelSize', this.name);
    this.strides = single(args.strides, 1, 'strides', this.name);
    this.padding = checkPadding(args.padding, this.name);
    this.dilationRate = single(args.dilationRate, 1, 'dilationRate', this.name);
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 2, 'sequences [steps, channels]');
    const l = windowAxis(s[0], this.kernelSize, this.strides, this.padding, this.dilationRate);
    this.geometry = {
      strideH: 1,
      strideW: this.strides,
      padTop: 0,
      padBottom: 0,
      padLeft: l.before,
      padRight: l.after,
      dilationH: 1,
      dilationW: this.dilationRate,
    };
    return [l.out, this.filters];
  }

  protected createParams(s: number[]): void {
    const k = this.kernelSize;
    this.addParam('kernel', [k, s[1], this.filters], 'glorotUniform', true, [k * s[1], k * this.filters]);
    if (this.useBias) this.addParam('bias', [this.filters], 'zeros');
  }

  private kernel2d(w: Tensor): Tensor {
    return w.reshapeView([1, this.kernelSize, this.inputShape![1], this.filters]);
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const n = x.shape[0];
    const z = Tensor.empty(this.batchOutputShape(x), arena);
    const bias = this.useBias ? this.param('bias').value : null;
    conv2dForward(
      x.reshapeView([n, 1, ...this.inputShape!]),
      this.kernel2d(this.param('kernel').value),
      bias,
      z.reshapeView([n, 1, ...this.outputShape!]),
      this.geometry!,
      fusedCode(this.activation),
      fusedAlpha(this.activation),
    );
    return finishFusedActivation(z, this.activation, node.logits, arena);
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    const n = dy.shape[0];
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node.logits, arena);
    const kernel = this.param('kernel');
    const x = node.input;
    const dx = needDx ? Tensor.empty(x.shape, arena) : null;
    const db = this.useBias ? this.gradOf(this.param('bias')) : null;
    const dw = this.gradOf(kernel);
    conv2dBackward(
      x.reshapeView([n, 1, ...this.inputShape!]),
      this.kernel2d(kernel.value),
      dz.reshapeView([n, 1, ...this.outputShape!]),
      dx ? dx.reshapeView([n, 1, ...this.inputShape!]) : null,
      dw ? this.kernel2d(dw) : null,
      db,
      this.geometry!,
      true,
    );
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      filters: this.filters,
      kernel_size: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [this.dilationRate],
      activation: this.activation,
      use_bias: this.useBias,
      ...defaultInitializerConfig(),
    };
  }
}
