// RandomContrast (Keras): per image, each channel's pixels move away from (or towards) their mean by a
// factor drawn from [1 − lower, 1 + upper], then are clipped to valueRange (Keras 3's default [0, 255];
// give [0, 1] for images scaled to [0, 1]). Training only; see augmentation.ts.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { engine } from '../backend/engine.js';
import { describeValue } from '../describe.js';
import { adjustContrast } from '../ops/augment.js';
import { AugmentationLayer, factorRange, type AugmentationArgs } from './augmentation.js';

export interface RandomContrastArgs extends AugmentationArgs {
  /** f: factors in [1 − f, 1 + f]; a pair [lower, upper]: [1 − lower, 1 + upper]. Both in [0, 1]. */
  factor: number | [number, number];
  /** Output clipped to [low, high] (default [0, 255], as Keras). */
  valueRange?: [number, number];
}

export class RandomContrast extends AugmentationLayer {
  readonly className = 'RandomContrast';
  readonly factor: [number, number];
  readonly valueRange: [number, number];

  constructor(args: RandomContrastArgs) {
    super(args, 'random_contrast');
    const f = args.factor;
    // Keras: a number f means lower = upper = f.
    this.factor = typeof f === 'number' ? factorRange([f, f], 'factor', this.name, 0, 1) : factorRange(f, 'factor', this.name, 0, 1);
    const r = args.valueRange ?? [0, 255];
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || !(r[0] < r[1])) {
      throw new Error(`simdnet: ${this.name}: valueRange must be [low, high] with low < high, got ${describeValue(args.valueRange)}`);
    }
    this.valueRange = [r[0], r[1]];
  }

  protected augment(x: Tensor, y: Tensor, arena: Arena): void {
    const n = x.shape[0];
    const factors = Tensor.empty([n], arena);
    // New factors each step, also where a recorded step replays (src/model/training-plan.ts).
    engine().live(() => {
      const f = factors.view();
      for (let i = 0; i < n; i++) f[i] = this.draw([1 - this.factor[0], 1 + this.factor[1]]);
      adjustContrast(x, y, factors, this.valueRange[0], this.valueRange[1]);
    });
  }

  protected layerConfig(): Record<string, unknown> {
    return { factor: [...this.factor], value_range: [...this.valueRange], ...this.seedConfig() };
  }
}
