import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as sn from '../src/index.js';
import { engine } from '../src/backend/engine.js';

afterAll(() => sn.dispose());

describe('thread pool on shared memory', () => {
  it('starts the threaded build and runs calls on every thread', async () => {
    const info = await sn.ready({ threads: 2, simd: 'plain' });
    expect(info.threadsSupported).toBe(true);
    expect(info.threads).toBe(2);
    expect(info.build).toBe('threads');
    const n = 1 << 16;
    const t = sn.Tensor.zeros([n]);
    const half = (n / 2) * 4;
    for (let round = 0; round < 200; round++) {
      engine().parallel([
        ['fill_f32', t.ptr, n / 2, round],
        ['fill_f32', t.ptr + half, n / 2, -round],
      ]);
      const v = t.view();
      expect(v[0]).toBe(round);
      expect(v[n - 1]).toBe(-round);
    }
    t.dispose();
  });

  it('wakes sleeping workers ahead of a burst of calls, and only those asleep', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    const e = engine();
    const t = sn.Tensor.zeros([32]);
    e.parallel([['fill_f32', t.ptr, 16, 1], ['fill_f32', t.ptr + 64, 16, 2]]);
    // The worker spins a while after its call, then sleeps in Atomics.wait: wake it once it sleeps.
    let woken = 0;
    for (let tries = 0; tries < 100 && woken === 0; tries++) {
      await new Promise((r) => setTimeout(r, 20));
      woken = e.wakeWorkers();
    }
    expect(woken).toBe(1);
    // Spinning again now, it still takes calls.
    e.parallel([['fill_f32', t.ptr, 16, 3], ['fill_f32', t.ptr + 64, 16, 4]]);
    expect([t.view()[15], t.view()[31]]).toEqual([3, 4]);
    t.dispose();
    await sn.ready({ threads: 1, simd: 'plain' });
    expect(engine().wakeWorkers()).toBe(0);
  });

  it('runs more calls than threads in rounds, each once', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    for (const calls of [3, 5, 8, 19]) {
      const t = sn.Tensor.zeros([calls * 16]);
      for (let round = 1; round <= 50; round++) {
        // Each call adds to its own block (read, then written): a call run twice, or by two threads, shows.
        engine().parallel(Array.from({ length: calls }, (_, i) => ['add_f32', t.ptr + i * 64, t.ptr + i * 64, t.ptr + i * 64, 16] as const));
        engine().parallel(Array.from({ length: calls }, (_, i) => ['scale_f32', t.ptr + i * 64, t.ptr + i * 64, 16, 0] as const));
        engine().parallel(Array.from({ length: calls }, (_, i) => ['fill_f32', t.ptr + i * 64 + 4 * (i % 16), 1, round * (i + 1)] as const));
        engine().parallel(Array.from({ length: calls }, (_, i) => ['add_f32', t.ptr + i * 64, t.ptr + i * 64, t.ptr + i * 64, 16] as const));
        const v = t.view();
        for (let i = 0; i < calls; i++) expect(v[i * 16 + (i % 16)], `call ${i} of ${calls}, round ${round}`).toBe(2 * round * (i + 1));
      }
      t.dispose();
    }
  });

  it('reports a call that fails on any thread, and keeps working', async () => {
    await sn.ready({ threads: 2, simd: 'plain' });
    const e = engine();
    const t = sn.Tensor.zeros([8 * 16]);
    const outside = e.heap.memory.buffer.byteLength + 4096; // past the end of memory: the kernel traps
    for (let bad = 0; bad < 8; bad++) {
      const calls = Array.from({ length: 8 }, (_, i) => ['fill_f32', i === bad ? outside : t.ptr + i * 64, 16, 1] as const);
      expect(() => e.parallel(calls), `call ${bad} out of bounds`).toThrow();
    }
    e.parallel(Array.from({ length: 8 }, (_, i) => ['fill_f32', t.ptr + i * 64, 16, i + 2] as const));
    expect(Array.from({ length: 8 }, (_, i) => t.view()[i * 16 + 15])).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    t.dispose();
  });

  it('falls back to one thread when asked for one', async () => {
    const info = await sn.ready({ threads: 1 });
    expect(info.threads).toBe(1);
    expect(['simd', 'relaxed']).toContain(info.build);
  });

  it('rejects a nonsense thread count', async () => {
    await expect(sn.ready({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });

  it('lets a Node process that used threads exit by itself', () => {
    const script = `
      import * as sn from './dist/simdnet.js';
      const info = await sn.ready({ threads: 2 });
      const t = sn.tensor(new Float32Array(1000).fill(1), [1000]);
      console.log('threads', info.threads, t.dataSync()[999]);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 20_000, encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('threads 2 1');
  });
});
