// PReLU: y = x for x > 0, alpha·x otherwise, alpha learned (weight `alpha`, initialised to zeros as Keras).
// alpha has the per-sample input shape, with 1 on `sharedAxes` (1-based, as Keras); simdnet supports shared
// axes that are leading ones (e.g. [1, 2] on images: one alpha per channel), so alpha repeats with a period.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { preluForward, preluBackward } from '../ops/prelu.js';
import { Layer, type LayerArgs, describeShape } from './layer.js';
import type { Node } from './node.js';
import { describeValue } from '../describe.js';

export interface PReLUArgs extends LayerArgs {
  sharedAxes?: number | number[] | null;
}

export class PReLU extends Layer {
  readonly className = 'PReLU';
  readonly sharedAxes: number[];

  constructor(args: PReLUArgs = {}) {
    super(args, 'p_re_lu');
    const s = args.sharedAxes ?? [];
    const list = typeof s === 'number' ? [s] : s;
    if (!Array.isArray(list) || !list.every((a) => Number.isInteger(a) && a >= 1)) {
      throw new Error(`simdnet: ${this.name}: sharedAxes must be axes ≥ 1 (the batch axis is 0), got ${describeValue(args.sharedAxes)}`);
    }
    this.sharedAxes = [...new Set(list)].sort((a, b) => a - b);
  }

  protected computeOutputShape(s: number[]): number[] {
    if (!this.sharedAxes.every((a, i) => a === i + 1 && a <= s.length)) {
      throw new Error(`simdnet: ${this.name} (PReLU): sharedAxes [${this.sharedAxes}] on input ${describeShape(s)}: simdnet supports leading shared axes only (1, 2, …)`);
    }
    return [...s];
  }

  protected createParams(s: number[]): void {
    this.addParam('alpha', s.map((d, i) => (this.sharedAxes.includes(i + 1) ? 1 : d)), 'zeros');
  }

  forward(x: Tensor, _node: Node, arena: Arena): Tensor {
    const y = Tensor.empty(x.shape, arena); // not in place: backward reads x
    preluForward(x, this.param('alpha').value, y);
    return y;
  }

  backward(dy: Tensor, node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    const alpha = this.param('alpha');
    preluBackward(node.input, alpha.value, dy, dy, this.gradOf(alpha));
    return needDx ? dy : null;
  }

  protected layerConfig(): Record<string, unknown> {
    return {
      alpha_initializer: { class_name: 'Zeros', config: {} },
      alpha_regularizer: null,
      alpha_constraint: null,
      shared_axes: this.sharedAxes.length ? [...this.sharedAxes] : null,
    };
  }
}
