// A worker asleep in Atomics.wait must be woken by the call posted to it; one still polling is not notified
// (slot word 7 says which: src/backend/pool.ts, worker-source.ts). Without the notify, the caller would take
// every call back (the worker never claims one).
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';

afterAll(() => sn.dispose());

describe('thread pool: waking a worker', () => {
  it('marks a worker asleep in Atomics.wait and wakes it for its call', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    const e = engine();
    expect(e.threads).toBe(2);
    const pool = (e as unknown as { pool: { slotBase: number } }).pool;
    const asleepWord = (pool.slotBase >> 2) + 7;
    const words = () => new Int32Array(e.heap.memory.buffer);
    const big = sn.Tensor.zeros([1 << 20]); // the caller's part: ~0.2 ms, long enough for the worker to wake and claim
    const n = 64;
    const t = sn.Tensor.zeros([n]);
    const counts = e.splitCounts!;
    let woken = 0;
    for (let round = 0; round < 20 && woken < 2; round++) {
      await new Promise((r) => setTimeout(r, 5)); // past the worker's ~0.2 ms of polling: it sleeps
      expect(Atomics.load(words(), asleepWord)).toBe(1);
      const before = { takenBack: counts.takenBack, serial: counts.serial };
      e.parallel([['fill_f32', big.ptr, big.size, 1], ['fill_f32', t.ptr, n, round + 1]]);
      expect(t.view()[n - 1]).toBe(round + 1);
      if (counts.takenBack === before.takenBack && counts.serial === before.serial) woken++; // the worker ran it: the post woke it
    }
    expect(woken).toBeGreaterThan(0);
    big.dispose();
    t.dispose();
  });
});
