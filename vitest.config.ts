import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores here: run test files one or two at a time so heavy kernels don't starve each other.
    maxWorkers: 2,
    // Child processes (not worker threads) so the relaxed-SIMD build can be tested on Node 20, where the
    // flag is refused in NODE_OPTIONS and in a Worker's execArgv.
    pool: 'forks',
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
