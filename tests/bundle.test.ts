// The size budget: each wasm build ≤ 128 KiB, the whole ESM bundle (wasm embedded) ≤ 150 KiB before gzip.
// `npm test` builds dist/ first (pretest), so these read what users get.
import { it, expect } from 'vitest';
import { statSync, readdirSync } from 'node:fs';

it('keeps every wasm build under 128 KiB', () => {
  const builds = readdirSync('build').filter((f) => f.endsWith('.wasm'));
  expect(builds.length).toBeGreaterThanOrEqual(4);
  for (const f of builds) expect(statSync(`build/${f}`).size, f).toBeLessThanOrEqual(128 * 1024);
});

it('keeps the ESM bundle under 150 KiB', () => {
  expect(statSync('dist/simdnet.js').size).toBeLessThanOrEqual(150 * 1024);
});

it('keeps the CommonJS build the same code as the ESM bundle (within 1 %)', () => {
  const esm = statSync('dist/simdnet.js').size;
  expect(Math.abs(statSync('dist/simdnet.cjs').size - esm) / esm).toBeLessThan(0.01);
});

it('bundles the type declarations into one file per format', () => {
  expect(statSync('dist/simdnet.d.ts').size).toBeGreaterThan(0);
  expect(statSync('dist/simdnet.d.cts').size).toBe(statSync('dist/simdnet.d.ts').size);
});
