// Conv1D: x (N,L,C), kernel (K,C,F) as Keras, y (N,OL,F). Runs the conv2d kernel on (N,1,L,C) views.
import type { Tensor } from '../tensor.js';
import { conv2dForward, conv2dBackward } from '../ops/conv.js';
import type { ActivationCode } from '../ops/activation.js';
import { ConvBase, type ConvBaseArgs } from './conv-base.js';
import { positiveInt } from './geometry.js';
import type { RegularizerArgs } from './layer.js';

export interface Conv1DArgs extends ConvBaseArgs, RegularizerArgs {
  filters: number;
}

/** A sequence (N,L,C) as a height-1 image (N,1,L,C); with `kernel`, a kernel (K,C,F) as (1,K,C,F). */
const image = (t: Tensor, kernel = false): Tensor => t.reshapeView(kernel ? [1, ...t.shape] : [t.shape[0], 1, ...t.shape.slice(1)]);

export class Conv1D extends ConvBase {
  readonly className = 'Conv1D';
  readonly filters: number;

  constructor(args: Conv1DArgs) {
    super(args, 'conv1d', 1);
    this.takeRegularizers(args);
    this.filters = positiveInt(args.filters, 'filters', this.name);
  }

  protected outChannels(): number {
    return this.filters;
  }

  protected createParams(s: number[]): void {
    this.addKernel('kernel', [this.kernelSize[0], s[1], this.filters], this.filters);
  }

  protected convForward(x: Tensor, w: Tensor, b: Tensor | null, z: Tensor, act: ActivationCode, alpha: number): void {
    conv2dForward(image(x), image(w, true), b, image(z), this.geometry!, act, alpha);
  }

  protected convBackward(x: Tensor, w: Tensor, dz: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void {
    conv2dBackward(image(x), image(w, true), image(dz), dx && image(dx), dw && image(dw, true), db, this.geometry!, true);
  }

  protected override layerConfig(): Record<string, unknown> {
    return { filters: this.filters, ...super.layerConfig(), ...this.regularizerConfigs() };
  }
}
