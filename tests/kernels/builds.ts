// The kernel builds every kernel suite runs on: plain and relaxed SIMD, each single-threaded and on the
// threaded build with two threads (large cases are split across them). Relaxed SIMD needs Node's
// --experimental-wasm-relaxed-simd, which vitest.config.ts passes to its child processes.
import type * as sn from '../../src/index.js';

export const KERNEL_BUILDS: [string, sn.ReadyOptions][] = [
  ['plain SIMD', { simd: 'plain' }],
  ['relaxed SIMD', { simd: 'relaxed' }],
  ['plain SIMD, 2 threads', { simd: 'plain', threads: 2 }],
  ['relaxed SIMD, 2 threads', { simd: 'relaxed', threads: 2 }],
];
