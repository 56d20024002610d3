// The int8 kernel module: simdnet/quantize's kernels, compiled apart from the main module (assembly/index.ts)
// and instantiated on the same memory when simdnet/quantize first runs (src/backend/extension.ts), so the
// main bundle does not carry them. It has no static data, so it needs no room of its own in the memory.
export * from './int8-gemm';
export * from './int8-quantize';
export * from './int8-pool';
export * from './int8-winograd';
export * from './int8-direct';
