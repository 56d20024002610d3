// Dropout (inverted): in training, y = x * mask with mask 0 (probability rate) or 1/(1-rate); at
// inference y = x. The mask's seed comes from the seeded PRNG, so setSeed makes runs reproducible.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { dropoutForward, dropoutBackward } from '../ops/dropout.js';
import { randomSeed } from '../random.js';
import { Layer, type LayerArgs } from './layer.js';

export interface DropoutArgs extends LayerArgs {
  rate: number;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  private mask: Tensor | null = null;

  constructor(args: DropoutArgs) {
    super(args, 'dropout');
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`simdnet: ${this.name}: rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
  }

  protected computeOutputShape(s: number[]): number[] {
    return [...s];
  }

  forward(x: Tensor, training: boolean, arena: Arena): Tensor {
    if (!training || this.rate === 0) {
      this.mask = null;
      return x;
    }
    const y = Tensor.empty(x.shape, arena);
    this.mask = Tensor.empty(x.shape, arena);
    dropoutForward(x, y, this.mask, this.rate, randomSeed());
    return y;
  }

  backward(dy: Tensor, _arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    if (!this.mask) return dy;
    dropoutBackward(dy, this.mask, dy); // in place: dy is ours to overwrite
    return dy;
  }

  protected layerConfig(): Record<string, unknown> {
    return { rate: this.rate, noise_shape: null, seed: null };
  }
}
