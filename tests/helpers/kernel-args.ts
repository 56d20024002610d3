// A recorded kernel call's arguments by parameter name, so tests that look at a call (which path it took, a
// flag it carries) do not count positions that move when a kernel gains an argument. The names are those of
// the generated kernel declarations (src/backend/kernels.generated.ts, made from the AssemblyScript sources).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const declarations = readFileSync(join(__dirname, '../../src/backend/kernels.generated.ts'), 'utf8');

const paramsOf = new Map<string, string[]>();
for (const m of declarations.matchAll(/^\s+(\w+)\(([^)]*)\):/gm)) {
  paramsOf.set(m[1], m[2] === '' ? [] : m[2].split(',').map((p) => p.trim().split(':')[0].trim()));
}

/** The value of parameter `name` in a recorded call [kernel, ...args]; throws on an unknown kernel or name. */
export function kernelArg(call: readonly unknown[], name: string): number {
  const kernel = call[0] as string;
  const params = paramsOf.get(kernel);
  if (!params) throw new Error(`kernelArg: no kernel ${kernel} in kernels.generated.ts`);
  const i = params.indexOf(name);
  if (i < 0) throw new Error(`kernelArg: ${kernel} has no parameter ${name} (it has ${params.join(', ')})`);
  return call[1 + i] as number;
}
