// The relaxed build ships as a delta against the plain build (src/backend/wasm-delta.ts). The build checks the
// real pair byte for byte; these tests check the format on edits the real pair may not happen to contain.
import { describe, expect, it } from 'vitest';
import { applyWasmDelta } from '../../src/backend/wasm-delta.js';
// @ts-expect-error: a build script without type declarations
import { wasmDelta } from '../../scripts/wasm-delta.mjs';

function seeded(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomBytes(n: number, rand: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

describe('wasm delta', () => {
  it('rebuilds targets with insertions, deletions, replacements and moved blocks', () => {
    const rand = seeded(7);
    const source = randomBytes(20000, rand);
    const target: number[] = [];
    // Blocks of the source in shuffled order, with edits between them, so copies step backwards too.
    const starts = Array.from({ length: 40 }, (_, i) => i * 500).sort(() => rand() - 0.5);
    for (const start of starts) {
      target.push(...source.subarray(start, start + 300 + Math.floor(rand() * 200)));
      target.push(...randomBytes(Math.floor(rand() * 20), rand));
    }
    const delta = wasmDelta(source, Uint8Array.from(target));
    expect(Array.from(applyWasmDelta(source, delta))).toEqual(target);
    expect(delta.length).toBeLessThan(target.length / 4);
  });

  it('handles empty and unrelated targets', () => {
    const rand = seeded(3);
    const source = randomBytes(1000, rand);
    for (const target of [new Uint8Array(0), randomBytes(777, rand), source.slice(0, 5), source.slice()]) {
      expect(Array.from(applyWasmDelta(source, wasmDelta(source, target)))).toEqual(Array.from(target));
    }
  });

  it('refuses a truncated delta and one that copies past its source', () => {
    const rand = seeded(11);
    const source = randomBytes(5000, rand);
    const target = Uint8Array.from([...randomBytes(30, rand), ...source.subarray(100, 4000)]);
    const delta = wasmDelta(source, target);
    expect(() => applyWasmDelta(source, delta.subarray(0, delta.length - 1))).toThrow(/truncated|does not fit/);
    expect(() => applyWasmDelta(source.subarray(0, 2000), delta)).toThrow(/does not fit its source/);
  });
});
