// Quantized activations: u8 bytes in linear memory holding 7-bit values (0..127), with the affine map
// real = scale · (q - zero). A QTensor is a shape, a byte offset and that map; like a Tensor from an arena,
// it is freed with its arena (quantized activations only live for one batch).
import type { Arena } from '../index.js';
import { shapeSize } from './main.js';

/** real = scale · (q − zero), q in 0..127. */
export interface QuantParams {
  readonly scale: number;
  readonly zero: number;
}

export class QTensor {
  readonly size: number;
  constructor(
    readonly ptr: number,
    readonly shape: number[],
    readonly q: QuantParams,
  ) {
    this.size = shapeSize(shape);
  }

  /** An uninitialised u8 tensor from the arena. */
  static empty(shape: number[], q: QuantParams, arena: Arena): QTensor {
    return new QTensor(arena.alloc(Math.max(shapeSize(shape), 1)), [...shape], q);
  }

  /** The same bytes under another shape of the same size. */
  reshape(shape: number[]): QTensor {
    if (shapeSize(shape) !== this.size) throw new Error(`simdnet: cannot reshape quantized [${this.shape}] to [${shape}]`);
    return new QTensor(this.ptr, shape, this.q);
  }

  toString(): string {
    return `QTensor [${this.shape}]`;
  }
}
