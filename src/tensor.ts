// A Tensor is a shape and a float32 buffer in the engine's linear memory. It is a view, not a JS array:
// `dataSync()` copies the values out, and `dispose()` frees the memory (tensors are not garbage-collected).
import { engine } from './backend/engine.js';
import type { Arena } from './backend/arena.js';

let liveTensors = 0;

export type Shape = readonly number[];
export type TensorLike = Float32Array | Int32Array | Uint8Array | number[] | NestedArray;
interface NestedArray extends Array<number | NestedArray> {}

export class Tensor {
  readonly shape: number[];
  readonly size: number;
  private offset: number;
  private readonly arena: Arena | null;

  /** Use `sn.tensor()` or `Tensor.empty()`; this wraps memory that is already allocated. */
  private constructor(shape: Shape, offset: number, arena: Arena | null) {
    this.shape = [...shape];
    this.size = shapeSize(shape);
    this.offset = offset;
    this.arena = arena;
    if (!arena) liveTensors++;
  }

  /** An uninitialised tensor; from `arena` when given (freed with it), else owned by the caller. */
  static empty(shape: Shape, arena: Arena | null = null): Tensor {
    checkShape(shape);
    const bytes = shapeSize(shape) * 4;
    const offset = arena ? arena.alloc(bytes) : engine().heap.alloc(bytes);
    return new Tensor(shape, offset, arena);
  }

  static zeros(shape: Shape, arena: Arena | null = null): Tensor {
    const t = Tensor.empty(shape, arena);
    engine().kernels.fill_f32(t.ptr, t.size, 0);
    return t;
  }

  /** Byte offset of the first element in linear memory. */
  get ptr(): number {
    if (this.offset < 0) throw new Error(`simdnet: tensor of shape [${this.shape}] was used after dispose()`);
    return this.offset;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.offset < 0;
  }

  /** A live Float32Array over this tensor's memory; valid until the next allocation (memory may grow). */
  view(): Float32Array {
    const p = this.ptr >> 2;
    return engine().heap.f32.subarray(p, p + this.size);
  }

  /** A copy of the values. */
  dataSync(): Float32Array {
    return this.view().slice();
  }

  /** Same as dataSync, for TensorFlow.js-style code. */
  async data(): Promise<Float32Array> {
    return this.dataSync();
  }

  /** The values as nested arrays following the shape. */
  arraySync(): number | NestedArray {
    const flat = Array.from(this.dataSync());
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, start: number): NestedArray => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return flat.slice(start, start + n);
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, start + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** Overwrites the values from a flat array of the same size. */
  set(values: ArrayLike<number>): void {
    if (values.length !== this.size) {
      throw new Error(`simdnet: cannot set ${values.length} values into a tensor of shape [${this.shape}] (${this.size} values)`);
    }
    this.view().set(values);
  }

  /** A new owned tensor with the same values. */
  clone(): Tensor {
    const t = Tensor.empty(this.shape);
    engine().kernels.copy_f32(t.ptr, this.ptr, this.size);
    return t;
  }

  /** The same memory under another shape of the same size (no copy; shares the owner's lifetime). */
  reshapeView(shape: Shape): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new Error(`simdnet: cannot reshape [${this.shape}] (${this.size} values) to [${shape}] (${shapeSize(shape)} values)`);
    }
    const t = new Tensor(shape, this.ptr, this.arena ?? VIEW);
    return t;
  }

  /** Frees the memory. Safe to call twice; a tensor from an arena is freed with its arena instead. */
  dispose(): void {
    if (this.offset < 0) return;
    if (!this.arena) {
      engine().heap.release(this.offset);
      liveTensors--;
    }
    this.offset = -1;
  }

  toString(): string {
    return `Tensor [${this.shape}]`;
  }
}

// Views made by reshapeView of an owned tensor do not own memory: they pretend to come from this arena.
const VIEW = { alloc: () => 0, reset: () => undefined, blocks: 0 } as unknown as Arena;

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`simdnet: invalid shape [${shape}]: dimensions must be non-negative integers`);
  }
}

function inferShape(data: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function flatten(data: unknown, out: number[]): void {
  if (Array.isArray(data)) for (const item of data) flatten(item, out);
  else out.push(data as number);
}

/**
 * Makes an owned tensor from values: a typed array or number[] (with `shape`), or nested arrays (shape
 * inferred). Throws when the number of values does not match the shape.
 */
export function tensor(data: TensorLike, shape?: Shape): Tensor {
  let values: ArrayLike<number>;
  if (ArrayBuffer.isView(data)) values = data as ArrayLike<number>;
  else if (Array.isArray(data) && data.some((d) => Array.isArray(d))) {
    const flat: number[] = [];
    flatten(data, flat);
    values = flat;
    const inferred = inferShape(data);
    if (shapeSize(inferred) !== flat.length) throw new Error(`simdnet: nested array is ragged; expected shape [${inferred}]`);
    shape ??= inferred;
  } else values = data as number[];
  shape ??= [values.length];
  checkShape(shape);
  if (shapeSize(shape) !== values.length) {
    throw new Error(`simdnet: tensor data has ${values.length} values but shape [${shape}] needs ${shapeSize(shape)}`);
  }
  const t = Tensor.empty(shape);
  t.view().set(values);
  return t;
}

export function liveTensorCount(): number {
  return liveTensors;
}
