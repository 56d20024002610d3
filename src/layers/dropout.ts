// Dropout (inverted): in training, y = x * mask with mask 0 (probability rate) or 1/(1-rate); at
// inference y = x. The mask's seed comes from the seeded PRNG, so setSeed makes runs reproducible.
import { describeValue } from '../describe.js';
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { dropoutForward, dropoutBackward } from '../ops/dropout.js';
import { randomSeed } from '../random.js';
import { engine } from '../backend/engine.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export interface DropoutArgs extends LayerArgs {
  rate: number;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;

  constructor(args: DropoutArgs) {
    super(args, 'dropout');
    if (!(typeof args.rate === 'number' && args.rate >= 0 && args.rate < 1)) throw new Error(`simdnet: ${this.name}: rate must be in [0, 1), got ${describeValue(args.rate)}`);
    this.rate = args.rate;
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    if (!node.training || this.rate === 0) return x;
    const y = Tensor.empty(x.shape, arena);
    const mask = node.keep('mask', Tensor.empty(x.shape, arena));
    // A new seed each step, also where a recorded step replays (src/model/training-plan.ts).
    engine().live(() => dropoutForward(x, y, mask, this.rate, randomSeed()));
    return y;
  }

  backward(dy: Tensor, node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    const mask = node.find('mask');
    if (!mask) return dy; // identity call (inference, or rate 0)
    dropoutBackward(dy, mask, dy); // in place: dy is ours to overwrite
    return dy;
  }

  protected layerConfig(): Record<string, unknown> {
    return { rate: this.rate, noise_shape: null, seed: null };
  }
}
