// The allocator for the module's linear memory. Tensors are byte offsets into it.
//
// Blocks are 64-byte aligned (a cache line; also keeps every f32x4 load aligned). A freed block is merged
// at once with free neighbours on either side (found in O(1) through maps keyed by start and by end), and a
// free block that reaches the top gives its space back to the bump pointer. Free blocks are filed in
// segregated size classes (a two-level segregated fit, as TLSF): 16 classes per power of two, with bitmaps
// of the non-empty ones, so finding a block that fits takes a few bit operations, whatever the number of
// free blocks. Allocation tries, in order, each inspecting at most one block:
//   1. a free block of exactly the requested size (repeated batches reuse their own holes exactly);
//   2. the head of the first non-empty class whose every block fits ("good fit": at most 1/16 too large);
//   3. the head of the request's own class, if it happens to fit;
//   4. the top of the heap — and only then does the memory grow.
// A training loop that allocates the same sizes every batch reuses the same blocks, so memory stays flat.

const ALIGN = 64;
const PAGE = 65536;
const SL_BITS = 4; // 16 second-level classes per power of two
const SL_COUNT = 1 << SL_BITS;
const FL_COUNT = 32 - SL_BITS; // enough for sizes up to 2^32 bytes in 64-byte units

interface FreeBlock {
  offset: number;
  size: number;
  cls: number;
  // The block's neighbours in its class list and in its exact-size list.
  prev: FreeBlock | null;
  next: FreeBlock | null;
  prevSame: FreeBlock | null;
  nextSame: FreeBlock | null;
}

// The class of a size in 64-byte units: sizes below 16 units get a class each; above, 16 classes per power of two.
function classOf(units: number): number {
  if (units < SL_COUNT) return units;
  const b = 31 - Math.clz32(units);
  return (b - SL_BITS + 1) * SL_COUNT + ((units >>> (b - SL_BITS)) & (SL_COUNT - 1));
}

// The first class all of whose blocks are at least `units` long.
function classAtLeast(units: number): number {
  if (units < SL_COUNT) return units;
  const b = 31 - Math.clz32(units);
  const rounded = units + (1 << (b - SL_BITS)) - 1;
  return classOf(rounded);
}

