// The geometric augmentations, as Keras's preprocessing layers: randomTranslation, randomRotation,
// randomZoom, randomFlip. Each draws one affine transform per image (Keras's matrices, output pixel →
// input coordinates, pixel centres at integers) and the image is resampled by one wasm kernel
// (assembly/augment.ts: bilinear or nearest, f32x4 over channels). Training only; see augmentation.ts.
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { engine } from '../backend/engine.js';
import { describeValue } from '../describe.js';
import { warpAffine, FILL_MODES, type FillMode } from '../ops/augment.js';
import { AugmentationLayer, factorRange, type AugmentationArgs } from './augmentation.js';

type Matrix = [number, number, number, number, number, number];

export interface WarpArgs extends AugmentationArgs {
  /** Keras's fill_mode: 'reflect' (default), 'wrap', 'constant' (fillValue) or 'nearest'. */
  fillMode?: FillMode;
  interpolation?: 'bilinear' | 'nearest';
  /** The value read outside the image with fillMode 'constant' (default 0). */
  fillValue?: number;
}

abstract class RandomWarp extends AugmentationLayer {
  readonly fillMode: FillMode;
  readonly interpolation: 'bilinear' | 'nearest';
  readonly fillValue: number;

  constructor(args: WarpArgs, prefix: string) {
    super(args, prefix);
    this.fillMode = args.fillMode ?? 'reflect';
    this.interpolation = args.interpolation ?? 'bilinear';
    this.fillValue = args.fillValue ?? 0;
    if (!FILL_MODES.includes(this.fillMode)) throw new Error(`simdnet: ${this.name}: fillMode must be one of ${FILL_MODES.join(', ')}, got ${describeValue(args.fillMode)}`);
    if (this.interpolation !== 'bilinear' && this.interpolation !== 'nearest') {
      throw new Error(`simdnet: ${this.name}: interpolation must be 'bilinear' or 'nearest', got ${describeValue(args.interpolation)}`);
    }
    if (!Number.isFinite(this.fillValue)) throw new Error(`simdnet: ${this.name}: fillValue must be a finite number, got ${describeValue(args.fillValue)}`);
  }

  /** One image's transform, output (col, row) → input (a0·col + a1·row + a2, b0·col + b1·row + b2). */
  protected abstract matrix(height: number, width: number): Matrix;

  protected augment(x: Tensor, y: Tensor, arena: Arena): void {
    const [n, h, w] = x.shape;
    const mats = Tensor.empty([n, 6], arena);
    // New transforms each step, also where a recorded step replays (src/model/training-plan.ts).
    engine().live(() => {
      const m = mats.view();
      for (let i = 0; i < n; i++) m.set(this.matrix(h, w), i * 6);
      warpAffine(x, y, mats, this.fillMode, this.fillValue, this.interpolation);
    });
  }

  protected warpConfig(): Record<string, unknown> {
    return { fill_mode: this.fillMode, interpolation: this.interpolation, fill_value: this.fillValue, ...this.seedConfig() };
  }
}

export interface RandomTranslationArgs extends WarpArgs {
  /** Fraction of the height: f moves by up to ±f·height (a pair [lower, upper] as given); positive moves down. */
  heightFactor: number | [number, number];
  /** Fraction of the width; positive moves right. */
  widthFactor: number | [number, number];
}

export class RandomTranslation extends RandomWarp {
  readonly className = 'RandomTranslation';
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number];

  constructor(args: RandomTranslationArgs) {
    super(args, 'random_translation');
    this.heightFactor = factorRange(args.heightFactor, 'heightFactor', this.name, -1, 1);
    this.widthFactor = factorRange(args.widthFactor, 'widthFactor', this.name, -1, 1);
  }

  protected matrix(h: number, w: number): Matrix {
    const dy = this.draw(this.heightFactor) * h;
    const dx = this.draw(this.widthFactor) * w;
    return [1, 0, -dx, 0, 1, -dy];
  }

  protected layerConfig(): Record<string, unknown> {
    return { height_factor: [...this.heightFactor], width_factor: [...this.widthFactor], ...this.warpConfig() };
  }
}

export interface RandomRotationArgs extends WarpArgs {
  /** Fraction of a full turn: f rotates by up to ±f·2π (a pair as given); positive is counter-clockwise. */
  factor: number | [number, number];
}

export class RandomRotation extends RandomWarp {
  readonly className = 'RandomRotation';
  readonly factor: [number, number];

  constructor(args: RandomRotationArgs) {
    super(args, 'random_rotation');
    this.factor = factorRange(args.factor, 'factor', this.name);
  }

  protected matrix(h: number, w: number): Matrix {
    const angle = this.draw(this.factor) * 2 * Math.PI;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // About the image centre, as Keras.
    const x0 = (w - 1 - (cos * (w - 1) - sin * (h - 1))) / 2;
    const y0 = (h - 1 - (sin * (w - 1) + cos * (h - 1))) / 2;
    return [cos, -sin, x0, sin, cos, y0];
  }

  protected layerConfig(): Record<string, unknown> {
    return { factor: [...this.factor], ...this.warpConfig() };
  }
}

export interface RandomZoomArgs extends WarpArgs {
  /** f zooms by a factor in [1 − f, 1 + f] of the height (a pair: 1 + lower … 1 + upper); positive zooms out. */
  heightFactor: number | [number, number];
  /** The same for the width; default (null) keeps the aspect ratio (the height's zoom). */
  widthFactor?: number | [number, number] | null;
}

export class RandomZoom extends RandomWarp {
  readonly className = 'RandomZoom';
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number] | null;

  constructor(args: RandomZoomArgs) {
    super(args, 'random_zoom');
    this.heightFactor = factorRange(args.heightFactor, 'heightFactor', this.name, -1);
    this.widthFactor = args.widthFactor === undefined || args.widthFactor === null ? null : factorRange(args.widthFactor, 'widthFactor', this.name, -1);
  }

  protected matrix(h: number, w: number): Matrix {
    const zy = 1 + this.draw(this.heightFactor);
    const zx = this.widthFactor ? 1 + this.draw(this.widthFactor) : zy;
    return [zx, 0, ((w - 1) / 2) * (1 - zx), 0, zy, ((h - 1) / 2) * (1 - zy)];
  }

  protected layerConfig(): Record<string, unknown> {
    return { height_factor: [...this.heightFactor], width_factor: this.widthFactor ? [...this.widthFactor] : null, ...this.warpConfig() };
  }
}

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

export interface RandomFlipArgs extends AugmentationArgs {
  /** Which flips, each with probability ½ (default both). */
  mode?: FlipMode;
}

export class RandomFlip extends RandomWarp {
  readonly className = 'RandomFlip';
  readonly mode: FlipMode;

  constructor(args: RandomFlipArgs = {}) {
    super(args, 'random_flip');
    this.mode = args.mode ?? 'horizontal_and_vertical';
    if (!['horizontal', 'vertical', 'horizontal_and_vertical'].includes(this.mode)) {
      throw new Error(`simdnet: ${this.name}: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got ${describeValue(args.mode)}`);
    }
  }

  protected matrix(h: number, w: number): Matrix {
    const flipX = this.mode !== 'vertical' && this.uniform01() < 0.5;
    const flipY = this.mode !== 'horizontal' && this.uniform01() < 0.5;
    return [flipX ? -1 : 1, 0, flipX ? w - 1 : 0, 0, flipY ? -1 : 1, flipY ? h - 1 : 0];
  }

  protected layerConfig(): Record<string, unknown> {
    return { mode: this.mode, ...this.seedConfig() };
  }
}
