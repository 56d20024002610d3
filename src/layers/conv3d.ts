// Conv3D: y = f(conv3d(x, kernel) + bias). x (N,D,H,W,C), kernel (KD,KH,KW,C,F) as Keras, y (N,OD,OH,OW,F).
import type { Tensor } from '../tensor.js';
import { conv3dForward, conv3dBackward, type Conv3dGeometry } from '../ops/conv3d.js';
import type { ActivationCode } from '../ops/activation.js';
import { ConvBase, type ConvBaseArgs, type Window } from './conv-base.js';
import { positiveInt } from './geometry.js';

export interface Conv3DArgs extends ConvBaseArgs {
  filters: number;
}

export class Conv3D extends ConvBase {
  readonly className = 'Conv3D';
  declare readonly kernelSize: [number, number, number];
  declare readonly strides: [number, number, number];
  declare readonly dilationRate: [number, number, number];
  readonly filters: number;
  private g3: Conv3dGeometry | null = null;

  constructor(args: Conv3DArgs) {
    super(args, 'conv3d', 3);
    this.filters = positiveInt(args.filters, 'filters', this.name);
  }

  protected outChannels(): number {
    return this.filters;
  }

  protected override setGeometry([d, h, w]: Window[]): void {
    const [sd, sh, sw] = this.strides;
    const [dd, dh, dw] = this.dilationRate;
    this.g3 = {
      strideD: sd, strideH: sh, strideW: sw, dilationD: dd, dilationH: dh, dilationW: dw,
      padFront: d.before, padBack: d.after, padTop: h.before, padBottom: h.after, padLeft: w.before, padRight: w.after,
    };
  }

  protected createParams(s: number[]): void {
    this.addKernel('kernel', [...this.kernelSize, s[3], this.filters], this.filters);
  }

  protected convForward(x: Tensor, w: Tensor, b: Tensor | null, z: Tensor, act: ActivationCode, alpha: number): void {
    conv3dForward(x, w, b, z, this.g3!, act, alpha);
  }

  protected convBackward(x: Tensor, w: Tensor, dz: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void {
    conv3dBackward(x, w, dz, dx, dw, db, this.g3!, true);
  }

  protected override layerConfig(): Record<string, unknown> {
    return { filters: this.filters, ...super.layerConfig() };
  }
}