export class LinearAllocator {
  private readonly heads: (FreeBlock | null)[] = new Array(FL_COUNT * SL_COUNT).fill(null);
  private flBitmap = 0;
  private readonly slBitmaps = new Int32Array(FL_COUNT);
  private readonly freeAt = new Map<number, FreeBlock>();
  private readonly freeEndingAt = new Map<number, FreeBlock>();
  private readonly sameSize = new Map<number, FreeBlock>();
  private readonly sizes = new Map<number, number>();
  private inUse = 0;
  private top: number;
  private readonly base: number;
  private viewBuffer: ArrayBufferLike | null = null;
  private f32View = new Float32Array(0);
  private u8View = new Uint8Array(0);
  private i32View = new Int32Array(0);
  /** Free blocks looked at by `alloc` since the allocator was made (tests check it stays O(1) per call). */
  inspected = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    /** The most bytes the memory may grow to (its declared maximum): 4 GiB, or 2 GiB when shared. */
    readonly maxBytes = 65536 * PAGE,
  ) {
    this.base = this.top = align64(base);
  }

  /** Reserves `bytes` (at least 1) and returns the offset. The contents are not cleared. */
  alloc(bytes: number): number {
    if (!(bytes >= 0 && bytes <= 2 ** 53)) throw new Error(`simdnet: cannot allocate ${bytes} bytes`);
    const size = align64(Math.max(bytes, 1));
    const units = size / ALIGN;
    let block = this.sameSize.get(size) ?? null;
    if (block) this.inspected++;
    else {
      const cls = classAtLeast(units);
      const found = cls < FL_COUNT * SL_COUNT ? this.firstClassFrom(cls) : -1;
      if (found >= 0) {
        block = this.heads[found];
        this.inspected++;
      } else {
        const own = this.heads[classOf(units)] ?? null;
        if (own) {
          this.inspected++;
          if (own.size >= size) block = own;
        }
      }
    }
    let offset: number;
    if (block) {
      this.unlink(block);
      offset = block.offset;
      if (block.size > size) this.insert(offset + size, block.size - size);
    } else {
      offset = this.top;
      this.ensure(offset + size, bytes);
      this.top = offset + size;
    }
    this.sizes.set(offset, size);
    this.inUse += size;
    return offset;
  }

  /** Returns a block to the free blocks. Freeing an unknown offset throws rather than corrupting memory. */
  release(offset: number): void {
    let size = this.sizes.get(offset);
    if (size === undefined) throw new Error(`simdnet: release of offset ${offset}, which is not a live allocation`);
    this.sizes.delete(offset);
    this.inUse -= size;
    const after = this.freeAt.get(offset + size);
    if (after) {
      this.unlink(after);
      size += after.size;
    }
    const before = this.freeEndingAt.get(offset);
    if (before) {
      this.unlink(before);
      offset = before.offset;
      size += before.size;
    }
    // A free block at the very top gives its space back to the bump pointer.
    if (offset + size === this.top) this.top = offset;
    else this.insert(offset, size);
  }

  // The first non-empty class at or above `cls`, or -1.
  private firstClassFrom(cls: number): number {
    let fl = cls >>> SL_BITS;
    let sl = this.slBitmaps[fl] & (~0 << (cls & (SL_COUNT - 1)));
    if (sl === 0) {
      const above = fl + 1 < 32 ? this.flBitmap & (~0 << (fl + 1)) : 0;
      if (above === 0) return -1;
      fl = 31 - Math.clz32(above & -above);
      sl = this.slBitmaps[fl];
    }
    return (fl << SL_BITS) + (31 - Math.clz32(sl & -sl));
  }

  private insert(offset: number, size: number): void {
    const cls = classOf(size / ALIGN);
    const head = this.heads[cls];
    const sameHead = this.sameSize.get(size) ?? null;
    const b: FreeBlock = { offset, size, cls, prev: null, next: head, prevSame: null, nextSame: sameHead };
    if (head) head.prev = b;
    if (sameHead) sameHead.prevSame = b;
    this.heads[cls] = b;
    this.sameSize.set(size, b);
    this.slBitmaps[cls >>> SL_BITS] |= 1 << (cls & (SL_COUNT - 1));
    this.flBitmap |= 1 << (cls >>> SL_BITS);
    this.freeAt.set(offset, b);
    this.freeEndingAt.set(offset + size, b);
  }

  private unlink(b: FreeBlock): void {
    if (b.prev) b.prev.next = b.next;
    else {
      this.heads[b.cls] = b.next;
      if (!b.next) {
        const fl = b.cls >>> SL_BITS;
        this.slBitmaps[fl] &= ~(1 << (b.cls & (SL_COUNT - 1)));
        if (this.slBitmaps[fl] === 0) this.flBitmap &= ~(1 << fl);
      }
    }
    if (b.next) b.next.prev = b.prev;
    if (b.prevSame) b.prevSame.nextSame = b.nextSame;
    else if (b.nextSame) this.sameSize.set(b.size, b.nextSame);
    else this.sameSize.delete(b.size);
    if (b.nextSame) b.nextSame.prevSame = b.prevSame;
    this.freeAt.delete(b.offset);
    this.freeEndingAt.delete(b.offset + b.size);
  }

  /** Grows the memory so that byte `end` is addressable; `asked` names the allocation in the error. */
  ensure(end: number, asked = end): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil((end - have) / PAGE);
    if (end > this.maxBytes) throw this.outOfMemory(asked, end, `over the cap of ${formatBytes(this.maxBytes)}`);
    // Grow by at least a quarter of the current size, so a slowly growing workload grows rarely.
    const pages = Math.min(Math.max(needPages, Math.ceil(have / PAGE / 4)), this.maxBytes / PAGE - have / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(needPages);
      } catch {
        throw this.outOfMemory(asked, end, `which the platform refused (the cap is ${formatBytes(this.maxBytes)})`);
      }
    }
  }

  private outOfMemory(asked: number, end: number, why: string): Error {
    const cap = this.maxBytes < 65536 * PAGE ? 'with threads; 4 GiB on one thread' : 'on one thread; 2 GiB with threads';
    return new Error(
      `simdnet ran out of wasm memory: an allocation of ${formatBytes(asked)} needs the memory to grow to ` +
        `${formatBytes(end)}, ${why} (${cap}). ${formatBytes(this.inUse)} are in use in ${this.sizes.size} blocks ` +
        `(memory ${formatBytes(this.memory.buffer.byteLength)}). Dispose tensors and models you no longer need, or use smaller batches.`,
    );
  }

  get liveBlocks(): number {
    return this.sizes.size;
  }

  /** Free blocks below the top (holes). */
  get freeBlocks(): number {
    return this.freeAt.size;
  }

  /** The bump pointer: everything at or above it is unused. */
  get topOffset(): number {
    return this.top;
  }

  /** The first offset the allocator hands out. */
  get baseOffset(): number {
    return this.base;
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes handed out and not yet released. */
  get bytesInUse(): number {
    return this.inUse;
  }

  private refresh(): void {
    // Growing a memory detaches (or, when shared, replaces) its buffer: views are rebuilt lazily.
    const buffer = this.memory.buffer;
    if (buffer !== this.viewBuffer || this.f32View.byteLength !== buffer.byteLength) {
      this.viewBuffer = buffer;
      this.f32View = new Float32Array(buffer);
      this.u8View = new Uint8Array(buffer);
      this.i32View = new Int32Array(buffer);
    }
  }

  /** A Float32Array over the whole memory; valid until the next allocation. */
  get f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }

  get u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }

  get i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }
}

/** n rounded up to the allocator's alignment (64: a cache line): scratch parts laid out the same way. */
export function align64(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${+(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}
