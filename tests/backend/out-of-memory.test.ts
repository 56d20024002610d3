// Running out of wasm memory (issue 10 item 9): an Error that says simdnet ran out, how much was asked, how
// much is in use and the cap (4 GiB on one thread, 2 GiB with threads) — not a bare RangeError from
// Memory.grow() — and the failed allocation leaks nothing.
import { describe, it, expect, afterAll } from 'vitest';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';

afterAll(() => sn.dispose());

describe('out of wasm memory', () => {
  it('on one thread: names the request, the memory in use and the 4 GiB cap; nothing leaks', async () => {
    await sn.ready({ threads: 1 });
    const keep = sn.tensor(new Float32Array(1000), [1000]);
    const live = sn.memoryInfo().liveTensors;
    const blocks = engine().heap.liveBlocks;
    const err = (() => {
      try {
        sn.Tensor.empty([2 ** 30, 2]); // 8 GiB
      } catch (e) {
        return e as Error;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(RangeError);
    expect(err.message).toMatch(/simdnet ran out of wasm memory: an allocation of 8 GiB .* over the cap of 4 GiB/);
    expect(err.message).toMatch(/2 GiB with threads/);
    expect(err.message).toMatch(/in use in \d+ blocks/);
    expect(err.message.length).toBeLessThan(400);
    expect(sn.memoryInfo().liveTensors).toBe(live);
    expect(engine().heap.liveBlocks).toBe(blocks);
    // The engine still works after the failure.
    const t = sn.tensor([1, 2, 3], [3]);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
    t.dispose();
    keep.dispose();
  });

  it('with threads: the cap is 2 GiB', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    expect(() => sn.Tensor.empty([3 * 2 ** 28])).toThrow(/ran out of wasm memory: an allocation of 3 GiB .* over the cap of 2 GiB \(with threads; 4 GiB on one thread\)/);
    expect(sn.memoryInfo().liveTensors).toBe(0);
    expect(engine().heap.liveBlocks).toBe(1); // the thread pool's mailbox only
  });
});
