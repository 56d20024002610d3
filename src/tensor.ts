// A Tensor is a shape and a float32 buffer in the engine's linear memory. It is a view, not a JS array:
// `dataSync()` copies the values out, and `dispose()` frees the memory (tensors are not garbage-collected).
//
// A tensor remembers the engine that made it. When that engine is replaced (`ready()` with other options)
// or disposed (`sn.dispose()`), the tensor's offset means nothing in the new memory, so every use throws;
// disposing it is a harmless no-op (cleanup code in `finally` blocks keeps working). Likewise a
// `reshapeView` dies with the tensor it views, and a tensor from an arena dies with the arena's reset.
import { engine, type Engine } from './backend/engine.js';
import type { Arena } from './backend/arena.js';
import { describeValue } from './describe.js';

export { liveTensorCount } from './backend/engine.js';

export type Shape = readonly number[];
export type TensorLike = Float32Array | Int32Array | Uint8Array | number[] | NestedArray;
/** Values nested as the shape: what `arraySync()` returns for a tensor of rank ≥ 1. */
export interface NestedArray extends Array<number | NestedArray> {}

/**
 * What `arraySync()` returns for a tensor of rank R: a number for rank 0, `number[]` for 1, `number[][]`
 * for 2, and so on; `number | NestedArray` when the rank is not known when compiling.
 */
export type ArrayOfRank<R extends number> = R extends 0
  ? number
  : R extends 1
    ? number[]
    : R extends 2
      ? number[][]
      : R extends 3
        ? number[][][]
        : R extends 4
          ? number[][][][]
          : number | NestedArray;

/** A tensor; R is its rank where the compiler knows it (`sn.tensor(values, [2, 3])` is a `Tensor<2>`). */
export class Tensor<R extends number = number> {
  readonly shape: number[];
  readonly size: number;
  private offset: number;
  private readonly arena: Arena | null;
  /** The arena's generation when this tensor was made: a reset makes it stale. */
  private readonly arenaGeneration: number;
  private readonly engine: Engine;
  /** For a reshapeView: the owned (or arena) tensor whose memory this is. */
  private readonly owner: Tensor | null;
  /** Bumped by every write the library knows of (set, view, optimizer steps, setWeights): caches of derived data (Winograd filter plans) compare it. */
  private writes = 0;

  /** Use `sn.tensor()` or `Tensor.empty()`; this wraps memory that is already allocated. */
  private constructor(shape: Shape, offset: number, arena: Arena | null, e: Engine, owner: Tensor | null) {
    this.shape = [...shape];
    this.size = shapeSize(shape);
    this.offset = offset;
    this.arena = arena;
    this.arenaGeneration = arena ? arena.generation : 0;
    this.engine = e;
    this.owner = owner;
    if (!arena && !owner) e.liveTensors++;
  }

  /** An uninitialised tensor; from `arena` when given (freed with it), else owned by the caller. */
  static empty(shape: Shape, arena: Arena | null = null): Tensor {
    checkShape(shape);
    const e = engine();
    const bytes = shapeSize(shape) * 4;
    const offset = arena ? arena.alloc(bytes) : e.heap.alloc(bytes);
    return new Tensor(shape, offset, arena, e, null);
  }

  static zeros(shape: Shape, arena: Arena | null = null): Tensor {
    const t = Tensor.empty(shape, arena);
    t.engine.kernels.fill_f32(t.ptr, t.size, 0);
    return t;
  }

  /** Byte offset of the first element in linear memory. Throws if the tensor can no longer be used. */
  get ptr(): number {
    if (this.offset < 0 || this.engine.retired || (this.owner !== null && this.owner.offset < 0) ||
        (this.arena !== null && this.arena.generation !== this.arenaGeneration)) {
      throw this.deadError();
    }
    return this.offset;
  }

