// The README's API example runs as written (against the sources), and learns.
import { it, expect } from 'vitest';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

it('README api example runs', async () => {
  const readme = await readFile(join(here, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- api:start -->'), readme.indexOf('<!-- api:end -->'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'a ```js block between the api markers').toBeTruthy();
  const file = join(here, `.readme-example-${process.pid}.ts`);
  await writeFile(file, code!.replace(/from 'simdnet'/g, `from '${join(here, '../../src/index.js')}'`));
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' '));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    await rm(file, { force: true });
  }
  const evaluation = lines.find((l) => l.startsWith('{"loss"'));
  expect(JSON.parse(evaluation!).accuracy).toBeGreaterThan(0.9);
  expect(lines).toContain('338');
});

it('README functional-model example runs', async () => {
  const readme = await readFile(join(here, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- graph-api:start -->'), readme.indexOf('<!-- graph-api:end -->'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'a ```js block between the graph-api markers').toBeTruthy();
  const file = join(here, `.readme-graph-example-${process.pid}.ts`);
  await writeFile(file, code!.replace(/from 'simdnet'/g, `from '${join(here, '../../src/index.js')}'`));
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' '));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    await rm(file, { force: true });
  }
  expect(lines.some((l) => /Connected to/.test(l))).toBe(true);
  expect(lines.some((l) => /^add_\d+ \(Add\)/.test(l))).toBe(true);
  const evaluation = lines.find((l) => l.startsWith('{"loss"'));
  expect(JSON.parse(evaluation!).accuracy).toBeGreaterThan(0.9);
  expect(lines).toContain('638');
});
