// The arena's kept chunk: recycle() ends a batch (its tensors throw when used after) but keeps its memory, so
// a next batch of the same shapes makes no allocator call; reset() gives everything back.
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { Arena } from '../../src/backend/arena.js';

afterAll(() => sn.dispose());
beforeAll(async () => {
  await sn.ready({ threads: 1 });
});

/** Counts the allocator's alloc calls while f runs (`fromArena`: only those an arena makes). */
function allocCalls(f: () => void, fromArena = false): number {
  const heap = engine().heap;
  const alloc = heap.alloc;
  let calls = 0;
  heap.alloc = (bytes: number) => {
    if (!fromArena || /Arena\.alloc/.test(new Error().stack ?? '')) calls++;
    return alloc.call(heap, bytes);
  };
  try {
    f();
  } finally {
    heap.alloc = alloc;
  }
  return calls;
}

describe('Arena', () => {
  const batch = (arena: Arena, sizes: number[]): sn.Tensor[] => sizes.map((n, i) => {
    const t = sn.Tensor.empty([n], arena);
    t.view().fill(i + 1);
    return t;
  });

  it('keeps a batch\'s memory on recycle: the next batch of the same shapes allocates nothing, and its blocks do not overlap', () => {
    const heap = engine().heap;
    const base = heap.bytesInUse;
    const arena = new Arena();
    const sizes = [1000, 17, 4096, 3, 250];
    expect(allocCalls(() => batch(arena, sizes))).toBe(sizes.length); // the first batch: a block each
    const old = sn.Tensor.empty([4], arena);
    arena.recycle();
    expect(() => old.dataSync()).toThrow(/arena that was reset/);
    const kept = heap.bytesInUse - base; // the chunk
    expect(kept).toBeGreaterThanOrEqual(4 * (1000 + 17 + 4096 + 3 + 250 + 4));
    for (let round = 0; round < 3; round++) {
      let ts: sn.Tensor[] = [];
      expect(allocCalls(() => { ts = batch(arena, sizes); })).toBe(0);
      // Each tensor still holds its own fill: no two share memory.
      ts.forEach((t, i) => expect(t.dataSync().every((v) => v === i + 1)).toBe(true));
      arena.recycle();
    }
    expect(heap.bytesInUse - base).toBe(kept);
    arena.reset();
    expect(heap.bytesInUse).toBe(base);
  });

  it('grows the chunk when a batch outgrows it, and stays flat after', () => {
    const heap = engine().heap;
    const base = heap.bytesInUse;
    const arena = new Arena();
    batch(arena, [100]);
    arena.recycle();
    const small = heap.bytesInUse - base;
    expect(allocCalls(() => batch(arena, [100, 5000]))).toBe(1); // past the chunk: a block of its own
    arena.recycle();
    expect(heap.bytesInUse - base).toBeGreaterThan(small);
    const grown = heap.bytesInUse;
    for (let i = 0; i < 5; i++) {
      expect(allocCalls(() => batch(arena, [100, 5000]))).toBe(0);
      arena.recycle();
      expect(heap.bytesInUse).toBe(grown);
    }
    arena.reset();
    expect(heap.bytesInUse).toBe(base);
  });

  it('drops its chunk with the engine it came from', async () => {
    const arena = new Arena();
    batch(arena, [64]);
    arena.recycle();
    await sn.ready({ threads: 1, simd: 'plain' }); // another build: a new engine and memory
    const heap = engine().heap;
    const base = heap.bytesInUse;
    expect(allocCalls(() => batch(arena, [64]))).toBe(1); // nothing of the old memory reused
    arena.reset();
    expect(heap.bytesInUse).toBe(base);
  });
});

describe('a model\'s batch memory', () => {
  it('is kept between trainOnBatch calls and given back at the end of fit and evaluate', async () => {
    const heap = engine().heap;
    const m = sn.sequential({ layers: [sn.layers.dense({ units: 8, activation: 'relu', inputShape: [20] }), sn.layers.dense({ units: 3, activation: 'softmax' })] });
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const x = sn.tensor(new Float32Array(16 * 20).map((_, i) => Math.sin(i)), [16, 20]);
    const y = sn.tensor(new Float32Array(16 * 3).map((_, i) => (i % 3 === 0 ? 1 : 0)), [16, 3]);
    // Once through everything first: optimizer state, and the engine's scratch grown to its largest (kept).
    await m.trainOnBatch(x, y);
    await m.fit(x, y, { epochs: 1, batchSize: 8, validationSplit: 0.25, verbose: 0 });
    m.evaluate(x, y, { batchSize: 4 });
    const settled = heap.bytesInUse;
    expect(allocCalls(() => void m.trainOnBatch(x, y), true)).toBeGreaterThan(2); // the first: block by block
    // The second of that size records the step (src/model/training-plan.ts): its own rows, activations, scratch.
    expect(allocCalls(() => void m.trainOnBatch(x, y), true)).toBeGreaterThan(2);
    const kept = heap.bytesInUse;
    expect(kept).toBeGreaterThan(settled);
    for (let i = 0; i < 5; i++) {
      expect(allocCalls(() => void m.trainOnBatch(x, y), true)).toBe(0);
      expect(heap.bytesInUse).toBe(kept);
    }
    await m.fit(x, y, { epochs: 2, batchSize: 8, validationSplit: 0.25, verbose: 0 });
    expect(heap.bytesInUse).toBe(settled);
    await m.trainOnBatch(x, y);
    m.evaluate(x, y, { batchSize: 4 });
    expect(heap.bytesInUse).toBe(settled);
    m.dispose();
    x.dispose();
    y.dispose();
  });
});
