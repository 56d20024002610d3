// ready()'s options are checked (issue 10 item 8), thread counts are capped at the cores there are, and
// threads that cannot start say why (issue 15): each with a console.warn printed once and a threadsNote.
import { describe, it, expect, afterAll, vi } from 'vitest';
import os from 'node:os';
import * as sn from '../../src/index.js';

afterAll(() => sn.dispose());

describe('ready() options', () => {
  it('rejects a bogus simd choice and thread counts that are not positive integers', async () => {
    await expect(sn.ready({ simd: 'bogus' as never })).rejects.toThrow(/simd must be 'auto', 'relaxed' or 'plain', got 'bogus'/);
    for (const threads of [Infinity, NaN, -1, 0, 2.5, 'x', '2', null]) {
      await expect(sn.ready({ threads: threads as never })).rejects.toThrow(/threads must be a positive integer or 'auto', got /);
    }
    await expect(sn.ready(5 as never)).rejects.toThrow(/options must be an object, got 5/);
    expect(sn.isReady()).toBe(false);
  });

  it('caps a finite thread count at the cores there are, warns once and says so in the result', async () => {
    const cores = os.availableParallelism();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const info = await sn.ready({ threads: 1000, simd: 'plain' });
      expect(info.threads).toBe(cores);
      expect(info.threadsNote).toMatch(new RegExp(`1000 threads were asked for; capped at the ${cores} cores`));
      await sn.ready({ threads: 1000, simd: 'plain' });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/capped/);
    } finally {
      warn.mockRestore();
    }
  });

  it('runs on one thread where threads cannot start, warns once and reports why', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false; // what a page served without COOP/COEP sees
    try {
      const info = await sn.ready({ threads: 2, simd: 'plain' });
      expect(info.threads).toBe(1);
      expect(info.threadsSupported).toBe(false);
      expect(info.threadsNote).toMatch(/threads cannot start: the page is not cross-origin isolated .*Cross-Origin-Embedder-Policy/);
      sn.dispose();
      expect((await sn.ready({ threads: 'auto', simd: 'plain' })).threads).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      delete g.crossOriginIsolated;
      warn.mockRestore();
    }
    expect((await sn.ready({ threads: 2, simd: 'plain' })).threadsNote).toBeUndefined();
  });
});
