// One bundle of the library (wasm embedded as basE91 text), imported unchanged by Node and browsers, written
// twice: ESM (dist/simdnet.js, what `import` and every bundler get) and CommonJS (dist/simdnet.cjs, what
// `require('simdnet')` gets, because Node 20.0–20.16 cannot require an ES module). The types are bundled
// into one declaration file, dist/simdnet.d.ts, copied as dist/simdnet.d.cts for `require`.
// Minified with class names kept (error messages and optimizers name their class; stack traces show
// which layer's method ran); function names are mangled, which saves 13 kB (5 %) of the main bundle —
// nothing reads a function's name (losses carry theirs as a property). No source map: the package ships
// no sources to map to (a map with embedded sources tripled the tarball).
import { copyFileSync } from 'node:fs';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { minify } from 'terser';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { dts } from 'rollup-plugin-dts';

// The comments that tell webpack and vite to leave src/node-builtin.ts's import() alone must survive.
const KEEP_COMMENTS = /webpackIgnore|@vite-ignore/;
// Class names stay (error messages name the user's object by its class: describeValue); three compress passes
// take ~1 % more off the main bundle than one. Function declarations hoisted to the top of their scope (as JS
// does anyway) take 313 B more off (gzipped: 690 B more on); function expressions that use neither `this` nor
// `arguments` written as arrows, 380 B (nothing here calls one with `new`).
const TERSER = { ecma: 2022, module: true, keep_classnames: true, keep_fnames: false, compress: { passes: 3, hoist_funs: true, unsafe_arrows: true }, format: { comments: KEEP_COMMENTS } };

/**
 * The pool worker's source (src/backend/worker-source.ts) is a string, which terser leaves as it is: minify
 * the code inside it too (its comments and indentation were ~1 kB of the bundle). The package test runs the
 * bundle on two threads, so the minified worker is exercised.
 */
const MINIFY_WORKER_SOURCE = {
  name: 'minify-worker-source',
  async transform(code, id) {
    if (!/[\\/]src[\\/]backend[\\/]worker-source\.ts$/.test(id)) return null;
    const m = /export const WORKER_SOURCE = `([^`]*)`;/.exec(code);
    if (!m) this.error('worker-source.ts: expected `export const WORKER_SOURCE = `...`;`');
    const out = await minify(m[1], { ecma: 2022, module: false, compress: { passes: 2 } });
    const text = out.code.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
    return { code: code.replace(m[0], `export const WORKER_SOURCE = \`${text}\`;`), map: null };
  },
};

/**
 * Shorter errors in the minified bundles, the same objects: `new Error(m)` and `Error(m)` make the same error,
 * `new Array(n)` and `Array(n)` the same array (ECMA-262: both called as functions construct), so that `new`
 * goes (1.4 kB of the main bundle); and the ~260 `Error("simdnet: …")` become `$e_("…")`, a function at the
 * end of the chunk that prefixes the message and leaves itself out of the stack trace (3 kB). terser's
 * `unsafe` would drop the `new` too, with rewrites that differ for some values (String(x) → "" + x throws on a
 * symbol). The build fails if the chunk already has an identifier `$e_`.
 */
