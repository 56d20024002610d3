// An arena hands out blocks that all die together: the activations and gradients of one batch.
// `reset()` returns every block to the allocator, so the next batch reuses the same memory.
import { engine } from './engine.js';

export class Arena {
  private offsets: number[] = [];

  alloc(bytes: number): number {
    const offset = engine().heap.alloc(bytes);
    this.offsets.push(offset);
    return offset;
  }

  /** Frees everything allocated since the last reset. Tensors made in this arena become invalid. */
  reset(): void {
    const heap = engine().heap;
    for (let i = this.offsets.length - 1; i >= 0; i--) heap.release(this.offsets[i]);
    this.offsets.length = 0;
  }

  get blocks(): number {
    return this.offsets.length;
  }
}
