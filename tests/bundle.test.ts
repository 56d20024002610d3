// The size budget (issues 9-14 together): each wasm build ≤ 128 KiB, the whole ESM bundle (wasm embedded)
// ≤ 256 KiB minified and ≤ 100 KiB gzipped.
// `npm test` builds dist/ first (pretest), so these read what users get.
import { it, expect } from 'vitest';
import { statSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

it('keeps every wasm build under 128 KiB', () => {
  const builds = readdirSync('build').filter((f) => f.endsWith('.wasm'));
  expect(builds.length).toBeGreaterThanOrEqual(4);
  for (const f of builds) expect(statSync(`build/${f}`).size, f).toBeLessThanOrEqual(128 * 1024);
});

it('keeps the ESM bundle under 256 KiB, 100 KiB gzipped', () => {
  expect(statSync('dist/simdnet.js').size).toBeLessThanOrEqual(256 * 1024);
  expect(gzipSync(readFileSync('dist/simdnet.js')).length).toBeLessThanOrEqual(100 * 1024);
});

it('keeps the CommonJS build the same code as the ESM bundle (within 1 %)', () => {
  const esm = statSync('dist/simdnet.js').size;
  expect(Math.abs(statSync('dist/simdnet.cjs').size - esm) / esm).toBeLessThan(0.01);
});

it('bundles the type declarations into one file per format', () => {
  expect(statSync('dist/simdnet.d.ts').size).toBeGreaterThan(0);
  expect(statSync('dist/simdnet.d.cts').size).toBe(statSync('dist/simdnet.d.ts').size);
});
