// SeparableConv2D: a depthwise conv (depthwise_kernel (KH,KW,C,M), no bias) then a pointwise 1x1 conv
// (pointwise_kernel (1,1,C·M,F)) with bias and activation, as Keras/TF.js; weights in that order.
// The depthwise output is kept on the node for the pointwise backward.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { depthwiseConv2dForward, depthwiseConv2dBackward } from '../ops/depthwise.js';
import { conv2dForward, conv2dBackward, type Conv2dGeometry } from '../ops/conv.js';
import type { Node } from './node.js';
import { fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { DepthwiseConv2D, type DepthwiseConv2DArgs } from './depthwise-conv2d.js';
import { positiveInt } from './geometry.js';

export interface SeparableConv2DArgs extends DepthwiseConv2DArgs {
  filters: number;
}

const POINTWISE: Conv2dGeometry = { strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0, dilationH: 1, dilationW: 1 };

export class SeparableConv2D extends DepthwiseConv2D {
  override readonly className: string = 'SeparableConv2D';
  readonly filters: number;

  constructor(args: SeparableConv2DArgs) {
    super(args, 'separable_conv2d');
    this.filters = positiveInt(args.filters, 'filters', this.name);
    this.kernelKinds = ['depthwise', 'pointwise'];
  }

  protected override outChannels(): number {
    return this.filters;
  }

  protected override createParams(s: number[]): void {
    const M = this.depthMultiplier;
    this.addKernel('depthwise_kernel', [...this.kernelSize, s[2], M]);
    this.addKernel('pointwise_kernel', [1, 1, s[2] * M, this.filters], this.filters);
  }

  override forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const [N, oh, ow] = [x.shape[0], this.outputShape![0], this.outputShape![1]];
    const t = node.keep('depthwise', Tensor.empty([N, oh, ow, this.inputShape![2] * this.depthMultiplier], arena));
    depthwiseConv2dForward(x, this.param('depthwise_kernel').value, null, t, this.geometry!);
    const z = this.outputFor(x, arena);
    const bias = this.useBias ? this.param('bias').value : null;
    conv2dForward(t, this.param('pointwise_kernel').value, bias, z, POINTWISE, fusedCode(this.activation), fusedAlpha(this.activation));
    return finishFusedActivation(z, this.activation, node, arena);
  }

  override backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node, arena);
    const t = node.get('depthwise');
    const dk = this.param('depthwise_kernel');
    const pk = this.param('pointwise_kernel');
    const dt = Tensor.empty(t.shape, arena);
    const db = this.useBias ? this.gradOf(this.param('bias')) : null;
    conv2dBackward(t, pk.value, dz, dt, this.gradOf(pk), db, POINTWISE, true);
    const dx = needDx ? this.inputGradientFor(node, arena) : null;
    depthwiseConv2dBackward(node.input, dk.value, dt, dx, this.gradOf(dk), null, this.geometry!, true);
    return dx;
  }

  protected override layerConfig(): Record<string, unknown> {
    return { ...super.layerConfig(), filters: this.filters };
  }
}
