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

describe('tensor() refuses what is not numbers', () => {
  it('names a string, a non-numeric entry and a ragged nested array instead of making NaNs', () => {
    const live = sn.memoryInfo().liveTensors;
    expect(() => sn.tensor('hello' as never)).toThrow(/data must be a typed array, a number\[\] or nested arrays of numbers, got 'hello'/);
    expect(() => sn.tensor({ length: 3 } as never)).toThrow(/got an object with keys length/);
    expect(() => sn.tensor([1, 'x', 3] as never)).toThrow(/element \[1\] is 'x', not a number/);
    expect(() => sn.tensor([[1, 2], [3, null]] as never)).toThrow(/element \[1\]\[1\] is null, not a number/);
    expect(() => sn.tensor([[1, 2], [3, 4, 5], [6]])).toThrow(/ragged: element \[1\] is an array of 3 .*expects an array of 2/);
    expect(() => sn.tensor([[1, 2], 3, 4] as never)).toThrow(/ragged: element \[1\] is 3/);
    expect(() => sn.tensor([[[1], [2]], [[3], 4]] as never)).toThrow(/ragged/);
    expect(() => sn.tensor(new Float32Array(4), 'x' as never)).toThrow(/a shape must be an array of dimensions, got 'x'/);
    expect(() => sn.tensor(new Float32Array(4), [2, 2.5])).toThrow(/invalid shape/);
    expect(sn.memoryInfo().liveTensors).toBe(live);
  });

  it('copies a view over wasm memory that the allocation grows (and detaches), leaking nothing', () => {
    const n = 3 << 18; // 3 MiB of floats: a second one does not fit in the memory without growing it
    const src = sn.tensor(Float32Array.from({ length: n }, (_, i) => i % 1000), [n]);
    const live = sn.memoryInfo().liveTensors;
    const bytes = sn.memoryInfo().wasmBytes;
    const copy = sn.tensor(src.view(), [n]);
    expect(sn.memoryInfo().wasmBytes).toBeGreaterThan(bytes); // the memory really grew under the view
    expect(sn.memoryInfo().liveTensors).toBe(live + 1);
    const got = copy.dataSync();
    expect(got[0]).toBe(0);
    expect(got[n - 1]).toBe((n - 1) % 1000);
    expect(got[123_457]).toBe(457);
    copy.dispose();
    src.dispose();
  });
});
