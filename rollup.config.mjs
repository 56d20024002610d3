// One ESM bundle (wasm embedded as base64) plus .d.ts, imported unchanged by Node and browsers.
// Minified (names kept, so stack traces and error messages stay readable); the sourcemap maps back to src/.
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';

export default {
  input: 'src/index.ts',
  output: { file: 'dist/simdnet.js', format: 'es', sourcemap: true },
  // Node-only modules are loaded with a dynamic import inside Node-only functions; keep them external.
  external: [/^node:/],
  plugins: [
    typescript({ tsconfig: './tsconfig.json', declaration: true, declarationDir: 'dist', outDir: 'dist' }),
    terser({ ecma: 2022, module: true, keep_classnames: true, keep_fnames: true, format: { comments: false } }),
  ],
};