  private deadError(): Error {
    const what = `simdnet: tensor [${this.shape}]`;
    if (this.engine.retired) {
      return new Error(`${what} belongs to an engine that was replaced or disposed (sn.ready() with other options, or sn.dispose()); make it again after ready()`);
    }
    if (this.offset < 0) return new Error(`${what} was used after dispose()`);
    if (this.owner !== null && this.owner.offset < 0) {
      return new Error(`${what} is a reshapeView of tensor [${this.owner.shape}], which was disposed`);
    }
    return new Error(`${what} came from an arena that was reset since (it lived for one batch); it was used after that`);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** True once the tensor can no longer be used: disposed, its owner or arena freed, or its engine gone. */
  get isDisposed(): boolean {
    return this.offset < 0 || this.engine.retired || (this.owner !== null && this.owner.offset < 0) ||
      (this.arena !== null && this.arena.generation !== this.arenaGeneration);
  }

  /**
   * A number that changes whenever the values may have changed through the library (set, view, optimizer
   * steps, setWeights; a view's writes count for the tensor it views). Derived data (a conv layer's
   * Winograd filter plan) is remade when it moves.
   */
  get version(): number {
    return this.owner ? this.owner.version : this.writes;
  }

  /** Records a write to the values (kernels that update a tensor in place call it). */
  markWritten(): void {
    if (this.owner) this.owner.markWritten();
    else this.writes++;
  }

  /** A live Float32Array over this tensor's memory; valid until the next allocation (memory may grow). Counts as a write (see `version`). */
  view(): Float32Array {
    this.markWritten();
    const p = this.ptr >> 2;
    return this.engine.heap.f32.subarray(p, p + this.size);
  }

  /** A copy of the values. */
  dataSync(): Float32Array {
    const p = this.ptr >> 2;
    return this.engine.heap.f32.slice(p, p + this.size);
  }

  /** Same as dataSync, for TensorFlow.js-style code. */
  async data(): Promise<Float32Array> {
    return this.dataSync();
  }

  /** The values as nested arrays following the shape. */
  arraySync(): ArrayOfRank<R> {
    const flat = Array.from(this.dataSync());
    if (this.shape.length === 0) return flat[0] as ArrayOfRank<R>;
    const build = (dim: number, start: number): NestedArray => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return flat.slice(start, start + n);
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, start + i * stride));
      return out;
    };
    return build(0, 0) as ArrayOfRank<R>;
  }

  /** Overwrites the values from a flat array of the same size. */
  set(values: ArrayLike<number>): void {
    if (!isNumberList(values)) throw new Error(`simdnet: Tensor.set takes a typed array or number[], got ${describeValue(values)}`);
    if (values.length !== this.size) {
      throw new Error(`simdnet: cannot set ${describeValue(values)} into a tensor of shape [${this.shape}] (${this.size} values)`);
    }
    const p = this.ptr;
    this.engine.heap.f32.set(values, p >> 2);
    this.markWritten();
  }

  /** A new owned tensor with the same values. */
  clone(): Tensor {
    const src = this.ptr;
    const t = Tensor.empty(this.shape);
    this.engine.kernels.copy_f32(t.ptr, src, this.size);
    return t;
  }

  /**
   * The same memory under another shape of the same size (no copy). The view lives as long as this tensor:
   * once it is disposed (or its arena reset), using the view throws. Disposing the view frees nothing.
   */
  reshapeView(shape: Shape): Tensor {
    checkShape(shape);
    if (shapeSize(shape) !== this.size) {
      throw new Error(`simdnet: cannot reshape [${this.shape}] (${this.size} values) to [${shape}] (${shapeSize(shape)} values)`);
    }
    return new Tensor(shape, this.ptr, this.arena, this.engine, this.owner ?? this);
  }

  /**
   * Frees the memory. Safe to call twice; a tensor from an arena is freed with its arena instead, a view
   * with its owner, and a tensor of a replaced or disposed engine has nothing left to free.
   */
  dispose(): void {
    if (this.offset < 0) return;
    if (!this.arena && !this.owner && !this.engine.retired) {
      this.engine.heap.release(this.offset);
      this.engine.liveTensors--;
    }
    this.offset = -1;
  }

  toString(): string {
    return `Tensor [${this.shape}]`;
  }
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: unknown): asserts shape is Shape {
  if (!Array.isArray(shape)) throw new Error(`simdnet: a shape must be an array of dimensions, got ${describeValue(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`simdnet: invalid shape [${shape.map(describeValue)}]: dimensions must be non-negative integers`);
    }
  }
}

function isNumberList(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array));
}

// The shape of nested arrays, read along the first element of each level; flattenChecked verifies the rest.
function inferShape(data: unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

// Appends the numbers of `data` to `out`, checking that every sub-array at depth d has shape[d] entries
// and that every leaf is a number (so 'hello', [1, '2'] and [[1, 2], [3]] are refused, not made NaN).
function flattenChecked(data: unknown, shape: number[], depth: number, at: string, out: number[]): void {
  if (depth === shape.length) {
    if (typeof data !== 'number') throw new Error(`simdnet.tensor: element ${at} is ${describeValue(data)}, not a number`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new Error(
      `simdnet.tensor: nested array is ragged: element ${at || '(top)'} is ${describeValue(data)} where the shape [${shape}] read ` +
        `from the first elements expects an array of ${shape[depth]}`,
    );
  }
  for (let i = 0; i < data.length; i++) flattenChecked(data[i], shape, depth + 1, `${at}[${i}]`, out);
}

/**
 * Makes an owned tensor from values: a typed array or number[] (with `shape`), or nested arrays (shape
 * inferred). Throws when the data is not numbers, is ragged, or its length does not match the shape.
 */
export function tensor<const S extends Shape>(data: TensorLike, shape: S): Tensor<S['length']>;
export function tensor(data: TensorLike, shape?: Shape): Tensor;
export function tensor(data: TensorLike, shape?: Shape): Tensor {
  let values: ArrayLike<number>;
  let inferred: number[];
  if (Array.isArray(data)) {
    inferred = inferShape(data);
    if (inferred.length === 1) {
      for (let i = 0; i < data.length; i++) {
        if (typeof data[i] !== 'number') throw new Error(`simdnet.tensor: element [${i}] is ${describeValue(data[i])}, not a number`);
      }
      values = data as number[];
    } else {
      const flat: number[] = [];
      flattenChecked(data, inferred, 0, '', flat);
      values = flat;
    }
  } else if (isNumberList(data)) {
    values = data;
    inferred = [data.length];
  } else {
    throw new Error(`simdnet.tensor: data must be a typed array, a number[] or nested arrays of numbers, got ${describeValue(data)}`);
  }
  if (shape === undefined) shape = inferred;
  checkShape(shape);
  if (shapeSize(shape) !== values.length) {
    throw new Error(`simdnet.tensor: data has ${values.length} values but shape [${shape}] needs ${shapeSize(shape)} (data: ${describeValue(data)})`);
  }
  // A view over the engine's own memory is detached by the growth the allocation below may cause: copy it
  // out first (`t.view()` is such a view).
  if (ArrayBuffer.isView(values) && values.buffer === engine().heap.memory.buffer) values = (values as Float32Array).slice();
  const t = Tensor.empty(shape);
  try {
    t.set(values);
  } catch (e) {
    t.dispose();
    throw e;
  }
  return t;
}
