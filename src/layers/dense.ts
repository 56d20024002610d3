// Dense: y = f(x·kernel + bias) over the last axis, x (rows,in), kernel (in,units) as Keras, y (rows,units).
import { describeValue } from '../describe.js';
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { denseForward, denseBackward } from '../ops/gemm.js';
import type { ActivationCode } from '../ops/activation.js';
import { Layer, type LayerArgs, type RegularizerArgs } from './layer.js';
import type { Node } from './node.js';
import { type ActivationName, checkActivation, fusedCode, fusedAlpha, finishFusedActivation, gradBeforeActivation } from './activations.js';
import { initializerConfig } from './conv-base.js';

export interface DenseArgs extends LayerArgs, RegularizerArgs {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;

  constructor(args: DenseArgs) {
    super(args, 'dense');
    this.takeRegularizers(args);
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw new Error(`simdnet: ${this.name}: units must be a positive integer, got ${describeValue(args.units)}`);
    }
    this.units = args.units;
    this.activation = checkActivation(args.activation, this.name);
    this.useBias = args.useBias ?? true;
  }

  override get hasSoftmaxOutput(): boolean {
    return this.activation === 'softmax';
  }

  protected computeOutputShape(s: number[]): number[] {
    if (s.length < 1) throw new Error(`simdnet: ${this.name} (Dense) needs an input with features, got input shape [null]`);
    return [...s.slice(0, -1), this.units];
  }

  protected createParams(s: number[]): void {
    const inUnits = s[s.length - 1];
    this.addParam('kernel', [inUnits, this.units], 'glorotUniform', true, [inUnits, this.units]);
    if (this.useBias) this.addParam('bias', [this.units], 'zeros');
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    return this.forwardWith(x, node, arena, this.param('kernel').value, this.useBias ? this.param('bias').value : null);
  }

  /**
   * The forward on a kernel and bias given in place of the layer's own, and with `act`, an activation fused
   * in place of the layer's (linear) one: a batch norm and relu folded in (src/model/bn-fold.ts).
   */
  forwardWith(x: Tensor, node: Node, arena: Arena, kernel: Tensor, bias: Tensor | null, act?: ActivationCode): Tensor {
    const inUnits = this.inputShape![this.inputShape!.length - 1];
    const rows = x.size / inUnits;
    const z = this.outputFor(x, arena);
    if (act !== undefined) {
      denseForward(x.reshapeView([rows, inUnits]), kernel, bias, z.reshapeView([rows, this.units]), act, 0);
      return z;
    }
    denseForward(
      x.reshapeView([rows, inUnits]),
      kernel,
      bias,
      z.reshapeView([rows, this.units]),
      fusedCode(this.activation),
      fusedAlpha(this.activation),
    );
    return finishFusedActivation(z, this.activation, node, arena);
  }

  backward(dy: Tensor, node: Node, arena: Arena, needDx: boolean): Tensor | null {
    const inUnits = this.inputShape![this.inputShape!.length - 1];
    const rows = dy.size / this.units;
    const dz = gradBeforeActivation(node.output!, dy, this.activation, node, arena);
    const kernel = this.param('kernel');
    const x = node.input;
    const dx = needDx ? Tensor.empty(x.shape, arena) : null;
    denseBackward(
      x.reshapeView([rows, inUnits]),
      kernel.value,
      dz.reshapeView([rows, this.units]),
      dx ? dx.reshapeView([rows, inUnits]) : null,
      this.gradOf(kernel),
      this.useBias ? this.gradOf(this.param('bias')) : null,
      true,
    );
    return dx;
  }

  protected layerConfig(): Record<string, unknown> {
    return { units: this.units, activation: this.activation, use_bias: this.useBias, ...initializerConfig(), ...this.regularizerConfigs() };
  }
}
