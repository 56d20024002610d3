// What the random augmentation layers share (Keras preprocessing layers): active only in training
// (`fit`), the identity in predict/evaluate; random numbers from sn.setSeed's stream, or the layer's own
// `seed`; forward only. They belong at a model's input: a gradient asked to flow back through one (a
// layer with weights before it) is refused, since the random warp/contrast of one batch is not worth a
// backward kernel. TF.js 4.22 has none of them: saved under Keras class names, such models load in simdnet
// and Keras; for TF.js save without them (`model.save(handler, { includeAugmentation: false })`).
import type { Arena } from '../backend/arena.js';
import { Tensor } from '../tensor.js';
import { describeValue } from '../describe.js';
import { random, seededRandom } from '../random.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Node } from './node.js';

export interface AugmentationArgs extends LayerArgs {
  /** Keras's `seed`: a stream of the layer's own; default the global one (sn.setSeed). */
  seed?: number | null;
}

/** A Keras factor: a number f means [−f, f], a pair [lower, upper] as given. */
export function factorRange(value: unknown, what: string, layer: string, min = -Infinity, max = Infinity): [number, number] {
  const pair = typeof value === 'number' ? [-Math.abs(value), Math.abs(value)] : Array.isArray(value) && value.length === 2 ? value : null;
  if (!pair || !pair.every((v) => typeof v === 'number' && v >= min && v <= max) || pair[0] > pair[1]) {
    throw new Error(`simdnet: ${layer}: ${what} must be a number or a pair [lower, upper] within [${min}, ${max}], got ${describeValue(value)}`);
  }
  return pair as [number, number];
}

export abstract class AugmentationLayer extends Layer {
  readonly seed: number | null;
  /** Uniform numbers in [0, 1) for this layer. */
  protected readonly uniform01: () => number;

  constructor(args: AugmentationArgs, prefix: string) {
    super(args, prefix);
    if (args.seed !== undefined && args.seed !== null && !Number.isInteger(args.seed)) {
      throw new Error(`simdnet: ${this.name}: seed must be an integer or null, got ${describeValue(args.seed)}`);
    }
    this.seed = args.seed ?? null;
    this.uniform01 = this.seed === null ? random : seededRandom(this.seed);
  }

  /** A uniform number in [lower, upper]. */
  protected draw([lower, upper]: [number, number]): number {
    return lower === upper ? lower : lower + (upper - lower) * this.uniform01();
  }

  protected computeOutputShape(s: number[]): number[] {
    this.expectRank(s, 3, 'images [height, width, channels]');
    return [...s];
  }

  forward(x: Tensor, node: Node, arena: Arena): Tensor {
    if (!node.training) return x;
    const y = Tensor.empty(x.shape, arena);
    this.augment(x, y, arena);
    return y;
  }

  /** y = a random augmentation of each image of x (training only). */
  protected abstract augment(x: Tensor, y: Tensor, arena: Arena): void;

  // The model asks for dx only when a layer with weights comes before this one (src/model/graph.ts).
  backward(_dy: Tensor, _node: Node, _arena: Arena, needDx: boolean): Tensor | null {
    if (!needDx) return null;
    throw new Error(
      `simdnet: ${this.name} (${this.className}) passes no gradient back, but a layer with weights comes before it: put augmentation layers at the model's input`,
    );
  }

  protected seedConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}
