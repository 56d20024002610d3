// The allocator for the module's linear memory. Tensors are byte offsets into it.
//
// Blocks are 64-byte aligned (a cache line; also keeps every f32x4 load aligned). Freed blocks go to a
// free list sorted by offset and are coalesced with their neighbours, and allocation is best-fit, so a
// training loop that allocates the same sizes every batch reuses the same blocks and memory stays flat.
// Only when nothing fits does the top move up, and only then does the memory grow.

const ALIGN = 64;
const PAGE = 65536;

interface Block {
  offset: number;
  size: number;
}

export class LinearAllocator {
  private free: Block[] = [];
  private sizes = new Map<number, number>();
  private top: number;
  private viewBuffer: ArrayBufferLike | null = null;
  private f32View = new Float32Array(0);
  private u8View = new Uint8Array(0);
  private i32View = new Int32Array(0);

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    /** Whether the memory is shared (threads): its cap is 2 GiB instead of 4 GiB. */
    readonly shared = false,
  ) {
    this.top = alignUp(base);
  }

  /** Reserves `bytes` (at least 1) and returns the offset. The contents are not cleared. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size && (best < 0 || b.size < this.free[best].size)) {
        best = i;
        if (b.size === size) break;
      }
    }
    let offset: number;
    if (best >= 0) {
      const b = this.free[best];
      offset = b.offset;
      if (b.size === size) this.free.splice(best, 1);
      else {
        b.offset += size;
        b.size -= size;
      }
    } else {
      offset = this.top;
      this.ensure(offset + size);
      this.top = offset + size;
    }
    this.sizes.set(offset, size);
    return offset;
  }

  /** Returns a block to the free list. Freeing an unknown offset throws rather than corrupting memory. */
  release(offset: number): void {
    const size = this.sizes.get(offset);
    if (size === undefined) throw new Error(`simdnet: release of offset ${offset}, which is not a live allocation`);
    this.sizes.delete(offset);
    // Insert sorted by offset, then merge with the neighbours.
    let lo = 0;
    let hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    this.free.splice(lo, 0, { offset, size });
    const next = this.free[lo + 1];
    if (next && offset + size === next.offset) {
      this.free[lo].size += next.size;
      this.free.splice(lo + 1, 1);
    }
    const prev = this.free[lo - 1];
    if (prev && prev.offset + prev.size === offset) {
      prev.size += this.free[lo].size;
      this.free.splice(lo, 1);
    }
    // A free block at the very top gives its space back to the bump pointer.
    const last = this.free[this.free.length - 1];
    if (last && last.offset + last.size === this.top) {
      this.top = last.offset;
      this.free.pop();
    }
  }

  /** Grows the memory so that byte `end` is addressable. */
  ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    // Grow by at least a quarter of the current size, so a slowly growing workload grows rarely.
    const needPages = Math.ceil((end - have) / PAGE);
    const pages = Math.max(needPages, Math.ceil(have / PAGE / 4));
    try {
      this.memory.grow(pages);
    } catch {
      this.memory.grow(needPages);
    }
  }

  get liveBlocks(): number {
    return this.sizes.size;
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes handed out and not yet released. */
  get bytesInUse(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
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

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
