// The size budget (issues 9-14 together): each wasm build ≤ 128 KiB, the whole ESM bundle (wasm embedded)
// ≤ 256 KiB minified and ≤ 100 KiB gzipped; the subpath entry simdnet/quantize ≤ 40 KiB with its int8
// kernel module embedded (~9 kB of it), on the main bundle's engine (no copy of it).
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

it('keeps simdnet/quantize under 40 KiB, importing the main entry instead of carrying the engine', () => {
  const code = readFileSync('dist/quantize.js', 'utf8');
  expect(code.length).toBeLessThanOrEqual(40 * 1024);
  expect(code).toMatch(/from\s*["']simdnet["']/);
  // Classes of the main bundle that a copied engine would bring along.
  for (const cls of ['Engine', 'Tensor', 'Arena', 'Sequential', 'Layer']) expect(code, cls).not.toMatch(new RegExp(`class ${cls}\\b`));
  // ... and the main bundle no longer carries the int8 runner, nor the int8 kernels (its wasm exports none).
  expect(readFileSync('dist/simdnet.js', 'utf8')).not.toMatch(/class (QuantizedModel|QuantizedProgram)\b/);
  const main = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync('build/simdnet-simd.wasm'))).map((e) => e.name);
  expect(main).toContain('gemm_f32');
  expect(main.filter((name) => name.startsWith('int8_'))).toEqual([]);
});

it('throws the same errors from the minified bundles (their `Error("simdnet: …")` calls are shortened)', async () => {
  const sn = await import('../dist/simdnet.js');
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)('../dist/simdnet.cjs');
  for (const lib of [sn, cjs]) {
    let error: unknown = null;
    try {
      lib.layers.dropout({ rate: 2 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const { message, stack } = error as Error;
    expect(message).toMatch(/^simdnet: dropout_\d+: rate must be in \[0, 1\), got 2$/);
    // The shortening helper is left out of the trace: its first frame is the function that threw.
    expect(stack!.split('\n')[1]).not.toMatch(/\$e_/);
  }
  // Only the helper itself still makes a prefixed error.
  expect(readFileSync('dist/simdnet.js', 'utf8').match(/Error\(["`]simdnet: /g)).toEqual(['Error("simdnet: ']);
});
