import { describe, it, expect, beforeAll } from 'vitest';
import * as sn from '../src/index.js';

beforeAll(async () => {
  await sn.ready();
});

describe('tensor', () => {
  it('round-trips values and shape', () => {
    const t = sn.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    t.dispose();
  });

  it('infers the shape of nested arrays', () => {
    const t = sn.tensor([[[1], [2]], [[3], [4]]]);
    expect(t.shape).toEqual([2, 2, 1]);
    t.dispose();
  });

  it('names the shape when the data length does not match', () => {
    expect(() => sn.tensor([1, 2, 3], [2, 2])).toThrow(/3 values but shape \[2,2\] needs 4/);
    expect(() => sn.tensor([[1, 2], [3]])).toThrow(/ragged/);
  });

  it('refuses use after dispose and counts live tensors', () => {
    const before = sn.memoryInfo().liveTensors;
    const t = sn.tensor([1, 2], [2]);
    expect(sn.memoryInfo().liveTensors).toBe(before + 1);
    t.dispose();
    t.dispose();
    expect(sn.memoryInfo().liveTensors).toBe(before);
    expect(() => t.dataSync()).toThrow(/after dispose/);
  });

  it('reuses freed memory instead of growing', () => {
    const big = () => sn.tensor(new Float32Array(1 << 20), [1 << 20]);
    const first = big();
    first.dispose();
    const bytes = sn.memoryInfo().wasmBytes;
    for (let i = 0; i < 20; i++) big().dispose();
    expect(sn.memoryInfo().wasmBytes).toBe(bytes);
  });

  it('reports which build it chose', async () => {
    const info = await sn.ready();
    expect(['simd', 'relaxed']).toContain(info.build);
    expect(info.relaxedSimd).toBe(info.relaxedSimdSupported);
    expect(info.threads).toBe(1);
  });
});
