// LayerNormalization (TF.js/Keras): each sample is normalised over `axis` — the last axis by default, or
// several trailing axes — to mean 0 and variance 1 (biased, as TF.js), then scaled by gamma and shifted by
// beta (weights `gamma`, `beta`, shaped like the normalised axes; `scale`/`center` false drop them).
// y = (x − mean)/√(var + epsilon)·gamma + beta. One kernel pair (assembly/layernorm.ts); the call keeps
// the per-row mean and 1/√(var + epsilon) for its backward.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { layerNormForward, layerNormBackward } from '../ops/layernorm.js';
import { Layer, type LayerArgs, describeShape } from './layer.js';
import type { Node } from './node.js';
import { describeValue } from '../describe.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axes normalised over (with the batch axis as 0; negative counts from the end): the last ones. Default -1. */
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  /** Values per normalised row (the product of the normalised axes), set at build. */
  private C = 0;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args, 'layer_normalization');
    this.axis = args.axis ?? -1;
    const list = Array.isArray(this.axis) ? this.axis : [this.axis];
    if (list.length === 0 || !list.every(Number.isInteger)) throw new Error(`simdnet: ${this.name}: axis must be an integer or a list of them, got ${describeValue(args.axis)}`);
    this.epsilon = args.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon > 0)) throw new Error(`simdnet: ${this.name}: epsilon must be a positive number, got ${describeValue(args.epsilon)}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
  }

  protected computeOutputShape(s: number[]): number[] {
    const rank = s.length + 1;
    const list = (Array.isArray(this.axis) ? this.axis : [this.axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    // The kernel normalises contiguous trailing values: the axes must be the last ones, each once.
    if (!list.every((a, i) => a === rank - list.length + i) || list[0] < 1) {
      throw new Error(`simdnet: ${this.name} (LayerNormalization): axis ${describeValue(this.axis)} on input ${describeShape(s)}: simdnet normalises over trailing axes only (e.g. -1, or [1, 2, 3] for whole images)`);
    }
    this.C = s.slice(list[0] - 1).reduce((a, b) => a * b, 1);
    return [...s];
  }

  protected createParams(s: number[]): void {
    const shape = s.slice(s.length - (Array.isArray(this.axis) ? this.axis.length : 1));
    if (this.scale) this.addParam('gamma', shape, 'ones');
    if (this.center) this.addParam('beta', shape, 'zeros');
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    const rows = x.size / this.C;
    const y = Tensor.empty(x.shape, arena);
    const mean = node.keep('mean', Tensor.empty([rows], arena));
    const rstd = node.keep('rstd', Tensor.empty([rows], arena));
    const g = this.scale ? this.param('gamma').value : null;
    const b = this.center ? this.param('beta').value : null;
    layerNormForward(x, g, b, y, mean, rstd, this.C, this.epsilon);
    return y;
  }

  backward(dy: Tensor, node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    const gamma = this.scale ? this.param('gamma') : null;
    const dgamma = gamma ? this.gradOf(gamma) : null;
    const dbeta = this.center ? this.gradOf(this.param('beta')) : null;
    layerNormBackward(node.input, gamma && gamma.value, node.get('mean'), node.get('rstd'), dy, needDx ? dy : null, dgamma, dbeta, this.C);
    return needDx ? dy : null;
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      axis: Array.isArray(this.axis) ? [...this.axis] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: { class_name: 'Zeros', config: {} },
      gamma_initializer: { class_name: 'Ones', config: {} },
      beta_regularizer: null,
      gamma_regularizer: null,
    };
  }
}
