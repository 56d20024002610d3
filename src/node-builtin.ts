// Node built-ins for the Node-only code paths (worker_threads, files, the core count), imported by a
// specifier made at run time. Bundlers see neither a module to resolve for the browser nor an expression
// to warn about, so one bundle serves Node and browsers: esbuild leaves an import() of a template literal
// that is not a relative path alone, and webpack and vite skip imports marked with the comments below
// (rollup.config.mjs keeps those comments through minification). In a browser these calls never run.

interface NodeBuiltins {
  'fs/promises': typeof import('node:fs/promises');
  module: typeof import('node:module');
  os: typeof import('node:os');
  path: typeof import('node:path');
  url: typeof import('node:url');
  worker_threads: typeof import('node:worker_threads');
}

/** `await nodeBuiltin('os')` is `await import('node:os')`, hidden from bundlers. */
export function nodeBuiltin<K extends keyof NodeBuiltins>(name: K): Promise<NodeBuiltins[K]> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ `node:${name}`);
}
