// What every convolution layer shares (Conv1D, Conv2D, Conv2DTranspose, Conv3D, DepthwiseConv2D,
// SeparableConv2D): the options (kernelSize, strides, padding, dilationRate for `rank` spatial axes,
// activation, useBias), the window geometry, kernel + bias parameters, the fused-activation tail of forward
// and backward, and the Keras config. A subclass says which kernel runs (`convForward`/`convBackward`), its
// output channels and its own options. 1D and 2D layers describe their windows as one 2D geometry (a 1D
// conv is a 2D conv over a height-1 image); 3D layers build their own from `windows`.
import type { Arena } from '../backend/arena.js';
import type { Tensor } from '../tensor.js';
import type { Conv2dGeometry } from '../ops/conv.js';
import type { ActivationCode } from '../ops/activation.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { type Padding, tuple, checkPadding, windowAxis } from './geometry.js';

export interface ConvBaseArgs extends LayerArgs {
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: Padding;
  dilationRate?: number | number[];
  activation?: ActivationName;
  useBias?: boolean;
}

export type Window = { out: number; before: number; after: number };

const SAMPLE = ['', 'sequences [steps, channels]', 'images [height, width, channels]', 'volumes [depth, height, width, channels]'];
const UNIT: Window = { out: 1, before: 0, after: 0 };

/** What Keras writes for the default initialisers of the named kernels, so TF.js reads our configs without surprises. */
export function initializerConfig(kernels: string[] = ['kernel']): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  for (const k of kernels) c[`${k}_initializer`] = { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: null } };
  c.bias_initializer = { class_name: 'Zeros', config: {} };
  for (const k of kernels) c[`${k}_regularizer`] = null;
  c.bias_regularizer = null;
  c.activity_regularizer = null;
  for (const k of kernels) c[`${k}_constraint`] = null;
  c.bias_constraint = null;
  return c;
}

export abstract class ConvBase extends Layer {
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: Padding;
  readonly dilationRate: number[];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  /** The windows of a 1D/2D layer as one 2D geometry (set at build). */
  protected geometry: Conv2dGeometry | null = null;
  /** The weight the conv kernel reads (`kernel`, or `depthwise_kernel`). */
  protected kernelName = 'kernel';
  /** The kernels' prefixes in Keras config keys (`kernel_initializer`, `depthwise_initializer`, …). */
  protected kernelKinds = ['kernel'];

  constructor(args: ConvBaseArgs, prefix: string, readonly rank: number) {
    super(args, prefix);
    this.kernelSize = tuple(args.kernelSize, rank, NaN, 'kernelSize', this.name);
    this.strides = tuple(args.strides, rank, 1, 'strides', this.name);
    this.padding = checkPadding(args.padding, this.name);
    this.dilationRate = tuple(args.dilationRate, rank, 1, 'dilationRate', this.name);
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  /** Output channels for a sample shape. */
  protected abstract outChannels(s: number[]): number;

  /** Output length and TensorFlow's padding split along spatial axis i (a transposed conv overrides it). */
  protected window(len: number, i: number): Window {
    return windowAxis(len, this.kernelSize[i], this.strides[i], this.padding, this.dilationRate[i]);
  }

  /** Keeps what the kernels need from the windows; by default the 2D geometry. */
  protected setGeometry(win: Window[]): void {
    const one = win.length === 1;
    const [h, w] = one ? [UNIT, win[0]] : win;
    const [sh, sw] = one ? [1, this.strides[0]] : this.strides;
    const [dh, dw] = one ? [1, this.dilationRate[0]] : this.dilationRate;
    this.geometry = { strideH: sh, strideW: sw, padTop: h.before, padBottom: h.after, padLeft: w.before, padRight: w.after, dilationH: dh, dilationW: dw };
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, this.rank + 1, SAMPLE[this.rank]);
    const win = this.kernelSize.map((_, i) => this.window(s[i], i));
    this.setGeometry(win);
    return [...win.map((w) => w.out), this.outChannels(s)];
  }

  /** Adds the kernel (Glorot uniform with Keras's fans: fanIn = receptive·kernel[-2], fanOut = receptive·kernel[-1]) and the bias. */
  protected addKernel(name: string, shape: number[], bias = 0): void {
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    this.addParam(name, shape, 'glorotUniform', true, [receptive * shape[shape.length - 2], receptive * shape[shape.length - 1]]);
    if (bias && this.useBias) this.addParam('bias', [bias], 'zeros');
  }

  /** z = conv(x, w) + b with the fused activation `act` (its parameter `alpha`). */
  protected abstract convForward(x: Tensor, w: Tensor, b: Tensor | null, z: Tensor, act: ActivationCode, alpha: number): void;

  /** Gradients of the conv from dz (d(pre-activation)); dx, dw, db null where not asked; dw, db accumulate. */
  protected abstract convBackward(x: Tensor, w: Tensor, dz: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void;

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    return this.forwardWith(x, node, arena, this.param(this.kernelName).value, this.useBias ? this.param('bias').value : null);
  }

  /**
   * The forward on a kernel and bias given in place of the layer's own, and with `act`, an activation fused
   * in place of the layer's (linear) one: a batch norm and relu folded in (src/model/bn-fold.ts).
   */
  forwardWith(x: Tensor, node: Node, arena: Arena, kernel: Tensor, bias: Tensor | null, act?: ActivationCode): Tensor {
    const z = this.outputFor(x, arena);
    if (act !== undefined) {
      this.convForward(x, kernel, bias, z, act, 0);
      return z;
    }
    this.convForward(x, kernel, bias, z, fusedCode(this.activation), fusedAlpha(this.activation));
    return finishFusedActivation(z, this.activation, node, arena);
  }

  /**
   * convBackward with the relu's backward fused: dy is the gradient of the output y = relu(z). False (nothing
   * computed) where the subclass has no such path; then the relu's backward runs first, on its own.
   */
  protected convBackwardRelu(
    _x: Tensor, _w: Tensor, _y: Tensor, _dy: Tensor, _dx: Tensor | null, _dw: Tensor | null, _db: Tensor | null,
  ): boolean {
    return false;
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    if (node.fusedBackward) return node.fusedBackward(dy, needDx); // a max pool ran in this call's forward
    const kernel = this.param(this.kernelName);
    const dx = needDx ? this.inputGradientFor(node, arena) : null;
    const db = this.useBias ? this.gradOf(this.param('bias')) : null;
    const dw = this.gradOf(kernel);
    if (this.activation === 'relu' && node.gradMaskedByReader) {
      this.convBackward(node.input, kernel.value, dy, dx, dw, db); // the max pool after did the relu's backward
      return dx;
    }
    if (this.activation === 'relu' && this.convBackwardRelu(node.input, kernel.value, node.output!, dy, dx, dw, db)) return dx;
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node, arena);
    this.convBackward(node.input, kernel.value, dz, dx, dw, db);
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
      ...initializerConfig(this.kernelKinds),
    };
  }
}
