// A worker asleep in Atomics.wait must be woken by the call posted to it; one still polling is not notified
// (slot word 7 says which: src/backend/pool.ts, worker-source.ts). Without the notify, the caller would take
// every call back (the worker never claims one, so never stores it as done).
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
    const slot = pool.slotBase >> 2; // worker 1's slot: word 0 the call's sequence number, 1 the last it ran, 7 asleep
    const asleepWord = slot + 7;
    const words = () => new Int32Array(e.heap.memory.buffer);
    const big = sn.Tensor.zeros([1 << 22]); // the caller's part: ~1 ms, long enough for the worker to wake and claim
    // The worker polls ~0.2 ms after its last call, then sleeps (longer where its core is busy: wait for it).
    const asleep = async (): Promise<boolean> => {
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 5));
        if (Atomics.load(words(), asleepWord) === 1) return true;
      }
      return false;
    };
    const n = 64;
    const t = sn.Tensor.zeros([n]);
    let woken = 0;
    for (let round = 0; round < 30 && woken < 2; round++) {
      expect(await asleep()).toBe(true);
      e.parallel([['fill_f32', big.ptr, big.size, 1], ['fill_f32', t.ptr, n, round + 1]]);
      expect(t.view()[n - 1]).toBe(round + 1);
      // The worker ran this call (not the caller, taking it back): the post woke it.
      if (Atomics.load(words(), slot + 1) === Atomics.load(words(), slot)) woken++;
    }
    expect(woken).toBeGreaterThan(0);
    big.dispose();
    t.dispose();
  });
});
