// An arena hands out blocks that all die together: the activations and gradients of one batch.
// `reset()` returns every block to the allocator, so the next batch reuses the same memory, and bumps the
// arena's generation, so a tensor kept from an earlier batch throws when used instead of reading reused memory.
import { engine, type Engine } from './engine.js';

export class Arena {
  private offsets: number[] = [];
  private owner: Engine | null = null;
  /** Bumped by every reset; tensors made from this arena remember the generation they were made in. */
  generation = 0;

  alloc(bytes: number): number {
    const e = engine();
    // Blocks of an engine that was replaced are gone with its memory: never release them into the new one.
    if (e !== this.owner) {
      this.offsets.length = 0;
      this.owner = e;
    }
    const offset = e.heap.alloc(bytes);
    this.offsets.push(offset);
    return offset;
  }

  /** Frees everything allocated since the last reset. Tensors made in this arena become invalid. */
  reset(): void {
    if (this.owner && !this.owner.retired) {
      const heap = this.owner.heap;
      for (let i = this.offsets.length - 1; i >= 0; i--) heap.release(this.offsets[i]);
    }
    this.offsets.length = 0;
    this.generation++;
  }

  get blocks(): number {
    return this.offsets.length;
  }
}
