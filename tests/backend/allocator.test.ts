// The linear-memory allocator (src/backend/memory.ts), on a memory of its own (no engine): it must stay
// correct (aligned, never overlapping, coalescing, giving the top back) and each allocation must look at a
// bounded number of free blocks however fragmented the heap is — counted, not timed (issue 10 item 10).
import { describe, it, expect } from 'vitest';
import { LinearAllocator } from '../../src/backend/memory.js';
import { rng } from '../helpers/random.js';

const BASE = 1000; // not aligned on purpose: the allocator aligns its base up

function fresh(): LinearAllocator {
  return new LinearAllocator(new WebAssembly.Memory({ initial: 1, maximum: 65536 }), BASE);
}

describe('LinearAllocator', () => {
  it('inspects at most one free block per step with 50,000 scattered free blocks', () => {
    const heap = fresh();
    const r = rng(1);
    const offsets: number[] = [];
    // 100,000 blocks of 64 B to 4 KiB, then every other one freed: 50,000 holes that cannot coalesce.
    for (let i = 0; i < 100_000; i++) offsets.push(heap.alloc(64 * (1 + Math.floor(r() * 64))));
    for (let i = 0; i < offsets.length; i += 2) heap.release(offsets[i]);
    expect(heap.freeBlocks).toBe(50_000);
    let worst = 0;
    const got: number[] = [];
    for (const bytes of [1, 64, 100, 640, 1000, 2048, 4000, 4096, 5000, 65536, 1 << 20, 300, 64 * 63, 7]) {
      const before = heap.inspected;
      got.push(heap.alloc(bytes));
      worst = Math.max(worst, heap.inspected - before);
    }
    // Exact-size list, good-fit class, own class: each looks at one block at most (a linear scan: 50,000).
    expect(worst).toBeLessThanOrEqual(3);
    for (const o of got) expect(o % 64).toBe(0);
  });

  it('never hands out overlapping or unaligned blocks, coalesces, and gives everything back (random stress)', () => {
    const heap = fresh();
    const r = rng(2);
    const live = new Map<number, number>(); // offset -> requested bytes
    const sizes = [1, 63, 64, 65, 200, 1024, 1500, 4096, 10_000, 70_000];
    for (let step = 0; step < 20_000; step++) {
      if (live.size && r() < 0.45) {
        const keys = [...live.keys()];
        const o = keys[Math.floor(r() * keys.length)];
        heap.release(o);
        live.delete(o);
      } else {
        const bytes = sizes[Math.floor(r() * sizes.length)] + (r() < 0.3 ? Math.floor(r() * 5000) : 0);
        const o = heap.alloc(bytes);
        expect(o % 64).toBe(0);
        expect(o).toBeGreaterThanOrEqual(BASE);
        expect(live.has(o)).toBe(false);
        live.set(o, bytes);
      }
      if (step % 1000 === 999) {
        const blocks = [...live.entries()].sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < blocks.length; i++) expect(blocks[i][0]).toBeGreaterThanOrEqual(blocks[i - 1][0] + blocks[i - 1][1]);
        const last = blocks[blocks.length - 1];
        if (last) expect(heap.topOffset).toBeGreaterThanOrEqual(last[0] + last[1]);
      }
    }
    for (const o of live.keys()) heap.release(o);
    // Everything coalesced back into the top: no holes, nothing in use.
    expect(heap.freeBlocks).toBe(0);
    expect(heap.bytesInUse).toBe(0);
    expect(heap.liveBlocks).toBe(0);
    expect(heap.topOffset).toBe(heap.baseOffset);
  });

  it('keeps memory flat over repeated batches of the same sizes, with long-lived blocks in between', () => {
    const heap = fresh();
    const batchSizes = [4096, 100_000, 320, 64, 50_000, 4096, 777, 250_000];
    const keep: number[] = [];
    let flatTop = -1;
    for (let batch = 0; batch < 30; batch++) {
      const arena = batchSizes.map((b) => heap.alloc(b));
      // Optimizer state appears during the first batch, above that batch's blocks.
      if (batch === 0) for (let i = 0; i < 5; i++) keep.push(heap.alloc(30_000));
      for (let i = arena.length - 1; i >= 0; i--) heap.release(arena[i]);
      if (batch === 1) flatTop = heap.topOffset;
      if (batch > 1) expect(heap.topOffset).toBe(flatTop);
    }
    expect(heap.freeBlocks).toBeLessThanOrEqual(1);
    for (const o of keep) heap.release(o);
    expect(heap.topOffset).toBe(heap.baseOffset);
  });

  it('merges a freed block with free neighbours on both sides', () => {
    const heap = fresh();
    const [a, b, c, d] = [heap.alloc(640), heap.alloc(640), heap.alloc(640), heap.alloc(64)];
    heap.release(a);
    heap.release(c);
    expect(heap.freeBlocks).toBe(2);
    heap.release(b);
    expect(heap.freeBlocks).toBe(1);
    expect(heap.alloc(1920)).toBe(a); // the three merged blocks, reused whole
    expect(() => heap.release(a + 64)).toThrow(/not a live allocation/);
    heap.release(d);
    heap.release(a);
    expect(heap.topOffset).toBe(heap.baseOffset);
  });
});
