// DepthwiseConv2D: y = f(depthwise(x, depthwise_kernel) + bias). x (N,H,W,C), depthwise_kernel (KH,KW,C,M)
// as Keras (M = depthMultiplier), y (N,OH,OW,C·M) with output channel c·M + m. Its own kernel
// (assembly/depthwise.ts), not a grouped GEMM. dilationRate is honoured (TF.js's layer ignores it in the
// forward pass and its gradient throws for dilation > 1).
import type { Tensor } from '../tensor.js';
import { depthwiseConv2dForward, depthwiseConv2dBackward } from '../ops/depthwise.js';
import type { ActivationCode } from '../ops/activation.js';
import { ConvBase, type ConvBaseArgs } from './conv-base.js';
import { positiveInt } from './geometry.js';

export interface DepthwiseConv2DArgs extends ConvBaseArgs {
  depthMultiplier?: number;
}

export class DepthwiseConv2D extends ConvBase {
  readonly className: string = 'DepthwiseConv2D';
  declare readonly kernelSize: [number, number];
  declare readonly strides: [number, number];
  declare readonly dilationRate: [number, number];
  readonly depthMultiplier: number;

  constructor(args: DepthwiseConv2DArgs, prefix = 'depthwise_conv2d') {
    super(args, prefix, 2);
    this.kernelName = 'depthwise_kernel';
    this.kernelKinds = ['depthwise'];
    this.depthMultiplier = positiveInt(args.depthMultiplier ?? 1, 'depthMultiplier', this.name);
  }

  protected outChannels(s: number[]): number {
    return s[2] * this.depthMultiplier;
  }

  protected createParams(s: number[]): void {
    // TF.js's fans for a (KH,KW,C,M) kernel: fanIn = C·KH·KW, fanOut = M·KH·KW.
    this.addKernel('depthwise_kernel', [...this.kernelSize, s[2], this.depthMultiplier], s[2] * this.depthMultiplier);
  }

  protected convForward(x: Tensor, w: Tensor, b: Tensor | null, z: Tensor, act: ActivationCode, alpha: number): void {
    depthwiseConv2dForward(x, w, b, z, this.geometry!, act, alpha);
  }

  protected convBackward(x: Tensor, w: Tensor, dz: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void {
    depthwiseConv2dBackward(x, w, dz, dx, dw, db, this.geometry!, true);
  }

  protected override layerConfig(): Record<string, unknown> {
    return { ...super.layerConfig(), depth_multiplier: this.depthMultiplier };
  }
}
