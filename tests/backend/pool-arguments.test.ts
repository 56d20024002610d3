// The pool's slots carry SLOT_ARGS arguments, and the worker passes all of them written out (no apply of a
// fresh array: worker-source.ts): every kernel must fit, and a call's missing arguments must read as 0 in a
// worker as they do on the caller's thread, whatever the call before it left in the slot.
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as sn from '../../src/index.js';
import { engine } from '../../src/backend/engine.js';
import { SLOT_ARGS, WORKER_SOURCE } from '../../src/backend/worker-source.js';

afterAll(() => sn.dispose());

describe('thread pool: kernel arguments', () => {
  it('has room for every kernel of the main and int8 modules', () => {
    const declarations = readFileSync(new URL('../../src/backend/kernels.generated.ts', import.meta.url), 'utf8');
    const counts = [...declarations.matchAll(/^\s+(\w+)\(([^)]*)\): \w+;$/gm)].map(([, name, params]) => ({
      name, params: params.split(',').filter((p) => p.trim()).length,
    }));
    expect(counts.length).toBeGreaterThan(100);
    expect(counts.find((c) => c.name === 'int8_direct_conv2d')?.params).toBe(30);
    expect(counts.filter((c) => c.params > SLOT_ARGS)).toEqual([]);
  });

  it('passes exactly SLOT_ARGS arguments in the worker', () => {
    expect(WORKER_SOURCE).toContain(`a[${SLOT_ARGS - 1}]`);
    expect(WORKER_SOURCE).not.toContain(`a[${SLOT_ARGS}]`);
  });

  it('zeroes a slot\'s arguments past a shorter call in a worker', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    const e = engine();
    expect(e.threads).toBe(2);
    const big = sn.Tensor.zeros([1 << 20]); // the caller's part: long enough (~0.2 ms) for the worker to claim its call
    const n = 64;
    const t = sn.Tensor.zeros([n]);
    const src = sn.tensor(new Float32Array(n).fill(5), [n]);
    const counts = e.splitCounts!;
    let onWorker = 0;
    for (let round = 0; round < 50 && onWorker < 3; round++) {
      e.kernels.fill_f32(t.ptr, n, 7);
      e.parallel([['fill_f32', big.ptr, big.size, 1], ['copy_f32', t.ptr, src.ptr, n]]); // leaves n in the slot's third argument
      expect(t.view()[n - 1]).toBe(5);
      e.kernels.fill_f32(t.ptr, n, 7);
      const before = { takenBack: counts.takenBack, serial: counts.serial, groups: counts.groups };
      // copy_f32 with its count left out: 0 (an i32 argument left out is 0 on this thread too), so nothing is copied.
      e.parallel([['fill_f32', big.ptr, big.size, 2], ['copy_f32', t.ptr, src.ptr] as unknown as ['copy_f32', number, number, number]]);
      expect([t.view()[0], t.view()[n - 1]]).toEqual([7, 7]);
      if (counts.groups === before.groups + 1 && counts.takenBack === before.takenBack && counts.serial === before.serial) onWorker++;
    }
    expect(onWorker).toBeGreaterThan(0); // the worker ran the short call at least once
    big.dispose();
    t.dispose();
    src.dispose();
  });
});
