// The kernel module: every export of every op file (the int8 kernels are a module of their own: assembly/int8.ts). Pointers are byte offsets into the imported memory;
// all buffers are allocated by the JS side (src/backend/memory.ts) above heap_base().

// First byte the JS allocator may use: everything below belongs to the module's static data.
export function heap_base(): usize {
  return __heap_base;
}

// 1 when this build uses relaxed SIMD (FMA) in its inner loops.
export function uses_relaxed_simd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

export * from './elementwise';
// From gemm.ts only the plain matrix product: gemm_run and its operand kinds are internal to the kernels.
export { gemm_f32, gemm_scratch_bytes } from './gemm';
export * from './conv';
export * from './activations';
export * from './losses';
export * from './optimizers';
export * from './pool';
export * from './batchnorm';
export * from './dropout';
export * from './maxout';
export * from './peak';
export * from './depthwise';
export * from './conv3d';
export * from './resize';
export * from './merge';
export * from './prelu';
export * from './winograd';
export * from './transpose';
export * from './regularizer';
export * from './layernorm';
export * from './clamp';
export * from './augment';
