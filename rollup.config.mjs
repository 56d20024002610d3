// One ESM bundle (wasm embedded as base64) plus .d.ts, imported unchanged by Node and browsers.
import typescript from '@rollup/plugin-typescript';

export default {
  input: 'src/index.ts',
  output: { file: 'dist/simdnet.js', format: 'es', sourcemap: true },
  // Node-only modules are loaded with a dynamic import inside Node-only functions; keep them external.
  external: [/^node:/],
  plugins: [typescript({ tsconfig: './tsconfig.json', declaration: true, declarationDir: 'dist', outDir: 'dist' })],
};
