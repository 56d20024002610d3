// Conv2D: y = f(conv(x, kernel) + bias), x (N,H,W,C), kernel (KH,KW,C/groups,F) as Keras, y (N,OH,OW,F).
// `groups` (Keras's grouped convolution; AlexNet's two towers) is a simdnet extension over TF.js, which
// ignores it: models that use it save `groups` in their config and load in simdnet and Keras, not TF.js.
import {
  conv2dForward, conv2dBackward, conv2dBackwardRelu, conv2dForwardMaxPool2, conv2dBackwardMaxPool2, conv2dMaxPool2Fuses,
  conv2dWinogradMaxPool2Fuses,
} from '../ops/conv.js';
import type { Node } from './node.js';
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { fusedAlpha, fusedCode } from './activations.js';
import { WinogradPlan } from '../ops/winograd.js';
import type { ActivationCode } from '../ops/activation.js';
import { describeShape, type RegularizerArgs } from './layer.js';
import { describeValue } from '../describe.js';
import { ConvBase, type ConvBaseArgs, type Window } from './conv-base.js';
import { positiveInt } from './geometry.js';

export interface Conv2DArgs extends ConvBaseArgs, RegularizerArgs {
  filters: number;
  /** Channels and filters split into this many independent groups (Keras). Default 1. */
  groups?: number;
}

export class Conv2D extends ConvBase {
  readonly className = 'Conv2D';
  declare readonly kernelSize: [number, number];
  declare readonly strides: [number, number];
  declare readonly dilationRate: [number, number];
  readonly filters: number;
  readonly groups: number;
  /** Transformed filters for the Winograd path, kept across calls (remade when the kernel is written). */
  private readonly plan = new WinogradPlan();
  /** The same for a kernel with a batch norm folded in (predict's plans), so the two do not evict each other. */
  private readonly foldedPlan = new WinogradPlan();

  constructor(args: Conv2DArgs) {
    super(args, 'conv2d', 2);
    this.takeRegularizers(args);
    this.filters = positiveInt(args.filters, 'filters', this.name);
    this.groups = args.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new Error(`simdnet: ${this.name}: groups must be a positive integer dividing filters (${this.filters}), got ${describeValue(args.groups)}`);
    }
  }

  protected outChannels(s: number[]): number {
    if (s[2] % this.groups !== 0) {
      throw new Error(`simdnet: ${this.name} (Conv2D): groups ${this.groups} does not divide the ${s[2]} input channels of ${describeShape(s)}`);
    }
    return this.filters;
  }

  protected override setGeometry(win: Window[]): void {
    super.setGeometry(win);
    this.geometry!.groups = this.groups;
  }

  protected createParams(s: number[]): void {
    this.addKernel('kernel', [...this.kernelSize, s[2] / this.groups, this.filters], this.filters);
  }

  protected convForward(x: Tensor, w: Tensor, b: Tensor | null, z: Tensor, act: ActivationCode, alpha: number): void {
    conv2dForward(x, w, b, z, this.geometry!, act, alpha, w === this.param('kernel').value ? this.plan : this.foldedPlan);
  }

  protected convBackward(x: Tensor, w: Tensor, dz: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null): void {
    conv2dBackward(x, w, dz, dx, dw, db, this.geometry!, true, this.plan);
  }

  protected override convBackwardRelu(
    x: Tensor, w: Tensor, y: Tensor, dy: Tensor, dx: Tensor | null, dw: Tensor | null, db: Tensor | null,
  ): boolean {
    return conv2dBackwardRelu(x, w, y, dy, dx, dw, db, this.geometry!, true, this.plan);
  }

  /**
   * predict's conv → 2x2/2 max pool in one kernel (src/model/conv-pool.ts): the direct loop, or Winograd
   * F(4x4,3x3) pooling in its output transform. The pooled output, or null where these shapes do not fuse
   * (the caller then runs the two layers).
   */
  forwardMaxPool2(x: Tensor, arena: Arena): Tensor | null {
    return this.maxPool2Fuses(x, false) ? this.pooledForward(x, arena, null) : null;
  }

  /**
   * Training's conv → 2x2/2 max pool in one kernel (src/model/conv-pool.ts), for a relu or linear conv: the
   * pooled output and the pool's winners, with this call's backward set to take the pool's gradient
   * (conv2dBackwardMaxPool2) and `poolNode`'s to pass it on. The direct few-channel loop fuses where the
   * input needs no gradient (it makes no dx); Winograd F(4x4,3x3) where the kernel is trained (dx rides on
   * its dw). Null (nothing run) where these shapes do not fuse.
   */
  trainForwardMaxPool2(x: Tensor, node: Node, poolNode: Node, arena: Arena, needDx: boolean): Tensor | null {
    const relu = this.activation === 'relu';
    if (!relu && this.activation !== 'linear') return null;
    const kernel = this.param('kernel');
    const winograd = this.gradOf(kernel) !== null && conv2dWinogradMaxPool2Fuses(x, kernel.value, this.geometry!);
    if (!winograd && (needDx || !this.maxPool2Fuses(x))) return null;
    const argmax = Tensor.empty(this.pooledShape(x), arena);
    const y = this.pooledForward(x, arena, argmax);
    node.clear();
    node.inputs = [x];
    node.fusedBackward = (dp, wantDx) => {
      const dx = wantDx ? Tensor.empty(x.shape, arena) : null;
      const db = this.useBias ? this.gradOf(this.param('bias')) : null;
      conv2dBackwardMaxPool2(x, kernel.value, dp, argmax, y, this.gradOf(kernel), db, this.geometry!, relu, true, dx, this.plan);
      return dx;
    };
    poolNode.clear();
    poolNode.output = y;
    poolNode.keep('argmax', argmax);
    poolNode.passesGradient = true;
    return y;
  }

  private pooledShape(x: Tensor): number[] {
    const [n, oh, ow, f] = this.batchOutputShape(x);
    return [n, oh >> 1, ow >> 1, f];
  }

  private maxPool2Fuses(x: Tensor, winners = true): boolean {
    return conv2dMaxPool2Fuses(x, this.param('kernel').value, this.geometry!, winners);
  }

  private pooledForward(x: Tensor, arena: Arena, argmax: Tensor | null): Tensor {
    const kernel = this.param('kernel').value;
    const y = Tensor.empty(this.pooledShape(x), arena);
    const bias = this.useBias ? this.param('bias').value : null;
    conv2dForwardMaxPool2(x, kernel, bias, y, this.geometry!, fusedCode(this.activation), fusedAlpha(this.activation), argmax, this.plan);
    return y;
  }

  override dispose(): void {
    this.plan.dispose();
    this.foldedPlan.dispose();
    super.dispose();
  }

  protected override layerConfig(): Record<string, unknown> {
    return { filters: this.filters, ...super.layerConfig(), ...this.regularizerConfigs(), ...(this.groups !== 1 ? { groups: this.groups } : {}) };
  }
}
