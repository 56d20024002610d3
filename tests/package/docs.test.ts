// The API reference (docs/api, `npm run docs`) builds from the TSDoc comments without a warning:
// typedoc.json treats warnings as errors, e.g. a public signature that names a type the package does not
// export. Built into build/api-check, so docs/api itself is left alone; a stale docs/api is only noted.
import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

test('TypeDoc builds the API reference without a warning', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', 'build/api-check'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const output = r.stdout + r.stderr;
  expect(output).not.toMatch(/\[warning\]|\[error\]/);
  expect(r.status, output).toBe(0);
}, 130_000);
