// An arena hands out blocks that all die together: the activations and gradients of one batch.
// `reset()` returns every block to the allocator and bumps the arena's generation, so a tensor kept from an
// earlier batch throws when used instead of reading reused memory. `recycle()` ends a batch the same way but
// keeps the memory for the next one: the batch's blocks become one chunk that the next batch bumps through,
// with no allocator call per tensor (the allocator's ~1.2 µs an alloc and a release was ~30 µs of each MNIST
// convnet training step, all of it on the caller's thread).
import { engine, type Engine } from './engine.js';
import { align64 } from './memory.js';

export class Arena {
  /** Blocks of their own this generation (before the first recycle, or past the chunk). */
  private offsets: number[] = [];
  private owner: Engine | null = null;
  /** The kept chunk (-1: none), its size, how much of it this generation used and how much it asked for in all. */
  private chunk = -1;
  private size = 0;
  private used = 0;
  private asked = 0;
  /** Bumped by every reset; tensors made from this arena remember the generation they were made in. */
  generation = 0;

  alloc(bytes: number): number {
    const e = engine();
    // Blocks of an engine that was replaced are gone with its memory: never release them into the new one.
    if (e !== this.owner) {
      this.offsets.length = 0;
      this.chunk = -1;
      this.size = 0;
      this.owner = e;
    }
    const size = align64(Math.max(bytes, 1)); // as the allocator rounds
    this.asked += size;
    if (this.chunk >= 0 && this.used + size <= this.size) {
      this.used += size;
      return this.chunk + this.used - size;
    }
    const offset = e.heap.alloc(bytes);
    this.offsets.push(offset);
    return offset;
  }

  /** Frees everything allocated since the last reset, chunk included. Tensors made in this arena become invalid. */
  reset(): void {
    this.end(0);
  }

  /**
   * Ends a batch as `reset()` does (its tensors become invalid) but keeps its memory for the next batch: one
   * chunk as large as this batch asked for in all, so a next batch of the same shapes allocates nothing.
   */
  recycle(): void {
    this.end(Math.max(this.asked, this.size));
  }

  /** Ends the generation, keeping a chunk of `keep` bytes (0: none). */
  private end(keep: number): void {
    const heap = this.owner && !this.owner.retired ? this.owner.heap : null;
    if (heap) {
      for (let i = this.offsets.length - 1; i >= 0; i--) heap.release(this.offsets[i]);
      if (this.chunk >= 0 && keep !== this.size) heap.release(this.chunk);
    }
    this.offsets.length = 0;
    if (keep !== this.size) {
      this.chunk = -1;
      this.size = 0;
      // Allocated after the blocks are back; without room for it in one piece, the next batch goes block by block.
      if (heap && keep) {
        try {
          this.chunk = heap.alloc(keep);
          this.size = keep;
        } catch {}
      }
    }
    this.used = this.asked = 0;
    this.generation++;
  }
}