const SHORT_ERRORS = {
  name: 'short-errors',
  renderChunk(code) {
    if (/(^|[^\w$])\$e_($|[^\w$])/.test(code)) this.error('short-errors: the chunk already uses the identifier $e_');
    const out = code.replace(/\bnew (Error|Array)\(/g, '$1(').replace(/\bError\((["`])simdnet: /g, '$e_($1');
    const helper = 'function $e_(m,o){const e=Error("simdnet: "+m,o);Error.captureStackTrace?.(e,$e_);return e}';
    return { code: out === code ? out : `${out}\n${helper}\n`, map: null };
  },
};

/** Writes the bundled declarations again as .d.cts, the types of the CommonJS build. */
const copyForCommonJs = (base) => ({
  name: 'copy-d-cts',
  writeBundle() {
    copyFileSync(`dist/${base}.d.ts`, `dist/${base}.d.cts`);
  },
});

// The subpath entries simdnet/onnx (src/onnx/) and simdnet/quantize (src/quantize/) import the library
// through '../index.js': that import becomes `import 'simdnet'`, so they share the main bundle's engine and
// classes instead of carrying a copy. protobufjs, simdnet/onnx's one runtime dependency, stays an import too.
const SUBPATH_DIR = /[\\/]src[\\/](onnx|quantize)[\\/]/;
const MAIN_AS_PACKAGE = {
  name: 'main-as-package',
  resolveId(source, importer) {
    if (source === '../index.js' && importer && SUBPATH_DIR.test(importer)) return { id: 'simdnet', external: true };
    return null;
  },
};
// Modules of src/ outside the subpath folders that a subpath bundle may carry a copy of: stateless helpers.
// Anything else (the engine, tensors, layers, models) must come through 'simdnet' (public API or _internal):
// a second copy would be a second engine. This check fails the build instead.
const COPYABLE = /[\\/]src[\\/](describe|node-builtin)\.ts$/;
const ONE_ENGINE = {
  name: 'one-engine',
  load(id) {
    if (/[\\/]src[\\/]/.test(id) && !SUBPATH_DIR.test(id) && !COPYABLE.test(id)) {
      this.error(`${id} would be bundled into a subpath entry (a second copy of the engine): import it through '../index.js' (public API or _internal)`);
    }
    return null;
  },
};
const ONNX_EXTERNAL = [/^node:/, 'simdnet', /^protobufjs/];
const QUANTIZE_EXTERNAL = [/^node:/, 'simdnet'];

/** An ES module + CommonJS pair and its declarations for the subpath entry src/<name>/index.ts. */
const subpathEntry = (name, external) => [
  {
    input: `src/${name}/index.ts`,
    output: [
      { file: `dist/${name}.js`, format: 'es' },
      { file: `dist/${name}.cjs`, format: 'cjs', exports: 'named', dynamicImportInCjs: true },
    ],
    external,
    plugins: [
      MAIN_AS_PACKAGE,
      ONE_ENGINE,
      typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
      terser(TERSER),
      SHORT_ERRORS,
    ],
  },
  {
    input: `src/${name}/index.ts`,
    output: { file: `dist/${name}.d.ts`, format: 'es' },
    external,
    plugins: [MAIN_AS_PACKAGE, dts({ tsconfig: './tsconfig.json' }), copyForCommonJs(name)],
  },
];

export default [
  {
    input: 'src/index.ts',
    output: [
      { file: 'dist/simdnet.js', format: 'es' },
      // exports named as in ESM; import() of Node built-ins stays an import() (Node's CommonJS has it).
      { file: 'dist/simdnet.cjs', format: 'cjs', exports: 'named', dynamicImportInCjs: true },
    ],
    // Node built-ins are imported only through src/node-builtin.ts, by a specifier made at run time.
    external: [/^node:/],
    plugins: [
      // Bundles the one runtime library, fflate's inflater (src/backend/inflate.ts): the package has no dependencies.
      nodeResolve({ browser: true }),
      typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
      MINIFY_WORKER_SOURCE,
      terser(TERSER),
      SHORT_ERRORS,
    ],
  },
  {
    input: 'src/index.ts',
    output: { file: 'dist/simdnet.d.ts', format: 'es' },
    // stripInternal: _internal (src/internal.ts) is in the JS for the subpath entries, not in the public types.
    plugins: [dts({ tsconfig: './tsconfig.json', compilerOptions: { stripInternal: true } }), copyForCommonJs('simdnet')],
  },
  ...subpathEntry('onnx', ONNX_EXTERNAL),
  ...subpathEntry('quantize', QUANTIZE_EXTERNAL),
];
