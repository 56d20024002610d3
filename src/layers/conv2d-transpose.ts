// Conv2DTranspose: y = f(conv2dTranspose(x, kernel) + bias). x (N,H,W,C), kernel (KH,KW,F,C) as Keras,
// y (N,OH,OW,F) with OH = H·s + max(k' − s, 0) ('valid') or H·s ('same'), k' the dilated kernel size.
// dilationRate is honoured (TF.js's layer drops it).
import type { Tensor } from '../tensor.js';
import { conv2dTransposeForward, conv2dTransposeBackward, conv2dTransposeAxis } from '../ops/conv-transpose.js';
import type { ActivationCode } from '../ops/activation.js';
import { ConvBase, type ConvBaseArgs, type Window } from './conv-base.js';
import { positiveInt } from './geometry.js';

export interface Conv2DTransposeArgs extends ConvBaseArgs {
  filters: number;
}

export class Conv2DTranspose extends ConvBase {
  readonly className = 'Conv2DTranspose';
  declare readonly kernelSize: [number, number];
  declare readonly strides: [number, number];
  declare readonly dilationRate: [number, number];
  readonly filters: number;

  constructor(args: Conv2DTransposeArgs) {
    super(args, 'conv2d_transpose', 2);
    this.filters = positiveInt(args.filters, 'filters', this.name);
  }

  protected outChannels(): number {
    return this.filters;
  }

  protected override window(len: number, i: number): Window {
    return conv2dTransposeAxis(len, this.kernelSize[i], this.strides[i], this.padding, this.dilationRate[i]);
  }

  protected createParams(s: number[]): void {
    // (KH,KW,F,C): Keras's fans are fanIn = receptive·F, fanOut = receptive·C — the shape's last two axes.
    this.addKernel('kernel', [...this.kernelSize, this.filters, s[2]], this.filters);
  }

  protected convForward(x: Tensor, w: Tensor, b: Tensor | null, z: Tensor, act: ActivationCode, alpha: number): void {
    conv2dTransposeForward(x, w, b, z, this.geometry!, act, alpha);
  }

  protected convBackward(x: Tensor, w: Tensor, dz: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void {
    conv2dTransposeBackward(x, w, dz, dx, dw, db, this.geometry!, true);
  }

  protected override layerConfig(): Record<string, unknown> {
    return { filters: this.filters, ...super.layerConfig() };
  }
}
